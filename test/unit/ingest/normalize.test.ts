import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifiedCaller } from '../../../functions/ingest/caller';
import { DETAIL_TYPES } from '../../../functions/contracts';
import { driverSchema, type Driver } from '../../../functions/domain/model';
import {
  normalize,
  principalMatches,
  REJECTION_REASONS,
  type NormalizeContext,
  type NormalizeResult,
  type Rejection,
  type RejectionReason,
} from '../../../functions/ingest/normalize';
import { parseConfig } from '../../../functions/domain/config';
import { ingestConfig, ingestConfigInput, t } from './config';
import type { LooseJson } from '../../support/loose-json';

const FIXTURES = join(__dirname, '../../fixtures/events');
const WEEK = 7 * 24 * 3600;

function fixture(name: string): LooseJson {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));
}

function run(
  event: unknown,
  receivedAt: number,
  context: Omit<NormalizeContext, 'config' | 'receivedAt'> = {},
): NormalizeResult {
  return normalize(event, { config: ingestConfig, receivedAt, ...context });
}

/** What the operator endpoint passes: the caller Lambda verified (SigV4), normalized to its role. */
const callerOf = (arn: string) => {
  const caller = verifiedCaller(arn);
  if (!caller) throw new Error(`not a caller ARN: ${arn}`);
  return caller;
};
const ONCALL_DAVE = 'arn:aws:sts::111122223333:assumed-role/oncall-dave/dave';

// ---------------------------------------------------------------------------------------------------------
// Every fixture file, with the exact drivers and rejections it must produce
// ---------------------------------------------------------------------------------------------------------

interface FixtureCase {
  receivedAt: number;
  channel: NormalizeResult['channel'];
  drivers: Driver[];
  rejected: Array<Partial<Rejection> & { reason: RejectionReason }>;
}

const alarmLineage = (eventId: string, receivedAt: number, channel = 'eventbridge') => ({
  eventId,
  channel,
  receivedAt,
});

const cpuHighSingleMetric = (
  eventId: string,
  receivedAt: number,
  extra: { datapoint?: number; observedAt?: number } = {},
): Driver => {
  const observedAt = extra.observedAt ?? t('2019-10-02T17:04:40.989Z');
  return {
    id: 'alarm:ServerCpuTooHigh',
    name: 'cpu-high',
    kind: 'alarm',
    source: 'aws.cloudwatch',
    targets: ['web-asg'],
    observedAt,
    expiresAt: Math.ceil(observedAt + WEEK),
    lineage: alarmLineage(eventId, receivedAt),
    signal: {
      alarmName: 'ServerCpuTooHigh',
      state: 'ALARM',
      previousState: 'OK',
      ...(extra.datapoint !== undefined ? { datapoint: extra.datapoint } : {}),
    },
  };
};

// cpu-high also lists checkout-fn, which does not allow aws.cloudwatch: the driver goes to web-asg alone.
const checkoutRefusesAlarms = (eventId: string) => ({
  reason: 'source-not-allowed' as const,
  targetId: 'checkout-fn',
  driver: 'cpu-high',
  source: 'aws.cloudwatch',
  eventId,
  message: expect.stringContaining('not in allowedSources of target "checkout-fn"'),
});

const exampleSnsDriver = (receivedAt: number): Driver => ({
  id: 'alarm:EXAMPLE',
  name: 'example-sns',
  kind: 'alarm',
  source: 'aws.cloudwatch',
  targets: ['web-asg'],
  observedAt: t('2015-06-03T17:43:27.123Z'),
  expiresAt: Math.ceil(t('2015-06-03T17:43:27.123Z') + WEEK),
  lineage: alarmLineage('95df01b4-ee98-5cb9-9903-4c221d41eb5e', receivedAt, 'sns'),
  signal: { alarmName: 'EXAMPLE', state: 'ALARM', previousState: 'INSUFFICIENT_DATA' },
});

const BUSINESS_RECEIVED = t('2026-11-20T09:00:01Z');
const busLineage = (eventId: string, principal?: string) => ({
  eventId,
  channel: 'eventbridge',
  receivedAt: BUSINESS_RECEIVED,
  ...(principal ? { principal } : {}),
});

