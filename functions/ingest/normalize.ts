/**
 * The ingest normalizer: every way a driver arrives → canonical driver records.
 *
 * Pure: no I/O and no clock (the receive time comes in the context), so the handler, replay and the tests
 * all get the same answer for the same event. It never throws for bad input: every problem becomes a
 * Rejection with a reason (a metric dimension) and a message naming the path that failed. The handler
 * decides what to store, what to count and what is a poison batch.
 *
 * All-or-nothing per record: a record (an EventBridge event, a Lambda alarm-action payload, one SNS record)
 * is either turned into complete drivers or rejected. Targets follow one rule:
 *   - targets the config fans out to (an alarm's or a metric's declared targets, a business event without
 *     `targets`) are filtered one by one: a target that does not allow the source gets a rejection, the
 *     others still get the driver;
 *   - targets a sender names explicitly (overrides, business events with `targets`) get the driver all
 *     together or not at all: an operator who pins two targets must not end up having pinned one.
 */
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import { SnsNotificationSchema } from '@aws-lambda-powertools/parser/schemas/sns';
import { z } from 'zod';
import { DETAIL_TYPES } from '../contracts';
import {
  driverMaxLifetimeSeconds,
  driverTtlSeconds,
  OVERRIDE_MAX_SECONDS,
  type DriverDeclaration,
  type DrivetrainConfig,
} from '../domain/config';
import { driverSchema, type BusinessSignal, type Driver, type Target } from '../domain/model';
import { kindTraits, routingEndpoints } from '../domain/target-kinds';
import { firstUnstorableNumber } from '../domain/numbers';
import {
  alarmActionEventId,
  alarmStateChangeDetailSchema,
  fromAlarmDetail,
  alarmArnOrigin,
  fromSnsAlarmMessage,
  lambdaAlarmActionSchema,
  snsAlarmMessageSchema,
  type AlarmObservation,
  type AlarmOrigin,
} from './alarm';
import { principalMatches, type VerifiedCaller } from './caller';
import { capMessage, clip, describeIssues, quote } from './issues';
import {
  businessDriverDetailSchema,
  checkOverrideExpiry,
  formatSpan,
  metricSnapshotDetailSchema,
  overrideDetailSchema,
  type BusinessDriverDetail,
  type MetricSnapshotDetail,
  type OverrideDetail,
} from './schemas';
import { isoSeconds, MAX_FUTURE_SKEW_SECONDS, observedAtFrom } from './time';

// ---------------------------------------------------------------------------------------------------------
// Contract (functions/handlers/ingest.ts and the CLI code against this)
// ---------------------------------------------------------------------------------------------------------

export interface NormalizeContext {
  config: DrivetrainConfig;
  /** Epoch seconds at which the Lambda received the event. */
  receivedAt: number;
  /**
   * The deployment's own account and region, from the Lambda environment (never from the event): an alarm
   * notification from anywhere else drives nothing. Absent only outside a deployment (demo, replay).
   */
  home?: { account: string; region: string };
  /**
   * The caller AWS verified (the operator endpoint's SigV4-authenticated request). Overrides are taken only
   * with one; business drivers and metric snapshots with one are held to `sourcePrincipals` of their source.
   */
  caller?: VerifiedCaller;
}

export type RejectionReason =
  | 'malformed'
  | 'unsupported-event'
  | 'unknown-alarm'
  | 'unknown-driver'
  | 'unknown-target'
  | 'source-not-allowed'
  | 'override-not-permitted'
  | 'override-without-expiry'
  | 'expired-on-arrival'
  | 'driver-kind-mismatch'
  | 'foreign-alarm'
  | 'alarm-suppressed'
  | 'unverified-principal'
  | 'sender-not-permitted';

/** Every reason, for metric dimensions and exhaustive tests. */
export const REJECTION_REASONS = [
  'malformed',
  'unsupported-event',
  'unknown-alarm',
  'unknown-driver',
  'unknown-target',
  'source-not-allowed',
  'override-not-permitted',
  'override-without-expiry',
  'expired-on-arrival',
  'driver-kind-mismatch',
  'foreign-alarm',
  'alarm-suppressed',
  'unverified-principal',
  'sender-not-permitted',
] as const satisfies readonly RejectionReason[];

export interface Rejection {
  reason: RejectionReason;
  message: string;
  eventId?: string;
  source?: string;
  driver?: string;
  targetId?: string;
}

export interface NormalizeResult {
  drivers: Driver[];
  rejected: Rejection[];
  channel: IngestChannel;
}

export type IngestChannel = 'eventbridge' | 'lambda-alarm-action' | 'sns' | 'unknown';

/** The EventBridge source of CloudWatch alarm state changes, whichever channel delivers them. */
export const CLOUDWATCH_SOURCE = 'aws.cloudwatch';

/**
 * SNS invokes Lambda with exactly one record; a payload with more than this many is not from SNS, and
 * walking an unbounded list would let one direct invocation produce unbounded work and log volume.
 */
