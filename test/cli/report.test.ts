/**
 * `drivetrain report`: the HTML report of a replay (run now, or saved as `replay --json`) and of a window
 * of a deployment read from its tables in DynamoDB Local (seeded through the real stores and engine).
 * The rendering itself is checked in Chromium by test/local/report.test.ts.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decide } from '../../functions/domain/engine';
import { DynamoDecisionStore } from '../../functions/adapters/dynamodb/decision-store';
import { DynamoDriverStore } from '../../functions/adapters/dynamodb/driver-store';
import { createTestTables, type LocalTables } from '../support/dynamodb';
import { NOW, cli, shippedConfig } from './harness';
import { seed, type Seeded } from './seed';

const dir = mkdtempSync(join(tmpdir(), 'drivetrain-report-'));
const TRACE = ['--trace', 'traces/flash-sale.csv', '--drivers', 'traces/flash-sale.drivers.json'];

describe('report of a replay', () => {
  it('replays the trace and drivers and writes one self-contained file, printing its path', async () => {
    const out = join(dir, 'replay.html');
    const result = await cli(['report', ...TRACE, '--out', out]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${out}\n`);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('data-chart="capacity-web-asg"');
    expect(html).toContain('data-chart="cost-web-asg"'); // web-asg has a unit price: the cost chart
    expect(html).toContain('data-series="budget cap"');
    expect(html).toContain('data-legend="marker:up"');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it('renders a saved `replay --json` the same way', async () => {
    const replay = await cli(['replay', ...TRACE, '--json']);
    expect(replay.code).toBe(0);
    const saved = join(dir, 'replay.json');
    writeFileSync(saved, replay.stdout);
    const out = join(dir, 'saved.html');
    const result = await cli(['report', '--replay', saved, '--out', out]);
    expect(result.code).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('data-chart="cost-web-asg"');
    const changes = (JSON.parse(replay.stdout) as { targets: Array<{ decisions: unknown[] }> }).targets.reduce(
      (n, t) => n + t.decisions.length,
      0,
    );
    expect(html.match(/<tr class="change">/g)).toHaveLength(changes);
  });

  it('refuses ambiguous or unreadable input with a clear message', async () => {
    const both = await cli(['report', ...TRACE, '--since', '2h']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give exactly one of --replay FILE, --trace/--drivers (a replay now), or --since');
    const stray = await cli(['report', ...TRACE, '--until', '1h']);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('--until only makes sense with --since');
    const notReplay = join(dir, 'not-replay.json');
    writeFileSync(notReplay, '{"hello": 1}');
    const bad = await cli(['report', '--replay', notReplay]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('is not the JSON of `drivetrain replay --json`');
  });
});

describe('report of a deployment window (DynamoDB Local)', () => {
  let local: LocalTables;
  let seeded: Seeded;
  let flags: string[];
  beforeAll(async () => {
    local = await createTestTables();
    const config = shippedConfig();
    seeded = await seed(local, config);
    // A later hold of web-asg, recorded because its explanation changed: hidden behind the toggle.
    const decisions = new DynamoDecisionStore(local.doc, {
      decisionsTable: local.names.decisions,
      stateTable: local.names.state,
      retentionDays: 90,
      targets: config.targets,
    });
    const drivers = new DynamoDriverStore(local.doc, local.names.drivers);
    const web = config.targets.find((t) => t.id === 'web-asg')!;
    const state = await decisions.getState('web-asg');
    const hold = decide(web, await drivers.all('web-asg'), state, NOW - 10);
    await decisions.record({ ...hold, actions: [], summary: `${hold.summary} (hold)` }, state!.version, 'skipped');
    flags = ['--local', '--endpoint', local.endpoint, '--table-prefix', local.names.drivers.replace(/-drivers$/, '')];
  });
  afterAll(() => local.client.destroy());

  it('reads decisions and drivers of the window and writes the report with decision ids', async () => {
    const out = join(dir, 'deployment.html');
    const result = await cli(['report', ...flags, '--since', '1h', '--out', out]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const html = readFileSync(out, 'utf8');
    for (const id of ['web-asg', 'checkout-fn']) expect(html).toContain(`data-chart="capacity-${id}"`);
    expect(html).toContain('data-chart="weights-api-routing"');
    // The seeded budget driver (2.5/h) is in force: the cost chart draws it as the cap.
    expect(html).toContain('data-series="budget cap"');
    for (const d of [seeded.webApplied, seeded.checkoutFailed, seeded.routingShadow])
      expect(html).toContain(`<code>${d.decisionId}</code>`);
    expect(html).toMatch(/<tr class="hold">.*\(hold\)/);
    expect(html).toContain('status-failed');
    expect(html).toContain('show the ');
  });

  it('narrows to one target and to a window', async () => {
    const out = join(dir, 'web.html');
    const result = await cli(['report', ...flags, '--since', '1h', '--target', 'web-asg', '--out', out, '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ path: out, decisions: 2 });
    const html = readFileSync(out, 'utf8');
    expect(html).not.toContain('data-chart="weights-api-routing"');
    const empty = await cli(['report', ...flags, '--since', '3h', '--until', '2h', '--json', '--out', out]);
    expect(JSON.parse(empty.stdout)).toEqual({ path: out, decisions: 0 });
  });
});
