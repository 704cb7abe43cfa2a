/**
 * Property tests: whatever arrives, `normalize` returns (never throws), every driver it returns is one the
 * store may hold, and every rejection is well-formed and safe to log.
 */
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DETAIL_TYPES } from '../../../functions/contracts';
import { driverSchema } from '../../../functions/domain/model';
import { verifiedCaller } from '../../../functions/ingest/caller';
import { normalize, REJECTION_REASONS, type NormalizeResult } from '../../../functions/ingest/normalize';
import { ingestConfig, t } from './config';
import { mutate, paths } from '../../support/json-mutation';
import type { LooseJson } from '../../support/loose-json';

const FIXTURES = join(__dirname, '../../fixtures/events');
/** Receive times just after the fixtures' own dates, so mutated events get past the expiry checks too. */
const RECEIVE_TIMES = [
  t('2015-06-03T17:43:30Z'),
  t('2017-12-22T18:43:50Z'),
  t('2019-10-03T16:00:10Z'),
  t('2022-07-22T15:58:00Z'),
  t('2023-08-04T12:57:00Z'),
  t('2026-11-20T09:00:01Z'),
];
const receivedAt = fc.constantFrom(...RECEIVE_TIMES);

// Overrides are taken only with a verified caller (the operator endpoint): give the override-shaped ones one.
const caller = verifiedCaller('arn:aws:sts::111122223333:assumed-role/oncall-x/x')!;
const isOverride = (event: unknown) =>
  (event as Record<string, unknown> | null)?.['detail-type'] === DETAIL_TYPES.override;
// ... and without the `principal` claim the fixtures carry (a claim is refused by design).
const asEndpointRequest = (event: unknown) => {
  const detail = (event as { detail?: unknown }).detail;
  if (!detail || typeof detail !== 'object' || Array.isArray(detail)) return event;
  const { principal: _claim, ...rest } = detail as Record<string, unknown>;
  return { ...(event as object), detail: rest };
};

/** How the normalizer is called for an event: overrides as the operator endpoint passes them. */
const normalizeAsDeployed = (event: unknown, at: number) =>
  isOverride(event)
    ? normalize(asEndpointRequest(event), { config: ingestConfig, receivedAt: at, caller })
    : normalize(event, { config: ingestConfig, receivedAt: at });

const fixtures = readdirSync(FIXTURES)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => {
    const event = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as unknown;
    // The receive time at which the untouched fixture yields drivers (the first one after its own date).
    const at = RECEIVE_TIMES.find((time) => normalizeAsDeployed(event, time).drivers.length > 0) ?? RECEIVE_TIMES[0]!;
    return { event, at };
  });

const hostileString = fc.constantFrom(
  '',
  ' ',
  'x'.repeat(300_000),
  '\u0000',
  '\n{"level":"ERROR","message":"forged"}',
  '\u001b[2J\u001b[31mALARM',
  "'; DROP TABLE drivers; --",
  '<script>alert(1)</script>',
  '${process.exit(1)}',
  '__proto__',
  'constructor',
  '../../etc/passwd',
  'arn:aws:iam::111122223333:role/oncall-*',
  '2019-10-02T17:04:40.989+0000',
  '2019-10-02T17: 04: 40.989+0000',
  '9999-12-31T23:59:59Z',
  '0000-01-01T00:00:00Z',
  '{"recentDatapoints":[1e308,-1e308]}',
  '{"recentDatapoints":',
  'ALARM',
  'OK',
  '🔥'.repeat(1000),
);

const hostileNumber = fc.oneof(
  fc.constantFrom(
    Number.NaN,
    Infinity,
    -Infinity,
    -0,
    0,
    1e308,
    -1e308,
    Number.MAX_SAFE_INTEGER,
    2 ** 53 + 1,
    1e11,
    1e11 + 1,
    5e-324,
  ),
  fc.double(),
  fc.integer(),
);

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  hostileNumber,
  fc.constantFrom(null, undefined, true, false, [], {}, [[[[[]]]]], { __proto__: { polluted: true } }),
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(hostileString, { maxLength: 3 }),
);

