/**
 * `npm run soak`: a bounded, local soak of the real pipeline. Tens of thousands of driver events go through
 * the ingest handler (Middy + Powertools idempotency, normalizer, DynamoDB stores on DynamoDB Local, reconcile,
 * executors) from several concurrent "Lambda environments", with the minute tick running beside them, over a
 * programmatically generated config of 100+ targets. AWS is an in-memory fake behind the executor ports that
 * throttles a few calls and loses a few responses after applying the write.
 *
 *   npm run soak                                       # 50,000 driver events over 120 targets
 *   npm run soak -- --drivers 2000 --targets 20        # CI-sized (test/reliability/soak.test.ts runs this)
 *   npm run soak -- --concurrency 8 --max-seconds 900 --seed 7 --json
 *   npm run soak -- --targets 5000                     # the sharded tick at deployment scale
 *
 * The tick runs as deployed: it plans shards and hands them to an in-memory queue, and `--shard-concurrency`
 * shard workers (the event source mapping's maxConcurrency) take them as SQS events. The report gives the
 * duration of each shard and of each tick (plan → last shard done), p50/p99, and the DynamoDB requests
 * (counted by a middleware on the workers' own client) and AWS calls (counted at the ports) per target.
 *
 * It prints throughput, p50/p99 latencies and the ledger: every write that reached "AWS" is attributed to the
 * action (`${decisionId}#${i}`) whose apply was in flight on that target, then compared with the decisions
 * recorded in DynamoDB. Exit code 1 unless every requested driver was sent within the time budget with zero
 * lost actions, zero double-applied actions and no handler error.
 *
 * Loopback only: DynamoDB Local on 127.0.0.1 (local/dynamodb-local.ts), nothing leaves the machine.
 */
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE ??= '1';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Context } from 'aws-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { IdempotencyAlreadyInProgressError } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { decisionRecordSchema, DynamoDecisionStore } from '../functions/adapters/dynamodb/decision-store';
import { DynamoDriverStore } from '../functions/adapters/dynamodb/driver-store';
import { DETAIL_TYPES, METRICS_NAMESPACE, OPERATOR_SOURCE, SERVICE_NAME } from '../functions/contracts';
import {
  formatIssue,
  parseConfig,
  validateConfig,
  type DrivetrainConfig,
  type DrivetrainConfigInput,
} from '../functions/domain/config';
import { decide } from '../functions/domain/engine';
import type { Allocation, Target, TargetKind } from '../functions/domain/model';
import { createExecutors } from '../functions/executors';
import { createIngestHandler, type IngestSummary } from '../functions/handlers/ingest';
import { createOperatorHandler } from '../functions/handlers/operator';
import { createTickHandler, type TickSummary } from '../functions/handlers/tick';
import { createShardHandler, type ShardBatchResponse } from '../functions/handlers/shard';
import { settleWithConcurrency } from '../functions/app/concurrency';
import { DEFAULT_SHARD_CONCURRENCY, SHARD_SIZE } from '../functions/app/shards';
import type {
  AllocationExecutor,
  AutoScalingGroupCapacity,
  ApplicationAutoScalingPort,
  AutoScalingPort,
  DecisionRecord,
  ProvisionedConcurrency,
  ProvisionedConcurrencyPort,
  ShardMessageBody,
  ShardQueue,
  WeightedRecord,
  WeightedRoutingPort,
} from '../functions/ports';
import { LOCAL_CLIENT_CONFIG, startDynamoDbLocal } from '../local/dynamodb-local';
import { createLocalTables } from '../local/tables';
import { mulberry32 } from '../local/random';

// ---------------------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------------------

export interface SoakOptions {
  /** Fresh driver events to send (duplicates and late re-sends come on top). */
  drivers: number;
  targets: number;
  /** Lambda environments processing events at once (each handles one event at a time, like Lambda). */
  concurrency: number;
  /**
   * Wall-clock budget for sending; the run stops dispatching at it and reports itself truncated. Pass
   * `undefined` explicitly for no budget: the run is then bounded by its work alone (test/reliability/soak.test.ts,
   * whose verdict must not depend on how busy the machine is).
   */
  maxSeconds: number | undefined;
  seed: number;
  /** Share of AWS calls that fail (throttling), and of failed writes that landed before failing. */
  faultRate: number;
  /** Virtual seconds between scheduled ticks. */
  tickSeconds: number;
  /** Shard workers at once (the deployed event source mapping's maxConcurrency). */
  shardConcurrency: number;
  /** An existing DynamoDB Local; without it one is started (and stopped) on a free loopback port. */
  endpoint?: string;
  /** Progress lines (stderr in the CLI). */
  progress?: (line: string) => void;
}

export const DEFAULT_SOAK_OPTIONS = Object.freeze({
  drivers: 50_000,
  targets: 120,
  concurrency: 8,
  maxSeconds: 1_200,
  seed: 20261127,
  faultRate: 0.02,
  tickSeconds: 300,
  shardConcurrency: DEFAULT_SHARD_CONCURRENCY,
} satisfies SoakOptions);

/** Share of events re-sent unchanged (at-least-once delivery) and re-sent late with an older observation. */
const DUPLICATE_SHARE = 0.05;
const LATE_SHARE = 0.02;
/** Share of failed writes that landed before failing (a timeout on the way back): the hardest case to count. */
const LANDED_SHARE = 0.4;

/**
 * How far virtual time may run ahead of the oldest invocation still in flight. It plays the Lambda timeout
 * (30 s ingest, under a minute for the tick), which every invocation's claim lease (its remaining time, as its
 * context reports it, + 10 s) is sized to exceed: without the bound a slow event on a loaded machine could look
 * "crashed" to a concurrent tick and be repaired while it is still applying, which production rules out by
 * construction. The soak's Lambda contexts report exactly this as their remaining time.
 */
const MAX_INVOCATION_VIRTUAL_SECONDS = 60;

/**
 * Ticks after the run before the verdict (the loop stops at the first tick that writes nothing). A business
 * window may open up to 10 minutes after the last event and close up to 30 minutes after that; its scale-in
 * then waits the 5-minute scale-down window, and a 60-instance group climbs by maxStepUp 20 in three steps:
 * about 48 minute-ticks in the worst case. With thousands of targets some target is always in such a window,
 * so the bound has to cover the whole horizon, not a typical one.
 */
const MAX_DRAIN_TICKS = 50;

const ONCALL_ROLE = 'arn:aws:iam::111122223333:role/oncall-*';
const ONCALL_SESSION = 'arn:aws:sts::111122223333:assumed-role/oncall-soak/soak';

// ---------------------------------------------------------------------------------------------------------
// The generated deployment
// ---------------------------------------------------------------------------------------------------------

function kindOf(index: number): TargetKind {
  // 7 in 10 Auto Scaling groups, 2 provisioned-concurrency aliases, 1 weighted record set.
  const slot = index % 10;
  return slot === 9 ? 'route53-weighted' : slot >= 7 ? 'lambda-provisioned-concurrency' : 'ec2-asg';
}