const CASES: Record<string, FixtureCase> = {
  'eventbridge-alarm-single-metric.json': {
    receivedAt: t('2019-10-02T17:04:45Z'),
    channel: 'eventbridge',
    drivers: [
      cpuHighSingleMetric('c4c1c1c9-6542-e61b-6ef0-8c4d36933a92', t('2019-10-02T17:04:45Z'), {
        datapoint: 99.50160229693434,
      }),
    ],
    rejected: [checkoutRefusesAlarms('c4c1c1c9-6542-e61b-6ef0-8c4d36933a92')],
  },
  'eventbridge-alarm-metric-math.json': {
    receivedAt: t('2019-10-02T17:21:00Z'),
    channel: 'eventbridge',
    drivers: [
      {
        id: 'alarm:TotalNetworkTrafficTooHigh',
        name: 'net-high',
        kind: 'alarm',
        source: 'aws.cloudwatch',
        targets: ['web-asg'],
        observedAt: t('2019-10-02T17:20:48.554Z'),
        expiresAt: Math.ceil(t('2019-10-02T17:20:48.554Z') + WEEK),
        lineage: alarmLineage('2dde0eb1-528b-d2d5-9ca6-6d590caf2329', t('2019-10-02T17:21:00Z')),
        signal: {
          alarmName: 'TotalNetworkTrafficTooHigh',
          state: 'ALARM',
          previousState: 'INSUFFICIENT_DATA',
          datapoint: 45628,
        },
      },
    ],
    rejected: [],
  },
  'eventbridge-alarm-anomaly-detection.json': {
    receivedAt: t('2019-10-03T16:00:10Z'),
    channel: 'eventbridge',
    drivers: [
      {
        id: 'alarm:EC2 CPU Utilization Anomaly',
        name: 'cpu-anomaly',
        kind: 'alarm',
        source: 'aws.cloudwatch',
        targets: ['web-asg'],
        observedAt: t('2019-10-03T16:00:04.653Z'),
        expiresAt: Math.ceil(t('2019-10-03T16:00:04.653Z') + WEEK),
        lineage: alarmLineage('daafc9f1-bddd-c6c9-83af-74971fcfc4ef', t('2019-10-03T16:00:10Z')),
        signal: { alarmName: 'EC2 CPU Utilization Anomaly', state: 'ALARM', previousState: 'OK', datapoint: 0 },
      },
    ],
    rejected: [],
  },
  // An actions suppressor holds this composite's actions back (actionsSuppressedBy: WaitPeriod): CloudWatch
  // runs none of them, so it drives nothing either. The same alarm unsuppressed is below.
  'eventbridge-alarm-composite.json': {
    receivedAt: t('2022-07-22T15:58:00Z'),
    channel: 'eventbridge',
    drivers: [],
    rejected: [
      {
        reason: 'alarm-suppressed',
        eventId: 'd3dfc86d-384d-24c8-0345-9f7986db0b80',
        message: expect.stringContaining('actions suppressed by WaitPeriod'),
      },
    ],
  },
  'lambda-alarm-action-metric.json': {
    receivedAt: t('2023-08-04T12:36:20Z'),
    channel: 'lambda-alarm-action',
    drivers: [
      {
        id: 'alarm:lambda-demo-metric-alarm',
        name: 'cpu-high',
        kind: 'alarm',
        source: 'aws.cloudwatch',
        targets: ['web-asg'],
        // "2023-08-04T12: 36: 15.490+0000" in the AWS documentation's example payload.
        observedAt: t('2023-08-04T12:36:15.490Z'),
        expiresAt: Math.ceil(t('2023-08-04T12:36:15.490Z') + WEEK),
        lineage: {
          eventId: expect.stringMatching(/^alarm-action-[0-9a-f]{32}$/),
          channel: 'lambda-alarm-action',
          receivedAt: t('2023-08-04T12:36:20Z'),
        },
        // state has no reasonData in this payload: no datapoint, and no rejection.
        signal: { alarmName: 'lambda-demo-metric-alarm', state: 'ALARM', previousState: 'INSUFFICIENT_DATA' },
      },
    ],
    rejected: [{ ...checkoutRefusesAlarms(expect.stringMatching(/^alarm-action-/)) }],
  },
  // Suppression here is on previousState only: the current state is not suppressed, so it acts.
  'lambda-alarm-action-composite.json': {
    receivedAt: t('2023-08-04T12:57:00Z'),
    channel: 'lambda-alarm-action',
    drivers: [
      {
        id: 'alarm:CompositeDemo.Main',
        name: 'service-health',
        kind: 'alarm',
        source: 'aws.cloudwatch',
        targets: ['api-routing'],
        observedAt: t('2023-08-04T12:56:46.138Z'),
        expiresAt: Math.ceil(t('2023-08-04T12:56:46.138Z') + WEEK),
        lineage: {
          eventId: expect.stringMatching(/^alarm-action-[0-9a-f]{32}$/),
          channel: 'lambda-alarm-action',
          receivedAt: t('2023-08-04T12:57:00Z'),
        },
        signal: { alarmName: 'CompositeDemo.Main', state: 'ALARM', previousState: 'ALARM' },
      },
    ],
    rejected: [],
  },
  'sns-alarm-single-metric.json': {
    receivedAt: t('2015-06-03T17:43:30Z'),
    channel: 'sns',
    drivers: [exampleSnsDriver(t('2015-06-03T17:43:30Z'))],
    rejected: [],
  },
  'sns-alarm-multiple-metrics.json': {
    receivedAt: t('2015-06-03T17:43:30Z'),
    channel: 'sns',
    drivers: [exampleSnsDriver(t('2015-06-03T17:43:30Z')), exampleSnsDriver(t('2015-06-03T17:43:30Z'))],
    rejected: [],
  },
  'eventbridge-ec2-instance-state-change.json': {
    receivedAt: t('2017-12-22T18:43:50Z'),
    channel: 'eventbridge',
    drivers: [],
    rejected: [
      {
        reason: 'unsupported-event',
        eventId: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
        source: 'aws.ec2',
        message: expect.stringContaining('"EC2 Instance State-change Notification" is not a driver event'),
      },
    ],
  },
  'variant-eventbridge-alarm-reasondata-not-json.json': {
    receivedAt: t('2019-10-02T17:04:45Z'),
    channel: 'eventbridge',
    drivers: [cpuHighSingleMetric('c4c1c1c9-6542-e61b-6ef0-8c4d36933a93', t('2019-10-02T17:04:45Z'))],
    rejected: [checkoutRefusesAlarms('c4c1c1c9-6542-e61b-6ef0-8c4d36933a93')],
  },
  'variant-eventbridge-alarm-no-reasondata.json': {
    receivedAt: t('2019-10-02T17:04:45Z'),
    channel: 'eventbridge',
    drivers: [cpuHighSingleMetric('c4c1c1c9-6542-e61b-6ef0-8c4d36933a94', t('2019-10-02T17:04:45Z'))],
    rejected: [checkoutRefusesAlarms('c4c1c1c9-6542-e61b-6ef0-8c4d36933a94')],
  },
  'variant-eventbridge-alarm-odd-timestamp.json': {
    receivedAt: t('2019-10-02T17:04:45Z'),
    channel: 'eventbridge',
    // state.timestamp is prose: observedAt falls back to the event time; the last datapoint is a string: none.
    drivers: [
      cpuHighSingleMetric('c4c1c1c9-6542-e61b-6ef0-8c4d36933a95', t('2019-10-02T17:04:45Z'), {
        observedAt: t('2019-10-02T17:04:40Z'),
      }),
    ],
    rejected: [checkoutRefusesAlarms('c4c1c1c9-6542-e61b-6ef0-8c4d36933a95')],
  },
  'variant-sns-batch-one-good-two-bad.json': {
    receivedAt: t('2015-06-03T17:43:30Z'),
    channel: 'sns',
    drivers: [exampleSnsDriver(t('2015-06-03T17:43:30Z'))],
    rejected: [
      {
        reason: 'unsupported-event',
        eventId: '95df01b4-ee98-5cb9-9903-4c221d41eb5f',
        message: expect.stringContaining('Records[1].Sns.Message is not JSON'),
      },
      {
        reason: 'malformed',
        eventId: '95df01b4-ee98-5cb9-9903-4c221d41eb60',
        source: 'aws.cloudwatch',
        message: expect.stringContaining('Records[2].Sns.Message.NewStateValue'),
      },
    ],
  },
  'business-driver-demand.json': {
    receivedAt: BUSINESS_RECEIVED,
    channel: 'eventbridge',
    drivers: [
      {
        id: 'business:flash-sale:black-friday-2026',
        name: 'flash-sale',
        kind: 'business',
        source: 'com.acme.marketing',
        targets: ['web-asg', 'checkout-fn'],
        observedAt: t('2026-11-20T09:00:00Z'),
        expiresAt: t('2026-11-28T08:00:00Z'),
        lineage: busLineage('6f1c2a55-0b7e-4d8e-9d4e-3b2f1f0a9c11'),
        signal: {
          type: 'demand',
          label: 'Black Friday 2026',
          demand: { multiplier: 3 },
          windowStart: t('2026-11-27T08:00:00Z'),
          windowEnd: t('2026-11-28T08:00:00Z'),
          leadTimeSeconds: 1800,
        },
      },
    ],
    rejected: [],
  },
  'business-driver-budget.json': {
    receivedAt: BUSINESS_RECEIVED,
    channel: 'eventbridge',
    drivers: [
      {
        id: 'business:cost-budget:q4-cap',
        name: 'cost-budget',
        kind: 'business',
        source: 'com.acme.finance',
        targets: ['web-asg'],
        observedAt: t('2026-11-20T09:00:00Z'),
        // windowEnd "2026-12-31T23:00:00+01:00"; a 41-day record is fine without ttlSeconds (it carries its end).
        expiresAt: t('2026-12-31T22:00:00Z'),
        lineage: busLineage('0b5d7e0e-5c53-4a70-b3a4-1d5b0f0c2e21'),
        signal: {
          type: 'budget',
          maxHourlyCost: 2,
          windowStart: t('2026-12-01T00:00:00Z'),
          windowEnd: t('2026-12-31T22:00:00Z'),
        },
      },
    ],
    rejected: [],
  },
  'business-driver-freeze.json': {
    receivedAt: BUSINESS_RECEIVED,
    channel: 'eventbridge',
    drivers: [
      {
        id: 'business:change-freeze:year-end-2026',
        name: 'change-freeze',
        kind: 'business',
        source: 'com.acme.change',
        targets: ['web-asg'],
        observedAt: t('2026-11-20T09:00:00Z'),
        expiresAt: t('2027-01-04T00:00:00Z'),
        lineage: busLineage('a3a0f0de-8f57-4c5e-9e0b-5f4b6e7d8c31'),
        signal: {
          type: 'freeze',
          label: 'year-end change freeze',
          windowStart: t('2026-12-20T00:00:00Z'),
          windowEnd: t('2027-01-04T00:00:00Z'),
        },
      },
    ],
    rejected: [],
  },
  'metric-snapshot.json': {
    receivedAt: BUSINESS_RECEIVED,
    channel: 'eventbridge',
    drivers: [
      {
        id: 'metric:requests',
        name: 'requests',
        kind: 'metric',
        source: 'drivetrain.metrics',
        targets: ['web-asg'],
        observedAt: t('2026-11-20T09:00:00Z'),
        expiresAt: t('2026-11-20T10:00:00Z'),
        lineage: busLineage('f2c4b9a1-3e8d-4b6f-a0c7-9d1e2f3a4b41'),
        signal: { value: 5230.5, unit: 'Count/Second' },
      },
    ],
    rejected: [],
  },
  // On the bus, with a `principal` claim in the detail: the claim is refused, never recorded as an identity.
  'override-pin.json': {
    receivedAt: BUSINESS_RECEIVED,
    channel: 'eventbridge',
    drivers: [],
    rejected: [
      {
        reason: 'unverified-principal',
        eventId: '9e8d7c6b-5a49-4382-b716-a5f4e3d2c151',
        message: expect.stringContaining('is a claim, not an identity'),
      },
    ],
  },
  // On the bus, with a `principal` claim in the detail: the claim is refused, never recorded as an identity.
  'override-pin-weights.json': {
    receivedAt: BUSINESS_RECEIVED,
    channel: 'eventbridge',
    drivers: [],
    rejected: [
      {
        reason: 'unverified-principal',
        eventId: '7c6b5a49-3827-4161-9e8d-f5e4d3c2b161',
        message: expect.stringContaining('is a claim, not an identity'),
      },
    ],
  },
  // On the bus, with a `principal` claim in the detail: the claim is refused, never recorded as an identity.
  'override-freeze.json': {
    receivedAt: BUSINESS_RECEIVED,
    channel: 'eventbridge',
    drivers: [],
    rejected: [
      {
        reason: 'unverified-principal',
        eventId: '5a493827-1615-4e8d-a7c6-b5a4e3d2c171',
        message: expect.stringContaining('is a claim, not an identity'),
      },
    ],
  },
};

