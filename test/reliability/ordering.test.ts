/**
 * At-least-once delivery and ordering, through the real ingest and tick handlers on DynamoDB Local: events
 * arrive twice, out of order and hours late (EventBridge retries for up to 24 hours), from several Lambda
 * environments at once. A driver older than the stored one is dropped, so a late event never rolls the
 * allocation back, and every write still belongs to exactly one recorded plan.
 */
import fc from 'fast-check';
import { IdempotencyAlreadyInProgressError } from '@aws-lambda-powertools/idempotency';
import type { IngestSummary } from '../../functions/handlers/ingest';
import { createHarness, type Harness } from '../handlers/harness';
import {
  T0,
  alarmEvent,
  auditTarget,
  AwsFaults,
  demandEvent,
  expectConverged,
  metricEvent,
  seededRandom,
} from './support';

const HOUR = 3600;

/**
 * Late deliveries arrive past the 300 s scale-in cooldown of web-asg where it matters, so a late observation
 * that got through would show as a scale-in, not be hidden by stabilization.
 */
interface LateCase {
  name: string;
  /** Events delivered on time, oldest first: [event, delivered at]. */
  onTime: Array<[Record<string, unknown>, number]>;
  /** The late delivery and when it arrives. */
  late: [Record<string, unknown>, number];
  /** How the handler refuses it. */
  refused: 'out-of-order' | 'expired-on-arrival';
  driverId: string;
  /** The eventId the stored driver must still carry. */
  keeps: string;
}

const LATE_CASES: LateCase[] = [
  {
    name: 'an alarm state change observed 3 h before the stored one',
    onTime: [
      [alarmEvent({ id: 'cpu-alarm', at: T0 - 4 * HOUR, state: 'ALARM' }), T0 - 4 * HOUR + 2],
      [alarmEvent({ id: 'cpu-ok', at: T0, state: 'OK' }), T0 + 2],
    ],
    late: [alarmEvent({ id: 'cpu-alarm-late', at: T0 - 3 * HOUR, state: 'ALARM', deliveredAt: T0 + 60 }), T0 + 60],
    refused: 'out-of-order',
    driverId: 'alarm:ServerCpuTooHigh',
    keeps: 'cpu-ok',
  },
  {
    name: 'a metric snapshot measured 30 min before the stored one',
    onTime: [[metricEvent({ id: 'req-new', at: T0, value: 3000 }), T0 + 2]],
    late: [metricEvent({ id: 'req-old', at: T0 - 1800, value: 750 }), T0 + 400],
    refused: 'out-of-order',
    driverId: 'metric:requests',
    keeps: 'req-new',
  },
  {
    name: 'a metric snapshot 2 h old, beyond its 1 h TTL',
    onTime: [[metricEvent({ id: 'req-new', at: T0, value: 3000 }), T0 + 2]],
    late: [metricEvent({ id: 'req-ancient', at: T0 - 2 * HOUR, value: 250 }), T0 + 60],
    refused: 'expired-on-arrival',
    driverId: 'metric:requests',
    keeps: 'req-new',
  },
  {
    name: 'an earlier version of the same campaign, sent 3 h before the stored one',
    onTime: [
      [
        demandEvent({
          id: 'sale-v2',
          at: T0,
          campaign: 'c1',
          demand: { absolute: 30 },
          windowStart: T0 - 60,
          windowEnd: T0 + 6 * HOUR,
          targets: ['web-asg'],
        }),
        T0 + 2,
      ],
    ],
    late: [
      demandEvent({
        id: 'sale-v1',
        at: T0 - 3 * HOUR,
        campaign: 'c1',
        demand: { absolute: 8 },
        windowStart: T0 - 60,
        windowEnd: T0 + 6 * HOUR,
        targets: ['web-asg'],
      }),
      T0 + 400,
    ],
    refused: 'out-of-order',
    driverId: 'business:flash-sale:c1',
    keeps: 'sale-v2',
  },
  // No override case: overrides arrive only through the operator endpoint, synchronously, dated when the
  // endpoint receives them (never by a client-supplied time), so there is no late redelivery of one; the
  // newer request is the newer override. test/handlers/operator.test.ts covers that path.
  {
    name: 'EventBridge redelivering the first alarm event 23 h later, after the alarm has cleared',
    onTime: [
      [alarmEvent({ id: 'cpu-alarm', at: T0, state: 'ALARM' }), T0 + 2],
      [alarmEvent({ id: 'cpu-ok', at: T0 + 600, state: 'OK' }), T0 + 602],
    ],
    late: [alarmEvent({ id: 'cpu-alarm', at: T0, state: 'ALARM' }), T0 + 23 * HOUR],
    refused: 'out-of-order',
    driverId: 'alarm:ServerCpuTooHigh',
    keeps: 'cpu-ok',
  },
];