function targetId(index: number): string {
  const prefixes: Record<TargetKind, string> = {
    'ec2-asg': 'asg',
    'lambda-provisioned-concurrency': 'fn',
    'route53-weighted': 'dns',
    'alb-weighted': 'alb',
    'application-auto-scaling': 'aas',
  };
  const prefix = prefixes[kindOf(index)];
  return `${prefix}-${String(index).padStart(4, '0')}`;
}

/** The config of `count` targets, each with its own drivers, and one override driver for all of them. */
export function soakConfig(count: number): DrivetrainConfigInput {
  const drivers: NonNullable<DrivetrainConfigInput['drivers']> = [];
  const targets: DrivetrainConfigInput['targets'] = [];
  for (let i = 0; i < count; i++) {
    const id = targetId(i);
    const common = {
      id,
      mode: 'enforce' as const,
      allowedSources: ['aws.cloudwatch', 'drivetrain.metrics', 'com.acme.marketing', OPERATOR_SOURCE],
      overridePrincipals: [ONCALL_ROLE],
    };
    const kind = kindOf(i);
    if (kind === 'route53-weighted') {
      drivers.push({ name: `health-${id}-a`, kind: 'alarm', alarmNames: [`soak-${id}-a-5xx`], targets: [id] });
      drivers.push({ name: `health-${id}-b`, kind: 'alarm', alarmNames: [`soak-${id}-b-5xx`], targets: [id] });
      targets.push({
        ...common,
        resource: {
          kind,
          hostedZoneId: 'Z0SOAK0000000000000',
          recordName: `${id}.soak.example.com`,
          recordType: 'CNAME',
          endpoints: [
            { setIdentifier: 'a', weight: 60, minShare: 0.1, drainOn: [`health-${id}-a`] },
            { setIdentifier: 'b', weight: 40, minShare: 0.1, drainOn: [`health-${id}-b`] },
          ],
        },
        policy: {
          version: `${id}-v1`,
          bounds: { min: 0, max: 255 },
          rules: [{ kind: 'override', driver: 'ops-override' }],
          routing: { restoreAfterSeconds: 120 },
          fallback: { allocation: 0 },
        },
      });
      continue;
    }
    const asg = kind === 'ec2-asg';
    drivers.push({ name: `load-${id}`, kind: 'metric', targets: [id] });
    drivers.push({ name: `sale-${id}`, kind: 'business', targets: [id] });
    if (asg) drivers.push({ name: `cpu-${id}`, kind: 'alarm', alarmNames: [`soak-${id}-cpu-high`], targets: [id] });
    targets.push({
      ...common,
      resource: asg
        ? { kind: 'ec2-asg', autoScalingGroupName: `soak-${id}` }
        : { kind: 'lambda-provisioned-concurrency', functionName: `soak-${id}`, qualifier: 'live' },
      policy: {
        version: `${id}-v1`,
        bounds: asg ? { min: 2, max: 60, maxStepUp: 20 } : { min: 0, max: 100 },
        rules: [
          ...(asg ? [{ kind: 'alarm' as const, driver: `cpu-${id}`, step: 2, urgent: true }] : []),
          { kind: 'metric', driver: `load-${id}`, targetPerUnit: asg ? 100 : 20 },
          { kind: 'business', driver: `sale-${id}`, baseline: asg ? 4 : 10, leadTimeSeconds: 300 },
          { kind: 'override', driver: 'ops-override' },
        ],
        stabilization: { scaleUpSeconds: 60, scaleDownSeconds: 300 },
        fallback: { allocation: asg ? 4 : 2, staleAfterSeconds: 900 },
      },
    });
  }
  drivers.push({ name: 'ops-override', kind: 'override', targets: targets.map((t) => t.id) });
  return { version: 1, name: 'soak', decisionRetentionDays: 7, drivers, targets };
}

// ---------------------------------------------------------------------------------------------------------
// In-memory AWS with a ledger of every write
// ---------------------------------------------------------------------------------------------------------

interface Write {
  targetId: string;
  /** The action whose apply was in flight on the target when the write reached "AWS". */
  actionId: string | undefined;
  /** The caller was told it failed although it landed. */
  lost: boolean;
}

class FakeAws {
  readonly groups = new Map<string, AutoScalingGroupCapacity>();
  readonly provisioned = new Map<string, ProvisionedConcurrency>();
  readonly weights = new Map<string, Record<string, number>>();
  /** Scalable targets by ResourceId (the soak generates none yet; the port answers for completeness). */
  readonly scalable = new Map<string, { min: number; max: number }>();
  readonly writes: Write[] = [];
  readonly inFlight = new Map<string, string>();
  concurrentApplies = 0;
  throttled = 0;
  lostResponses = 0;
  faultRate: number;
  private readonly targetOfResource = new Map<string, string>();

  constructor(
    config: DrivetrainConfig,
    private readonly random: () => number,
    faultRate: number,
  ) {
    this.faultRate = faultRate;
    for (const target of config.targets) {
      const r = target.resource;
      if (r.kind === 'ec2-asg') {
        this.groups.set(r.autoScalingGroupName, {
          desired: target.policy.fallback.allocation,
          min: target.policy.bounds.min,
          max: target.policy.bounds.max,
        });
        this.targetOfResource.set(r.autoScalingGroupName, target.id);
      } else if (r.kind === 'lambda-provisioned-concurrency') {
        this.targetOfResource.set(`${r.functionName}:${r.qualifier}`, target.id);
      } else if (r.kind === 'route53-weighted') {
        this.weights.set(r.recordName, Object.fromEntries(r.endpoints.map((e) => [e.setIdentifier, e.weight])));
        this.targetOfResource.set(r.recordName, target.id);
      } else if (r.kind === 'application-auto-scaling') {
        this.scalable.set(r.resourceId, { min: target.policy.bounds.min, max: target.policy.bounds.max });
        this.targetOfResource.set(r.resourceId, target.id);
      } else {
        // The soak's fleet has no ALB rules (kindOf never makes one); a config that has one is a soak bug.
        throw new TypeError(`the soak does not simulate ${r.kind} targets (${target.id})`);
      }
    }
  }

  /** The allocation the engine would observe on the target's resource. */
  allocationOf(target: Target): Allocation {
    const r = target.resource;
    if (r.kind === 'ec2-asg') {
      const group = this.groups.get(r.autoScalingGroupName)!;
      return { kind: 'capacity', desired: group.desired, floor: group.min };
    }
    if (r.kind === 'lambda-provisioned-concurrency') {
      const requested = this.provisioned.get(`${r.functionName}:${r.qualifier}`)?.requested ?? 0;
      return { kind: 'capacity', desired: requested, floor: Math.min(target.policy.bounds.min, requested) };
    }
    if (r.kind === 'application-auto-scaling') {
      const min = this.scalable.get(r.resourceId)!.min;
      return { kind: 'capacity', desired: min, floor: min };
    }
    if (r.kind === 'route53-weighted') return { kind: 'weights', weights: { ...this.weights.get(r.recordName)! } };
    throw new TypeError(`the soak does not simulate ${r.kind} targets (${target.id})`);
  }