export const MAX_SNS_RECORDS = 100;

export function normalize(event: unknown, context: NormalizeContext): NormalizeResult {
  if (!Number.isFinite(context.receivedAt) || context.receivedAt < 0) {
    // A programming error in the caller, not bad input: fail loudly rather than date every driver wrongly.
    throw new TypeError(`normalize: receivedAt must be epoch seconds, got ${String(context.receivedAt)}`);
  }
  const run = new Normalization(context);
  if (!isRecord(event)) {
    run.reject({ reason: 'malformed', message: `event must be a JSON object; got ${quote(event)}` });
    return run.result('unknown');
  }
  if ('detail-type' in event) {
    // With a verified caller the event came through the operator endpoint, and the audit trail says so.
    run.eventBridge(event, { channel: context.caller ? 'operator-endpoint' : 'eventbridge', path: '' });
    return run.result('eventbridge');
  }
  if ('alarmData' in event) {
    run.lambdaAlarmAction(event);
    return run.result('lambda-alarm-action');
  }
  if ('Records' in event) {
    run.sns(event);
    return run.result('sns');
  }
  const keys = Object.keys(event).slice(0, 8).map(quote).join(', ');
  run.reject({
    reason: 'unsupported-event',
    message: `not an EventBridge event, a Lambda alarm-action payload or an SNS event (top-level keys: ${keys || 'none'})`,
  });
  return run.result('unknown');
}

// ---------------------------------------------------------------------------------------------------------
// Envelopes (z.lazy like the detail schemas: an SNS envelope is built by the first SNS delivery only)
// ---------------------------------------------------------------------------------------------------------

/**
 * Powertools' EventBridge schema, with `time` read as a plain string (an odd timestamp degrades to the
 * receive time instead of rejecting the event) and the id/source capped to what a driver can record.
 */
const eventBridgeEnvelopeSchema = z.lazy(() =>
  EventBridgeSchema.extend({
    id: z.string().min(1).max(512),
    source: z.string().min(1).max(256),
    time: z.string().optional(),
    'detail-type': z.string().max(256),
  }),
);
type EventBridgeEnvelope = z.infer<typeof eventBridgeEnvelopeSchema>;

/** The fields of Powertools' SNS notification schema Drivetrain reads; the rest (URLs, signature) are ignored. */
const snsRecordSchema = z.lazy(() =>
  z.object({
    EventSource: z.literal('aws:sns'),
    Sns: SnsNotificationSchema.pick({ Type: true, Message: true, TopicArn: true }).extend({
      MessageId: z.string().min(1).max(512),
      Timestamp: z.string().optional(),
    }),
  }),
);

interface Delivery {
  /** Ingest channel recorded in lineage: eventbridge | lambda-alarm-action | sns | replay. */
  channel: string;
  /** Where in the payload this record sits, for messages (`Records[0].Sns.Message`). */
  path: string;
  /** Event id to record instead of the envelope's (SNS records keep the SNS MessageId). */
  eventId?: string;
}

interface ConfigIndex {
  declarations: Map<string, DriverDeclaration>;
  alarmOwners: Map<string, DriverDeclaration>;
  targets: Map<string, Target>;
}

// The config is parsed once per cold start and frozen; indexing it once per config object is enough.
const indexCache = new WeakMap<DrivetrainConfig, ConfigIndex>();

function indexConfig(config: DrivetrainConfig): ConfigIndex {
  const cached = indexCache.get(config);
  if (cached) return cached;
  const declarations = new Map<string, DriverDeclaration>();
  const alarmOwners = new Map<string, DriverDeclaration>();
  for (const declaration of config.drivers) {
    declarations.set(declaration.name, declaration);
    for (const alarm of declaration.alarmNames ?? []) if (!alarmOwners.has(alarm)) alarmOwners.set(alarm, declaration);
  }
  const targets = new Map(config.targets.map((target) => [target.id, target]));
  const index = { declarations, alarmOwners, targets };
  indexCache.set(config, index);
  return index;
}

type TargetCheck = (target: Target) => Rejection | undefined;

interface RecordContext {
  eventId: string;
  source: string;
  channel: string;
}

class Normalization {
  private readonly drivers: Driver[] = [];
  private readonly rejected: Rejection[] = [];
  private readonly index: ConfigIndex;
  private readonly receivedAt: number;
  private readonly config: DrivetrainConfig;
  private readonly home: NormalizeContext['home'];
  private readonly caller: VerifiedCaller | undefined;

  constructor(context: NormalizeContext) {
    this.index = indexConfig(context.config);
    this.receivedAt = context.receivedAt;
    this.config = context.config;
    this.home = context.home;
    this.caller = context.caller;
  }

  result(channel: IngestChannel): NormalizeResult {
    return { drivers: this.drivers, rejected: this.rejected, channel };
  }

