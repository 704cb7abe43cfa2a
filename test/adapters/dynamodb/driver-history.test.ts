import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { readHistory, readLiveAt } from '../../../functions/adapters/dynamodb/driver-history';
import { DynamoDriverStore } from '../../../functions/adapters/dynamodb/driver-store';
import type { AlarmDriver, BusinessDriver, MetricDriver } from '../../../functions/domain/model';
import { createTestTables, type LocalTables } from '../../support/dynamodb';

const T0 = 1_795_000_000;
const RETENTION = 7 * 86_400;

function snapshot(observedAt: number, eventId: string, targets = ['web-asg']): MetricDriver {
  return {
    kind: 'metric',
    id: 'requests',
    name: 'requests',
    source: 'drivetrain.metrics',
    targets,
    observedAt,
    expiresAt: observedAt + 300,
    lineage: { eventId, channel: 'eventbridge', receivedAt: observedAt + 1 },
    signal: { value: observedAt - T0, unit: 'Count/Second' },
  };
}

/** A budget record `id` observed at `observedAt`, live until `expiresAt`, for the target 'live-fn'. */
function budget(id: string, observedAt: number, expiresAt: number, eventId: string): BusinessDriver {
  return {
    kind: 'business',
    id: `business:cost-budget:${id}`,
    name: 'cost-budget',
    source: 'com.acme.finance',
    targets: ['live-fn'],
    observedAt,
    expiresAt,
    lineage: { eventId, channel: 'eventbridge', receivedAt: observedAt + 1 },
    signal: { type: 'budget', maxHourlyCost: 10, windowStart: observedAt, windowEnd: expiresAt },
  };
}

function alarmState(observedAt: number, state: 'ALARM' | 'OK', eventId: string): AlarmDriver {
  return {
    kind: 'alarm',
    id: 'arn:aws:cloudwatch:us-east-1:111122223333:alarm:cpu-high',
    name: 'cpu-high',
    source: 'aws.cloudwatch',
    targets: ['live-fn'],
    observedAt,
    expiresAt: observedAt + 86_400,
    lineage: { eventId, channel: 'eventbridge', receivedAt: observedAt + 1 },
    signal: { alarmName: 'cpu-high', state },
  };
}

