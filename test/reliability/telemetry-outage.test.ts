/**
 * Telemetry outage, end to end: every telemetry driver of web-asg goes stale (metric snapshots stop, or the
 * alarms report INSUFFICIENT_DATA), and the minute tick falls back to the policy's fallback allocation within
 * one tick of the drivers going stale — not before. When the drivers return, the target recovers with one
 * change, and a scale-in never follows another change within the policy's scale-down window (no thrash).
 *
 * web-asg in the harness config: requests (metric, 250 per instance, stale after the default 900 s), three
 * alarm rules, fallback 4, bounds 2..40, scale-down window 300 s, no scale-up window.
 */
import { METRIC } from '../../functions/contracts';
import type { TickSummary } from '../../functions/handlers/tick';
import { createHarness, type Harness } from '../handlers/harness';
import { T0, alarmEvent, AwsFaults, expectConverged, metricEvent } from './support';

const STALE_AFTER = 900;
const SCALE_DOWN_WINDOW = 300;

interface Change {
  minute: number;
  desired: number;
  decisionId: string | undefined;
}

/**
 * Runs `minutes` minutes of the pipeline: at each minute the scheduled events are ingested, then the
 * scheduled tick runs. Returns every allocation change with the minute it happened in.
 */
async function run(
  h: Harness,
  faults: AwsFaults,
  minutes: number,
  events: (minute: number, at: number) => unknown[],
): Promise<Change[]> {
  const changes: Change[] = [];
  for (let minute = 0; minute <= minutes; minute++) {
    const at = T0 + minute * 60;
    h.now.value = at;
    const before = faults.writes.length;
    for (const event of events(minute, at)) await h.ingest(event);
    const tick = (await h.tick({ targetIds: ['web-asg'] })) as TickSummary;
    expect(tick.failed).toEqual([]);
    for (const write of faults.writes.slice(before))
      changes.push({
        minute,
        desired: (write.allocation as { desired: number }).desired,
        decisionId: write.decisionId,
      });
  }
  return changes;
}

/** No scale-in within the scale-down window of the change before it. */
function expectNoThrash(changes: Change[]): void {
  for (let i = 1; i < changes.length; i++) {
    if (changes[i]!.desired < changes[i - 1]!.desired)
      expect((changes[i]!.minute - changes[i - 1]!.minute) * 60).toBeGreaterThanOrEqual(SCALE_DOWN_WINDOW);
  }
}

describe('telemetry outage', () => {
  let h: Harness;
  let faults: AwsFaults;
  beforeEach(async () => {
    h = await createHarness({ now: T0 });
    faults = new AwsFaults(h);
  });
  afterEach(() => {
    faults.close();
    h.close();
  });

  it('metric snapshots stop: fallback on the first tick after they go stale, one change back when they return', async () => {
    const lastBeforeOutage = 10;
    const recovery = 40;
    const changes = await run(h, faults, 60, (minute, at) =>
      minute <= lastBeforeOutage || minute >= recovery ? [metricEvent({ id: `snap-${minute}`, at, value: 3000 })] : [],
    );
    // The newest snapshot (minute 10) is stale once it is more than 900 s old: at minute 26, not at 25.
    const staleAt = lastBeforeOutage + Math.floor(STALE_AFTER / 60) + 1;
    expect(changes.map(({ minute, desired }) => ({ minute, desired }))).toEqual([
      { minute: 0, desired: 12 },
      { minute: staleAt, desired: 4 },
      { minute: recovery, desired: 12 },
    ]);
    const fallback = await h.decisions.get(changes[1]!.decisionId!);
    expect(fallback).toMatchObject({
      // Applied, then followed through by the next tick: the group serves it.
      status: 'settled',
      reasons: expect.arrayContaining(['fallback-stale-drivers']),
      summary: expect.stringContaining('fallback (drivers stale)'),
    });
    expect(h.metric(METRIC.staleTargets)).toBe(recovery - staleAt);
    expectNoThrash(changes);
    await expectConverged(h, faults, 'web-asg');
  });

  it('fallback above the demand (safe when blind): scales out at once, and back in only after the scale-down window', async () => {
    const lastBeforeOutage = 5;
    const changes = await run(h, faults, 45, (minute, at) => {
      // 450 requests/s need 2 instances (with the metric rule's scale-in headroom too); the snapshots return
      // three minutes after the fallback scaled out.
      if (minute <= lastBeforeOutage || minute >= 24) return [metricEvent({ id: `snap-${minute}`, at, value: 450 })];
      return [];
    });
    const staleAt = lastBeforeOutage + Math.floor(STALE_AFTER / 60) + 1;
    expect(changes.map(({ minute, desired }) => ({ minute, desired }))).toEqual([
      { minute: 0, desired: 2 },
      { minute: staleAt, desired: 4 },
      // Drivers back at minute 24, but the scale-in waits for the window that the fallback change opened.
      { minute: staleAt + SCALE_DOWN_WINDOW / 60, desired: 2 },
    ]);
    const held = (await h.decisions.list('web-asg', { limit: 100 })).filter((d) =>
      d.reasons.includes('cooldown-scale-down'),
    );
    expect(held.length).toBeGreaterThanOrEqual(1);
    expectNoThrash(changes);
    await expectConverged(h, faults, 'web-asg');
  });

  it('every alarm reports INSUFFICIENT_DATA: fallback on that event; alarms back in OK hold it (no bounce)', async () => {
    h.aws.group.DesiredCapacity = 10;
    const changes = await run(h, faults, 20, (minute, at) => {
      if (minute === 0) return [alarmEvent({ id: 'cpu-ok', at, state: 'OK' })];
      if (minute === 5) return [alarmEvent({ id: 'cpu-nodata', at, state: 'INSUFFICIENT_DATA' })];
      if (minute === 12) return [alarmEvent({ id: 'cpu-ok-again', at, state: 'OK' })];
      return [];
    });
    expect(changes.map(({ minute, desired }) => ({ minute, desired }))).toEqual([{ minute: 5, desired: 4 }]);
    const [latest] = await h.decisions.list('web-asg', { limit: 1 });
    expect(latest?.considered).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'cpu-high', outcome: 'alarm-ok' })]),
    );
    await expectConverged(h, faults, 'web-asg');
  });
});
