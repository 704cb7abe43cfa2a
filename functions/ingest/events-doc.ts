/**
 * Renders docs/events.md from the event schemas, so the published JSON Schemas can never drift from what
 * `normalize` enforces. test/unit/ingest/events-doc.test.ts fails when the file is stale and rewrites it with
 * UPDATE_EVENTS_DOC=1. Pure: returns the text, writes nothing.
 */
import { z } from 'zod';
import { DETAIL_TYPES, OPERATOR_SOURCE } from '../contracts';
import { BUSINESS_MAX_LIFETIME_SECONDS, OVERRIDE_MAX_SECONDS } from '../domain/config';
import { MAX_SNS_RECORDS, REJECTION_REASONS, type RejectionReason } from './normalize';
import {
  businessDriverDetailSchema,
  metricSnapshotDetailSchema,
  overrideDetailSchema,
  formatSpan,
  type BusinessDriverDetailInput,
  type MetricSnapshotDetailInput,
  type OverrideDetailInput,
} from './schemas';
import { MAX_FUTURE_SKEW_SECONDS } from './time';

export interface EventExample<Detail> {
  caption: string;
  /** Defaults to the event's usual sender. */
  source?: string;
  detail: Detail;
}

export interface EventDoc {
  title: string;
  detailType: string;
  source: string;
  schema: z.ZodType;
  /** Valid against the shipped drivetrain.config.yaml (checked by the test). */
  examples: ReadonlyArray<EventExample<unknown>>;
}

const businessExamples: Array<EventExample<BusinessDriverDetailInput>> = [
  {
    caption: 'A flash sale: three times the baseline capacity for 24 hours, in place 30 minutes before it starts.',
    detail: {
      driver: 'flash-sale',
      id: 'black-friday-2026',
      label: 'Black Friday 2026',
      signal: {
        type: 'demand',
        demand: { multiplier: 3 },
        windowStart: '2026-11-27T08:00:00Z',
        windowEnd: '2026-11-28T08:00:00Z',
        leadTimeSeconds: 1800,
      },
    },
  },
  {
    caption: 'A spend cap from finance for December (epoch seconds work as well as ISO timestamps).',
    source: 'com.acme.finance',
    detail: {
      driver: 'cost-budget',
      id: 'december-2026',
      signal: { type: 'budget', maxHourlyCost: 2, windowStart: 1796083200, windowEnd: '2027-01-01T00:00:00Z' },
    },
  },
];

const metricExamples: Array<EventExample<MetricSnapshotDetailInput>> = [
  {
    caption: 'The request rate measured a minute ago.',
    detail: { driver: 'requests', value: 5230.5, unit: 'Count/Second', timestamp: '2026-11-20T09:00:00Z' },
  },
];

const overrideExamples: Array<EventExample<OverrideDetailInput>> = [
  {
    caption: 'Pin the web fleet at 24 instances for four hours during an incident.',
    detail: {
      driver: 'ops-override',
      targets: ['web-asg'],
      action: 'pin',
      allocation: 24,
      expiresAt: '2026-11-20T13:00:00Z',
      reason: 'INC-4711: hold capacity while the payment provider recovers',
    },
  },
  {
    caption: 'Send all API traffic to eu-west-1 until noon.',
    detail: {
      driver: 'ops-override',
      targets: ['api-routing'],
      action: 'pin-weights',
      weights: { 'us-east-1': 0, 'eu-west-1': 100 },
      expiresAt: '2026-11-20T12:00:00Z',
      reason: 'INC-4712: drain us-east-1 during the regional event',
    },
  },
];

export const EVENT_DOCS: ReadonlyArray<EventDoc> = [
  {
    title: 'Business driver',
    detailType: DETAIL_TYPES.businessDriver,
    source: 'com.acme.marketing',
    schema: businessDriverDetailSchema,
    examples: businessExamples,
  },
  {
    title: 'Metric snapshot',
    detailType: DETAIL_TYPES.metricSnapshot,
    source: 'drivetrain.metrics',
    schema: metricSnapshotDetailSchema,
    examples: metricExamples,
  },
  {
    title: 'Override',
    detailType: DETAIL_TYPES.override,
    source: OPERATOR_SOURCE,
    schema: overrideDetailSchema,
    examples: overrideExamples,
  },
];

