/**
 * `drivetrain replay --since`: a deployment's own history, written by the real ingest handler on DynamoDB
 * Local, replayed against a proposed policy.
 */
import type { IngestSummary } from '../../functions/handlers/ingest';
import { createHarness, fixture, type Harness } from '../handlers/harness';
import { cli, NOW } from './harness';

/** A requests snapshot observed `minutesAgo` before NOW, as the ingest handler receives it. */
function snapshot(minutesAgo: number, value: number): unknown {
  const event = fixture<{ id: string; time: string; detail: Record<string, unknown> }>('metric-snapshot');
  const at = new Date((NOW - minutesAgo * 60) * 1000).toISOString();
  return { ...event, id: `snap-${minutesAgo}`, time: at, detail: { ...event.detail, value, timestamp: at } };
}

describe('replay --since (history from DynamoDB Local)', () => {
  let h: Harness;
  let flags: string[];
  beforeAll(async () => {
    h = await createHarness({ now: NOW - 120 * 60, historyRetentionSeconds: 30 * 86_400 });
    // Two hours of demand rising from 1 000 to 6 000 requests/s, one snapshot every 5 minutes.
    for (let minutesAgo = 120; minutesAgo >= 0; minutesAgo -= 5) {
      h.now.value = NOW - minutesAgo * 60 + 5;
      const summary = (await h.ingest(snapshot(minutesAgo, 1000 + (120 - minutesAgo) * 40))) as IngestSummary;
      expect(summary.accepted).toBe(1);
    }
    const prefix = h.local.names.drivers.replace(/-drivers$/, '');
    flags = ['--local', '--endpoint', h.local.endpoint, '--table-prefix', prefix, '--policy', 'drivetrain.config.yaml'];
  });
  afterAll(() => h.close());

  it('replays every recorded snapshot of the window, not just the latest one the drivers table keeps', async () => {
    const result = await cli(['replay', ...flags, '--since', '2h', '--targets', 'web-asg', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      recordedDrivers: number;
      from: number;
      to: number;
      targets: Array<{ targetId: string; scaleUps: number; peak: number }>;
    };
    expect(report.recordedDrivers).toBe(25);
    expect([report.from, report.to]).toEqual([NOW - 7200, NOW]);
    expect(report.targets.map((t) => t.targetId)).toEqual(['web-asg']);
    // Demand grew sixfold over the window: the replayed policy scales out more than once.
    expect(report.targets[0]!.scaleUps).toBeGreaterThan(1);
  });

  it('narrows to --until and prints the text report', async () => {
    const result = await cli(['replay', ...flags, '--since', '2h', '--until', '1h', '--targets', 'web-asg']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Replay of drivetrain\.config\.yaml \(deployment "drivetrain"\)/);
    expect(result.stdout).toMatch(/web-asg \(ec2-asg, policy [^)]+\): \d+ changes/);
  });

  it('elides the middle of a long decision table without repeating rows, whatever --rows is', async () => {
    for (const rows of ['1', '4', '8', '12']) {
      const result = await cli(['replay', ...flags, '--since', '2h', '--targets', 'web-asg', '--rows', rows]);
      expect(result.code).toBe(0);
      const decisionRows = result.stdout.split('\n').filter((l) => /^ {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}/.test(l));
      expect(decisionRows).toHaveLength(Number(rows));
      expect(new Set(decisionRows).size).toBe(decisionRows.length);
      expect(result.stdout).toMatch(/… \d+ more …/);
    }
  });

  it.each([
    ['an empty window', ['--since', '5h', '--until', '3h'], 1, /no driver history in \S+-history between/],
    ['a window ending before it starts', ['--since', '1h', '--until', '2h'], 2, /--until must be after --since/],
    ['an unreadable --since', ['--since', 'yesterday'], 2, /--since: cannot read "yesterday"/],
    ['--since with --trace', ['--since', '1h', '--trace', 'traces/diurnal.csv'], 2, /give --since .* not both/],
    ['--until alone', ['--until', '1h', '--trace', 'traces/diurnal.csv'], 2, /--until only makes sense with --since/],
  ])('refuses %s', async (_name, argv, code, message) => {
    const result = await cli(['replay', ...flags, ...argv]);
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(code);
  });

  it('documents --since in its help', async () => {
    const result = await cli(['replay', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--since TIME');
    expect(result.stdout).toMatch(/history table \(kept for driverHistoryRetention/);
  });
});