describe('driver history (DynamoDB Local)', () => {
  let local: LocalTables;
  let store: DynamoDriverStore;
  const warnings: Array<Record<string, unknown>> = [];
  const logger = { warn: (_m: string, attrs: Record<string, unknown>) => warnings.push(attrs) };

  beforeAll(async () => {
    local = await createTestTables();
    store = new DynamoDriverStore(local.doc, local.names.drivers, {
      history: { tableName: local.names.history, retentionSeconds: RETENTION },
    });
  });
  afterAll(() => local.client.destroy());

  const read = (targetId: string, from: number, to: number, now = T0, limit = 100) =>
    readHistory(local.doc, local.names.history, { targetId, from, to, now, limit, logger });

  it('keeps every observation the latest-record table replaces, once per target, and a redelivery once', async () => {
    expect(await store.put(snapshot(T0, 'e1', ['web-asg', 'checkout-fn']))).toBe('stored');
    expect(await store.put(snapshot(T0 + 60, 'e2', ['web-asg', 'checkout-fn']))).toBe('stored');
    expect(await store.put(snapshot(T0 + 60, 'e2', ['web-asg', 'checkout-fn']))).toBe('duplicate');
    // Late: the deployment ignored it, so it is not part of what it saw.
    expect(await store.put(snapshot(T0 + 30, 'e-late', ['web-asg', 'checkout-fn']))).toBe('out-of-order');
    expect((await store.all('web-asg')).map((d) => d.lineage.eventId)).toEqual(['e2']);
    for (const target of ['web-asg', 'checkout-fn']) {
      const { drivers, truncated } = await read(target, T0, T0 + 60);
      expect(truncated).toBe(false);
      expect(drivers.map((d) => d.lineage.eventId)).toEqual(['e1', 'e2']);
      expect(drivers[0]).toEqual(snapshot(T0, 'e1', ['web-asg', 'checkout-fn']));
    }
  });

  it('reads the window inclusively, oldest first, and only items still retained', async () => {
    expect((await read('web-asg', T0 + 1, T0 + 60)).drivers.map((d) => d.lineage.eventId)).toEqual(['e2']);
    expect((await read('web-asg', T0, T0 + 59)).drivers.map((d) => d.lineage.eventId)).toEqual(['e1']);
    // e1 was received at T0 + 1: retained until T0 + 1 + RETENTION, whatever DynamoDB's TTL has deleted.
    const later = await read('web-asg', T0, T0 + 60, T0 + 1 + RETENTION);
    expect(later.drivers.map((d) => d.lineage.eventId)).toEqual(['e2']);
  });

  it('stops at the limit and says so', async () => {
    expect(await read('web-asg', T0, T0 + 60, T0, 1)).toEqual({ drivers: [expect.anything()], truncated: true });
    expect((await read('web-asg', T0, T0 + 60, T0, 2)).truncated).toBe(false);
  });

  it('skips a corrupt item with a warning', async () => {
    const { Items } = await local.doc.send(new ScanCommand({ TableName: local.names.history }));
    const item = Items!.find((i) => i.targetId === 'checkout-fn')!;
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    await local.doc.send(
      new PutCommand({ TableName: local.names.history, Item: { ...item, driver: { kind: 'metric' } } }),
    );
    expect((await read('checkout-fn', T0, T0 + 60)).drivers).toHaveLength(1);
    expect(warnings).toEqual([expect.objectContaining({ targetId: 'checkout-fn', historyKey: item.historyKey })]);
  });

  describe('the drivers live at an instant', () => {
    const AT = T0 + 10 * 86_400;
    const liveAt = (at: number, lookbackSeconds: number, limit = 100, now = T0) =>
      readLiveAt(local.doc, local.names.history, { targetId: 'live-fn', at, lookbackSeconds, now, limit, logger });
    const ids = (read: { drivers: Array<{ lineage: { eventId: string } }> }) =>
      read.drivers.map((d) => d.lineage.eventId);

    beforeAll(async () => {
      // q4: stated two days before AT, restated a day later; both live at AT: the restatement is what was held.
      await store.put(budget('q4', AT - 2 * 86_400, AT + 30 * 86_400, 'q4-first'));
      await store.put(budget('q4', AT - 86_400, AT + 20 * 86_400, 'q4-restated'));
      // spring: over before AT.
      await store.put(budget('spring', AT - 5 * 86_400, AT - 3600, 'spring'));
      // promo: live at AT as first stated, then called off (its restatement expires before AT).
      await store.put(budget('promo', AT - 3 * 86_400, AT + 86_400, 'promo-first'));
      await store.put(budget('promo', AT - 2 * 86_400, AT - 60, 'promo-called-off'));
      // The alarm went to ALARM an hour before AT and stayed there.
      await store.put(alarmState(AT - 7200, 'OK', 'alarm-ok'));
      await store.put(alarmState(AT - 3600, 'ALARM', 'alarm-alarm'));
      // Observed at AT itself: the window's, not carried in.
      await store.put(budget('at-start', AT, AT + 3600, 'at-start'));
      // Older than a snapshot can be live: its own expiry already passed.
      await store.put({ ...snapshot(AT - 7200, 'old-snapshot'), targets: ['live-fn'] });
    });

    it('keeps per driver the latest observation before the instant, when it is still live then', async () => {
      expect(await liveAt(AT, 30 * 86_400)).toEqual({
        drivers: [
          expect.objectContaining({ lineage: expect.objectContaining({ eventId: 'q4-restated' }) }),
          expect.objectContaining({ lineage: expect.objectContaining({ eventId: 'alarm-alarm' }) }),
        ],
        truncated: false,
      });
      // Before promo was called off, its first statement was live (and spring not yet over; q4 not yet stated).
      expect(ids(await liveAt(AT - 2.5 * 86_400, 30 * 86_400))).toEqual(['spring', 'promo-first']);
    });

    it('looks back only as far as it is told, and only at retained items', async () => {
      // A second before q4's restatement, its first statement (and promo's restatement, made at the same time)
      // is a day less a second old: a lookback one second shorter misses both, that long finds both.
      const before = AT - 86_400 - 1;
      expect(ids(await liveAt(before, 86_398))).toEqual([]);
      expect(ids(await liveAt(before, 86_399))).toEqual(['promo-called-off', 'q4-first']);
      // Retention over (received + RETENTION) for everything but the at-start record and the alarm.
      expect(ids(await liveAt(AT, 30 * 86_400, 100, AT - 86_400 + 1 + RETENTION))).toEqual(['alarm-alarm']);
    });

    it('stops at the limit and says so', async () => {
      // Seven candidates are read (five budget statements, two alarm states; the query drops the expired
      // snapshot and never reaches the record observed at AT): six do not hold them.
      expect((await liveAt(AT, 30 * 86_400, 6)).truncated).toBe(true);
      expect((await liveAt(AT, 30 * 86_400, 7)).truncated).toBe(false);
    });
  });

  it('writes nothing without a history table', async () => {
    const plain = new DynamoDriverStore(local.doc, local.names.drivers);
    await plain.put(snapshot(T0 + 120, 'e3', ['other']));
    expect((await read('other', T0, T0 + 200)).drivers).toEqual([]);
  });
});
