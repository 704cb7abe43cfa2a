/**
 * `drivetrain replay`: the production engine over shipped traces and recorded drivers, in virtual time.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './harness';

const FLASH = ['--trace', 'traces/flash-sale.csv', '--drivers', 'traces/flash-sale.drivers.json'];

describe('replay', () => {
  it('reports per target what the policy would have done over a trace and the announced sale', async () => {
    const result = await cli(['replay', '--policy', 'drivetrain.config.yaml', ...FLASH]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^Replay of drivetrain\.config\.yaml \(deployment "drivetrain"\)/);
    expect(result.stdout).toMatch(/web-asg \(ec2-asg, policy web-2026-11-23\): \d+ changes/);
    // The announced sale is pre-warmed with the rule's 15-minute lead before its 12:00 window.
    expect(result.stdout).toMatch(/2026-11-27 11:45:00 .*flash-sale \(lead 15m\)/);
    expect(result.stdout).toMatch(/checkout-fn .*peak 120/);
    expect(result.stdout).toMatch(/elasticity vs "requests" at 250\/unit: θU/);
  });

  it('gives the full report as JSON and honours --targets', async () => {
    const result = await cli(['replay', '--trace', 'traces/diurnal.csv', '--targets', 'web-asg', '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      targets: Array<{ targetId: string; changes: number; decisions: unknown[] }>;
    };
    expect(report.targets.map((t) => t.targetId)).toEqual(['web-asg']);
    expect(report.targets[0]!.decisions.length).toBeGreaterThan(0);
  });

  it.each([
    ['no history to replay', ['replay'], 2, /give --drivers FILE, --trace FILE, or both/],
    [
      'both --policy and --config',
      ['replay', '--policy', 'a.yaml', '--config', 'b.yaml', '--trace', 'x.csv'],
      2,
      /give --policy or --config, not both/,
    ],
    [
      'an unknown target',
      ['replay', '--trace', 'traces/diurnal.csv', '--targets', 'web'],
      1,
      /unknown target "web" \(did you mean "web-asg"\?\)/,
    ],
    ['a missing trace file', ['replay', '--trace', 'traces/nope.csv'], 1, /nope\.csv/],
  ])('refuses %s', async (_name, argv, code, message) => {
    const result = await cli(argv);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
  });

  it('names the bad line of a malformed trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drivetrain-replay-'));
    const file = join(dir, 'bad.csv');
    writeFileSync(file, 'time_seconds,demand_rps\n0,100\n60,lots\n');
    const result = await cli(['replay', '--trace', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/bad\.csv:3: demand "lots" is not a non-negative number/);
  });
});
