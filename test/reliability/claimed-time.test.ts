/**
 * Times an event claims versus the decider's own clock (issue 10, violation 5 and two "also settle" items),
 * through the exported ingest handler on DynamoDB Local:
 *   - an ALARM whose state timestamp is up to 240 s in the future (inside the accepted skew; anyone who may
 *     publish to the alarm topic can forge it) must not make every later event re-take the urgent step;
 *   - one snapshot stamped +290 s must not make the honest snapshots after it "out of order";
 *   - thirty override pins within one second end at the last pin that arrived, not at the one whose random
 *     event id sorts highest.
 */
import type { IngestSummary } from '../../functions/handlers/ingest';
import { createHarness, type Harness } from '../handlers/harness';
import {
  T0,
  alarmEvent,
  auditTarget,
  AwsFaults,
  cloudWatchTime,
  isoZ,
  metricEvent,
  overrideEvent,
  seededRandom,
  viaOperatorEndpoint,
} from './support';
import type { LooseJson } from '../support/loose-json';

type Json = LooseJson;

/** An ALARM of cpu-high (+2, urgent) delivered at `deliveredAt` whose state timestamp claims `claimed`. */
function forgedAlarm(id: string, deliveredAt: number, claimed: number): Json {
  const event = alarmEvent({ id, at: deliveredAt, state: 'ALARM' });
  event.detail.state.timestamp = cloudWatchTime(claimed);
  return event;
}

describe('the alarm step is timed by the decider’s clock (violation 5)', () => {
  let h: Harness;
  let faults: AwsFaults;
  afterEach(() => {
    faults?.close();
    h?.close();
  });

  it.each([0, 3, 60, 240])(
    'state timestamp %i s in the future, then five snapshots within 10 s: one write, 4→6',
    async (ahead) => {
      h = await createHarness({ now: T0 });
      faults = new AwsFaults(h);
      await h.ingest(forgedAlarm('cpu-alarm', T0, T0 + ahead));
      expect(h.aws.group.DesiredCapacity).toBe(6);
      for (let i = 1; i <= 5; i++) {
        h.now.value = T0 + 2 * i;
        // 750 req/s at 250 per unit asks for 3: the alarm step is the only thing that could scale out.
        await h.ingest(metricEvent({ id: `req-${i}`, at: T0 + 2 * i, value: 750 }));
      }
      expect(faults.writesOf('web-asg')).toHaveLength(1);
      expect(h.aws.group.DesiredCapacity).toBe(6);
      expect((await auditTarget(h, faults, 'web-asg')).violations).toEqual([]);

      // The claimed time is kept for the audit; ordering and episodes use the time Drivetrain received it.
      const alarm = (await h.drivers.all('web-asg')).find((d) => d.kind === 'alarm')!;
      expect(alarm.observedAt).toBeLessThanOrEqual(T0);
      if (ahead > 0) expect(alarm.lineage.claimedAt).toBeCloseTo(T0 + ahead, 3);
    },
  );

  it('the repeat still comes, once a minute, while the alarm stays in ALARM', async () => {
    h = await createHarness({ now: T0 });
    faults = new AwsFaults(h);
    await h.ingest(forgedAlarm('cpu-alarm', T0, T0 + 240));
    h.now.value = T0 + 61;
    await h.tick({ targetIds: ['web-asg'] });
    expect(h.aws.group.DesiredCapacity).toBe(8);
    expect(faults.writesOf('web-asg')).toHaveLength(2);
  });
});

describe('a future-dated driver never shadows honest later ones', () => {
  let h: Harness;
  afterEach(() => h?.close());

  it('one snapshot stamped +290 s, then four honest ones: all four are stored, the newest wins', async () => {
    h = await createHarness({ now: T0 });
    const forged = metricEvent({ id: 'req-forged', at: T0 + 290, value: 10_000 });
    forged.time = isoZ(T0);
    expect(await h.ingest(forged)).toMatchObject({ accepted: 1, outOfOrder: 0 });
    for (let i = 1; i <= 4; i++) {
      h.now.value = T0 + 10 * i;
      const summary = (await h.ingest(metricEvent({ id: `req-${i}`, at: T0 + 10 * i, value: 1000 }))) as IngestSummary;
      expect({ i, accepted: summary.accepted, outOfOrder: summary.outOfOrder }).toEqual({
        i,
        accepted: 1,
        outOfOrder: 0,
      });
    }
    const [stored] = await h.drivers.live('web-asg', h.now.value);
    expect(stored).toMatchObject({ lineage: { eventId: 'req-4' }, signal: { value: 1000 } });
  });
});

describe('ties within one second are broken by arrival', () => {
  let h: Harness;
  afterEach(() => h?.close());

  it('30 override pins within one second end at the last pin that arrived', async () => {
    h = await createHarness({ now: T0 });
    const random = seededRandom(30);
    const pins = Array.from({ length: 30 }, (_, i) => {
      // Random event ids, as EventBridge assigns them: their sort order says nothing about arrival.
      const id = `${Math.floor(random() * 0xffffffff)
        .toString(16)
        .padStart(8, '0')}-pin-${i}`;
      return overrideEvent({
        id,
        at: T0,
        targets: ['web-asg'],
        action: 'pin',
        allocation: 5 + (i % 30),
        expiresAt: T0 + 3600,
      });
    });
    // Overrides are taken only by the operator endpoint; each request gets its own event id there.
    let lastEventId: string | undefined;
    for (const pin of pins) {
      const summary = await viaOperatorEndpoint(h, pin);
      expect(summary).toMatchObject({ accepted: 1, outOfOrder: 0 });
      lastEventId = summary.eventIds[0];
    }
    const last = pins[pins.length - 1]!;
    const override = (await h.drivers.all('web-asg')).find((d) => d.kind === 'override')!;
    expect(lastEventId).toBeDefined();
    expect(override.lineage.eventId).toBe(lastEventId);
    expect(h.aws.group.DesiredCapacity).toBe(last.detail.allocation);
  });
});