  /** Throttling before the call, or (for a share of failed writes) a response lost after the write landed. */
  private async call<T>(resource: string, write: (() => void) | undefined, read: () => T): Promise<T> {
    await Promise.resolve();
    if (this.faultRate > 0 && this.random() < this.faultRate) {
      if (write && this.random() < LANDED_SHARE) {
        write();
        this.record(resource, true);
        this.lostResponses++;
        throw Object.assign(new Error('Request did not complete within 5000 ms'), { name: 'TimeoutError' });
      }
      this.throttled++;
      throw Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } });
    }
    if (write) {
      write();
      this.record(resource, false);
    }
    return read();
  }

  private record(resource: string, lost: boolean): void {
    const targetId = this.targetOfResource.get(resource)!;
    this.writes.push({ targetId, actionId: this.inFlight.get(targetId), lost });
  }

  readonly autoScaling: AutoScalingPort = {
    describe: (name) =>
      this.call(name, undefined, () => {
        const group = this.groups.get(name);
        return group && { ...group };
      }),
    setCapacity: (name, change) =>
      this.call(
        name,
        () => {
          const group = this.groups.get(name)!;
          const next = { ...group, desired: change.desired, min: change.min ?? group.min };
          if (!(next.min <= next.desired && next.desired <= next.max)) {
            throw Object.assign(
              new Error(
                `Desired capacity:${next.desired} must be between the specified min size:${next.min} and max size:${next.max}`,
              ),
              { name: 'ValidationError', $metadata: { httpStatusCode: 400 } },
            );
          }
          this.groups.set(name, next);
        },
        () => undefined,
      ),
    failedActivities: (name) => this.call(name, undefined, () => []),
    setMinSize: (name, min) =>
      this.call(
        name,
        () => {
          const group = this.groups.get(name)!;
          this.groups.set(name, { ...group, min, desired: Math.max(group.desired, min) });
        },
        () => undefined,
      ),
    ownScaling: (name) => this.call(name, undefined, () => ({ policies: [], scheduledActions: [] })),
  };

  readonly applicationAutoScaling: ApplicationAutoScalingPort = {
    describe: (ref) =>
      this.call(ref.resourceId, undefined, () => {
        const found = this.scalable.get(ref.resourceId);
        return found && { ...found };
      }),
    setMinCapacity: (ref, min) =>
      this.call(
        ref.resourceId,
        () => void this.scalable.set(ref.resourceId, { ...this.scalable.get(ref.resourceId)!, min }),
        () => undefined,
      ),
    ownScaling: (ref) => this.call(ref.resourceId, undefined, () => ({ policies: [], scheduledActions: [] })),
  };

  readonly provisionedConcurrency: ProvisionedConcurrencyPort = {
    get: (fn, qualifier) =>
      this.call(`${fn}:${qualifier}`, undefined, () => {
        const config = this.provisioned.get(`${fn}:${qualifier}`);
        return config && { ...config };
      }),
    put: (fn, qualifier, units) =>
      this.call(
        `${fn}:${qualifier}`,
        () => void this.provisioned.set(`${fn}:${qualifier}`, { requested: units, allocated: units, status: 'READY' }),
        () => undefined,
      ),
    remove: (fn, qualifier) =>
      this.call(
        `${fn}:${qualifier}`,
        () => void this.provisioned.delete(`${fn}:${qualifier}`),
        () => undefined,
      ),
  };

  readonly weightedRouting: WeightedRoutingPort = {
    getWeights: (record: WeightedRecord) =>
      this.call(record.recordName, undefined, () => ({ ...this.weights.get(record.recordName)! })),
    setWeights: (record: WeightedRecord, weights: Record<string, number>) =>
      this.call(
        record.recordName,
        () => void this.weights.set(record.recordName, { ...this.weights.get(record.recordName)!, ...weights }),
        () => ({}),
      ),
    // No change ids are handed out, so the follow-through never asks; an INSYNC answer would be the honest one.
    changeStatus: async () => 'INSYNC' as const,
  };

  /** Marks each apply in flight on its target, so every write can be attributed to the action that made it. */
  instrument(executors: Record<TargetKind, AllocationExecutor>): Record<TargetKind, AllocationExecutor> {
    const wrap = (executor: AllocationExecutor): AllocationExecutor => ({
      observe: (target) => executor.observe(target),
      observeServing: (target, following) => executor.observeServing(target, following),
      apply: async (target, action, actionId) => {
        if (this.inFlight.has(target.id)) this.concurrentApplies++;
        this.inFlight.set(target.id, actionId);
        try {
          return await executor.apply(target, action, actionId);
        } finally {
          if (this.inFlight.get(target.id) === actionId) this.inFlight.delete(target.id);
        }
      },
    });
    return {
      'ec2-asg': wrap(executors['ec2-asg']),
      'lambda-provisioned-concurrency': wrap(executors['lambda-provisioned-concurrency']),
      'route53-weighted': wrap(executors['route53-weighted']),
      'application-auto-scaling': wrap(executors['application-auto-scaling']),
      'alb-weighted': wrap(executors['alb-weighted']),
    };
  }
}

// ---------------------------------------------------------------------------------------------------------
// The sharded tick: an in-memory shard queue, SQS-shaped deliveries, counted calls
// ---------------------------------------------------------------------------------------------------------

/** The shard queue as the tick sees it; the soak delivers its messages to the shard workers itself. */
class MemoryShardQueue implements ShardQueue {
  private queued: ShardMessageBody[] = [];

  async send(shards: readonly ShardMessageBody[]): Promise<void> {
    this.queued.push(...shards);
  }

  take(): ShardMessageBody[] {
    const taken = this.queued;
    this.queued = [];
    return taken;
  }
}

/** One shard as Lambda delivers an SQS message (Lambda Developer Guide, SQS example event). */
function sqsShardEvent(body: ShardMessageBody, id: number): Json {
  const messageId = `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`;
  return {
    Records: [
      {
        messageId,
        receiptHandle: `AQEB${id}`,
        body: JSON.stringify(body),
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: String(Date.now()),
          SenderId: 'AROAEXAMPLE:drivetrain-tick',
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: '00000000000000000000000000000000',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:111122223333:soak-shards',
        awsRegion: 'us-east-1',
      },
    ],
  };
}