describe('normalize: every fixture in test/fixtures/events', () => {
  const files = readdirSync(FIXTURES)
    .filter((file) => file.endsWith('.json'))
    .sort();

  it('has an expectation for every fixture file (a new fixture cannot go untested)', () => {
    expect(files).toEqual(Object.keys(CASES).sort());
  });

  it.each(files)('%s', (file) => {
    const expected = CASES[file]!;
    const result = run(fixture(file), expected.receivedAt);
    expect(result.channel).toBe(expected.channel);
    expect(result.drivers).toEqual(expected.drivers);
    expect(result.rejected).toEqual(expected.rejected.map((r) => expect.objectContaining(r)));
    for (const driver of result.drivers) expect(driverSchema.safeParse(driver).success).toBe(true);
  });

  it('gives a redelivered Lambda alarm action the same event id, and the next state change a new one', () => {
    const payload = fixture('lambda-alarm-action-metric.json');
    const first = run(payload, t('2023-08-04T12:36:20Z')).drivers[0]!;
    const again = run(structuredClone(payload), t('2023-08-04T12:37:20Z')).drivers[0]!;
    const next = structuredClone(payload);
    next.alarmData.state = { value: 'OK', reason: 'recovered', timestamp: '2023-08-04T12:41:15.490+0000' };
    const later = run(next, t('2023-08-04T12:41:20Z')).drivers[0]!;
    expect(again.lineage.eventId).toBe(first.lineage.eventId);
    expect(later.lineage.eventId).not.toBe(first.lineage.eventId);
    expect(later.id).toBe(first.id);
  });
});

// ---------------------------------------------------------------------------------------------------------
// One targeted case per rejection reason
// ---------------------------------------------------------------------------------------------------------

const NOW = BUSINESS_RECEIVED;

function busEvent(detailType: string, source: string, detail: unknown, extra: Record<string, unknown> = {}) {
  return {
    version: '0',
    id: 'e0000000-0000-4000-8000-000000000001',
    'detail-type': detailType,
    source,
    account: '111122223333',
    time: '2026-11-20T09:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
    ...extra,
  };
}

const demandDetail = (overrides: Record<string, unknown> = {}) => ({
  driver: 'flash-sale',
  id: 'cyber-monday',
  signal: {
    type: 'demand',
    demand: { absolute: 30 },
    windowStart: '2026-11-30T08:00:00Z',
    windowEnd: '2026-12-01T08:00:00Z',
  },
  ...overrides,
});

/** Overrides set to undefined remove the key, as a JSON sender would by leaving it out. */
const overrideDetail = (overrides: Record<string, unknown> = {}) =>
  withoutUndefined({
    driver: 'ops-override',
    targets: ['web-asg'],
    action: 'pin',
    allocation: 10,
    expiresAt: '2026-11-20T12:00:00Z',
    reason: 'INC-1: hold',
    ...overrides,
  });

function withoutUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

const withAlarm = (mutate: (event: LooseJson) => void) => {
  const event = fixture('eventbridge-alarm-single-metric.json');
  mutate(event);
  return event;
};

const operator = { caller: callerOf(ONCALL_DAVE) };
const home = { home: { account: '123456789012', region: 'us-east-1' } };

const REASON_CASES: Record<
  RejectionReason,
  {
    event: unknown;
    receivedAt?: number;
    context?: Omit<NormalizeContext, 'config' | 'receivedAt'>;
    message: string | RegExp;
  }