  reject(rejection: Rejection): void {
    const clean: Rejection = { reason: rejection.reason, message: capMessage(rejection.message) };
    const eventId = clip(rejection.eventId, 512);
    const source = clip(rejection.source, 256);
    const driver = clip(rejection.driver, 64);
    const targetId = clip(rejection.targetId, 64);
    if (eventId) clean.eventId = eventId;
    if (source) clean.source = source;
    if (driver) clean.driver = driver;
    if (targetId) clean.targetId = targetId;
    this.rejected.push(clean);
  }

  // ---- channels -----------------------------------------------------------------------------------------

  eventBridge(raw: Record<string, unknown>, delivery: Delivery): void {
    const parsed = eventBridgeEnvelopeSchema.safeParse(raw);
    if (!parsed.success) {
      this.reject({
        reason: 'malformed',
        message: `EventBridge event: ${describeIssues(parsed.error, delivery.path)}`,
        eventId: delivery.eventId ?? stringField(raw, 'id'),
        source: stringField(raw, 'source'),
      });
      return;
    }
    const event = parsed.data;
    const record: RecordContext = {
      eventId: delivery.eventId ?? event.id,
      source: event.source,
      // An event re-sent from an EventBridge archive says so; the audit trail should too.
      channel: event['replay-name'] ? 'replay' : delivery.channel,
    };
    const detailPath = delivery.path ? `${delivery.path}.detail` : 'detail';
    switch (event['detail-type']) {
      case DETAIL_TYPES.alarmStateChange:
        this.eventBridgeAlarm(event, record, detailPath);
        return;
      case DETAIL_TYPES.businessDriver:
        this.business(event, record, detailPath);
        return;
      case DETAIL_TYPES.metricSnapshot:
        this.metric(event, record, detailPath);
        return;
      case DETAIL_TYPES.override:
        this.override(event, record, detailPath);
        return;
      default:
        this.reject({
          reason: 'unsupported-event',
          message: `detail-type ${quote(event['detail-type'])} is not a driver event; accepted: ${Object.values(DETAIL_TYPES).map(quote).join(', ')}`,
          eventId: record.eventId,
          source: record.source,
        });
    }
  }

  lambdaAlarmAction(raw: Record<string, unknown>): void {
    if (raw.source !== CLOUDWATCH_SOURCE) {
      this.reject({
        reason: 'source-not-allowed',
        message: `Lambda alarm-action payloads are accepted only from ${CLOUDWATCH_SOURCE}; got source ${quote(raw.source)}`,
        source: stringField(raw, 'source'),
      });
      return;
    }
    const parsed = lambdaAlarmActionSchema.safeParse(raw);
    if (!parsed.success) {
      this.reject({
        reason: 'malformed',
        message: `Lambda alarm-action payload: ${describeIssues(parsed.error, '')}`,
        source: stringField(raw, 'source'),
      });
      return;
    }
    const payload = parsed.data;
    // The payload says `source: aws.cloudwatch` itself; what makes that true is the function's resource
    // policy, which must allow only lambda.alarms.cloudwatch.amazonaws.com (with a SourceArn) to invoke it.
    const record: RecordContext = {
      eventId: alarmActionEventId(
        payload.alarmArn,
        payload.alarmData.state.timestamp,
        payload.time,
        payload.alarmData.state.value,
      ),
      source: CLOUDWATCH_SOURCE,
      channel: 'lambda-alarm-action',
    };
    const fromArn = alarmArnOrigin(payload.alarmArn);
    this.alarm(fromAlarmDetail(payload.alarmData, payload.time), record, {
      account: payload.accountId ?? fromArn.account,
      region: payload.region ?? fromArn.region,
    });
  }

  sns(raw: Record<string, unknown>): void {
    const records = raw.Records;
    if (!Array.isArray(records) || records.length === 0) {
      this.reject({
        reason: 'malformed',
        message: `SNS event: Records must be a non-empty array; got ${quote(records)}`,
      });
      return;
    }
    if (records.length > MAX_SNS_RECORDS) {
      this.reject({
        reason: 'malformed',
        message: `SNS event: ${records.length} records; SNS delivers one per invocation, at most ${MAX_SNS_RECORDS} are accepted`,
      });
      return;
    }
    records.forEach((record: unknown, i) => {
      this.snsRecord(record, `Records[${i}]`);
    });
  }

