/**
 * The acceptance check of the CLI on the real demo: run the Black Friday scenario (`npm run demo`'s
 * runDemo) into DynamoDB Local, then list its decisions and explain one where drivers competed — the
 * explanation must say why each losing driver lost.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo, type DemoResult } from '../../local/demo/run';
import { localEndpoint } from '../support/dynamodb';
import { cli } from './harness';

/** After the scenario (09:30–13:00 UTC virtual time), as an operator would look at it. */
const AFTER_DEMO = Date.parse('2026-11-27T13:30:00Z') / 1000;

const prefix = `cli-demo-${process.pid}`;
let demo: DemoResult;
let flags: string[];

beforeAll(async () => {
  demo = await runDemo({
    dynamoDbEndpoint: localEndpoint(),
    tablePrefix: prefix,
    reportDir: mkdtempSync(join(tmpdir(), 'drivetrain-cli-demo-')),
    wallClock: () => 0,
  });
  flags = ['--local', '--endpoint', localEndpoint(), '--table-prefix', prefix];
}, 120_000);

const LOST = ['lost-to-higher-demand', 'lost-to-earlier-rule', 'lost-precedence'];

it('lists the demo decisions newest first', async () => {
  const result = await cli(['decisions', ...flags, '--target', 'web-asg', '--limit', '5', '--json'], {
    now: () => AFTER_DEMO,
  });
  expect(result.code).toBe(0);
  const listed = JSON.parse(result.stdout) as Array<{ decisionId: string; at: number }>;
  const newest = demo.decisions
    .filter((d) => d.targetId === 'web-asg')
    .sort((a, b) => b.at - a.at || b.version - a.version)
    .slice(0, 5);
  expect(listed.map((d) => d.decisionId)).toEqual(newest.map((d) => d.decisionId));
});

it('explains a demo decision and why the losing drivers lost', async () => {
  const contested = demo.decisions.find((d) => d.considered.some((c) => LOST.includes(c.outcome)));
  expect(contested).toBeDefined();
  const result = await cli(['explain', ...flags, contested!.decisionId], { now: () => AFTER_DEMO });
  expect(result.code).toBe(0);
  expect(result.stdout).toContain(`Decision: ${contested!.decisionId}`);
  const precedence = result.stdout.slice(result.stdout.indexOf('Precedence:'), result.stdout.indexOf('Actions:'));
  for (const loser of contested!.considered.filter((c) => LOST.includes(c.outcome))) {
    expect(precedence).toMatch(new RegExp(`^ {2}${loser.name}.*: (lost to|outranked by) `, 'm'));
  }
  expect(result.stdout).toMatch(/Outcome:\n {2}(applied|failed|shadow|skipped|planned)/);
});

it('explains a forecast-driven pre-warm: what it expects, when, from how much history and how sure', async () => {
  const prewarm = demo.beats.find((b) => b.reason === 'forecast')!.decision!;
  const result = await cli(['explain', ...flags, prewarm.decisionId], { now: () => AFTER_DEMO });
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('requests forecast (lead 10m)');
  expect(result.stdout).toMatch(/requests\b.*forecast \d+ by 10:\d\d:\d\dZ from 7d of history ±\d+% → \d+/);
  expect(result.stdout).toMatch(/Reasons:\n {2}forecast: /);
});

it('reads the demo with no config file: the demo tick recorded its config in the state table', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'drivetrain-cli-demo-no-config-'));
  const result = await cli(['status', ...flags], { now: () => AFTER_DEMO, cwd: empty });
  expect(result.code).toBe(0);
  // Recorded by the scenario's first tick, 09:30 virtual time.
  expect(result.stderr).toMatch(/^config: deployed version [0-9a-f]{12}, recorded 2026-11-27T09:30:00Z \(4h ago\)\n$/);
  expect(result.stdout).toMatch(/^web-asg +enforce /m);
  // In the repository, the shipped config is the one the demo ran: no warning.
  const here = await cli(['status', ...flags], { now: () => AFTER_DEMO });
  expect(here.stderr).not.toContain('warning');
});