const REASON_DOCS: Record<RejectionReason, string> = {
  malformed:
    'The payload does not match its schema (the message names the path), or a value is out of bounds: a unit other than the declared one, a snapshot dated in the future, a record that would live too long, an override action that does not fit the target.',
  'unsupported-event':
    'Not a driver event: another detail-type, an SNS message that is not an alarm notification, an unknown payload shape.',
  'unknown-alarm': 'No driver lists the alarm in `drivers[].alarmNames`.',
  'unknown-driver': 'The `driver` named in the detail is not declared in the config.',
  'unknown-target': "A target is not in the config, or is not among the driver's declared targets.",
  'source-not-allowed':
    "The event `source` is not in the target's `allowedSources` (alarms: `aws.cloudwatch` must be listed).",
  'override-not-permitted': `The verified caller does not match the target's \`overridePrincipals\`, or the override would last longer than ${formatSpan(OVERRIDE_MAX_SECONDS)} (or the driver's \`ttlSeconds\`).`,
  'override-without-expiry': 'An override without `expiresAt`.',
  'expired-on-arrival':
    'The record had already expired when it arrived (an old alarm replayed, a window that has closed, an expiry in the past).',
  'driver-kind-mismatch':
    'The event carries a different kind of driver than the one declared (a metric snapshot for a business driver, ...).',
  'foreign-alarm':
    "The alarm notification comes from another account or region than the deployment's own (alarm names are unique only per account and region).",
  'alarm-suppressed':
    "The alarm's actions are suppressed (`actionsSuppressedBy` of a composite alarm) or muted (`muteDetail`): CloudWatch runs none of its actions, so it drives nothing.",
  'unverified-principal':
    'An override without an AWS-verified caller (sent to the bus, or invoked directly), or carrying a `principal` claim in its detail.',
  'sender-not-permitted':
    'The sender may not send this `source`: the verified caller (operator endpoint) or the sending account (bus) is not among `sourcePrincipals` of the source.',
};

function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

function putEventsEntry(doc: EventDoc, example: EventExample<unknown>): string {
  return json([
    {
      EventBusName: '<business bus name or ARN>',
      Source: example.source ?? doc.source,
      DetailType: doc.detailType,
      Detail: JSON.stringify(example.detail),
    },
  ]);
}

export function jsonSchemaOf(schema: z.ZodType): unknown {
  // `io: 'input'` documents what a sender writes (ISO string or epoch seconds), not the parsed output.
  return z.toJSONSchema(schema, { io: 'input' });
}