  private snsRecord(raw: unknown, path: string): void {
    const parsed = snsRecordSchema.safeParse(raw);
    if (!parsed.success) {
      const messageId = isRecord(raw) && isRecord(raw.Sns) ? stringField(raw.Sns, 'MessageId') : undefined;
      this.reject({
        reason: 'malformed',
        message: `SNS record: ${describeIssues(parsed.error, path)}`,
        eventId: messageId,
      });
      return;
    }
    const sns = parsed.data.Sns;
    const messagePath = `${path}.Sns.Message`;
    let message: unknown;
    try {
      message = JSON.parse(sns.Message);
    } catch {
      this.reject({
        reason: 'unsupported-event',
        message: `${messagePath} is not JSON, so not a CloudWatch alarm notification (starts with ${quote(sns.Message.slice(0, 40))})`,
        eventId: sns.MessageId,
      });
      return;
    }
    if (isRecord(message) && 'detail-type' in message) {
      // An EventBridge rule with an SNS topic target delivers the whole event as the message. Only alarm state
      // changes are taken this way: overrides and business drivers are trusted because the business bus's
      // resource policy checks who put them, and anyone allowed to publish to the topic would bypass it.
      if (message['detail-type'] !== DETAIL_TYPES.alarmStateChange) {
        this.reject({
          reason: 'unsupported-event',
          message: `${messagePath} is an EventBridge event of detail-type ${quote(message['detail-type'])}; over SNS only ${quote(DETAIL_TYPES.alarmStateChange)} is accepted, send business drivers, metric snapshots and overrides to the business bus`,
          eventId: sns.MessageId,
          source: stringField(message, 'source'),
        });
        return;
      }
      this.eventBridge(message, { channel: 'sns', path: messagePath, eventId: sns.MessageId });
      return;
    }
    if (!isRecord(message) || !('AlarmName' in message)) {
      this.reject({
        reason: 'unsupported-event',
        message: `${messagePath} is not a CloudWatch alarm notification (no AlarmName)`,
        eventId: sns.MessageId,
      });
      return;
    }
    const alarm = snsAlarmMessageSchema.safeParse(message);
    if (!alarm.success) {
      this.reject({
        reason: 'malformed',
        message: `CloudWatch alarm notification: ${describeIssues(alarm.error, messagePath)}`,
        eventId: sns.MessageId,
        source: CLOUDWATCH_SOURCE,
      });
      return;
    }
    // The classic message names the region in prose ("US East (N. Virginia)"); AlarmArn has its code.
    const fromArn = alarmArnOrigin(alarm.data.AlarmArn);
    this.alarm(
      fromSnsAlarmMessage(alarm.data, sns.Timestamp),
      { eventId: sns.MessageId, source: CLOUDWATCH_SOURCE, channel: 'sns' },
      {
        account: alarm.data.AWSAccountId ?? fromArn.account,
        region: fromArn.region,
      },
    );
  }

  // ---- alarms -------------------------------------------------------------------------------------------

  private eventBridgeAlarm(event: EventBridgeEnvelope, record: RecordContext, detailPath: string): void {
    if (event.source !== CLOUDWATCH_SOURCE) {
      // EventBridge reserves `aws.*` sources for AWS, so an alarm event from any other source is an imitation.
      this.reject({
        reason: 'source-not-allowed',
        message: `${quote(DETAIL_TYPES.alarmStateChange)} events are accepted only from ${CLOUDWATCH_SOURCE}; got source ${quote(event.source)}`,
        eventId: record.eventId,
        source: record.source,
      });
      return;
    }
    const detail = alarmStateChangeDetailSchema.safeParse(event.detail);
    if (!detail.success) {
      this.reject({
        reason: 'malformed',
        message: `CloudWatch alarm state change: ${describeIssues(detail.error, detailPath)}`,
        eventId: record.eventId,
        source: record.source,
      });
      return;
    }
    this.alarm(fromAlarmDetail(detail.data, event.time), record, { account: event.account, region: event.region });
  }

  private alarm(observation: AlarmObservation, record: RecordContext, origin: AlarmOrigin): void {
    const base = { eventId: record.eventId, source: record.source };
    if (!this.alarmIsHome(observation, origin, base)) return;
    if (observation.suppressed) {
      this.reject({
        ...base,
        reason: 'alarm-suppressed',
        message: `alarm ${quote(observation.alarmName)} is ${observation.state} but its ${observation.suppressed}: CloudWatch runs none of its actions, so it drives nothing`,
      });
      return;
    }
    const declaration = this.index.alarmOwners.get(observation.alarmName);
    if (!declaration) {
      this.reject({
        ...base,
        reason: 'unknown-alarm',
        message: `alarm ${quote(observation.alarmName)} feeds no driver; list it in drivers[].alarmNames of an alarm driver`,
      });
      return;
    }
    if (declaration.kind !== 'alarm') {
      this.reject({
        ...base,
        driver: declaration.name,
        reason: 'driver-kind-mismatch',
        message: kindMismatch(declaration, 'alarm'),
      });
      return;
    }
    const { observedAt, lineage } = this.timing(observedAtFrom(observation.timeCandidates, this.receivedAt), record);
    const expiresAt = Math.ceil(observedAt + driverTtlSeconds(declaration));
    if (
      !this.liveOnArrival(expiresAt, { ...base, driver: declaration.name }, `state change of ${isoSeconds(observedAt)}`)
    )
      return;
    const targets = this.fanOut(declaration, record, []);
    if (targets.length === 0) return;
    this.emit(
      {
        id: `alarm:${observation.alarmName}`,
        name: declaration.name,
        kind: 'alarm',
        source: record.source,
        targets,
        observedAt,
        expiresAt,
        lineage,
        signal: {
          alarmName: observation.alarmName,
          state: observation.state,
          ...(observation.previousState ? { previousState: observation.previousState } : {}),
          ...(observation.datapoint !== undefined ? { datapoint: observation.datapoint } : {}),
        },
      },
      base,
    );
  }

