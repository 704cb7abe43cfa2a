/**
 * CloudWatch alarm notifications in the three shapes AWS delivers them, reduced to one observation:
 *   - EventBridge "CloudWatch Alarm State Change" (`detail` with `state`/`previousState`), for metric,
 *     metric-math, anomaly-detection and composite alarms alike;
 *   - the payload of a Lambda alarm action (`alarmData`, same inner shape, `alarmArn`/`accountId`/`time`);
 *   - the classic SNS alarm message (`AlarmName`, `NewStateValue`, `StateChangeTime`, ...) inside `Sns.Message`.
 * Powertools' parser has no CloudWatch alarm schema, so these are ours. They are deliberately loose about
 * everything Drivetrain does not use (configuration, reason text): AWS adds fields over time and an unknown
 * field must never turn a real alarm into a rejection.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ALARM_STATES, type AlarmState } from '../domain/model';
import { isMeasurement } from '../domain/numbers';

/** CloudWatch's own limit for alarm names (PutMetricAlarm/PutCompositeAlarm). */
const ALARM_NAME_MAX = 255;

/**
 * reasonData is parsed only up to this size. CloudWatch caps StateReasonData at 4,000 characters
 * (SetAlarmState); anything much larger is not CloudWatch's and is not worth the CPU of JSON.parse.
 */
const REASON_DATA_MAX_PARSE = 16 * 1024;

const alarmStateValue = z.enum(ALARM_STATES);

// The alarm schemas are z.lazy, like the business ones (schemas.ts): built on the first alarm, not at cold start.

/** `state` / `previousState` of the EventBridge detail and of `alarmData`. */
const alarmStateSchema = z.lazy(() =>
  z.object({
    value: alarmStateValue,
    /**
     * Set on a composite alarm whose actions an actions suppressor holds back (`Alarm`, `WaitPeriod` or
     * `ExtensionPeriod`): CloudWatch itself would not run its actions, so neither does Drivetrain.
     */
    actionsSuppressedBy: z.unknown().optional(),
    // Kept as unknown: a reasonData that is not a string is degraded to "no datapoint", never a rejection.
    reasonData: z.unknown().optional(),
    timestamp: z.unknown().optional(),
  }),
);

const alarmDetailSchema = z.lazy(() =>
  z.object({
    alarmName: z.string().min(1).max(ALARM_NAME_MAX),
    state: alarmStateSchema,
    // A malformed previousState is informational only; it never costs us the current state.
    previousState: z.unknown().optional(),
    /** Present while an alarm mute rule mutes the alarm's actions: a muted alarm does not act. */
    muteDetail: z.unknown().optional(),
  }),
);

/** EventBridge `detail` of a "CloudWatch Alarm State Change" event. */
export const alarmStateChangeDetailSchema = alarmDetailSchema;

/** Payload CloudWatch sends when an alarm action invokes a Lambda function directly. */
export const lambdaAlarmActionSchema = z.lazy(() =>
  z.object({
    source: z.literal('aws.cloudwatch'),
    alarmArn: z.string().min(1).max(2048),
    accountId: z.string().max(64).optional(),
    region: z.string().max(64).optional(),
    time: z.unknown().optional(),
    alarmData: alarmDetailSchema,
  }),
);

/** The JSON document in `Sns.Message` when a CloudWatch alarm notifies an SNS topic. */
export const snsAlarmMessageSchema = z.lazy(() =>
  z.object({
    AlarmName: z.string().min(1).max(ALARM_NAME_MAX),
    AWSAccountId: z.string().max(64).optional(),
    AlarmArn: z.string().max(2048).optional(),
    NewStateValue: alarmStateValue,
    OldStateValue: z.unknown().optional(),
    StateChangeTime: z.unknown().optional(),
  }),
);

/** What every alarm shape is reduced to before it becomes a driver. */
export interface AlarmObservation {
  alarmName: string;
  state: AlarmState;
  previousState?: AlarmState;
  datapoint?: number;
  /** Timestamps to try for observedAt, most precise first (state change time, then delivery time). */
  timeCandidates: unknown[];
  /** What holds the alarm's actions back (actions suppressor, mute rule); such a state change drives nothing. */
  suppressed?: string;
}