describe('ordering: a late event never rolls the allocation back', () => {
  let h: Harness;
  let faults: AwsFaults;
  afterEach(() => {
    faults?.close();
    h?.close();
  });

  it.each(LATE_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    h = await createHarness({ now: c.onTime[0]![1] });
    faults = new AwsFaults(h);
    // Without the idempotency table the redelivered event reaches the driver store itself.
    const plain = h.handlers({ idempotency: false });
    for (const [event, at] of c.onTime) {
      h.now.value = at;
      await plain.ingest(event);
    }
    const writes = faults.writes.length;
    const resource = faults.allocationOf('web-asg');
    const decisions = (await h.decisions.list('web-asg')).length;

    h.now.value = c.late[1];
    const summary = (await plain.ingest(c.late[0])) as IngestSummary;
    if (c.refused === 'out-of-order') expect(summary).toMatchObject({ accepted: 0, outOfOrder: 1, reconciled: [] });
    else expect(summary.rejected).toEqual([expect.objectContaining({ reason: 'expired-on-arrival' })]);

    const stored = (await h.drivers.all('web-asg')).find((d) => d.id === c.driverId);
    expect(stored?.lineage.eventId).toBe(c.keeps);
    expect(faults.writes).toHaveLength(writes);
    expect(faults.allocationOf('web-asg')).toEqual(resource);
    expect(await h.decisions.list('web-asg')).toHaveLength(decisions);

    // Nor does the next tick bring the late observation back.
    h.now.value += 60;
    await h.tick({ targetIds: ['web-asg'] });
    expect(faults.allocationOf('web-asg')).toEqual(resource);
    expect((await auditTarget(h, faults, 'web-asg')).violations).toEqual([]);
  });
});

describe('ordering: shuffled, duplicated delivery ends where in-order delivery ends', () => {
  const SNAPSHOTS = 6;

  it('the newest snapshot wins and, once it is in, nothing older moves the allocation (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: SNAPSHOTS, maxLength: SNAPSHOTS }),
        fc.shuffledSubarray([...Array(SNAPSHOTS).keys()], { minLength: SNAPSHOTS, maxLength: SNAPSHOTS }),
        fc.array(fc.nat({ max: SNAPSHOTS - 1 }), { maxLength: 4 }),
        fc.boolean(),
        async (units, order, duplicates, idempotency) => {
          const h = await createHarness({ now: T0 + 100 });
          const faults = new AwsFaults(h);
          try {
            const handlers = h.handlers({ idempotency });
            // Snapshot i was measured at T0 + 10 i; all arrive after the last one was measured.
            const events = units.map((u, i) => metricEvent({ id: `req-${i}`, at: T0 + 10 * i, value: u * 250 }));
            const deliveries = [...order, ...duplicates];
            let newestDone = false;
            let writesAfterNewest = 0;
            for (const i of deliveries) {
              const before = faults.writes.length;
              await handlers.ingest(structuredClone(events[i]!));
              if (newestDone) writesAfterNewest += faults.writes.length - before;
              if (i === SNAPSHOTS - 1) newestDone = true;
            }
            const [stored] = await h.drivers.live('web-asg', h.now.value);
            expect(stored).toMatchObject({ id: 'metric:requests', lineage: { eventId: `req-${SNAPSHOTS - 1}` } });
            expect(writesAfterNewest).toBe(0);

            // Past the scale-in cooldown the target settles on what the newest snapshot asks for.
            h.now.value += 301;
            await h.tick({ targetIds: ['web-asg'] });
            await expectConverged(h, faults, 'web-asg');
            expect((await auditTarget(h, faults, 'web-asg')).violations).toEqual([]);
          } finally {
            faults.close();
            h.close();
          }
        },
      ),
      { numRuns: 12, seed: 7 },
    );
  });

  it('snapshots racing in from three Lambda environments: the newest is stored, every write is planned once', async () => {
    const h = await createHarness({ now: T0 + 200 });
    const faults = new AwsFaults(h);
    try {
      const random = seededRandom(42);
      const environments = [
        h.handlers({ idempotency: false }),
        h.handlers({ idempotency: false }),
        h.handlers({ idempotency: false }),
      ];
      const events = Array.from({ length: 15 }, (_, i) =>
        metricEvent({ id: `race-${i}`, at: T0 + 10 * i, value: 250 * (2 + Math.floor(random() * 30)) }),
      );
      const shuffled = [...events].sort(() => random() - 0.5);
      const summaries = (await Promise.all(
        shuffled.map((event, i) => environments[i % 3]!.ingest(event)),
      )) as IngestSummary[];
      expect(summaries.every((s) => s.failedTargets.length === 0)).toBe(true);
      expect(summaries.reduce((n, s) => n + s.accepted + s.outOfOrder, 0)).toBe(events.length);

      const [stored] = await h.drivers.live('web-asg', h.now.value);
      expect(stored?.lineage.eventId).toBe('race-14');
      h.now.value += 301;
      await h.tick({ targetIds: ['web-asg'] });
      await expectConverged(h, faults, 'web-asg');
      expect((await auditTarget(h, faults, 'web-asg')).violations).toEqual([]);
    } finally {
      faults.close();
      h.close();
    }
  });
});