  /**
   * Alarm names are unique only per account and region: the same name elsewhere is another alarm. The
   * rule and the topic policy already pin this account and region; this is the same check on the event.
   */
  private alarmIsHome(
    observation: AlarmObservation,
    origin: AlarmOrigin,
    base: { eventId: string; source: string },
  ): boolean {
    const home = this.home;
    if (!home) return true;
    const wrongAccount = origin.account?.trim() !== home.account;
    const wrongRegion = origin.region !== undefined && origin.region.trim() !== home.region;
    if (!wrongAccount && !wrongRegion) return true;
    this.reject({
      ...base,
      reason: 'foreign-alarm',
      message: `alarm ${quote(observation.alarmName)} comes from account ${quote(origin.account ?? '(none)')}${origin.region !== undefined ? ` region ${quote(origin.region)}` : ''}; this deployment acts only on alarms of account ${home.account} in ${home.region}`,
    });
    return false;
  }

  /**
   * Who may send a business source (business drivers and metric snapshots). At the operator endpoint the
   * verified caller must match `sourcePrincipals` of the source. On the bus the bus policy decides per
   * principal; what the event itself can still show is the sending account, checked against the accounts
   * of those principals.
   */
  private senderPermitted(
    event: EventBridgeEnvelope,
    record: RecordContext,
    who: { eventId: string; source: string; driver: string },
  ): boolean {
    // Own keys only: a source named `constructor` must not find Object.prototype's.
    const senders = Object.hasOwn(this.config.sourcePrincipals, record.source)
      ? this.config.sourcePrincipals[record.source]
      : undefined;
    if (this.caller) {
      if (senders && principalMatches(this.caller.arn, senders)) return true;
      this.reject({
        ...who,
        reason: 'sender-not-permitted',
        message: `caller ${quote(this.caller.arn)} may not send source ${quote(record.source)}; sourcePrincipals.${record.source}: ${senders?.join(', ') ?? '(none: nobody may send it)'}`,
      });
      return false;
    }
    if (!senders) return true;
    const accounts = new Set(senders.map((pattern) => pattern.split(':')[4]));
    if (accounts.has(event.account)) return true;
    this.reject({
      ...who,
      reason: 'sender-not-permitted',
      message: `source ${quote(record.source)} was put on the bus by account ${quote(event.account)}; its senders (sourcePrincipals) are in ${[...accounts].join(', ')}`,
    });
    return false;
  }

  // ---- business bus -------------------------------------------------------------------------------------

  private business(event: EventBridgeEnvelope, record: RecordContext, detailPath: string): void {
    const base = { eventId: record.eventId, source: record.source };
    const parsed = businessDriverDetailSchema.safeParse(event.detail);
    if (!parsed.success) {
      this.reject({
        ...base,
        driver: driverField(event.detail),
        reason: 'malformed',
        message: `business driver: ${describeIssues(parsed.error, detailPath)}`,
      });
      return;
    }
    const detail: BusinessDriverDetail = parsed.data;
    const declaration = this.declaration(detail.driver, 'business', base);
    if (!declaration) return;
    const who = { ...base, driver: declaration.name };
    if (!this.senderPermitted(event, record, who)) return;
    const { observedAt, lineage } = this.timing(observedAtFrom([event.time], this.receivedAt), record);
    const signal = businessSignal(detail);
    // The record is useless once its window has closed, unless the sender wants it gone sooner (or later).
    const expiresAt = Math.ceil(detail.expiresAt ?? signal.windowEnd);
    if (!this.liveOnArrival(expiresAt, who, `window ending ${isoSeconds(signal.windowEnd)}`)) return;
    if (expiresAt <= observedAt) {
      this.reject({
        ...who,
        reason: 'expired-on-arrival',
        message: `expiresAt ${isoSeconds(expiresAt)} is not after the event time ${isoSeconds(observedAt)}`,
      });
      return;
    }
    // A business record carries its own end, so the kind's default TTL does not cut it short (a month-long
    // budget sent on the 1st must not be refused). What is bounded is how far ahead it may live: the
    // declaration's ttlSeconds when set, a year otherwise. A window ending in 2062 is a typo, not a plan.
    const lifetime = driverMaxLifetimeSeconds(declaration);
    if (expiresAt - this.receivedAt > lifetime) {
      this.reject({
        ...who,
        reason: 'malformed',
        message: `${detailPath}.${detail.expiresAt !== undefined ? 'expiresAt' : 'signal.windowEnd'}: the record would live until ${isoSeconds(expiresAt)}, ${formatSpan(expiresAt - this.receivedAt)} from now; driver ${quote(declaration.name)} records may live at most ${formatSpan(lifetime)}${declaration.ttlSeconds !== undefined ? ' (drivers[].ttlSeconds)' : ''}`,
      });
      return;
    }
    const targets = this.fanOut(declaration, record, [], detail.targets);
    if (targets.length === 0) return;
    this.emit(
      {
        id: `business:${declaration.name}:${detail.id}`,
        name: declaration.name,
        kind: 'business',
        source: record.source,
        targets,
        observedAt,
        expiresAt,
        lineage,
        signal,
      },
      who,
    );
  }

