import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDriverStore, driverKey } from '../../../functions/adapters/dynamodb/driver-store';
import type { AlarmDriver, Driver, MetricDriver } from '../../../functions/domain/model';
import { createTestTables, type LocalTables } from '../../support/dynamodb';

const T0 = 1_795_000_000;

function alarm(overrides: Partial<AlarmDriver> = {}, signal: Partial<AlarmDriver['signal']> = {}): AlarmDriver {
  return {
    kind: 'alarm',
    id: 'arn:aws:cloudwatch:us-east-1:111122223333:alarm:web-prod-cpu-high',
    name: 'cpu-high',
    source: 'aws.cloudwatch',
    targets: ['web-asg'],
    observedAt: T0,
    expiresAt: T0 + 7 * 86400,
    lineage: { eventId: 'evt-1', channel: 'eventbridge', receivedAt: T0 + 1 },
    signal: { alarmName: 'web-prod-cpu-high', state: 'ALARM', previousState: 'OK', ...signal },
    ...overrides,
  };
}

function metric(id: string, observedAt: number, expiresAt: number): MetricDriver {
  return {
    kind: 'metric',
    id,
    name: 'requests',
    source: 'drivetrain.metrics',
    targets: ['web-asg'],
    observedAt,
    expiresAt,
    lineage: { eventId: `evt-${id}`, channel: 'eventbridge', receivedAt: observedAt },
    signal: { value: 1200, unit: 'Count/Second' },
  };
}

describe('DynamoDriverStore (DynamoDB Local)', () => {
  let local: LocalTables;
  let store: DynamoDriverStore;
  const warnings: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    local = await createTestTables();
    store = new DynamoDriverStore(local.doc, local.names.drivers, {
      logger: { warn: (_m, attrs) => warnings.push(attrs) },
    });
  });
  afterAll(() => local.client.destroy());

  it('stores one item per target, keyed by kind#name#id, with the driver fields and TTL', async () => {
    const driver = alarm({ id: 'multi', name: 'flash-sale', targets: ['web-asg', 'checkout-fn'] });
    expect(await store.put(driver)).toBe('stored');
    for (const targetId of ['web-asg', 'checkout-fn']) {
      const [stored] = (await store.all(targetId)).filter((d) => d.id === 'multi');
      expect(stored).toEqual(driver);
    }
    expect(driverKey(driver)).toBe('alarm#flash-sale#multi');
  });

  it.each<{ label: string; overrides: Partial<AlarmDriver>; signal: Partial<AlarmDriver['signal']>; expected: string }>(
    [
      { label: 'same event again', overrides: {}, signal: {}, expected: 'duplicate' },
      {
        label: 'older observation',
        overrides: { observedAt: T0 - 60, lineage: { eventId: 'evt-0', channel: 'eventbridge', receivedAt: T0 + 5 } },
        signal: { state: 'OK' },
        expected: 'out-of-order',
      },
      // Equal times: the later arrival wins whatever its event id (arrival order, not the sort of random ids).
      {
        label: 'same second, lower event id, arriving later',
        overrides: { lineage: { eventId: 'evt-0', channel: 'sns', receivedAt: T0 + 5 } },
        signal: { state: 'OK' },
        expected: 'stored',
      },
      {
        label: 'same second, higher event id, arriving later',
        overrides: { lineage: { eventId: 'evt-9', channel: 'sns', receivedAt: T0 + 5 } },
        signal: { state: 'OK' },
        expected: 'stored',
      },
      {
        label: 'newer observation',
        overrides: { observedAt: T0 + 60, lineage: { eventId: 'evt-2', channel: 'eventbridge', receivedAt: T0 + 61 } },
        signal: { state: 'OK' },
        expected: 'stored',
      },
    ],
  )('$label → $expected', async ({ label, overrides, signal, expected }) => {
    const id = `order-${label.replace(/\W+/g, '-')}`;
    await store.put(alarm({ id }));
    expect(await store.put(alarm({ id, ...overrides }, signal))).toBe(expected);
    const [stored] = (await store.all('web-asg')).filter((d) => d.id === id);
    expect((stored as AlarmDriver).signal.state).toBe(expected === 'stored' ? 'OK' : 'ALARM');
  });

  it('writes all targets of a driver or none: a refused target refuses the whole put', async () => {
    await store.put(alarm({ id: 'atomic', targets: ['web-asg'], observedAt: T0 + 100 }));
    const result = await store.put(alarm({ id: 'atomic', targets: ['web-asg', 'api-routing'], observedAt: T0 + 50 }));
    expect(result).toBe('out-of-order');
    expect((await store.all('api-routing')).filter((d) => d.id === 'atomic')).toEqual([]);
  });

  it('live() ignores TTL-expired items that DynamoDB has not deleted yet, and returns the rest', async () => {
    const targetId = 'ttl-target';
    const fresh = { ...metric('fresh', T0, T0 + 3600), targets: [targetId] };
    const expired = { ...metric('expired', T0 - 7200, T0 - 3600), targets: [targetId] };
    const boundary = { ...metric('boundary', T0 - 3600, T0), targets: [targetId] };
    for (const d of [fresh, expired, boundary]) expect(await store.put(d)).toBe('stored');
    expect((await store.all(targetId)).map((d) => d.id).sort()).toEqual(['boundary', 'expired', 'fresh']);
    expect((await store.live(targetId, T0)).map((d) => d.id)).toEqual(['fresh']);
  });

  it('skips and reports a corrupt item instead of failing the read', async () => {
    const targetId = 'corrupt-target';
    await store.put({ ...metric('good', T0, T0 + 3600), targets: [targetId] });
    await local.doc.send(
      new PutCommand({
        TableName: local.names.drivers,
        Item: {
          targetId,
          driverKey: 'metric#requests#bad',
          kind: 'metric',
          expiresAt: T0 + 3600,
          signal: { value: 'lots' },
        },
      }),
    );
    const live: Driver[] = await store.live(targetId, T0);
    expect(live.map((d) => d.id)).toEqual(['good']);
    expect(warnings).toEqual([expect.objectContaining({ targetId, driverKey: 'metric#requests#bad' })]);
  });
});