> = {
  malformed: {
    event: busEvent(
      DETAIL_TYPES.businessDriver,
      'com.acme.marketing',
      demandDetail({
        signal: {
          type: 'demand',
          demand: { absolute: 30 },
          windowStart: 'tomorrow',
          windowEnd: '2026-12-01T08:00:00Z',
        },
      }),
    ),
    message: 'detail.signal.windowStart: must be epoch seconds or an ISO 8601 timestamp with an offset',
  },
  'unsupported-event': {
    event: { hello: 'world' },
    message: 'not an EventBridge event, a Lambda alarm-action payload or an SNS event (top-level keys: "hello")',
  },
  'unknown-alarm': {
    event: withAlarm((e) => (e.detail.alarmName = 'SomebodyElsesAlarm')),
    receivedAt: t('2019-10-02T17:04:45Z'),
    message: 'alarm "SomebodyElsesAlarm" feeds no driver',
  },
  'unknown-driver': {
    event: busEvent(DETAIL_TYPES.businessDriver, 'com.acme.marketing', demandDetail({ driver: 'summer-sale' })),
    message:
      'driver "summer-sale" is not declared; declared business drivers: flash-sale, cost-budget, change-freeze, short-campaign',
  },
  'unknown-target': {
    event: busEvent(
      DETAIL_TYPES.businessDriver,
      'com.acme.marketing',
      demandDetail({ targets: ['web-asg', 'api-routing'] }),
    ),
    message:
      'target "api-routing" is not a target of driver "flash-sale" (declared: web-asg, checkout-fn); nothing applied',
  },
  'source-not-allowed': {
    event: busEvent(DETAIL_TYPES.businessDriver, 'com.acme.finance', demandDetail({ targets: ['checkout-fn'] })),
    message: 'source "com.acme.finance" is not in allowedSources of target "checkout-fn"',
  },
  'override-not-permitted': {
    event: busEvent(DETAIL_TYPES.override, 'drivetrain.operator', overrideDetail()),
    context: { caller: callerOf('arn:aws:sts::111122223333:assumed-role/intern/ivy') },
    message: 'caller "arn:aws:iam::111122223333:role/intern" is not in overridePrincipals of target "web-asg"',
  },
  'override-without-expiry': {
    event: busEvent(DETAIL_TYPES.override, 'drivetrain.operator', overrideDetail({ expiresAt: undefined })),
    context: operator,
    message: 'detail.expiresAt is required',
  },
  'expired-on-arrival': {
    event: busEvent(
      DETAIL_TYPES.businessDriver,
      'com.acme.marketing',
      demandDetail({ expiresAt: '2026-11-20T08:00:00Z' }),
    ),
    message: 'expired at 2026-11-20T08:00:00.000Z, before it was received at 2026-11-20T09:00:01.000Z',
  },
  'driver-kind-mismatch': {
    event: busEvent(DETAIL_TYPES.metricSnapshot, 'drivetrain.metrics', { driver: 'flash-sale', value: 3 }),
    message: 'driver "flash-sale" is declared as kind "business", but this event carries a "metric" driver',
  },
  'foreign-alarm': {
    event: withAlarm((e) => (e.account = '999999999999')),
    receivedAt: t('2019-10-02T17:04:45Z'),
    context: home,
    message:
      'comes from account "999999999999" region "us-east-1"; this deployment acts only on alarms of account 123456789012 in us-east-1',
  },
  'alarm-suppressed': {
    event: withAlarm((e) => (e.detail.muteDetail = { muteRuleName: 'maintenance' })),
    receivedAt: t('2019-10-02T17:04:45Z'),
    message: 'muted by an alarm mute rule',
  },
  'unverified-principal': {
    event: busEvent(DETAIL_TYPES.override, 'drivetrain.operator', overrideDetail()),
    message: 'accepted only through the operator endpoint',
  },
  'sender-not-permitted': {
    event: busEvent(DETAIL_TYPES.businessDriver, 'com.acme.marketing', demandDetail()),
    context: { caller: callerOf('arn:aws:sts::111122223333:assumed-role/developer/dan') },
    message: 'caller "arn:aws:iam::111122223333:role/developer" may not send source "com.acme.marketing"',
  },
};