  private metric(event: EventBridgeEnvelope, record: RecordContext, detailPath: string): void {
    const base = { eventId: record.eventId, source: record.source };
    const parsed = metricSnapshotDetailSchema.safeParse(event.detail);
    if (!parsed.success) {
      this.reject({
        ...base,
        driver: driverField(event.detail),
        reason: 'malformed',
        message: `metric snapshot: ${describeIssues(parsed.error, detailPath)}`,
      });
      return;
    }
    const detail: MetricSnapshotDetail = parsed.data;
    const declaration = this.declaration(detail.driver, 'metric', base);
    if (!declaration) return;
    const who = { ...base, driver: declaration.name };
    if (!this.senderPermitted(event, record, who)) return;
    if (declaration.unit !== undefined && detail.unit !== undefined && detail.unit !== declaration.unit) {
      // A value in the wrong unit (bytes vs kilobytes, per-minute vs per-second) scales by the wrong factor.
      this.reject({
        ...who,
        reason: 'malformed',
        message: `${detailPath}.unit: ${quote(detail.unit)} does not match the unit ${quote(declaration.unit)} declared for driver ${quote(declaration.name)}`,
      });
      return;
    }
    if (detail.timestamp !== undefined && detail.timestamp > this.receivedAt + MAX_FUTURE_SKEW_SECONDS) {
      this.reject({
        ...who,
        reason: 'malformed',
        message: `${detailPath}.timestamp: ${isoSeconds(detail.timestamp)} is ${formatSpan(detail.timestamp - this.receivedAt)} in the future; a snapshot reports a value already measured`,
      });
      return;
    }
    const { observedAt, lineage } = this.timing(
      detail.timestamp ?? observedAtFrom([event.time], this.receivedAt),
      record,
    );
    const expiresAt = Math.ceil(observedAt + driverTtlSeconds(declaration));
    if (!this.liveOnArrival(expiresAt, who, `snapshot of ${isoSeconds(observedAt)}`)) return;
    const targets = this.fanOut(declaration, record, []);
    if (targets.length === 0) return;
    const unit = detail.unit ?? declaration.unit;
    this.emit(
      {
        id: `metric:${declaration.name}`,
        name: declaration.name,
        kind: 'metric',
        source: record.source,
        targets,
        observedAt,
        expiresAt,
        lineage,
        signal: { value: detail.value, ...(unit !== undefined ? { unit } : {}) },
      },
      who,
    );
  }

  private override(event: EventBridgeEnvelope, record: RecordContext, detailPath: string): void {
    const base = { eventId: record.eventId, source: record.source };
    const parsed = overrideDetailSchema.safeParse(event.detail);
    if (!parsed.success) {
      const withoutExpiry =
        !isRecord(event.detail) || event.detail.expiresAt === undefined || event.detail.expiresAt === null;
      this.reject({
        ...base,
        driver: driverField(event.detail),
        reason: withoutExpiry ? 'override-without-expiry' : 'malformed',
        message: withoutExpiry
          ? `override: ${detailPath}.expiresAt is required: an override must end on its own (at most ${formatSpan(OVERRIDE_MAX_SECONDS)} away); ${describeIssues(parsed.error, detailPath)}`
          : `override: ${describeIssues(parsed.error, detailPath)}`,
      });
      return;
    }
    const detail: OverrideDetail = parsed.data;
    const declaration = this.declaration(detail.driver, 'override', base);
    if (!declaration) return;
    const who = { ...base, driver: declaration.name };
    const caller = this.verifiedOverrideCaller(detail, who);
    if (!caller) return;
    // A declaration may shorten the longest override it accepts (ttlSeconds), never lengthen it.
    const maxSeconds = driverMaxLifetimeSeconds(declaration);
    const expiresAt = Math.ceil(detail.expiresAt);
    const problem = checkOverrideExpiry(expiresAt, this.receivedAt, maxSeconds);
    if (problem) {
      this.reject({ ...who, reason: problem.reason, message: `override: ${problem.message}` });
      return;
    }
    const { observedAt, lineage } = this.timing(observedAtFrom([event.time], this.receivedAt), record);
    const checks: TargetCheck[] = [
      (target) =>
        principalMatches(caller.arn, target.overridePrincipals)
          ? undefined
          : {
              ...who,
              targetId: target.id,
              reason: 'override-not-permitted',
              message: `caller ${quote(caller.arn)} is not in overridePrincipals of target ${quote(target.id)}${target.overridePrincipals.length === 0 ? ' (empty: overrides are disabled for it)' : ''}`,
            },
      (target) => actionFitsTarget(detail, target, who),
    ];
    const targets = this.fanOut(declaration, record, checks, detail.targets);
    if (targets.length === 0) return;
    const signal =
      detail.action === 'pin'
        ? { action: 'pin' as const, allocation: detail.allocation }
        : detail.action === 'pin-weights'
          ? { action: 'pin-weights' as const, weights: { ...detail.weights } }
          : { action: 'freeze' as const };
    this.emit(
      {
        id: `override:${declaration.name}`,
        name: declaration.name,
        kind: 'override',
        source: record.source,
        targets,
        observedAt,
        expiresAt,
        lineage,
        signal,
        reason: detail.reason,
      },
      who,
    );
  }