/** Account and region an alarm notification says it comes from, as the delivering channel reports them. */
export interface AlarmOrigin {
  account: string | undefined;
  /** Absent when the channel carries no region code (the classic SNS message names the region in prose). */
  region: string | undefined;
}

const ALARM_ARN = /^arn:[a-z-]+:cloudwatch:([a-z0-9-]+):\s*(\d{12}):alarm:/;

/** Region and account from a CloudWatch alarm ARN (AWS's own samples carry a stray space after the region). */
export function alarmArnOrigin(arn: unknown): Partial<AlarmOrigin> {
  const match = typeof arn === 'string' ? ALARM_ARN.exec(arn) : null;
  return match ? { region: match[1], account: match[2] } : {};
}

export function fromAlarmDetail(detail: z.infer<typeof alarmDetailSchema>, deliveryTime: unknown): AlarmObservation {
  const observation: AlarmObservation = {
    alarmName: detail.alarmName,
    state: detail.state.value,
    timeCandidates: [detail.state.timestamp, deliveryTime],
  };
  const previous = readPreviousState(detail.previousState);
  if (previous) observation.previousState = previous;
  const datapoint = latestDatapoint(detail.state.reasonData);
  if (datapoint !== undefined) observation.datapoint = datapoint;
  const suppressed = suppression(detail);
  if (suppressed) observation.suppressed = suppressed;
  return observation;
}

function suppression(detail: z.infer<typeof alarmDetailSchema>): string | undefined {
  const by = detail.state.actionsSuppressedBy;
  if (typeof by === 'string' && by.length > 0) return `actions suppressed by ${by.slice(0, 64)}`;
  if (by !== undefined && by !== null && by !== '') return 'actions suppressed';
  const mute = detail.muteDetail;
  const present =
    mute !== undefined && mute !== null && mute !== '' && !(typeof mute === 'object' && Object.keys(mute).length === 0);
  return present ? 'muted by an alarm mute rule' : undefined;
}

export function fromSnsAlarmMessage(
  message: z.infer<typeof snsAlarmMessageSchema>,
  deliveryTime: unknown,
): AlarmObservation {
  const observation: AlarmObservation = {
    alarmName: message.AlarmName,
    state: message.NewStateValue,
    // The classic message carries no reasonData: the datapoint only exists in NewStateReason's prose, which
    // is not a contract worth parsing. The state is what alarm rules act on.
    timeCandidates: [message.StateChangeTime, deliveryTime],
  };
  const previous = alarmStateValue.safeParse(message.OldStateValue);
  if (previous.success) observation.previousState = previous.data;
  return observation;
}

function readPreviousState(previous: unknown): AlarmState | undefined {
  if (!previous || typeof previous !== 'object') return undefined;
  const parsed = alarmStateValue.safeParse((previous as { value?: unknown }).value);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The newest datapoint of a metric alarm's reasonData (`recentDatapoints`, oldest first). Composite alarms
 * (`triggeringAlarms`), empty lists, non-JSON strings and numbers outside the measurement range (1.2e16,
 * 5e-324: nothing DynamoDB could store) all give undefined: the alarm's state still counts, only the number
 * is missing. An alarm is never refused for its datapoint, which no rule acts on.
 */
export function latestDatapoint(reasonData: unknown): number | undefined {
  if (typeof reasonData !== 'string' || reasonData.length === 0 || reasonData.length > REASON_DATA_MAX_PARSE)
    return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(reasonData);
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object') return undefined;
  const recent = (parsed as { recentDatapoints?: unknown }).recentDatapoints;
  if (!Array.isArray(recent) || recent.length === 0) return undefined;
  const last: unknown = recent[recent.length - 1];
  return typeof last === 'number' && isMeasurement(last) ? last : undefined;
}

/**
 * A Lambda alarm action has no event id. CloudWatch retries an invocation until Lambda accepts it, so the
 * same state change can arrive twice: hashing the alarm ARN with the state timestamp gives both deliveries
 * the same id, which is what idempotency and the audit trail key on. The payload time and the state value
 * join the hash so a payload that lacks the state timestamp still does not collide with the next change.
 */
export function alarmActionEventId(
  alarmArn: string,
  stateTimestamp: unknown,
  payloadTime: unknown,
  state: AlarmState,
): string {
  const text = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value) : '');
  const key = [alarmArn, text(stateTimestamp), text(payloadTime), state].join('\n');
  return `alarm-action-${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
}