export function renderEventsDoc(): string {
  const lines: string[] = [];
  const push = (...more: string[]) => lines.push(...more);
  push(
    '# Driver events',
    '',
    '<!-- Generated from functions/ingest/schemas.ts by functions/ingest/events-doc.ts. Do not edit by hand:',
    '     change the schemas, then run `UPDATE_EVENTS_DOC=1 npx jest test/unit/ingest/events-doc.test.ts`. -->',
    '',
    'Every way a driver reaches Drivetrain, and the custom events your systems send. Each accepted event becomes',
    'one canonical driver record per target (DynamoDB, `expiresAt` is the TTL attribute); each refused one is',
    'logged with a reason and counted in the `DriversRejected` metric. Nothing is ever half-applied.',
    '',
    '## How drivers arrive',
    '',
    '| Channel | Payload | Event id recorded |',
    '| --- | --- | --- |',
    `| EventBridge (default bus) | \`${DETAIL_TYPES.alarmStateChange}\` from \`aws.cloudwatch\`: metric, metric-math, anomaly-detection and composite alarms | the event \`id\` |`,
    '| Lambda alarm action | the `alarmData` payload CloudWatch sends when an alarm invokes the function | a hash of `alarmArn` and the state timestamp (stable across CloudWatch retries) |',
    `| SNS | the classic alarm message in \`Records[].Sns.Message\` (or a whole \`CloudWatch Alarm State Change\` EventBridge event from an SNS rule target; other detail-types only through the business bus); at most ${MAX_SNS_RECORDS} records | \`Sns.MessageId\` |`,
    '| EventBridge (business bus) | the three custom events below | the event `id` |',
    '',
    'Events re-sent from an EventBridge archive (`replay-name` set) are recorded with lineage channel `replay`.',
    '',
    '### CloudWatch alarms',
    '',
    '- The alarm name selects the driver whose `alarmNames` lists it. The driver id is `alarm:<alarm name>`, so',
    '  a newer state of the same alarm replaces the older one.',
    '- `observedAt` is the state change time (`state.timestamp`, `StateChangeTime`). CloudWatch writes offsets',
    '  without a colon (`+0000`) and some documented payloads contain spaces (`12: 36: 15.490`); both are read.',
    `  An unreadable time, or one more than ${formatSpan(MAX_FUTURE_SKEW_SECONDS)} in the future, falls back to the event time, then to the receive time.`,
    '- The datapoint is the last element of `reasonData.recentDatapoints`. Composite alarms, missing or non-JSON',
    '  `reasonData` and non-numeric datapoints give the state alone; they are never rejected for it. The classic',
    '  SNS message has no `reasonData`, so SNS alarms carry the state alone.',
    "- `expiresAt` is `observedAt` + the driver's `ttlSeconds` (7 days by default: an alarm only speaks when it",
    '  changes state). The driver goes to each declared target whose `allowedSources` lists `aws.cloudwatch`;',
    '  the others get a `source-not-allowed` rejection.',
    '',
    '## Sending business events',
    '',
    '```sh',
    'aws events put-events --entries file://entries.json',
    '```',
    '',
    '- `Source`: your system, e.g. `com.acme.marketing`. It must be in `allowedSources` of every target the driver',
    '  reaches. (EventBridge reserves `aws.*` sources for AWS services.) The CLI sends overrides as',
    `  \`${OPERATOR_SOURCE}\`.`,
    '- `DetailType`: one of the detail-types below; `Detail`: the JSON document, as a string.',
    '- Timestamps are epoch **seconds** or ISO 8601 with an offset (`2026-11-27T08:00:00Z`,',
    '  `2026-11-27T09:00:00+01:00`). A number that looks like milliseconds is refused.',
    '- Unknown keys are refused: a misspelt `windowend` is an error, not a silently ignored field.',
    '- Targets named in the event (`targets`) get the driver all together or not at all. Without `targets`, a',
    "  business driver goes to the driver's declared targets, and each target that refuses the source is",
    '  dropped with its own rejection.',
    '- The event time (`Time` in put-events, set by EventBridge when omitted) becomes `observedAt`; a time',
    `  more than ${formatSpan(MAX_FUTURE_SKEW_SECONDS)} ahead is replaced by the receive time, so a wrong clock cannot shadow later updates.`,
    '',
  );

  for (const doc of EVENT_DOCS) {
    push(`### ${doc.title}`, '', `- \`DetailType\`: \`${doc.detailType}\``);
    if (doc.detailType === DETAIL_TYPES.businessDriver) {
      push(
        '- Driver id: `business:<driver>:<id>`; sending the same `id` again replaces the record.',
        "- Signals: `demand` (`multiplier` of the rule's baseline, or `absolute` capacity, with optional",
        '  `leadTimeSeconds`), `budget` (`maxHourlyCost`) and `freeze`, each for `windowStart`..`windowEnd`.',
        '- `expiresAt` defaults to `windowEnd`: the record means nothing once its window has closed. A record may',
        `  live at most ${formatSpan(BUSINESS_MAX_LIFETIME_SECONDS)} ahead, or the driver's \`ttlSeconds\` when the config sets one (a window in 2062 is a typo).`,
      );
    } else if (doc.detailType === DETAIL_TYPES.metricSnapshot) {
      push(
        '- Driver id: `metric:<driver>`; each snapshot replaces the previous one (target tracking uses the latest).',
        "- `unit` must equal the driver's declared `unit` when the config declares one; the declared unit is",
        '  recorded when the snapshot has none. `timestamp` (when measured) defaults to the event time and may',
        `  not be more than ${formatSpan(MAX_FUTURE_SKEW_SECONDS)} in the future.`,
        "- `expiresAt` is `timestamp` + the driver's `ttlSeconds` (1 hour by default: an old sample no longer",
        '  describes the present).',
      );
    } else {
      push(
        '- Driver id: `override:<driver>`; a newer override for the same target replaces the older one.',
        '- Actions: `pin` (hold a capacity, still clamped to the policy bounds; capacity targets), `pin-weights`',
        '  (Route 53 weights by SetIdentifier; routing targets) and `freeze` (hold the current allocation).',
        `- \`expiresAt\` is mandatory, must be in the future and at most ${formatSpan(OVERRIDE_MAX_SECONDS)} away (less when the driver sets`,
        '  `ttlSeconds`). An override pins production regardless of every alarm; a forgotten one is the next',
        '  incident, so it must end on its own. Longer pins belong in the policy `schedule`, reviewed like code.',
        '- `reason` is mandatory and shown in every decision the override shapes.',
        '- **Overrides are not sent to the bus** (its policy denies this detail-type to everyone): they go to the',
        '  IAM-authenticated operator endpoint (`drivetrain put-driver --kind override`, SigV4-signed), which takes',
        "  the caller ARN AWS verified and matches it against the target's `overridePrincipals` (an assumed-role",
        '  session matches through its role ARN). The entry below is the body the endpoint takes. A `principal`',
        '  field is refused (`unverified-principal`): identity comes from AWS, never from the event.',
      );
    }
    push('');
    for (const example of doc.examples) {
      push(
        example.caption,
        '',
        '```json',
        putEventsEntry(doc, example),
        '```',
        '',
        'The `Detail` document:',
        '',
        '```json',
        json(example.detail),
        '```',
        '',
      );
    }
    push(
      '<details><summary>JSON Schema of <code>Detail</code></summary>',
      '',
      '```json',
      json(jsonSchemaOf(doc.schema)),
      '```',
      '',
      '</details>',
      '',
    );
  }

  push('## Rejection reasons', '', '| Reason | When |', '| --- | --- |');
  for (const reason of REJECTION_REASONS) push(`| \`${reason}\` | ${REASON_DOCS[reason]} |`);
  push('');
  return lines.join('\n');
}
