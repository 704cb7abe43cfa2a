/**
 * The kept demo playground: after the scenario (on a day that ends at the injected wall clock, so its
 * history is recent) the same tick handler keeps ticking on the real clock, and a pin put with
 * `drivetrain --local put-driver` is decided on by the next tick and listed by `--local decisions --since`.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo, tickLoop, type DemoResult } from '../../local/demo/run';
import { DEMO_DAY, demoDayEndingAt, demoScenario } from '../../local/demo/scenario';
import { VirtualClock } from '../../local/simulator/clock';
import type { TickSummary } from '../../functions/handlers/tick';
import { cli } from '../cli/harness';
import { localEndpoint } from '../support/dynamodb';

const ONCALL = 'arn:aws:sts::111122223333:assumed-role/oncall-alice/alice';

describe('the demo scenario relative to now', () => {
  it('ends at the minute of the given wall clock, and keeps the pinned day by default', () => {
    const now = Date.parse('2027-03-04T15:42:31Z') / 1000;
    const day = demoDayEndingAt(now);
    const scenario = demoScenario(day);
    expect(scenario.times.end).toBe(Date.parse('2027-03-04T15:42:00Z') / 1000);
    expect(scenario.times.start).toBe(scenario.times.end - 3.5 * 3600);
    expect(scenario.events().every((e) => e.at <= scenario.times.end + 5)).toBe(true);
    // Same shape on any day: the events and beats move with it.
    const pinned = demoScenario(DEMO_DAY);
    expect(scenario.events().map((e) => e.at - day)).toEqual(pinned.events().map((e) => e.at - DEMO_DAY));
    expect(scenario.events().find((e) => e.narration?.startsWith('marketing'))!.narration).toContain(
      `${new Date(scenario.times.saleStart * 1000).toISOString().slice(11, 16)}–`,
    );
  });
});

describe('tickLoop', () => {
  it('moves the virtual clock to the wall clock and ticks until aborted', async () => {
    const clock = new VirtualClock(1000);
    let wall = 5_000_500; // ms
    const stop = new AbortController();
    const seen: number[] = [];
    const ticks = await tickLoop({
      clock,
      wallClock: () => wall,
      intervalSeconds: 0,
      signal: stop.signal,
      tick: async (at) => {
        seen.push(at);
        return { reconciled: [], failed: [] } as unknown as TickSummary;
      },
      onTick: () => {
        wall += 60_000;
        if (seen.length === 3) stop.abort();
      },
    });
    expect(ticks).toBe(3);
    expect(seen).toEqual([5000, 5060, 5120]);
    expect(clock.now()).toBe(5120);
  });
});

describe('npm run demo -- --keep: the playground ticks on', () => {
  const prefix = `play-${randomUUID().slice(0, 8)}`;
  let wallMs = Date.parse('2027-03-04T15:42:31Z');
  let result: DemoResult;
  const flags = () => ['--local', '--endpoint', localEndpoint(), '--table-prefix', prefix];
  const io = () => ({ now: () => wallMs / 1000, env: { DRIVETRAIN_PRINCIPAL: ONCALL } });

  beforeAll(async () => {
    result = await runDemo({
      dynamoDbEndpoint: localEndpoint(),
      tablePrefix: prefix,
      reportDir: mkdtempSync(join(tmpdir(), 'playground-')),
      reportName: 'demo.html',
      day: demoDayEndingAt(wallMs / 1000),
      wallClock: () => wallMs,
      keep: true,
    });
  }, 240_000);
  afterAll(() => result?.playground?.close());

  it('has recent history: `--local decisions --since 2h` lists the end of the scenario', async () => {
    const recent = await cli(['decisions', ...flags(), '--since', '2h', '--json'], io());
    expect(recent.code).toBe(0);
    const rows = JSON.parse(recent.stdout) as Array<{ at: number }>;
    expect(rows.length).toBeGreaterThan(0);
    expect(Math.min(...rows.map((r) => r.at))).toBeGreaterThanOrEqual(wallMs / 1000 - 7200);
  });

  it('decides on a pin put with --local put-driver at the next tick', async () => {
    const stop = new AbortController();
    const recorded: Array<{ at: number; recorded: number }> = [];
    let pinned = false;
    await result.playground!.keepTicking({
      intervalSeconds: 0,
      signal: stop.signal,
      onTick: async (at, summary) => {
        recorded.push({ at, recorded: summary.reconciled.filter((r) => r.outcome === 'recorded').length });
        wallMs += 60_000;
        if (!pinned) {
          const put = await cli(
            [
              'put-driver',
              ...flags(),
              '--kind',
              'override',
              '--driver',
              'ops-override',
              '--targets',
              'web-asg',
              '--pin',
              '20',
              '--expires',
              '1h',
              '--reason',
              'playground pin',
            ],
            io(),
          );
          expect(put.code).toBe(0);
          expect(put.stderr).toContain('the next local tick decides on it');
          pinned = true;
        } else stop.abort();
      },
    });
    expect(recorded).toHaveLength(2);
    const decisions = await cli(['decisions', ...flags(), '--target', 'web-asg', '--json', '-n', '3'], io());
    const newest = (JSON.parse(decisions.stdout) as Array<{ at: number; summary: string; reasons: string[] }>)[0]!;
    expect(newest.at).toBe(recorded[1]!.at);
    // The pin wins; the policy's maxStepUp (12) still limits how far one decision moves towards it.
    expect(newest).toMatchObject({ winner: 'ops-override', status: 'applied' });
    expect(newest.reasons).toContain('override-pin');
    expect(newest.summary).toMatch(/^scale \d+→\d+: override ops-override by .* outranks requests/);
  });
});
