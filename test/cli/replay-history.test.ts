/**
 * `drivetrain replay --since`: a deployment's own history, written by the real ingest handler on DynamoDB
 * Local, replayed against a proposed policy.
 */
import { parseCommandArgs } from '../../cli/args';
import { replayCommand } from '../../cli/commands/replay';
import { Context } from '../../cli/context';
import { CommandError } from '../../cli/errors';
import { carryInLookbackSeconds, readDeploymentHistory } from '../../cli/history';
import type { IngestSummary } from '../../functions/handlers/ingest';
import { createHarness, fixture, type Harness } from '../handlers/harness';
import { cli, NOW, REPO_ROOT, shippedConfig } from './harness';

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

/** A flash-sale announcement received `hoursAgo` before NOW for the window [start, end] (epoch seconds). */
function campaign(id: string, hoursAgo: number, multiplier: number, start: number, end: number): unknown {
  const event = fixture<{ id: string; time: string; detail: { signal: Record<string, unknown> } }>(
    'business-driver-demand',
  );
  const iso = (t: number) => new Date(t * 1000).toISOString();
  return {
    ...event,
    id: `${id}-${hoursAgo}h`,
    time: iso(NOW - hoursAgo * 3600),
    detail: {
      ...event.detail,
      id,
      signal: { ...event.detail.signal, demand: { multiplier }, windowStart: iso(start), windowEnd: iso(end) },
    },
  };
}

describe('replay --since carries in the drivers still live at the start of the window', () => {
  let h: Harness;
  let flags: string[];
  const receive = async (event: unknown, hoursAgo: number) => {
    h.now.value = NOW - hoursAgo * 3600 + 5;
    expect(((await h.ingest(event)) as IngestSummary).accepted).toBe(1);
  };
  beforeAll(async () => {
    h = await createHarness({ now: NOW - 72 * 3600, historyRetentionSeconds: 30 * 86_400 });
    // Announced two days before the window, restated a day later with a higher multiplier: the restatement
    // is what the deployment held when the window opened (checkout-fn: baseline 20 × 3 = 60).
    await receive(campaign('black-friday', 48, 2, NOW - 3 * 3600, NOW + 86_400), 48);
    await receive(campaign('black-friday', 24, 3, NOW - 3 * 3600, NOW + 86_400), 24);
    // A campaign whose window closed before the window opened: expired, not part of the live set (×5 = 100).
    await receive(campaign('midnight-sale', 30, 5, NOW - 30 * 3600, NOW - 3 * 3600), 30);
    // Inside the window: a second campaign observed half-way through (×4 = 80).
    await receive(campaign('lunch-rush', 1, 4, NOW - 3600, NOW + 3600), 1);
    const prefix = h.local.names.drivers.replace(/-drivers$/, '');
    flags = ['--local', '--endpoint', h.local.endpoint, '--table-prefix', prefix, '--policy', 'drivetrain.config.yaml'];
  });
  afterAll(() => h.close());

  interface Report {
    recordedDrivers: number;
    carriedInDrivers: number;
    targets: Array<{ targetId: string; decisions: Array<{ at: number; desired: { desired?: number } }> }>;
  }

  it('starts from the latest live observation of each driver observed before --since, not the expired one', async () => {
    const result = await cli(['replay', ...flags, '--since', '2h', '--targets', 'checkout-fn', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as Report;
    // black-friday (its restatement only) carried in, lunch-rush read from the window.
    expect([report.carriedInDrivers, report.recordedDrivers]).toEqual([1, 2]);
    const decisions = report.targets[0]!.decisions;
    expect(decisions[0]).toMatchObject({ at: NOW - 7200, desired: { desired: 60 } });
    expect(decisions.at(-1)).toMatchObject({ desired: { desired: 80 } });
  });

  it('keeps a driver of several targets once, carried in or read from the window', async () => {
    const result = await cli(['replay', ...flags, '--since', '2h', '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as Report;
    // flash-sale feeds web-asg and checkout-fn: read under each, replayed once.
    expect([report.carriedInDrivers, report.recordedDrivers]).toEqual([1, 2]);
  });

  it('counts the observations read before the window against the same read cap, and refuses past it', async () => {
    const parsed = parseCommandArgs('replay', flags, replayCommand.options, replayCommand.positionals);
    const context = new Context(
      { stdout: () => {}, stderr: () => {}, env: {}, now: () => NOW, cwd: REPO_ROOT },
      parsed,
      'replay',
    );
    try {
      const target = await context.target('checkout-fn');
      const window = { from: NOW - 7200, to: NOW };
      // One observation in the window, three business statements before it (every statement of a business
      // driver is read: a later one may shorten its expiry): four fit, three do not.
      const read = await readDeploymentHistory(context, [target], window, 4);
      expect([read.carriedIn, read.drivers.length]).toEqual([1, 2]);
      const refused = readDeploymentHistory(context, [target], window, 3);
      await expect(refused).rejects.toThrow(CommandError);
      await expect(refused).rejects.toThrow(
        'checkout-fn has more than 3 driver observations to read: 1 between 2026-11-27T08:00:00Z and 2026-11-27T10:00:00Z, and more than 2 since 2025-11-27T07:59:59Z that may still be live at its start',
      );
    } finally {
      context.dispose();
    }
  });

  it('looks back as far as the longest-lived record of the drivers a target declares', () => {
    const { drivers } = shippedConfig();
    const day = 86_400;
    // flash-sale: a business driver without ttlSeconds, a year; the second an expiry is rounded up by on top.
    expect(carryInLookbackSeconds(drivers, 'checkout-fn')).toBe(365 * day + 1);
    // Health alarms (7-day TTL) and ops-override (a week at most).
    expect(carryInLookbackSeconds(drivers, 'api-routing')).toBe(7 * day + 1);
    expect(carryInLookbackSeconds(drivers, 'no-such-target')).toBe(0);
  });

  it('replays a window with no observation of its own from the drivers live at its start', async () => {
    const result = await cli(['replay', ...flags, '--since', '6h', '--until', '2h', '--targets', 'checkout-fn']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      '2 drivers carried in from before the window (observed earlier, still live at its start)',
    );
  });
});