describe('normalize: rejection reasons', () => {
  it.each(REJECTION_REASONS)('%s', (reason) => {
    const { event, receivedAt, message, context } = REASON_CASES[reason];
    const result = run(event, receivedAt ?? NOW, context);
    expect(result.drivers).toEqual([]);
    expect(result.rejected.map((r) => r.reason)).toContain(reason);
    const rejection = result.rejected.find((r) => r.reason === reason)!;
    if (typeof message === 'string') expect(rejection.message).toContain(message);
    else expect(rejection.message).toMatch(message);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Alarms: degrade, never crash
// ---------------------------------------------------------------------------------------------------------

describe('normalize: CloudWatch alarms', () => {
  const RECEIVED = t('2019-10-02T17:04:45Z');

  it.each([
    ['offset without colon', '2019-10-02T17:04:40.989+0000', t('2019-10-02T17:04:40.989Z')],
    ['spaces after the colons (AWS docs example)', '2019-10-02T17: 04: 40.989+0000', t('2019-10-02T17:04:40.989Z')],
    ['non-UTC offset', '2019-10-02T19:04:40.989+0200', t('2019-10-02T17:04:40.989Z')],
    ['no offset (AWS is UTC)', '2019-10-02T17:04:40.989', t('2019-10-02T17:04:40.989Z')],
    ['prose: falls back to the event time', 'Wednesday 02 October, 2019 17:04:40 UTC', t('2019-10-02T17:04:40Z')],
    ['impossible date: falls back', '2019-02-31T17:04:40.989+0000', t('2019-10-02T17:04:40Z')],
    ['a number: falls back', 1570035880, t('2019-10-02T17:04:40Z')],
    ['days in the future: falls back', '2019-10-09T17:04:40.989+0000', t('2019-10-02T17:04:40Z')],
  ] as const)('state timestamp %s', (_label, timestamp, observedAt) => {
    const result = run(
      withAlarm((e) => (e.detail.state.timestamp = timestamp)),
      RECEIVED,
    );
    expect(result.drivers[0]?.observedAt).toBe(observedAt);
  });

  it.each([
    ['3 s', 3],
    ['240 s', 240],
    ['299 s', 299],
  ])(
    'a state timestamp %s ahead of the receipt is dated at the receipt, the claim kept for the audit',
    (_label, ahead) => {
      const claimed = RECEIVED + ahead + 0.989;
      const result = run(
        withAlarm((e) => (e.detail.state.timestamp = new Date(claimed * 1000).toISOString().replace('Z', '+0000'))),
        RECEIVED,
      );
      expect(result.drivers[0]).toMatchObject({
        observedAt: RECEIVED,
        lineage: { receivedAt: RECEIVED, claimedAt: claimed },
      });
    },
  );

  it('falls back to receivedAt when neither the state nor the event time is usable', () => {
    const result = run(
      withAlarm((e) => {
        e.detail.state.timestamp = null;
        e.time = '02/10/2019';
      }),
      RECEIVED,
    );
    expect(result.drivers[0]?.observedAt).toBe(RECEIVED);
  });

  it.each([
    ['a non-JSON string', 'Threshold Crossed: {', undefined],
    ['JSON that is not an object', '[1,2,3]', undefined],
    ['an empty datapoint list', '{"recentDatapoints":[]}', undefined],
    ['a string datapoint', '{"recentDatapoints":["99.5"]}', undefined],
    ['an object instead of a string', { recentDatapoints: [1] }, undefined],
    ['huge', `{"recentDatapoints":[1],"pad":"${'x'.repeat(20000)}"}`, undefined],
    ['several datapoints: the last is the newest', '{"recentDatapoints":[10,20,30.5]}', 30.5],
    ['a number that overflows to Infinity', '{"recentDatapoints":[1e999]}', undefined],
  ] as const)('reasonData that is %s', (_label, reasonData, datapoint) => {
    const result = run(
      withAlarm((e) => (e.detail.state.reasonData = reasonData)),
      RECEIVED,
    );
    expect(result.rejected.filter((r) => r.reason !== 'source-not-allowed')).toEqual([]);
    expect(result.drivers).toHaveLength(1);
    expect(result.drivers[0]).toMatchObject({ kind: 'alarm', signal: { state: 'ALARM' } });
    expect((result.drivers[0]!.signal as { datapoint?: number }).datapoint).toBe(datapoint);
  });

  it('keeps the current state when previousState is malformed', () => {
    const result = run(
      withAlarm((e) => (e.detail.previousState = 'OK')),
      RECEIVED,
    );
    expect(result.drivers[0]?.signal).toEqual({
      alarmName: 'ServerCpuTooHigh',
      state: 'ALARM',
      datapoint: 99.50160229693434,
    });
  });

  it('rejects an unknown state value as malformed, naming the path', () => {
    const result = run(
      withAlarm((e) => (e.detail.state.value = 'ALARMING')),
      RECEIVED,
    );
    expect(result.drivers).toEqual([]);
    expect(result.rejected).toEqual([
      expect.objectContaining({
        reason: 'malformed',
        message: expect.stringContaining('detail.state.value: Invalid option'),
      }),
    ]);
  });

  it('refuses an alarm state change that does not come from aws.cloudwatch', () => {
    const result = run(
      withAlarm((e) => (e.source = 'com.acme.marketing')),
      RECEIVED,
    );
    expect(result.rejected).toEqual([
      expect.objectContaining({
        reason: 'source-not-allowed',
        message: expect.stringContaining('accepted only from aws.cloudwatch'),
      }),
    ]);
  });

  it('rejects a replayed alarm older than its TTL as expired on arrival', () => {
    const result = run(fixture('eventbridge-alarm-single-metric.json'), t('2019-10-09T17:04:42Z'));
    expect(result.drivers).toEqual([]);
    expect(result.rejected).toEqual([expect.objectContaining({ reason: 'expired-on-arrival', driver: 'cpu-high' })]);
  });

  it('records events re-sent from an EventBridge archive as channel "replay"', () => {
    const result = run(
      withAlarm((e) => (e['replay-name'] = 'nightly-replay')),
      RECEIVED,
    );
    expect(result.channel).toBe('eventbridge');
    expect(result.drivers[0]?.lineage.channel).toBe('replay');
  });

  it('accepts an EventBridge alarm event relayed through an SNS topic, keeping the SNS MessageId', () => {
    const sns = fixture('sns-alarm-single-metric.json');
    sns.Records[0].Sns.Message = JSON.stringify(fixture('eventbridge-alarm-single-metric.json'));
    const result = run(sns, RECEIVED);
    expect(result.channel).toBe('sns');
    expect(result.drivers).toEqual([
      {
        ...cpuHighSingleMetric('95df01b4-ee98-5cb9-9903-4c221d41eb5e', RECEIVED, { datapoint: 99.50160229693434 }),
        lineage: alarmLineage('95df01b4-ee98-5cb9-9903-4c221d41eb5e', RECEIVED, 'sns'),
      },
    ]);
  });

  it('refuses a Lambda alarm-action payload that does not claim aws.cloudwatch', () => {
    const payload = fixture('lambda-alarm-action-metric.json');
    payload.source = 'com.acme.marketing';
    expect(run(payload, t('2023-08-04T12:36:20Z')).rejected).toEqual([
      expect.objectContaining({
        reason: 'source-not-allowed',
        source: 'com.acme.marketing',
        message: expect.stringContaining('accepted only from aws.cloudwatch'),
      }),
    ]);
  });

  it('rejects a malformed Lambda alarm-action payload with the failing path', () => {
    const payload = fixture('lambda-alarm-action-metric.json');
    delete payload.alarmData.alarmName;
    const result = run(payload, t('2023-08-04T12:36:20Z'));
    expect(result.channel).toBe('lambda-alarm-action');
    expect(result.rejected).toEqual([
      expect.objectContaining({
        reason: 'malformed',
        message: expect.stringContaining('alarmData.alarmName: required (expected string)'),
      }),
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// SNS batches
// ---------------------------------------------------------------------------------------------------------

describe('normalize: SNS', () => {
  const RECEIVED = t('2015-06-03T17:43:30Z');

  it('keeps the good records of a batch and rejects each bad one on its own', () => {
    const event = fixture('variant-sns-batch-one-good-two-bad.json');
    event.Records.push({ EventSource: 'aws:sqs', Sns: {} });
    const result = run(event, RECEIVED);
    expect(result.drivers).toHaveLength(1);
    expect(result.rejected.map((r) => r.reason)).toEqual(['unsupported-event', 'malformed', 'malformed']);
    expect(result.rejected[2]!.message).toContain('Records[3].EventSource');
  });

  it.each([
    ['an empty Records list', { Records: [] }, 'Records must be a non-empty array'],
    ['Records that is not a list', { Records: 'x' }, 'Records must be a non-empty array'],
    ['more records than SNS ever sends', { Records: Array.from({ length: 101 }, () => ({})) }, '101 records'],
  ])('rejects %s as malformed', (_label, event, message) => {
    const result = run(event, RECEIVED);
    expect(result.channel).toBe('sns');
    expect(result.rejected).toEqual([
      expect.objectContaining({ reason: 'malformed', message: expect.stringContaining(message) }),
    ]);
  });

  // The business bus's resource policy is what checks who sent an override or a business driver; anyone who
  // may publish to the alarm topic must not be able to go around it by wrapping such an event in SNS.
  it.each([
    ['an override', busEvent(DETAIL_TYPES.override, 'drivetrain.operator', overrideDetail())],
    ['a business driver', busEvent(DETAIL_TYPES.businessDriver, 'com.acme.marketing', demandDetail())],
    [
      'a metric snapshot',
      busEvent(DETAIL_TYPES.metricSnapshot, 'drivetrain.metrics', { driver: 'requests', value: 3000 }),
    ],
  ])('refuses %s relayed through SNS: only alarm state changes may arrive that way', (_label, inner) => {
    const sns = fixture('sns-alarm-single-metric.json');
    sns.Records[0].Sns.Message = JSON.stringify(inner);
    const result = run(sns, NOW);
    expect(result.channel).toBe('sns');
    expect(result.drivers).toEqual([]);
    expect(result.rejected).toEqual([
      expect.objectContaining({
        reason: 'unsupported-event',
        eventId: sns.Records[0].Sns.MessageId,
        message: expect.stringContaining('business bus'),
      }),
    ]);
  });

  it('calls an SNS message that is JSON but not an alarm unsupported', () => {
    const event = fixture('sns-alarm-single-metric.json');
    event.Records[0].Sns.Message = '{"notificationType":"Delivery"}';
    expect(run(event, RECEIVED).rejected).toEqual([
      expect.objectContaining({ reason: 'unsupported-event', message: expect.stringContaining('no AlarmName') }),
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Business bus: defaults, limits, all-or-nothing targets
// ---------------------------------------------------------------------------------------------------------

describe('normalize: business drivers', () => {
  it('defaults targets to the declaration and drops (with a rejection) the ones that refuse the source', () => {
    const result = run(
      busEvent(DETAIL_TYPES.businessDriver, 'com.acme.change', { ...demandDetail(), driver: 'change-freeze' }),
      NOW,
    );
    expect(result.drivers.map((d) => d.targets)).toEqual([['web-asg']]);
    expect(result.rejected).toEqual([
      expect.objectContaining({ reason: 'source-not-allowed', targetId: 'checkout-fn' }),
    ]);
  });

  it('applies explicitly named targets all together or not at all', () => {
    const result = run(
      busEvent(DETAIL_TYPES.businessDriver, 'com.acme.change', {
        ...demandDetail(),
        driver: 'change-freeze',
        targets: ['web-asg', 'checkout-fn'],
      }),
      NOW,
    );
    expect(result.drivers).toEqual([]);
    expect(result.rejected).toEqual([
      expect.objectContaining({
        reason: 'source-not-allowed',
        targetId: 'checkout-fn',
        message: expect.stringContaining('all of them or none'),
      }),
    ]);
  });

  it('takes an explicit expiresAt over windowEnd', () => {
    const result = run(
      busEvent(DETAIL_TYPES.businessDriver, 'com.acme.marketing', demandDetail({ expiresAt: 1796000000 })),
      NOW,
    );
    expect(result.drivers[0]?.expiresAt).toBe(1796000000);
  });

  it.each([
    [
      'windowEnd before windowStart',
      { signal: { type: 'freeze', windowStart: '2026-12-02T00:00:00Z', windowEnd: '2026-12-01T00:00:00Z' } },
      'detail.signal.windowEnd: must be after windowStart',
    ],
    [
      'epoch milliseconds',
      { signal: { type: 'freeze', windowStart: 1796083200000, windowEnd: 1796169600000 } },
      'looks like epoch milliseconds',
    ],
    [
      'a misspelt key',
      { signal: { type: 'freeze', windowStart: 1796083200, windowend: 1796169600 } },
      'unknown key(s) "windowend"',
    ],
    [
      'an unknown signal type',
      { signal: { type: 'surge' } },
      'detail.signal.type: expected one of "demand", "budget", "freeze"',
    ],
    [
      'both demand forms',
      {
        signal: {
          type: 'demand',
          demand: { multiplier: 2, absolute: 4 },
          windowStart: 1796083200,
          windowEnd: 1796169600,
        },
      },
      'detail.signal.demand',
    ],
    [
      'an uppercase correlation key with a space',
      { id: 'Black Friday' },
      'detail.id: must start with a letter or digit',
    ],
    ['101 targets', { targets: Array.from({ length: 101 }, (_, i) => `t${i}`) }, 'detail.targets'],
  ])('rejects %s as malformed with the path', (_label, overrides, message) => {
    const result = run(busEvent(DETAIL_TYPES.businessDriver, 'com.acme.marketing', demandDetail(overrides)), NOW);
    expect(result.drivers).toEqual([]);
    expect(result.rejected).toEqual([
      expect.objectContaining({ reason: 'malformed', message: expect.stringContaining(message) }),
    ]);
  });

  it('refuses a record that would live beyond the bound: a year by default, ttlSeconds when declared', () => {
    const typo = run(
      busEvent(
        DETAIL_TYPES.businessDriver,
        'com.acme.marketing',
        demandDetail({
          signal: { type: 'freeze', windowStart: '2062-11-27T00:00:00Z', windowEnd: '2062-11-28T00:00:00Z' },
        }),
      ),
      NOW,
    );
    expect(typo.rejected).toEqual([
      expect.objectContaining({ reason: 'malformed', message: expect.stringContaining('may live at most 365d') }),
    ]);
    const declared = run(
      busEvent(DETAIL_TYPES.businessDriver, 'com.acme.marketing', { ...demandDetail(), driver: 'short-campaign' }),
      NOW,
    );
    expect(declared.drivers).toHaveLength(1);
    const tooFar = run(
      busEvent(DETAIL_TYPES.businessDriver, 'com.acme.marketing', {
        ...demandDetail(),
        driver: 'short-campaign',
        signal: { type: 'freeze', windowStart: '2026-12-10T00:00:00Z', windowEnd: '2026-12-11T00:00:00Z' },
      }),
      NOW,
    );
    expect(tooFar.rejected).toEqual([
      expect.objectContaining({
        reason: 'malformed',
        message: expect.stringContaining('at most 14d (drivers[].ttlSeconds)'),
      }),
    ]);
  });

  it('dates a business driver by the event time, but never in the future', () => {
    const future = run(
      busEvent(DETAIL_TYPES.businessDriver, 'com.acme.marketing', demandDetail(), { time: '2027-01-01T00:00:00Z' }),
      NOW,
    );
    expect(future.drivers[0]?.observedAt).toBe(NOW);
  });
});

describe('normalize: metric snapshots', () => {
  it('uses the declared unit when the snapshot has none', () => {
    const result = run(
      busEvent(DETAIL_TYPES.metricSnapshot, 'drivetrain.metrics', { driver: 'requests', value: 12 }),
      NOW,
    );
    expect(result.drivers[0]).toMatchObject({
      id: 'metric:requests',
      observedAt: t('2026-11-20T09:00:00Z'),
      signal: { value: 12, unit: 'Count/Second' },
    });
  });

  it('rejects a unit that is not the declared one', () => {
    const result = run(
      busEvent(DETAIL_TYPES.metricSnapshot, 'drivetrain.metrics', {
        driver: 'requests',
        value: 12,
        unit: 'Count/Minute',
      }),
      NOW,
    );
    expect(result.rejected).toEqual([
      expect.objectContaining({
        reason: 'malformed',
        message: expect.stringContaining('"Count/Minute" does not match the unit "Count/Second"'),
      }),
    ]);
  });

  it('dates a snapshot claimed a little ahead (inside the skew) at its receipt, and keeps the claim', () => {
    const result = run(
      busEvent(DETAIL_TYPES.metricSnapshot, 'drivetrain.metrics', {
        driver: 'requests',
        value: 12,
        timestamp: NOW + 290,
      }),
      NOW,
    );
    expect(result.drivers[0]).toMatchObject({ observedAt: NOW, lineage: { receivedAt: NOW, claimedAt: NOW + 290 } });
    const honest = run(
      busEvent(DETAIL_TYPES.metricSnapshot, 'drivetrain.metrics', {
        driver: 'requests',
        value: 12,
        timestamp: NOW - 5,
      }),
      NOW,
    );
    expect(honest.drivers[0]!.observedAt).toBe(NOW - 5);
    expect(honest.drivers[0]!.lineage).not.toHaveProperty('claimedAt');
  });

  it('rejects a snapshot measured in the future, and one already older than its TTL', () => {
    const ahead = run(
      busEvent(DETAIL_TYPES.metricSnapshot, 'drivetrain.metrics', {
        driver: 'queue-depth',
        value: 1,
        timestamp: NOW + 3600,
      }),
      NOW,
    );
    expect(ahead.rejected).toEqual([
      expect.objectContaining({ reason: 'malformed', message: expect.stringContaining('in the future') }),
    ]);
    const old = run(
      busEvent(DETAIL_TYPES.metricSnapshot, 'drivetrain.metrics', {
        driver: 'queue-depth',
        value: 1,
        timestamp: NOW - 7200,
      }),
      NOW,
    );
    expect(old.rejected).toEqual([expect.objectContaining({ reason: 'expired-on-arrival' })]);
  });

  it.each([
    ['a string value', '12'],
    ['null', null],
    ['a value past Number.MAX_VALUE', Number.MAX_VALUE * 10],
    ['a value beyond 1e15', 1.000001e15],
    ['a value beyond 2^53', 2 ** 53 + 2],
    ['a value below DynamoDB’s 1e-130', -1e-131],
    ['a subnormal', 5e-324],
  ])('rejects %s', (_label, value) => {
    const result = run(busEvent(DETAIL_TYPES.metricSnapshot, 'drivetrain.metrics', { driver: 'requests', value }), NOW);
    expect(result.rejected).toEqual([
      expect.objectContaining({ reason: 'malformed', message: expect.stringContaining('detail.value') }),
    ]);
  });

  it.each([0, 1e-100, -1e-100, 1e15, -1e15, 12.5])('accepts %d, inside the measurement range', (value) => {
    const result = run(busEvent(DETAIL_TYPES.metricSnapshot, 'drivetrain.metrics', { driver: 'requests', value }), NOW);
    expect(result.drivers[0]?.signal).toMatchObject({ value });
  });
});

describe('normalize: overrides', () => {
  /** Through the operator endpoint: `principal` here is the caller Lambda verified, not a field of the event. */
  const override = ({ principal, ...overrides }: Record<string, unknown>) =>
    run(busEvent(DETAIL_TYPES.override, 'drivetrain.operator', overrideDetail(overrides)), NOW, {
      caller: callerOf(typeof principal === 'string' ? principal : ONCALL_DAVE),
    });

  it('accepts an expiry exactly 7 days away and refuses one a second later', () => {
    expect(override({ expiresAt: NOW + 7 * 86400 }).drivers).toHaveLength(1);
    expect(override({ expiresAt: NOW + 7 * 86400 + 1 }).rejected).toEqual([
      expect.objectContaining({
        reason: 'override-not-permitted',
        message: expect.stringContaining('an override may last at most 7d'),
      }),
    ]);
  });

  it('lets a declaration shorten the longest override (ttlSeconds)', () => {
    expect(override({ driver: 'quick-override', expiresAt: NOW + 4 * 3600 }).drivers).toHaveLength(1);
    expect(override({ driver: 'quick-override', expiresAt: NOW + 5 * 3600 }).rejected).toEqual([
      expect.objectContaining({ reason: 'override-not-permitted', message: expect.stringContaining('at most 4.0h') }),
    ]);
  });

  it.each([
    ['null', null, 'override-without-expiry'],
    ['in the past', '2026-11-20T08:59:00Z', 'expired-on-arrival'],
    ['now', NOW, 'expired-on-arrival'],
    ['not a timestamp', 'in two hours', 'malformed'],
  ] as const)('rejects expiresAt %s', (_label, expiresAt, reason) => {
    expect(override({ expiresAt }).rejected).toEqual([expect.objectContaining({ reason })]);
  });

  it('requires a reason', () => {
    expect(override({ reason: '   ' }).rejected).toEqual([
      expect.objectContaining({
        reason: 'malformed',
        message: expect.stringContaining('detail.reason: an override needs a reason'),
      }),
    ]);
  });

  it('refuses the whole override when one named target does not permit the principal', () => {
    const result = override({ targets: ['web-asg', 'api-routing'], action: 'freeze', allocation: undefined });
    expect(result.drivers).toEqual([]);
    expect(result.rejected).toEqual([
      expect.objectContaining({ reason: 'override-not-permitted', targetId: 'api-routing' }),
    ]);
  });

  it.each([
    [
      'pin on a routing target',
      { targets: ['api-routing'], principal: 'arn:aws:sts::111122223333:assumed-role/oncall-bob/bob' },
      'action "pin" sets capacity',
    ],
    [
      'pin-weights on a capacity target',
      { action: 'pin-weights', allocation: undefined, weights: { a: 1 } },
      'action "pin-weights" sets routing weights',
    ],
    [
      'weights for an unknown SetIdentifier',
      {
        targets: ['api-routing'],
        principal: 'arn:aws:sts::111122223333:assumed-role/oncall-bob/bob',
        action: 'pin-weights',
        allocation: undefined,
        weights: { 'ap-south-1': 10 },
      },
      'unknown SetIdentifier(s) "ap-south-1"',
    ],
    ['pin with weights', { weights: { a: 1 } }, 'unknown key(s) "weights"'],
    ['pin without an allocation', { allocation: undefined }, 'detail.allocation: required'],
  ])('rejects %s', (_label, overrides, message) => {
    const result = override(overrides);
    expect(result.drivers).toEqual([]);
    expect(result.rejected).toEqual([expect.objectContaining({ message: expect.stringContaining(message) })]);
  });

  it('records the verified caller (role ARN, and the session for the audit) and the reason on the driver', () => {
    const [driver] = override({}).drivers;
    expect(driver).toMatchObject({
      kind: 'override',
      reason: 'INC-1: hold',
      lineage: {
        principal: 'arn:aws:iam::111122223333:role/oncall-dave',
        session: 'dave',
        channel: 'operator-endpoint',
      },
    });
  });

  it.each([
    ['on the bus, without a claim', {}, undefined, 'accepted only through the operator endpoint'],
    [
      'on the bus, claiming an allowed principal',
      { principal: 'arn:aws:iam::111122223333:role/oncall-dave' },
      undefined,
      'is a claim, not an identity',
    ],
    [
      'at the endpoint, claiming someone else than the verified caller',
      { principal: 'arn:aws:iam::111122223333:role/oncall-dave' },
      callerOf('arn:aws:sts::111122223333:assumed-role/intern/ivy'),
      'is a claim, not an identity',
    ],
  ])('refuses an override %s (unverified-principal), nothing emitted', (_label, extra, caller, message) => {
    const result = run(
      busEvent(DETAIL_TYPES.override, 'drivetrain.operator', { ...overrideDetail(), ...extra }),
      NOW,
      caller ? { caller } : {},
    );
    expect(result.drivers).toEqual([]);
    expect(result.rejected).toEqual([
      expect.objectContaining({ reason: 'unverified-principal', message: expect.stringContaining(message) }),
    ]);
  });
});

describe('normalize: alarms only from this account and region, and only when they act', () => {
  const HOME = { home: { account: '123456789012', region: 'us-east-1' } };
  const RECEIVED = t('2019-10-02T17:04:45Z');

  it.each([
    ['EventBridge, this account and region', withAlarm(() => undefined), RECEIVED, 1],
    ['EventBridge, another account', withAlarm((e) => (e.account = '999999999999')), RECEIVED, 0],
    ['EventBridge, another region', withAlarm((e) => (e.region = 'eu-west-1')), RECEIVED, 0],
    ['EventBridge, no account at all', withAlarm((e) => delete e.account), RECEIVED, 0],
  ] as const)('%s', (_label, event, receivedAt, drivers) => {
    const result = run(event, receivedAt, HOME);
    expect(result.drivers).toHaveLength(drivers);
    if (drivers === 0)
      expect(result.rejected.map((r) => r.reason)).toEqual([expect.stringMatching(/^(foreign-alarm|malformed)$/)]);
  });

  it('a Lambda alarm action of another account (accountId / alarmArn) drives nothing', () => {
    const payload = fixture('lambda-alarm-action-metric.json'); // account 444455556666 in AWS's sample
    const received = t('2023-08-04T12:36:20Z');
    expect(run(payload, received, { home: { account: '444455556666', region: 'us-east-1' } }).drivers).toHaveLength(1);
    expect(run(payload, received, HOME).rejected).toEqual([
      expect.objectContaining({ reason: 'foreign-alarm', message: expect.stringContaining('"444455556666"') }),
    ]);
    const noAccountId = { ...payload, accountId: undefined, region: undefined };
    expect(run(noAccountId, received, HOME).rejected).toEqual([expect.objectContaining({ reason: 'foreign-alarm' })]);
  });

  it('a classic SNS notification of another account (AWSAccountId) drives nothing', () => {
    const sns = fixture('sns-alarm-single-metric.json');
    const received = t('2015-06-03T17:43:30Z');
    expect(run(sns, received, HOME).drivers).toHaveLength(1);
    const message = JSON.parse(sns.Records[0].Sns.Message);
    sns.Records[0].Sns.Message = JSON.stringify({
      ...message,
      AWSAccountId: '999999999999',
      AlarmArn: 'arn:aws:cloudwatch:us-east-1:999999999999:alarm:EXAMPLE',
    });
    expect(run(sns, received, HOME).rejected).toEqual([expect.objectContaining({ reason: 'foreign-alarm' })]);
  });

  it('the suppressed composite alarm drives nothing; the same alarm unsuppressed does', () => {
    const composite = fixture('eventbridge-alarm-composite.json');
    const received = t('2022-07-22T15:58:00Z');
    expect(run(composite, received).rejected).toEqual([expect.objectContaining({ reason: 'alarm-suppressed' })]);
    delete composite.detail.state.actionsSuppressedBy;
    delete composite.detail.state.actionsSuppressedReason;
    const [driver] = run(composite, received).drivers;
    // A composite's reasonData lists triggering alarms, not datapoints: the state alone.
    expect(driver).toMatchObject({
      id: 'alarm:ServiceAggregatedAlarm',
      signal: { alarmName: 'ServiceAggregatedAlarm', state: 'ALARM', previousState: 'OK' },
    });
  });

  it.each([
    [
      'a mute rule (muteDetail)',
      (e: LooseJson) =>
        (e.detail.muteDetail = {
          muteRuleArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm-mute-rule:maintenance',
        }),
      'alarm-suppressed',
    ],
    ['an empty muteDetail', (e: LooseJson) => (e.detail.muteDetail = {}), undefined],
    ['actionsSuppressedBy Alarm', (e: LooseJson) => (e.detail.state.actionsSuppressedBy = 'Alarm'), 'alarm-suppressed'],
    ['an empty actionsSuppressedBy', (e: LooseJson) => (e.detail.state.actionsSuppressedBy = ''), undefined],
  ])('%s', (_label, mutate, reason) => {
    const result = run(withAlarm(mutate), RECEIVED);
    expect(result.rejected.filter((r) => r.reason === 'alarm-suppressed').map((r) => r.reason)).toEqual(
      reason ? [reason] : [],
    );
    expect(result.drivers).toHaveLength(reason ? 0 : 1);
  });
});

describe('normalize: who may send a business source (sourcePrincipals)', () => {
  const withSenders = parseConfig({
    ...ingestConfigInput,
    sourcePrincipals: {
      'com.acme.marketing': ['arn:aws:iam::444455556666:role/marketing-*', 'arn:aws:iam::111122223333:role/oncall-*'],
      'drivetrain.metrics': ['arn:aws:iam::111122223333:role/metrics-publisher'],
    },
  });
  const send = (event: unknown, context: Omit<NormalizeContext, 'config' | 'receivedAt'> = {}) =>
    normalize(event, { config: withSenders, receivedAt: NOW, ...context });
  const demand = (account: string) =>
    busEvent(DETAIL_TYPES.businessDriver, 'com.acme.marketing', demandDetail(), { account });

  it("on the bus: the sending account must be one of the source's senders' accounts", () => {
    expect(send(demand('444455556666')).drivers).toHaveLength(1);
    expect(send(demand('111122223333')).drivers).toHaveLength(1);
    expect(send(demand('999999999999')).rejected).toEqual([
      expect.objectContaining({
        reason: 'sender-not-permitted',
        message: expect.stringContaining('put on the bus by account "999999999999"'),
      }),
    ]);
  });

  it("at the endpoint: the verified caller must match the source's senders, and is recorded", () => {
    const ok = send(demand('111122223333'), {
      caller: callerOf('arn:aws:sts::111122223333:assumed-role/oncall-erin/erin'),
    });
    expect(ok.drivers[0]?.lineage).toMatchObject({
      principal: 'arn:aws:iam::111122223333:role/oncall-erin',
      session: 'erin',
      channel: 'operator-endpoint',
    });
    const refused = send(
      busEvent(DETAIL_TYPES.metricSnapshot, 'drivetrain.metrics', { driver: 'requests', value: 3 }),
      { caller: callerOf('arn:aws:sts::111122223333:assumed-role/oncall-erin/erin') },
    );
    expect(refused.drivers).toEqual([]);
    expect(refused.rejected).toEqual([expect.objectContaining({ reason: 'sender-not-permitted' })]);
    const noSenders = send(busEvent(DETAIL_TYPES.businessDriver, 'drivetrain.operator', demandDetail()), {
      caller: callerOf('arn:aws:sts::111122223333:assumed-role/oncall-erin/erin'),
    });
    expect(noSenders.rejected).toEqual([
      expect.objectContaining({
        reason: 'sender-not-permitted',
        message: expect.stringContaining('(none: nobody may send it)'),
      }),
    ]);
  });
});

describe('principalMatches', () => {
  const patterns = ['arn:aws:iam::111122223333:role/oncall-*', 'arn:aws:iam::111122223333:user/alice'];
  it.each([
    ['exact ARN', 'arn:aws:iam::111122223333:user/alice', true],
    ['pattern prefix', 'arn:aws:iam::111122223333:role/oncall-bob', true],
    [
      'assumed-role session of a matching role (normalized by verifiedCaller)',
      'arn:aws:sts::111122223333:assumed-role/oncall-bob/bob@example.com',
      true,
    ],
    ['assumed-role session in another partition', 'arn:aws-cn:sts::111122223333:assumed-role/oncall-bob/bob', false],
    ["a role whose name only starts like the pattern's prefix", 'arn:aws:iam::111122223333:role/oncall', false],
    ['another account', 'arn:aws:iam::444455556666:role/oncall-bob', false],
    ['a longer user name', 'arn:aws:iam::111122223333:user/alice2', false],
    ['a wildcard in the principal is literal', 'arn:aws:iam::111122223333:role/*', false],
    ['empty', '', false],
  ])('%s', (_label, principal, expected) => {
    expect(principalMatches(verifiedCaller(principal)?.arn ?? principal, patterns)).toBe(expected);
  });

  it('matches nothing when the target lists no principals', () => {
    expect(principalMatches('arn:aws:iam::111122223333:role/oncall-bob', [])).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Envelope problems and hostile input
// ---------------------------------------------------------------------------------------------------------

describe('normalize: bad envelopes', () => {
  it.each([
    ['null', null],
    ['an array', [1, 2]],
    ['a string', 'ALARM'],
    ['a number', 42],
  ])('rejects %s as malformed', (_label, event) => {
    expect(run(event, NOW)).toEqual({
      drivers: [],
      channel: 'unknown',
      rejected: [expect.objectContaining({ reason: 'malformed' })],
    });
  });

  it('names every missing envelope field', () => {
    const result = run({ 'detail-type': DETAIL_TYPES.businessDriver }, NOW);
    expect(result.rejected[0]!.message).toMatch(
      /^EventBridge event: version: required \(expected string\); id: required \(expected string\); source: required .*\(and 2 more\)$/,
    );
  });

  it('quotes hostile strings so they cannot forge log lines', () => {
    const hostile = 'evil\n{"level":"INFO","message":"all good"}\u001b[31m';
    const result = run(busEvent(DETAIL_TYPES.businessDriver, hostile, demandDetail({ driver: 'flash-sale' })), NOW);
    for (const rejection of result.rejected) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: a newline or ESC in a message is the failure
      expect(rejection.message).not.toMatch(/[\n\u001b]/);
    }
    expect(result.rejected.length).toBeGreaterThan(0);
  });

  it('throws (a caller bug, not bad input) when receivedAt is not epoch seconds', () => {
    expect(() => normalize({}, { config: ingestConfig, receivedAt: Number.NaN })).toThrow(TypeError);
  });
});