  // ---- shared steps -------------------------------------------------------------------------------------

  /**
   * The time a driver is ordered and timed by: what the event claims, but never later than when Drivetrain
   * received it. A claimed time inside the accepted skew is still a claim — anyone who may publish to an
   * alarm topic or the business bus can forge it — and taken as is it would shadow every honest update of the
   * driver until that time (the store keeps the newest) and restart an alarm episode on every event (the
   * engine takes a step again for an ALARM that entered after the last change). A claim in the future is
   * kept in the lineage for the audit trail.
   */
  private timing(claimed: number, record: RecordContext): { observedAt: number; lineage: Driver['lineage'] } {
    const lineage = this.lineage(record);
    if (claimed <= this.receivedAt) return { observedAt: claimed, lineage };
    return { observedAt: this.receivedAt, lineage: { ...lineage, claimedAt: claimed } };
  }

  /** Where a driver came from; a verified caller is recorded as who sent it (never a claim in the event). */
  private lineage(record: RecordContext): Driver['lineage'] {
    const caller = this.caller;
    return {
      eventId: record.eventId,
      channel: record.channel,
      receivedAt: this.receivedAt,
      ...(caller ? { principal: caller.arn, ...(caller.session ? { session: caller.session } : {}) } : {}),
    };
  }

  /**
   * An override is a person pinning production: it is taken only with an identity AWS verified (the
   * operator endpoint). On the bus an event carries no sender identity, and a `principal` in the detail is
   * only a claim, so both are refused rather than recorded as if someone had been identified.
   */
  private verifiedOverrideCaller(
    detail: OverrideDetail,
    who: { eventId: string; source: string; driver: string },
  ): VerifiedCaller | undefined {
    if (detail.principal !== undefined) {
      this.reject({
        ...who,
        reason: 'unverified-principal',
        message: `override: detail.principal ${quote(detail.principal)} is a claim, not an identity; remove it: the operator endpoint records the caller AWS verified`,
      });
      return undefined;
    }
    if (!this.caller) {
      this.reject({
        ...who,
        reason: 'unverified-principal',
        message:
          'override: accepted only through the operator endpoint (`drivetrain put-driver --kind override`), where AWS verifies who is calling; an event carries no verified sender',
      });
      return undefined;
    }
    return this.caller;
  }

  private declaration(
    name: string,
    kind: DriverDeclaration['kind'],
    base: { eventId: string; source: string },
  ): DriverDeclaration | undefined {
    const declaration = this.index.declarations.get(name);
    if (!declaration) {
      const known = [...this.index.declarations.values()].filter((d) => d.kind === kind).map((d) => d.name);
      this.reject({
        ...base,
        driver: name,
        reason: 'unknown-driver',
        message: `driver ${quote(name)} is not declared; declared ${kind} drivers: ${known.join(', ') || '(none)'}`,
      });
      return undefined;
    }
    if (declaration.kind !== kind) {
      this.reject({ ...base, driver: name, reason: 'driver-kind-mismatch', message: kindMismatch(declaration, kind) });
      return undefined;
    }
    return declaration;
  }

  private liveOnArrival(
    expiresAt: number,
    who: { eventId: string; source: string; driver: string },
    what: string,
  ): boolean {
    if (expiresAt > this.receivedAt) return true;
    this.reject({
      ...who,
      reason: 'expired-on-arrival',
      message: `${what} expired at ${isoSeconds(expiresAt)}, before it was received at ${isoSeconds(this.receivedAt)}`,
    });
    return false;
  }