/** The same port, counting every call made through it. */
function countedPort<T extends object>(port: T, count: () => void): T {
  return new Proxy(port, {
    get(target, property) {
      const value = Reflect.get(target, property) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        count();
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** The shard workers' logger: silent like the others, but it keeps the targets they report failed. */
class FailureRecordingLogger extends Logger {
  readonly failures: Array<{ targetId: string; message: string; retryable: boolean }> = [];

  override error(
    input: Parameters<Logger['error']>[0],
    ...extra: Parameters<Logger['error']> extends [unknown, ...infer R] ? R : never
  ): void {
    const attributes = extra[0] as { targetId?: string; error?: { message?: string; retryable?: boolean } } | undefined;
    if (attributes?.targetId)
      this.failures.push({
        targetId: attributes.targetId,
        message: attributes.error?.message ?? String(input),
        retryable: attributes.error?.retryable ?? false,
      });
    super.error(input, ...extra);
  }
}

// ---------------------------------------------------------------------------------------------------------
// The workload: documented event shapes, a seeded mix of driver kinds, duplicates and late deliveries
// ---------------------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

function isoZ(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function cloudWatchTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('Z', '+0000');
}

function envelope(
  id: string,
  at: number,
  detailType: string,
  source: string,
  detail: Json,
  resources: string[] = [],
): Json {
  return {
    version: '0',
    id,
    'detail-type': detailType,
    source,
    account: '111122223333',
    time: isoZ(at),
    region: 'us-east-1',
    resources,
    detail,
  };
}

/** "CloudWatch Alarm State Change" as EventBridge delivers it (CloudWatch User Guide, alarm events). */
function alarmChange(id: string, at: number, alarmName: string, state: 'ALARM' | 'OK'): Json {
  const previous = state === 'ALARM' ? 'OK' : 'ALARM';
  return envelope(
    id,
    at,
    DETAIL_TYPES.alarmStateChange,
    'aws.cloudwatch',
    {
      alarmName,
      state: { value: state, reason: `Threshold Crossed: soak ${state}`, timestamp: cloudWatchTime(at) },
      previousState: {
        value: previous,
        reason: `Threshold Crossed: soak ${previous}`,
        timestamp: cloudWatchTime(at - 60),
      },
      configuration: { metrics: [] },
    },
    [`arn:aws:cloudwatch:us-east-1:111122223333:alarm:${alarmName}`],
  );
}

interface Job {
  event: Json;
  kind: 'metric' | 'alarm' | 'business' | 'override' | 'duplicate' | 'late';
  /** Lambda would retry an invocation that Powertools refused as already in progress. */
  retries: number;
  /** performance.now() before which a retry is not sent. */
  notBefore?: number;
}

class Workload {
  private readonly level = new Map<string, number>();
  private readonly alarms = new Map<string, 'ALARM' | 'OK'>();
  private readonly lastMetric = new Map<string, { at: number; value: number }>();
  private readonly recent: Json[] = [];
  private campaigns = 0;
  private seq = 0;

  constructor(
    private readonly config: DrivetrainConfig,
    private readonly random: () => number,
  ) {}

  next(at: number): Job {
    const r = this.random();
    if (r < DUPLICATE_SHARE && this.recent.length > 0) {
      return {
        event: structuredClone(this.recent[Math.floor(this.random() * this.recent.length)]!),
        kind: 'duplicate',
        retries: 0,
      };
    }
    if (r < DUPLICATE_SHARE + LATE_SHARE && this.lastMetric.size > 0) {
      const ids = [...this.lastMetric.keys()];
      const id = ids[Math.floor(this.random() * ids.length)]!;
      const last = this.lastMetric.get(id)!;
      // Observed before the newest snapshot of the same driver: the store must refuse it.
      const observed = Math.max(0, last.at - 30 - Math.floor(this.random() * 600));
      return { event: this.metric(id, observed, Math.max(0, last.value * 0.2)), kind: 'late', retries: 0 };
    }
    const target = this.config.targets[Math.floor(this.random() * this.config.targets.length)]!;
    const pick = this.random();
    let job: Job;
    if (target.resource.kind === 'route53-weighted') {
      job = pick < 0.92 ? this.alarm(target, at) : this.override(target, at);
    } else if (pick < (target.resource.kind === 'ec2-asg' ? 0.7 : 0.82)) {
      const level = this.walk(target);
      const perUnit = target.policy.rules.find((rule) => rule.kind === 'metric')!;
      const value = Math.round(
        level * (perUnit.kind === 'metric' ? perUnit.targetPerUnit : 1) * (0.9 + 0.2 * this.random()),
      );
      this.lastMetric.set(target.id, { at, value });
      job = { event: this.metric(target.id, at, value), kind: 'metric', retries: 0 };
    } else if (target.resource.kind === 'ec2-asg' && pick < 0.85) {
      job = this.alarm(target, at);
    } else if (pick < 0.97) {
      job = this.business(target, at);
    } else {
      job = this.override(target, at);
    }
    this.recent.push(job.event);
    if (this.recent.length > 200) this.recent.shift();
    return job;
  }

  private id(kind: string): string {
    return `soak-${kind}-${++this.seq}`;
  }

  private walk(target: Target): number {
    const { max } = target.policy.bounds;
    let level = this.level.get(target.id) ?? 2 + Math.floor(this.random() * (max / 4));
    const step = this.random();
    if (step < 0.15) level = Math.max(1, level - 1);
    else if (step > 0.85) level = Math.min(max - 5, level + 1);
    this.level.set(target.id, level);
    return level;
  }

  private metric(targetId: string, at: number, value: number): Json {
    return envelope(this.id('metric'), at, DETAIL_TYPES.metricSnapshot, 'drivetrain.metrics', {
      driver: `load-${targetId}`,
      value,
      timestamp: isoZ(at),
    });
  }

  private alarm(target: Target, at: number): Job {
    const r = target.resource;
    const name =
      r.kind === 'route53-weighted'
        ? `soak-${target.id}-${this.random() < 0.5 ? 'a' : 'b'}-5xx`
        : `soak-${target.id}-cpu-high`;
    // Mostly OK, sometimes ALARM; a state change is only sent when the state changes (as CloudWatch does).
    const state: 'ALARM' | 'OK' = this.alarms.get(name) === 'ALARM' ? 'OK' : this.random() < 0.5 ? 'ALARM' : 'OK';
    this.alarms.set(name, state);
    return { event: alarmChange(this.id('alarm'), at, name, state), kind: 'alarm', retries: 0 };
  }

  private business(target: Target, at: number): Job {
    const start = at + Math.floor(this.random() * 600);
    const demand =
      this.random() < 0.5
        ? { multiplier: 1 + Math.floor(this.random() * 4) }
        : { absolute: Math.floor(this.random() * target.policy.bounds.max * 1.5) };
    const detail = {
      driver: `sale-${target.id}`,
      id: `campaign-${++this.campaigns % 5}`,
      label: 'soak campaign',
      signal: { type: 'demand', demand, windowStart: start, windowEnd: start + 600 + Math.floor(this.random() * 1200) },
    };
    return {
      event: envelope(this.id('sale'), at, DETAIL_TYPES.businessDriver, 'com.acme.marketing', detail),
      kind: 'business',
      retries: 0,
    };
  }

  private override(target: Target, at: number): Job {
    // Sent to the operator endpoint as ONCALL_SESSION (see viaOperator): the caller is never in the detail.
    const base = {
      driver: 'ops-override',
      targets: [target.id],
      expiresAt: at + 300 + Math.floor(this.random() * 900),
      reason: 'soak: operator override',
    };
    let detail: Json;
    if (target.resource.kind === 'route53-weighted') {
      const a = Math.floor(this.random() * 101);
      detail =
        this.random() < 0.5
          ? { ...base, action: 'pin-weights', weights: { a, b: 100 - a } }
          : { ...base, action: 'freeze' };
    } else {
      // Sometimes beyond bounds.max: the pin is clamped, never applied as sent.
      detail = { ...base, action: 'pin', allocation: Math.floor(this.random() * target.policy.bounds.max * 1.3) };
    }
    return {
      event: envelope(this.id('override'), at, DETAIL_TYPES.override, OPERATOR_SOURCE, detail),
      kind: 'override',
      retries: 0,
    };
  }
}

// ---------------------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------------------

export interface SoakReport {
  options: Omit<SoakOptions, 'progress' | 'endpoint'>;
  targets: { total: number; byKind: Record<TargetKind, number> };
  events: { drivers: number; duplicates: number; late: number; total: number; idempotencyRetries: number };
  /** `duplicates`: redeliveries absorbed (by the idempotency table, or by the driver store). */
  drivers: { accepted: number; duplicates: number; outOfOrder: number; rejected: number };
  decisions: {
    recorded: number;
    applied: number;
    failed: number;
    planned: number;
    ticks: number;
    ticksFailedTargets: number;
  };
  aws: { writes: number; throttled: number; lostResponses: number };
  /** The sharded tick: shard and tick durations (wall clock, ms), and what one target costs a tick. */
  shards: {
    size: number;
    perTick: number;
    workers: number;
    shardMsP50: number;
    shardMsP99: number;
    shardMsMax: number;
    tickMsP50: number;
    tickMsP99: number;
    targetsReconciled: number;
    dynamoRequestsPerTarget: number;
    awsCallsPerTarget: number;
  };
  seconds: number;
  eventsPerSecond: number;
  latencyMs: {
    ingestP50: number;
    ingestP99: number;
    decisionP50: number;
    decisionP99: number;
    decisionSamples: number;
  };
  /** Every way an action can be lost or applied twice, counted separately; all must be 0. */
  ledger: {
    lost: number;
    doubleApplied: number;
    unconfirmedPlans: number;
    appliedWithoutWrite: number;
    failedButLanded: number;
    writesWithoutPlan: number;
    extraWrites: number;
    concurrentApplies: number;
    notConverged: string[];
  };
  errors: string[];
  truncated: boolean;
  ok: boolean;
}

/** The same seed replays the same workload and faults. */
const seeded = mulberry32;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Overrides are taken only by the operator endpoint: the override event goes there as a function-URL
 * request signed by ONCALL_SESSION (what Lambda's IAM auth puts in the request context), and the answer is
 * read like ingest's summary.
 */
async function viaOperator(
  operator: ReturnType<typeof createOperatorHandler>,
  event: Json,
  context: Context,
): Promise<IngestSummary> {
  const request = {
    action: 'put-driver',
    detailType: event['detail-type'],
    source: event.source,
    detail: event.detail,
  };
  const urlEvent = {
    requestContext: { requestId: event.id, http: { method: 'POST' }, authorizer: { iam: { userArn: ONCALL_SESSION } } },
    body: JSON.stringify(request),
    isBase64Encoded: false,
  };
  const response = (await operator(urlEvent, context)) as { body: string };
  const body = JSON.parse(response.body) as Partial<IngestSummary> & { error?: string; message?: string };
  return {
    channel: 'eventbridge',
    eventIds: [],
    accepted: body.accepted ?? 0,
    duplicates: body.duplicates ?? 0,
    outOfOrder: body.outOfOrder ?? 0,
    rejected: body.rejected ?? (body.error ? [{ reason: body.error as never, message: body.message ?? '' }] : []),
    reconciled: body.reconciled ?? [],
    failedTargets: body.failedTargets ?? [],
  };
}

function lambdaContext(name: string, request: number, remainingMs = MAX_INVOCATION_VIRTUAL_SECONDS * 1000): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:111122223333:function:${name}`,
    memoryLimitInMB: '512',
    awsRequestId: `soak-${request}`,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'soak',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Outcomes that mean nothing was written (the executors' "unchanged" details, or an empty plan). */
const NOTHING_WRITTEN = /already|has no provisioned concurrency config|nothing to apply/;

export async function runSoak(input: Partial<SoakOptions> = {}): Promise<SoakReport> {
  const options: SoakOptions = { ...DEFAULT_SOAK_OPTIONS, ...input };
  for (const key of ['drivers', 'targets', 'concurrency', 'tickSeconds', 'shardConcurrency'] as const) {
    if (!Number.isInteger(options[key]) || options[key] < 1)
      throw new RangeError(`${key} must be a positive integer, got ${options[key]}`);
  }
  if (options.maxSeconds !== undefined && !(Number.isInteger(options.maxSeconds) && options.maxSeconds >= 1)) {
    throw new RangeError(`maxSeconds must be a positive integer or undefined, got ${options.maxSeconds}`);
  }
  if (!(options.faultRate >= 0 && options.faultRate < 0.5))
    throw new RangeError(`faultRate must be in [0, 0.5), got ${options.faultRate}`);
  const progress = options.progress ?? (() => undefined);

  const generated = soakConfig(options.targets);
  const validation = validateConfig(generated, '<soak>');
  if (!validation.ok)
    throw new Error(`generated soak config is invalid:\n${validation.issues.map(formatIssue).join('\n')}`);
  const config = parseConfig(generated, '<soak>');

  const local = options.endpoint ? undefined : await startDynamoDbLocal({ timeoutMs: 60_000 });
  const client = new DynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint: options.endpoint ?? local!.endpoint });
  /** The shard workers' own client: its requests are the ticks' requests. */
  const workerClient = new DynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint: options.endpoint ?? local!.endpoint });
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  try {
    const names = await createLocalTables(client, `soak${Date.now().toString(36)}`);
    const random = seeded(options.seed);
    const aws = new FakeAws(config, seeded(options.seed ^ 0x5eed), options.faultRate);
    // Instant backoff and an unpaced Route 53 bucket: the soak counts retries, it does not wait for them (the
    // pacing itself is covered by test/unit/executors/rate-limiter.test.ts).
    const executors = aws.instrument(
      createExecutors(aws, {
        retry: { sleep: async () => undefined, random },
        route53Limiter: { take: async () => 0 },
      }),
    );
    const drivers = new DynamoDriverStore(doc, names.drivers);
    const decisions = new DynamoDecisionStore(doc, {
      decisionsTable: names.decisions,
      stateTable: names.state,
      retentionDays: config.decisionRetentionDays,
      targets: config.targets,
    });

    // Virtual time starts 30 days ahead of the wall clock: DynamoDB Local deletes TTL-expired items against
    // the wall clock, which would make drivers vanish mid-run if their virtual expiry lay in the real past.
    let now = (Math.floor(Date.now() / 86_400_000) + 30) * 86_400;
    const start = now;
    const clock = () => Math.floor(now);
    const logger = new Logger({ serviceName: SERVICE_NAME, logLevel: 'SILENT' });
    const metricsWereDisabled = process.env.POWERTOOLS_METRICS_DISABLED;
    // Tens of thousands of EMF blobs (and "no metrics to publish" warnings) would bury the report; the
    // metric calls themselves still run.
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME, logger: quiet });
    if (metricsWereDisabled === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = metricsWereDisabled;
    const idempotencyStore = new DynamoDBPersistenceLayer({ tableName: names.idempotency, awsSdkV3Client: client });
    const deps = { config, drivers, decisions, executors, clock, logger, metrics };
    const environments = Array.from({ length: options.concurrency }, () =>
      createIngestHandler({ ...deps, idempotencyStore }),
    );
    // The tick plans and queues shards; the shard workers reconcile them over their own DynamoDB client and
    // counted ports, so the requests and calls of the ticks are counted apart from the ingests running beside.
    const shardQueue = new MemoryShardQueue();
    const tickHandler = createTickHandler({
      ...deps,
      shards: { queue: shardQueue, intervalSeconds: options.tickSeconds },
    });
    const calls = { dynamo: 0, aws: 0 };
    workerClient.middlewareStack.add(
      (next) => async (args) => {
        calls.dynamo++;
        return next(args);
      },
      { step: 'initialize', name: 'soakRequestCounter' },
    );
    const workerDoc = DynamoDBDocumentClient.from(workerClient, { marshallOptions: { removeUndefinedValues: true } });
    const countAws = () => void calls.aws++;
    const workerPorts = {
      autoScaling: countedPort(aws.autoScaling, countAws),
      applicationAutoScaling: countedPort(aws.applicationAutoScaling, countAws),
      provisionedConcurrency: countedPort(aws.provisionedConcurrency, countAws),
      weightedRouting: countedPort(aws.weightedRouting, countAws),
    };
    const workerLogger = new FailureRecordingLogger({ serviceName: SERVICE_NAME, logLevel: 'SILENT' });
    const shardHandler = createShardHandler({
      ...deps,
      drivers: new DynamoDriverStore(workerDoc, names.drivers),
      decisions: new DynamoDecisionStore(workerDoc, {
        decisionsTable: names.decisions,
        stateTable: names.state,
        retentionDays: config.decisionRetentionDays,
        targets: config.targets,
      }),
      executors: aws.instrument(
        createExecutors(workerPorts, {
          retry: { sleep: async () => undefined, random },
          route53Limiter: { take: async () => 0 },
        }),
      ),
      logger: workerLogger,
    });
    const shardDurations: number[] = [];
    const tickDurations: number[] = [];
    const operatorHandler = createOperatorHandler(deps);

    const workload = new Workload(config, random);
    const report: SoakReport = {
      options: {
        drivers: options.drivers,
        targets: options.targets,
        concurrency: options.concurrency,
        maxSeconds: options.maxSeconds,
        seed: options.seed,
        faultRate: options.faultRate,
        tickSeconds: options.tickSeconds,
        shardConcurrency: options.shardConcurrency,
      },
      targets: {
        total: config.targets.length,
        byKind: {
          'ec2-asg': 0,
          'lambda-provisioned-concurrency': 0,
          'route53-weighted': 0,
          'alb-weighted': 0,
          'application-auto-scaling': 0,
        },
      },
      events: { drivers: 0, duplicates: 0, late: 0, total: 0, idempotencyRetries: 0 },
      drivers: { accepted: 0, duplicates: 0, outOfOrder: 0, rejected: 0 },
      decisions: { recorded: 0, applied: 0, failed: 0, planned: 0, ticks: 0, ticksFailedTargets: 0 },
      aws: { writes: 0, throttled: 0, lostResponses: 0 },
      shards: {
        size: SHARD_SIZE,
        perTick: 0,
        workers: options.shardConcurrency,
        shardMsP50: 0,
        shardMsP99: 0,
        shardMsMax: 0,
        tickMsP50: 0,
        tickMsP99: 0,
        targetsReconciled: 0,
        dynamoRequestsPerTarget: 0,
        awsCallsPerTarget: 0,
      },
      seconds: 0,
      eventsPerSecond: 0,
      latencyMs: { ingestP50: 0, ingestP99: 0, decisionP50: 0, decisionP99: 0, decisionSamples: 0 },
      ledger: {
        lost: 0,
        doubleApplied: 0,
        unconfirmedPlans: 0,
        appliedWithoutWrite: 0,
        failedButLanded: 0,
        writesWithoutPlan: 0,
        extraWrites: 0,
        concurrentApplies: 0,
        notConverged: [],
      },
      errors: [],
      truncated: false,
      ok: false,
    };
    for (const target of config.targets) report.targets.byKind[target.resource.kind]++;

    // Enough events per virtual second that each target sees about one a minute.
    const secondsPerEvent = 60 / options.targets;
    /** Virtual start times of the invocations in flight (a multiset: several may start in the same second). */
    const inFlight = new Map<number, number>();
    const begin = (at: number) => inFlight.set(at, (inFlight.get(at) ?? 0) + 1);
    const end = (at: number) =>
      inFlight.get(at) === 1 ? inFlight.delete(at) : inFlight.set(at, inFlight.get(at)! - 1);
    const retries: Job[] = [];
    const ingestLatencies: number[] = [];
    const decisionLatencies: number[] = [];
    const deadline = options.maxSeconds === undefined ? Infinity : performance.now() + options.maxSeconds * 1000;
    let nextTickAt = now + options.tickSeconds;
    let ticksDue = 0;
    let sending = true;
    let requests = 0;

    const waitForOldest = async () => {
      while (inFlight.size > 0 && now + secondsPerEvent - Math.min(...inFlight.keys()) > MAX_INVOCATION_VIRTUAL_SECONDS)
        await new Promise((r) => setTimeout(r, 1));
    };
    const nextJob = async (): Promise<Job | undefined> => {
      const due = retries.findIndex((r) => (r.notBefore ?? 0) <= performance.now());
      if (due >= 0) return retries.splice(due, 1)[0];
      if (report.events.drivers >= options.drivers) {
        // Done sending; a retry still waiting for its turn is sent when due.
        if (retries.length === 0) return undefined;
        await new Promise((r) => setTimeout(r, 10));
        return nextJob();
      }
      if (performance.now() > deadline) {
        report.truncated = true;
        return undefined;
      }
      await waitForOldest();
      now += secondsPerEvent;
      if (now >= nextTickAt) {
        ticksDue++;
        nextTickAt += options.tickSeconds;
      }
      const job = workload.next(clock());
      if (job.kind === 'duplicate') report.events.duplicates++;
      else if (job.kind === 'late') report.events.late++;
      else report.events.drivers++;
      report.events.total++;
      if (report.events.total % 5000 === 0)
        progress(
          `  ${report.events.total} events sent, ${aws.writes.length} writes, ${Math.round((performance.now() - startedAt) / 1000)} s`,
        );
      return job;
    };

    /** Delivers one tick's shards to `shardConcurrency` workers at once, as the event source mapping does. */
    const runShards = async (messages: ShardMessageBody[]) => {
      const results = await settleWithConcurrency(messages, options.shardConcurrency, async (message) => {
        const t0 = performance.now();
        const response = (await shardHandler(
          sqsShardEvent(message, ++requests) as never,
          lambdaContext('drivetrain-shard', requests, 120_000),
        )) as ShardBatchResponse;
        shardDurations.push(performance.now() - t0);
        report.shards.targetsReconciled += message.targetIds.length;
        for (const failure of response.batchItemFailures)
          report.errors.push(`shard ${message.shard.index}: message ${failure.itemIdentifier} handed back to SQS`);
      });
      for (const result of results)
        if (result.status === 'rejected')
          report.errors.push(
            `shard worker threw ${(result.reason as Error).name}: ${(result.reason as Error).message}`,
          );
    };

    /** Runs the scheduled tick (plan, then every shard); returns how many writes it made. */
    const runTick = async (): Promise<number> => {
      const started = clock();
      begin(started);
      const writesBefore = aws.writes.length;
      try {
        const t0 = performance.now();
        const summary = (await tickHandler(
          { targetIds: undefined } as never,
          lambdaContext('drivetrain-tick', ++requests),
        )) as TickSummary;
        if (summary.dispatched?.failedShards.length)
          report.errors.push(`tick: shards ${summary.dispatched.failedShards.join(', ')} not queued`);
        const messages = shardQueue.take();
        report.shards.perTick = messages.length;
        await runShards(messages);
        tickDurations.push(performance.now() - t0);
        report.decisions.ticks++;
        const failures = workerLogger.failures.splice(0);
        report.decisions.ticksFailedTargets += failures.length;
        // A failed target is retried by the next tick; the ledger's convergence check is what decides whether
        // that worked. Permanent failures are errors in their own right.
        for (const failure of failures)
          if (!failure.retryable) report.errors.push(`tick: ${failure.targetId}: ${failure.message}`);
        for (const failure of failures)
          progress(
            `  tick: ${failure.targetId} failed (${failure.retryable ? 'retryable' : 'permanent'}): ${failure.message}`,
          );
        return aws.writes.length - writesBefore;
      } finally {
        end(started);
      }
    };

    const worker = async (environment: number) => {
      const handler = environments[environment]!;
      for (let job = await nextJob(); job; job = await nextJob()) {
        const started = clock();
        begin(started);
        const t0 = performance.now();
        try {
          const summary =
            job.event['detail-type'] === DETAIL_TYPES.override
              ? await viaOperator(operatorHandler, job.event, lambdaContext('drivetrain-operator', ++requests))
              : ((await handler(job.event, lambdaContext('drivetrain-ingest', ++requests))) as IngestSummary);
          const ms = performance.now() - t0;
          ingestLatencies.push(ms);
          if (job.kind === 'duplicate') {
            // Powertools answers a redelivery with the first delivery's stored result: not new work to count.
            report.drivers.duplicates++;
            continue;
          }
          report.drivers.accepted += summary.accepted;
          report.drivers.duplicates += summary.duplicates;
          report.drivers.outOfOrder += summary.outOfOrder;
          report.drivers.rejected += summary.rejected.length;
          for (const r of summary.rejected) report.errors.push(`rejected ${r.reason}: ${r.message}`);
          if (summary.reconciled.some((r) => r.outcome === 'recorded' && r.status === 'applied'))
            decisionLatencies.push(ms);
          for (const failed of summary.failedTargets) report.errors.push(`ingest: ${failed.targetId}: ${failed.error}`);
        } catch (error) {
          if (error instanceof IdempotencyAlreadyInProgressError && job.retries < 5) {
            // What Lambda does with a failed asynchronous invocation: try the same event again later (Lambda
            // waits a minute, then two; here a growing fraction of a second lets the first delivery finish).
            report.events.idempotencyRetries++;
            retries.push({ ...job, retries: job.retries + 1, notBefore: performance.now() + 100 * 2 ** job.retries });
          } else {
            report.errors.push(`ingest threw ${(error as Error).name}: ${(error as Error).message}`);
          }
        } finally {
          end(started);
        }
      }
    };

    const ticker = async () => {
      while (sending || ticksDue > 0) {
        if (ticksDue > 0) {
          ticksDue = 0;
          await runTick();
        } else await new Promise((r) => setTimeout(r, 2));
      }
    };

    const startedAt = performance.now();
    progress(
      `soak: ${options.drivers} driver events over ${options.targets} targets, ${options.concurrency} environments, DynamoDB Local ${options.endpoint ?? local!.endpoint}`,
    );
    const ticking = ticker();
    await Promise.all(environments.map((_, i) => worker(i)));
    sending = false;
    await ticking;
    const sendSeconds = (performance.now() - startedAt) / 1000;

    // Drain: AWS healthy again. Past the pending grace period a tick repairs any unconfirmed plan and decides
    // again; then a tick a minute until one changes nothing, since step limits (maxStepUp) take a large demand
    // in several steps. The verdict is taken at the instant of that last tick.
    aws.faultRate = 0;
    now += 181;
    for (let drain = 0; (await runTick()) > 0 && drain < MAX_DRAIN_TICKS; drain++) now += 60;

    // ---- the ledger --------------------------------------------------------------------------------------
    const writesByDecision = new Map<string, number>();
    for (const write of aws.writes) {
      if (write.actionId === undefined) {
        report.ledger.writesWithoutPlan++;
        continue;
      }
      const decisionId = write.actionId.slice(0, write.actionId.lastIndexOf('#'));
      writesByDecision.set(decisionId, (writesByDecision.get(decisionId) ?? 0) + 1);
    }
    for (const target of config.targets) {
      const records: DecisionRecord[] = [];
      for await (const page of paginateQuery(
        { client: doc },
        {
          TableName: names.decisions,
          KeyConditionExpression: 'targetId = :t',
          ExpressionAttributeValues: { ':t': target.id },
        },
      )) {
        for (const item of page.Items ?? []) records.push(decisionRecordSchema.parse(item));
      }
      for (const record of records) {
        report.decisions.recorded++;
        const landed = writesByDecision.get(record.decisionId) ?? 0;
        if (landed > record.actions.length) report.ledger.extraWrites += landed - record.actions.length;
        if (record.status === 'applied') {
          report.decisions.applied++;
          if (
            record.actions.length > 0 &&
            record.outcome &&
            !NOTHING_WRITTEN.test(record.outcome.detail) &&
            landed === 0
          )
            report.ledger.appliedWithoutWrite++;
        } else if (record.status === 'failed') {
          report.decisions.failed++;
          if (landed > 0) report.ledger.failedButLanded++;
        } else if (record.status === 'planned') {
          report.decisions.planned++;
          report.ledger.unconfirmedPlans++;
        }
      }
      const state = await decisions.getState(target.id);
      const resource = aws.allocationOf(target);
      const verdict = decide(
        target,
        await drivers.live(target.id, clock()),
        { targetId: target.id, version: 0, ...state, current: resource },
        clock(),
      );
      const stateAgrees =
        state?.current === undefined || JSON.stringify(sortKeys(state.current)) === JSON.stringify(sortKeys(resource));
      if (verdict.actions.length > 0 || state?.pending || !stateAgrees) {
        const latest = records
          .sort((a, b) => (a.decisionKey < b.decisionKey ? 1 : -1))
          .slice(0, 3)
          .map((r) => `${r.decisionId} ${r.status} "${r.summary}"${r.outcome ? ` (${r.outcome.detail})` : ''}`);
        report.ledger.notConverged.push(
          `${target.id}: resource ${JSON.stringify(resource)}, state ${JSON.stringify(state?.current)}, engine wants ${verdict.summary}${state?.pending ? `, ${state.pending.decisionId} still pending` : ''}; latest decisions: ${latest.join(' | ')}`,
        );
      }
    }
    report.ledger.concurrentApplies = aws.concurrentApplies;
    report.ledger.lost =
      report.ledger.unconfirmedPlans +
      report.ledger.appliedWithoutWrite +
      report.ledger.failedButLanded +
      report.ledger.notConverged.length;
    report.ledger.doubleApplied =
      report.ledger.extraWrites + report.ledger.writesWithoutPlan + report.ledger.concurrentApplies;
    report.aws = { writes: aws.writes.length, throttled: aws.throttled, lostResponses: aws.lostResponses };

    ingestLatencies.sort((a, b) => a - b);
    decisionLatencies.sort((a, b) => a - b);
    shardDurations.sort((a, b) => a - b);
    tickDurations.sort((a, b) => a - b);
    const round = (n: number) => Math.round(n * 10) / 10;
    const perTarget = (n: number) =>
      report.shards.targetsReconciled === 0 ? 0 : Math.round((n / report.shards.targetsReconciled) * 100) / 100;
    report.shards = {
      ...report.shards,
      shardMsP50: round(percentile(shardDurations, 50)),
      shardMsP99: round(percentile(shardDurations, 99)),
      shardMsMax: round(shardDurations.at(-1) ?? 0),
      tickMsP50: round(percentile(tickDurations, 50)),
      tickMsP99: round(percentile(tickDurations, 99)),
      dynamoRequestsPerTarget: perTarget(calls.dynamo),
      awsCallsPerTarget: perTarget(calls.aws),
    };
    report.seconds = round(sendSeconds);
    report.eventsPerSecond = round(report.events.total / sendSeconds);
    report.latencyMs = {
      ingestP50: round(percentile(ingestLatencies, 50)),
      ingestP99: round(percentile(ingestLatencies, 99)),
      decisionP50: round(percentile(decisionLatencies, 50)),
      decisionP99: round(percentile(decisionLatencies, 99)),
      decisionSamples: decisionLatencies.length,
    };
    report.ok =
      !report.truncated && report.errors.length === 0 && report.ledger.lost === 0 && report.ledger.doubleApplied === 0;
    progress(`  virtual time covered: ${Math.round((now - start) / 60)} min`);
    return report;
  } finally {
    client.destroy();
    workerClient.destroy();
    await local?.stop();
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  return value;
}

export function formatSoakReport(r: SoakReport): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const lines = [
    `Drivetrain soak: ${n(r.events.drivers)} driver events (+${n(r.events.duplicates)} duplicate and ${n(r.events.late)} late deliveries) over ${n(r.targets.total)} targets`,
    `  (${r.targets.byKind['ec2-asg']} Auto Scaling groups, ${r.targets.byKind['lambda-provisioned-concurrency']} provisioned-concurrency aliases, ${r.targets.byKind['route53-weighted']} weighted record sets), ${r.options.concurrency} concurrent environments, seed ${r.options.seed}`,
    `  throughput        ${n(r.eventsPerSecond)} events/s (${n(r.events.total)} events in ${r.seconds} s)`,
    `  ingest latency    p50 ${r.latencyMs.ingestP50} ms   p99 ${r.latencyMs.ingestP99} ms   (event in → handler done)`,
    `  decision latency  p50 ${r.latencyMs.decisionP50} ms   p99 ${r.latencyMs.decisionP99} ms   (event in → action applied and recorded; ${n(r.latencyMs.decisionSamples)} events)`,
    `  drivers           ${n(r.drivers.accepted)} stored, ${n(r.drivers.duplicates)} duplicates absorbed, ${n(r.drivers.outOfOrder)} out of order refused, ${n(r.drivers.rejected)} rejected, ${n(r.events.idempotencyRetries)} retried (in progress)`,
    `  decisions         ${n(r.decisions.recorded)} recorded: ${n(r.decisions.applied)} applied, ${n(r.decisions.failed)} failed, ${n(r.decisions.planned)} left planned; ${n(r.decisions.ticks)} ticks`,
    `  AWS               ${n(r.aws.writes)} writes landed; faults injected: ${n(r.aws.throttled)} throttled calls, ${n(r.aws.lostResponses)} responses lost after the write landed`,
    `  sharded tick      ${n(r.shards.perTick)} shards of ≤ ${r.shards.size} targets per tick, ${r.shards.workers} workers at once; ${n(r.shards.targetsReconciled)} target reconciles in ${n(r.decisions.ticks)} ticks`,
    `  shard duration    p50 ${n(r.shards.shardMsP50)} ms   p99 ${n(r.shards.shardMsP99)} ms   max ${n(r.shards.shardMsMax)} ms   (one worker invocation)`,
    `  tick duration     p50 ${n(r.shards.tickMsP50)} ms   p99 ${n(r.shards.tickMsP99)} ms   (plan → last shard done)`,
    `  per target        ${r.shards.dynamoRequestsPerTarget} DynamoDB requests, ${r.shards.awsCallsPerTarget} AWS calls per target reconciled by a tick`,
    `  lost actions      ${r.ledger.lost}   (unconfirmed plans ${r.ledger.unconfirmedPlans}, applied without a write ${r.ledger.appliedWithoutWrite}, failed but landed ${r.ledger.failedButLanded}, targets not converged ${r.ledger.notConverged.length})`,
    `  double-applied    ${r.ledger.doubleApplied}   (extra writes ${r.ledger.extraWrites}, writes without a plan ${r.ledger.writesWithoutPlan}, concurrent applies ${r.ledger.concurrentApplies})`,
    `  errors            ${r.errors.length}${r.errors.length ? `: ${[...new Set(r.errors)].slice(0, 5).join(' | ')}` : ''}`,
    ...r.ledger.notConverged.slice(0, 5).map((line) => `    not converged: ${line}`),
    `  result            ${r.ok ? 'PASS' : 'FAIL'}${r.truncated ? ' (time budget reached before every driver was sent)' : ''}`,
  ];
  return lines.join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      drivers: { type: 'string' },
      targets: { type: 'string' },
      concurrency: { type: 'string' },
      'max-seconds': { type: 'string' },
      seed: { type: 'string' },
      'fault-rate': { type: 'string' },
      'tick-seconds': { type: 'string' },
      'shard-concurrency': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      'usage: npm run soak -- [--drivers 50000] [--targets 120] [--concurrency 8] [--max-seconds 1200] [--seed N] [--fault-rate 0.02] [--tick-seconds 300] [--shard-concurrency 5] [--json]',
    );
    return 0;
  }
  const number = (raw: string | undefined, fallback: number) => (raw === undefined ? fallback : Number(raw));
  const report = await runSoak({
    drivers: number(values.drivers, DEFAULT_SOAK_OPTIONS.drivers),
    targets: number(values.targets, DEFAULT_SOAK_OPTIONS.targets),
    concurrency: number(values.concurrency, DEFAULT_SOAK_OPTIONS.concurrency),
    maxSeconds: number(values['max-seconds'], DEFAULT_SOAK_OPTIONS.maxSeconds),
    seed: number(values.seed, DEFAULT_SOAK_OPTIONS.seed),
    faultRate: number(values['fault-rate'], DEFAULT_SOAK_OPTIONS.faultRate),
    tickSeconds: number(values['tick-seconds'], DEFAULT_SOAK_OPTIONS.tickSeconds),
    shardConcurrency: number(values['shard-concurrency'], DEFAULT_SOAK_OPTIONS.shardConcurrency),
    progress: (line) => console.error(line),
  });
  console.log(values.json ? JSON.stringify(report, null, 2) : formatSoakReport(report));
  return report.ok ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(2);
    },
  );
}