describe('at-least-once: the same event delivered concurrently', () => {
  it('with the idempotency table: one invocation acts, the concurrent ones are told to retry and then get its result', async () => {
    const h = await createHarness({ now: T0 + 2 });
    const faults = new AwsFaults(h);
    try {
      const event = metricEvent({ id: 'dup-1', at: T0, value: 3000 });
      const environments = [h.handlers(), h.handlers(), h.handlers()];
      const results = await Promise.allSettled(environments.map((e) => e.ingest(structuredClone(event))));
      const done = results.filter((r): r is PromiseFulfilledResult<unknown> => r.status === 'fulfilled');
      const busy = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(done.length).toBeGreaterThanOrEqual(1);
      // Powertools refuses a duplicate while the first is in progress; Lambda's retry then gets the stored result.
      for (const r of busy) expect(r.reason).toBeInstanceOf(IdempotencyAlreadyInProgressError);
      h.now.value += 30;
      const retried = await Promise.all(busy.map(() => environments[0]!.ingest(structuredClone(event))));
      for (const summary of retried) expect(summary).toEqual(done[0]!.value);

      expect(faults.writes).toHaveLength(1);
      expect(await h.decisions.list('web-asg')).toHaveLength(1);
      expect((await auditTarget(h, faults, 'web-asg')).violations).toEqual([]);
    } finally {
      faults.close();
      h.close();
    }
  });

  it('without it: the driver store and the state version absorb the duplicates', async () => {
    const h = await createHarness({ now: T0 + 2 });
    const faults = new AwsFaults(h);
    try {
      const event = metricEvent({ id: 'dup-2', at: T0, value: 3000 });
      const environments = Array.from({ length: 4 }, () => h.handlers({ idempotency: false }));
      const summaries = (await Promise.all(
        environments.map((e) => e.ingest(structuredClone(event))),
      )) as IngestSummary[];
      expect(summaries.map((s) => s.accepted).reduce((a, b) => a + b)).toBe(1);
      expect(summaries.map((s) => s.duplicates).reduce((a, b) => a + b)).toBe(3);
      expect(faults.writes).toHaveLength(1);
      const audit = await auditTarget(h, faults, 'web-asg');
      expect(audit.violations).toEqual([]);
      expect(audit.decisions.filter((d) => d.actions.length > 0)).toHaveLength(1);
    } finally {
      faults.close();
      h.close();
    }
  });
});