/** A fixture with one to three values replaced by something hostile, nested JSON strings included. */
const mutatedFixture: fc.Arbitrary<[unknown, number]> = fc
  .tuple(
    fc.nat({ max: fixtures.length - 1 }),
    fc.array(fc.tuple(fc.nat(), hostileValue), { minLength: 0, maxLength: 3 }),
  )
  .map(([index, edits]) => {
    const { event: original, at } = fixtures[index]!;
    let event: unknown = original;
    for (const [choice, value] of edits) {
      const all = paths(event);
      event = mutate(event, all[choice % all.length]!, value);
    }
    return [event, at];
  });

/** SNS messages are JSON inside a string: mutate the inner document and re-encode it. */
const mutatedSnsMessage = fc.tuple(fc.nat(), hostileValue).map(([choice, value]) => {
  const sns = structuredClone(fixtures.find((f: LooseJson) => Array.isArray(f.event?.Records))!.event) as LooseJson;
  const inner = JSON.parse(sns.Records[0].Sns.Message);
  const all = paths(inner);
  sns.Records[0].Sns.Message = JSON.stringify(mutate(inner, all[choice % all.length]!, value)) ?? 'undefined';
  return sns;
});

/** Random details under each Drivetrain detail-type, from a known sender. */
const randomBusEvent = fc
  .record({
    detailType: fc.constantFrom(...Object.values(DETAIL_TYPES), 'Something Else'),
    source: fc.constantFrom(
      'com.acme.marketing',
      'drivetrain.operator',
      'drivetrain.metrics',
      'aws.cloudwatch',
      'com.unknown',
    ),
    detail: fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.record(
        {
          driver: fc.oneof(
            fc.constantFrom('flash-sale', 'requests', 'ops-override', 'cpu-high', 'nope'),
            hostileString,
          ),
          id: fc.oneof(fc.constantFrom('a', 'campaign-1'), hostileString),
          value: hostileNumber,
          targets: fc.oneof(
            fc.constant(['web-asg']),
            fc.array(fc.oneof(fc.constantFrom('web-asg', 'checkout-fn', 'api-routing'), hostileString), {
              maxLength: 4,
            }),
          ),
          action: fc.constantFrom('pin', 'pin-weights', 'freeze', 'unpin'),
          allocation: hostileNumber,
          weights: fc.dictionary(fc.oneof(fc.constantFrom('us-east-1', 'eu-west-1'), hostileString), hostileNumber, {
            maxKeys: 3,
          }),
          expiresAt: fc.oneof(
            hostileNumber,
            hostileString,
            fc.integer({ min: t('2026-11-20T09:00:02Z'), max: t('2026-11-28T09:00:00Z') }),
          ),
          reason: hostileString,
          // A claim of identity: refused on the bus (unverified-principal), stripped for endpoint requests below.
          principal: fc.oneof(fc.constant('arn:aws:iam::111122223333:role/oncall-x'), hostileString),
          signal: fc.record(
            {
              type: fc.constantFrom('demand', 'budget', 'freeze', 'bogus'),
              demand: fc.oneof(
                fc.record({ multiplier: hostileNumber }),
                fc.record({ absolute: hostileNumber }),
                hostileValue,
              ),
              windowStart: fc.oneof(
                hostileNumber,
                hostileString,
                fc.integer({ min: t('2026-11-21T00:00:00Z'), max: t('2026-11-25T00:00:00Z') }),
              ),
              windowEnd: fc.oneof(
                hostileNumber,
                hostileString,
                fc.integer({ min: t('2026-11-25T00:00:01Z'), max: t('2026-11-30T00:00:00Z') }),
              ),
              maxHourlyCost: hostileNumber,
              leadTimeSeconds: hostileNumber,
            },
            { requiredKeys: ['type'] },
          ),
          unit: fc.oneof(fc.constant('Count/Second'), hostileString),
          timestamp: fc.oneof(hostileNumber, hostileString),
          label: hostileString,
        },
        { requiredKeys: [] },
      ),
    ),
    time: fc.oneof(fc.constant('2026-11-20T09:00:00Z'), hostileString),
  })
  .map(({ detailType, source, detail, time }) => ({
    version: '0',
    id: 'fuzz-event',
    'detail-type': detailType,
    source,
    account: '111122223333',
    time,
    region: 'us-east-1',
    resources: [],
    detail,
  }));