  /**
   * Targets the driver goes to. `requested` (the sender's explicit list) is all-or-nothing; without it the
   * declaration's targets are filtered one by one. Every excluded target gets its own rejection.
   */
  private fanOut(
    declaration: DriverDeclaration,
    record: RecordContext,
    checks: TargetCheck[],
    requested?: string[],
  ): string[] {
    const who = { eventId: record.eventId, source: record.source, driver: declaration.name };
    const candidates = [...new Set(requested ?? declaration.targets)];
    const accepted: string[] = [];
    const problems: Rejection[] = [];
    for (const id of candidates) {
      const target = this.index.targets.get(id);
      let problem: Rejection | undefined;
      if (!target) {
        problem = {
          ...who,
          targetId: id,
          reason: 'unknown-target',
          message: `target ${quote(id)} is not in the config; targets: ${[...this.index.targets.keys()].join(', ')}`,
        };
      } else if (requested && !declaration.targets.includes(id)) {
        problem = {
          ...who,
          targetId: id,
          reason: 'unknown-target',
          message: `target ${quote(id)} is not a target of driver ${quote(declaration.name)} (declared: ${declaration.targets.join(', ')})`,
        };
      } else if (!target.allowedSources.includes(record.source)) {
        problem = {
          ...who,
          targetId: id,
          reason: 'source-not-allowed',
          message: `source ${quote(record.source)} is not in allowedSources of target ${quote(id)} (${target.allowedSources.join(', ')})`,
        };
      } else {
        for (const check of checks) {
          problem = check(target);
          if (problem) break;
        }
      }
      if (problem) problems.push(problem);
      else accepted.push(id);
    }
    if (requested && problems.length > 0) {
      for (const problem of problems)
        this.reject({
          ...problem,
          message: `${problem.message}; nothing applied (the event names its targets, so all of them or none)`,
        });
      return [];
    }
    for (const problem of problems) this.reject(problem);
    return accepted;
  }

  /**
   * Last line of defence: nothing leaves here that the canonical schema would refuse, or that DynamoDB could
   * not store (the field ranges above should make the second check unreachable; it keeps them honest).
   */
  private emit(candidate: Driver, who: { eventId: string; source: string; driver?: string }): void {
    const checked = driverSchema.safeParse(candidate);
    if (!checked.success) {
      this.reject({
        ...who,
        reason: 'malformed',
        message: `the resulting driver is not valid: ${describeIssues(checked.error, 'driver')}`,
      });
      return;
    }
    const unstorable = firstUnstorableNumber(checked.data);
    if (unstorable) {
      this.reject({
        ...who,
        reason: 'malformed',
        message: `the resulting driver cannot be stored: driver.${unstorable} is outside the numbers DynamoDB holds`,
      });
      return;
    }
    this.drivers.push(checked.data);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------

function businessSignal(detail: BusinessDriverDetail): BusinessSignal {
  const { signal } = detail;
  const label = detail.label !== undefined ? { label: detail.label } : {};
  switch (signal.type) {
    case 'demand':
      return {
        type: 'demand',
        ...label,
        demand: signal.demand,
        windowStart: signal.windowStart,
        windowEnd: signal.windowEnd,
        ...(signal.leadTimeSeconds !== undefined ? { leadTimeSeconds: signal.leadTimeSeconds } : {}),
      };
    case 'budget':
      return {
        type: 'budget',
        ...label,
        maxHourlyCost: signal.maxHourlyCost,
        windowStart: signal.windowStart,
        windowEnd: signal.windowEnd,
      };
    case 'freeze':
      return { type: 'freeze', ...label, windowStart: signal.windowStart, windowEnd: signal.windowEnd };
  }
}

/** A pin needs a capacity target, pin-weights a routing target whose SetIdentifiers it names. */
function actionFitsTarget(
  detail: OverrideDetail,
  target: Target,
  who: { eventId: string; source: string; driver: string },
): Rejection | undefined {
  const fail = (message: string): Rejection => ({ ...who, targetId: target.id, reason: 'malformed', message });
  const kind = target.resource.kind;
  if (detail.action === 'pin' && kindTraits(kind).shape !== 'capacity') {
    return fail(`action "pin" sets capacity, but target ${quote(target.id)} is ${kind}; use "pin-weights"`);
  }
  if (detail.action === 'pin-weights') {
    const endpoints = routingEndpoints(target.resource);
    if (!endpoints) {
      return fail(`action "pin-weights" sets routing weights, but target ${quote(target.id)} is ${kind}; use "pin"`);
    }
    const known = new Set(endpoints.map((e) => e.setIdentifier));
    const unknown = Object.keys(detail.weights).filter((id) => !known.has(id));
    if (unknown.length > 0) {
      return fail(
        `weights name unknown SetIdentifier(s) ${unknown.slice(0, 5).map(quote).join(', ')} for target ${quote(target.id)}; endpoints: ${[...known].join(', ')}`,
      );
    }
  }
  return undefined;
}

/** Kept for the callers that import it from here (the CLI's preflight). */
export { principalMatches } from './caller';

function kindMismatch(declaration: DriverDeclaration, expected: DriverDeclaration['kind']): string {
  return `driver ${quote(declaration.name)} is declared as kind "${declaration.kind}", but this event carries a "${expected}" driver`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(value: Record<string, unknown>, key: string): string | undefined {
  const field = value[key];
  return typeof field === 'string' ? field : undefined;
}

function driverField(detail: unknown): string | undefined {
  return isRecord(detail) ? stringField(detail, 'driver') : undefined;
}
