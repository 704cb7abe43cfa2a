import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { readHistory } from '../../../functions/adapters/dynamodb/driver-history';
import { DynamoDriverStore } from '../../../functions/adapters/dynamodb/driver-store';
import type { MetricDriver } from '../../../functions/domain/model';
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

  it('writes nothing without a history table', async () => {
    const plain = new DynamoDriverStore(local.doc, local.names.drivers);
    await plain.put(snapshot(T0 + 120, 'e3', ['other']));
    expect((await read('other', T0, T0 + 200)).drivers).toEqual([]);
  });
});