/** An event and the time it is received at. */
const anyCase: fc.Arbitrary<[unknown, number]> = fc.oneof(
  { arbitrary: fc.tuple(fc.jsonValue(), receivedAt), weight: 1 },
  { arbitrary: fc.tuple(hostileValue, receivedAt), weight: 1 },
  { arbitrary: mutatedFixture, weight: 5 },
  { arbitrary: fc.tuple(mutatedSnsMessage, fc.constant(t('2015-06-03T17:43:30Z'))), weight: 2 },
  { arbitrary: fc.tuple(randomBusEvent, fc.constant(t('2026-11-20T09:00:01Z'))), weight: 3 },
);

/** FUZZ_RUNS=20000 for a deeper search than the default CI run. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 1500);

// biome-ignore lint/suspicious/noControlCharactersInRegex: the invariant is that none of these reach a message
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

function checkInvariants(result: NormalizeResult): void {
  expect(['eventbridge', 'lambda-alarm-action', 'sns', 'unknown']).toContain(result.channel);
  for (const driver of result.drivers) {
    const parsed = driverSchema.safeParse(driver);
    if (!parsed.success) throw new Error(`invalid driver ${JSON.stringify(driver)}: ${parsed.error.message}`);
    expect(driver.expiresAt).toBeGreaterThan(driver.lineage.receivedAt);
  }
  for (const rejection of result.rejected) {
    expect(REJECTION_REASONS).toContain(rejection.reason);
    expect(rejection.message.length).toBeGreaterThan(0);
    expect(rejection.message.length).toBeLessThanOrEqual(2000);
    expect(rejection.message).not.toMatch(CONTROL_CHARACTERS);
    for (const field of ['eventId', 'source', 'driver', 'targetId'] as const) {
      if (rejection[field] !== undefined) expect(rejection[field]!.length).toBeLessThanOrEqual(512);
    }
  }
  // Something is always said about an event: a driver, or why there is none.
  expect(result.drivers.length + result.rejected.length).toBeGreaterThan(0);
}

describe('normalize: fuzz', () => {
  it('never throws and only returns storable drivers and well-formed rejections', () => {
    fc.assert(
      fc.property(anyCase, ([event, at]) => {
        checkInvariants(normalize(event, { config: ingestConfig, receivedAt: at }));
      }),
      { numRuns: RUNS },
    );
  });

  it('reaches the driver-producing paths, not only the rejections (else the property above proves little)', () => {
    const samples = fc.sample(anyCase, { numRuns: 1000, seed: 42 });
    const results = samples.map(([event, at]) => normalizeAsDeployed(event, at));
    const kinds = new Set(results.flatMap((r) => r.drivers.map((d) => d.kind)));
    expect([...kinds].sort()).toEqual(['alarm', 'business', 'metric', 'override']);
    expect(results.filter((r) => r.drivers.length > 0).length).toBeGreaterThan(200);
  });

  it('is deterministic: the same event and receive time give the same result', () => {
    fc.assert(
      fc.property(anyCase, ([event, at]) => {
        const context = { config: ingestConfig, receivedAt: at };
        expect(normalize(event, context)).toEqual(normalize(event, context));
      }),
      { numRuns: 300 },
    );
  });

  it('does not modify the event it is given', () => {
    fc.assert(
      fc.property(fc.oneof(mutatedFixture, fc.tuple(randomBusEvent, receivedAt)), ([event, at]) => {
        const before = structuredClone(event);
        normalize(event, { config: ingestConfig, receivedAt: at });
        expect(event).toEqual(before);
      }),
      { numRuns: 200 },
    );
  });
});
