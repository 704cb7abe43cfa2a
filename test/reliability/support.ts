/**
 * Fault injection and bookkeeping for the reliability tests, on top of the handler harness
 * (test/handlers/harness.ts): the same DynamoDB Local tables, the same aws-sdk-client-mock stubs and the same
 * stateful fakes of one Auto Scaling group, one provisioned-concurrency config and one weighted record set.
 *
 * - Events are built from the AWS-documented fixtures in test/fixtures/events (only ids, times and values
 *   change), so every event the tests send has the shape AWS or the business bus really delivers.
 * - AwsFaults re-registers the SDK stubs with the same fake behaviour plus injected failures: queued ("fail
 *   the next two SetDesiredCapacity with ScalingActivityInProgressFault") or a seeded random storm. A failure
 *   can be `landed`: AWS applied the write and the response was lost (a timeout on the way back).
 * - Every write that changes a resource is recorded with the decision that was pending on its target at
 *   that instant. That is what makes "applied at most once" checkable: a write must belong to a recorded
 *   plan, and no plan may land more writes than it has actions.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  DeleteProvisionedConcurrencyConfigCommand,
  GetProvisionedConcurrencyConfigCommand,
  PutProvisionedConcurrencyConfigCommand,
} from '@aws-sdk/client-lambda';
import {
  ChangeResourceRecordSetsCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { decide } from '../../functions/domain/engine';
import type { Allocation, Decision, Target } from '../../functions/domain/model';
import type { DecisionRecord } from '../../functions/ports';
import { LOCAL_CLIENT_CONFIG } from '../../local/dynamodb-local';
import type { IngestSummary } from '../../functions/handlers/ingest';
import { fixture, functionUrlEvent, type Harness } from '../handlers/harness';
import { sdkErrors } from '../unit/executors/sdk-errors';
import { mulberry32 } from '../../local/random';
import type { LooseJson } from '../support/loose-json';

export { sdkErrors };

// ---------------------------------------------------------------------------------------------------------
// Time and events
// ---------------------------------------------------------------------------------------------------------

/**
 * The tests' virtual "now": 09:00 UTC, 30 days after today. DynamoDB Local deletes TTL-expired items against
 * the wall clock and almost at once (DynamoDB itself takes up to days), so a fixed date in the past would see
 * drivers vanish behind the test's back. Virtual times ahead of the wall clock keep every item the tests write,
 * expired in virtual time or not, which is also what DynamoDB's late TTL deletion looks like to a reader.
 */
export const T0 = (Math.floor(Date.now() / 86_400_000) + 30) * 86_400 + 9 * 3600;

/** `2026-11-20T09:00:00Z`: the EventBridge envelope's `time` (whole seconds). */
export function isoZ(seconds: number): string {
  return new Date(Math.floor(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `2019-10-02T17:04:40.989+0000`: how CloudWatch writes a state timestamp. */
export function cloudWatchTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('Z', '+0000');
}

type Json = LooseJson;

/** A CloudWatch Alarm State Change as EventBridge delivers it (the single-metric example of the CloudWatch guide). */
export function alarmEvent(options: {
  id: string;
  at: number;
  state: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';
  alarmName?: string;
  deliveredAt?: number;
}): Json {
  const event = fixture<Json>('eventbridge-alarm-single-metric');
  const alarmName = options.alarmName ?? 'ServerCpuTooHigh';
  event.id = options.id;
  event.time = isoZ(options.deliveredAt ?? options.at);
  event.resources = [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${alarmName}`];
  event.detail.alarmName = alarmName;
  event.detail.previousState = {
    ...event.detail.previousState,
    value: options.state === 'ALARM' ? 'OK' : 'ALARM',
    timestamp: cloudWatchTime(options.at - 300),
  };
  event.detail.state = { ...event.detail.state, value: options.state, timestamp: cloudWatchTime(options.at) };
  return event;
}

/** A "Drivetrain Metric Snapshot" (docs/events.md) of the `requests` driver. */
export function metricEvent(options: { id: string; at: number; value: number; driver?: string }): Json {
  const event = fixture<Json>('metric-snapshot');
  event.id = options.id;
  event.time = isoZ(options.at);
  event.detail = {
    ...event.detail,
    driver: options.driver ?? 'requests',
    value: options.value,
    timestamp: isoZ(options.at),
  };
  return event;
}

/** A "Drivetrain Business Driver" demand window of `flash-sale`. */
export function demandEvent(options: {
  id: string;
  at: number;
  campaign: string;
  demand: { absolute: number } | { multiplier: number };
  windowStart: number;
  windowEnd: number;
  targets?: string[];
}): Json {
  const event = fixture<Json>('business-driver-demand');
  event.id = options.id;
  event.time = isoZ(options.at);
  event.detail = {
    driver: 'flash-sale',
    id: options.campaign,
    label: `campaign ${options.campaign}`,
    ...(options.targets ? { targets: options.targets } : {}),
    signal: { type: 'demand', demand: options.demand, windowStart: options.windowStart, windowEnd: options.windowEnd },
  };
  return event;
}

/** A "Drivetrain Override" (docs/events.md) from the on-call role the harness config allows. */
export function overrideEvent(options: {
  id: string;
  at: number;
  targets: string[];
  action: 'pin' | 'freeze' | 'pin-weights';
  allocation?: number;
  weights?: Record<string, number>;
  expiresAt?: number | null;
  principal?: string;
  source?: string;
}): Json {
  const event = fixture<Json>('override-pin');
  event.id = options.id;
  event.time = isoZ(options.at);
  if (options.source) event.source = options.source;
  const detail: Json = {
    driver: 'ops-override',
    targets: options.targets,
    action: options.action,
    reason: `reliability test ${options.id}`,
    principal: options.principal ?? 'arn:aws:sts::111122223333:assumed-role/oncall-alice/alice',
  };
  if (options.action === 'pin') detail.allocation = options.allocation;
  if (options.action === 'pin-weights') detail.weights = options.weights;
  if (options.expiresAt !== null) detail.expiresAt = options.expiresAt ?? options.at + 3600;
  event.detail = detail;
  return event;
}

/**
 * Sends an override-shaped event (overrideEvent) the only way overrides are taken: to the operator endpoint,
 * as a SigV4-verified function-URL request whose caller is the event's `principal` (the body no longer
 * carries one). Returns the ingest-style summary the endpoint answers with, so tests read it like ingest's.
 */
export async function viaOperatorEndpoint(
  h: Pick<Harness, 'operator'>,
  event: Json,
): Promise<IngestSummary & { statusCode: number }> {
  const { principal, ...detail } = event.detail as Json;
  const request = { action: 'put-driver', detailType: event['detail-type'], source: event.source, detail };
  const response = await h.operator(functionUrlEvent(request, typeof principal === 'string' ? principal : null));
  const body = JSON.parse(response.body) as Json;
  return {
    statusCode: response.statusCode,
    channel: 'eventbridge',
    eventIds: body.eventId ? [body.eventId] : [],
    accepted: body.accepted ?? 0,
    duplicates: body.duplicates ?? 0,
    outOfOrder: body.outOfOrder ?? 0,
    rejected: body.rejected ?? (body.error ? [{ reason: body.error, message: body.message }] : []),
    reconciled: body.reconciled ?? [],
    failedTargets: body.failedTargets ?? [],
  };
}

// ---------------------------------------------------------------------------------------------------------
// AWS faults at the SDK boundary
// ---------------------------------------------------------------------------------------------------------

export const AWS_OPS = [
  'DescribeAutoScalingGroups',
  'SetDesiredCapacity',
  'UpdateAutoScalingGroup',
  'GetProvisionedConcurrencyConfig',
  'PutProvisionedConcurrencyConfig',
  'DeleteProvisionedConcurrencyConfig',
  'ListResourceRecordSets',
  'ChangeResourceRecordSets',
] as const;
export type AwsOp = (typeof AWS_OPS)[number];

const WRITE_OPS: ReadonlySet<AwsOp> = new Set([
  'SetDesiredCapacity',
  'UpdateAutoScalingGroup',
  'PutProvisionedConcurrencyConfig',
  'DeleteProvisionedConcurrencyConfig',
  'ChangeResourceRecordSets',
]);

/** The harness config's three resources, by the target that owns each. */
const TARGET_OF: Record<AwsOp, string> = {
  DescribeAutoScalingGroups: 'web-asg',
  SetDesiredCapacity: 'web-asg',
  UpdateAutoScalingGroup: 'web-asg',
  GetProvisionedConcurrencyConfig: 'checkout-fn',
  PutProvisionedConcurrencyConfig: 'checkout-fn',
  DeleteProvisionedConcurrencyConfig: 'checkout-fn',
  ListResourceRecordSets: 'api-routing',
  ChangeResourceRecordSets: 'api-routing',
};

export interface Fault {
  error: () => unknown;
  /** The write is applied before the error is thrown: AWS did it, the response never arrived. */
  landed?: boolean;
  /** Runs when this fault fires, e.g. to arm the next fault only from this point on. */
  afterwards?: () => void;
}

export interface LandedWrite {
  op: AwsOp;
  targetId: string;
  /** The decision pending on the target when the write landed (undefined: a write nobody planned). */
  decisionId: string | undefined;
  /** The resource's allocation right after the write. */
  allocation: Allocation;
  /** The caller was told the write failed although it landed. */
  reportedFailure: boolean;
}

export interface StormOptions {
  random: () => number;
  /** Probability that a call fails. */
  rate: number;
  faults: Partial<Record<AwsOp, Fault[]>>;
}

export class AwsFaults {
  readonly writes: LandedWrite[] = [];
  readonly calls = Object.fromEntries(AWS_OPS.map((op) => [op, 0])) as Record<AwsOp, number>;
  readonly failures = Object.fromEntries(AWS_OPS.map((op) => [op, 0])) as Record<AwsOp, number>;
  private readonly queued = new Map<AwsOp, Fault[]>();
  private storm: StormOptions | undefined;
  /** Reads the pending decision for attribution on its own client, out of reach of any DynamoDB fault wrapper. */
  private readonly attributionClient: DynamoDBClient;
  private readonly attribution: DynamoDBDocumentClient;

  constructor(private readonly h: Harness) {
    this.attributionClient = new DynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint: h.local.endpoint });
    this.attribution = DynamoDBDocumentClient.from(this.attributionClient);
    this.install();
  }

  /** Queues `times` failures of `op`, used before any storm failure. */
  fail(
    op: AwsOp,
    error: () => unknown,
    options: { times?: number; landed?: boolean; afterwards?: () => void } = {},
  ): this {
    const list = this.queued.get(op) ?? [];
    for (let i = 0; i < (options.times ?? 1); i++)
      list.push({
        error,
        landed: options.landed ?? false,
        ...(options.afterwards ? { afterwards: options.afterwards } : {}),
      });
    this.queued.set(op, list);
    return this;
  }

  startStorm(options: StormOptions): void {
    this.storm = options;
  }

  /** AWS is healthy again: nothing queued, no storm. */
  heal(): void {
    this.storm = undefined;
    this.queued.clear();
  }

  close(): void {
    this.attributionClient.destroy();
  }

  writesOf(targetId: string): LandedWrite[] {
    return this.writes.filter((w) => w.targetId === targetId);
  }

  mutatingCommands(targetId?: string): number {
    return AWS_OPS.filter((op) => WRITE_OPS.has(op) && (targetId === undefined || TARGET_OF[op] === targetId)).reduce(
      (sum, op) => sum + this.calls[op],
      0,
    );
  }

  private next(op: AwsOp): Fault | undefined {
    const queued = this.queued.get(op)?.shift();
    if (queued) return queued;
    const storm = this.storm;
    const faults = storm?.faults[op];
    if (!storm || !faults?.length || storm.random() >= storm.rate) return undefined;
    return faults[Math.floor(storm.random() * faults.length)];
  }

  private async call<T>(op: AwsOp, perform: () => T): Promise<T> {
    this.calls[op]++;
    const fault = this.next(op);
    if (fault) {
      this.failures[op]++;
      fault.afterwards?.();
    }
    if (fault && !fault.landed) throw fault.error();
    const output = perform();
    if (WRITE_OPS.has(op)) {
      const targetId = TARGET_OF[op];
      const allocation = this.allocationOf(targetId);
      const { Item } = await this.attribution.send(
        new GetCommand({ TableName: this.h.local.names.state, Key: { targetId }, ConsistentRead: true }),
      );
      const pending = (Item as { pending?: { decisionId?: string } } | undefined)?.pending;
      this.writes.push({
        op,
        targetId,
        decisionId: pending?.decisionId,
        allocation,
        reportedFailure: fault !== undefined,
      });
    }
    if (fault) throw fault.error();
    return output;
  }

  /** The resource as the engine sees it (what the executors' observe returns), for the harness targets. */
  allocationOf(targetId: string): Allocation {
    const aws = this.h.aws;
    if (targetId === 'web-asg')
      return { kind: 'capacity', desired: aws.group.DesiredCapacity, floor: aws.group.MinSize };
    if (targetId === 'checkout-fn') return { kind: 'capacity', desired: aws.provisioned ?? 0, floor: 0 };
    return { kind: 'weights', weights: { ...aws.weights } };
  }

  private install(): void {
    const { h } = this;
    const aws = h.aws;
    h.autoScaling.on(DescribeAutoScalingGroupsCommand).callsFake((input: { AutoScalingGroupNames?: string[] }) =>
      this.call('DescribeAutoScalingGroups', () => ({
        AutoScalingGroups: (input.AutoScalingGroupNames ?? []).includes('web-prod')
          ? [{ AutoScalingGroupName: 'web-prod', ...aws.group }]
          : [],
      })),
    );
    h.autoScaling.on(SetDesiredCapacityCommand).callsFake((input: { DesiredCapacity: number }) =>
      this.call('SetDesiredCapacity', () => {
        aws.group.DesiredCapacity = input.DesiredCapacity;
        return {};
      }),
    );
    h.autoScaling.on(UpdateAutoScalingGroupCommand).callsFake((input: { DesiredCapacity?: number; MinSize?: number }) =>
      this.call('UpdateAutoScalingGroup', () => {
        if (input.DesiredCapacity !== undefined) aws.group.DesiredCapacity = input.DesiredCapacity;
        if (input.MinSize !== undefined) aws.group.MinSize = input.MinSize;
        return {};
      }),
    );
    h.lambda.on(GetProvisionedConcurrencyConfigCommand).callsFake(() =>
      this.call('GetProvisionedConcurrencyConfig', () => {
        if (aws.provisioned === undefined) throw sdkErrors.provisionedConcurrencyConfigNotFound();
        return {
          RequestedProvisionedConcurrentExecutions: aws.provisioned,
          AllocatedProvisionedConcurrentExecutions: aws.provisioned,
          Status: 'READY',
        };
      }),
    );
    h.lambda
      .on(PutProvisionedConcurrencyConfigCommand)
      .callsFake((input: { ProvisionedConcurrentExecutions: number }) =>
        this.call('PutProvisionedConcurrencyConfig', () => {
          aws.provisioned = input.ProvisionedConcurrentExecutions;
          return { Status: 'IN_PROGRESS', RequestedProvisionedConcurrentExecutions: aws.provisioned };
        }),
      );
    h.lambda.on(DeleteProvisionedConcurrencyConfigCommand).callsFake(() =>
      this.call('DeleteProvisionedConcurrencyConfig', () => {
        if (aws.provisioned === undefined) throw sdkErrors.provisionedConcurrencyConfigNotFound();
        aws.provisioned = undefined;
        return {};
      }),
    );
    h.route53.on(ListResourceRecordSetsCommand).callsFake(() =>
      this.call('ListResourceRecordSets', () => ({
        IsTruncated: false,
        ResourceRecordSets: Object.entries(aws.weights).map(
          ([id, weight]): ResourceRecordSet => ({
            Name: 'api.example.com.',
            Type: 'CNAME',
            SetIdentifier: id,
            Weight: weight,
            TTL: 60,
            ResourceRecords: [{ Value: `${id}.api.example.com` }],
          }),
        ),
      })),
    );
    h.route53
      .on(ChangeResourceRecordSetsCommand)
      .callsFake((input: { ChangeBatch: { Changes: Array<{ ResourceRecordSet: ResourceRecordSet }> } }) =>
        this.call('ChangeResourceRecordSets', () => {
          for (const change of input.ChangeBatch.Changes)
            aws.weights[change.ResourceRecordSet.SetIdentifier!] = change.ResourceRecordSet.Weight!;
          return { ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: new Date() } };
        }),
      );
  }
}

// ---------------------------------------------------------------------------------------------------------
// Audit: writes against decisions, and convergence
// ---------------------------------------------------------------------------------------------------------

export interface TargetAudit {
  targetId: string;
  decisions: DecisionRecord[];
  writes: LandedWrite[];
  /** Decisions marked applied whose outcome says a write was needed (not "already …"). */
  appliedWithWrite: number;
  violations: string[];
}

const NOTHING_WRITTEN = /already|has no provisioned concurrency config|nothing to apply/;

/**
 * Every landed write belongs to a decision that was pending when it landed and asked for exactly what was
 * written; no decision lands more writes than it has actions; a failed, shadow or skipped decision lands none
 * (a superseded one may have landed its writes before the resource was moved elsewhere);
 * a decision marked applied with a write in its outcome landed exactly one.
 */
export async function auditTarget(h: Harness, faults: AwsFaults, targetId: string): Promise<TargetAudit> {
  const decisions = await h.decisions.list(targetId, { limit: 1000 });
  const byId = new Map(decisions.map((d) => [d.decisionId, d]));
  const writes = faults.writesOf(targetId);
  const violations: string[] = [];
  const perDecision = new Map<string, number>();
  for (const write of writes) {
    if (write.decisionId === undefined) {
      violations.push(`${write.op} landed on ${targetId} while no decision was pending`);
      continue;
    }
    perDecision.set(write.decisionId, (perDecision.get(write.decisionId) ?? 0) + 1);
    const decision = byId.get(write.decisionId);
    if (!decision) {
      violations.push(`${write.op} landed for unknown decision ${write.decisionId}`);
      continue;
    }
    if (!sameAllocation(decision.desired, write.allocation)) {
      violations.push(
        `${write.op} for ${write.decisionId} left ${JSON.stringify(write.allocation)}, the decision wanted ${JSON.stringify(decision.desired)}`,
      );
    }
  }
  let appliedWithWrite = 0;
  for (const decision of decisions) {
    const landed = perDecision.get(decision.decisionId) ?? 0;
    if (landed > decision.actions.length)
      violations.push(`${decision.decisionId} landed ${landed} writes for ${decision.actions.length} action(s)`);
    // A superseded plan may have landed before the resource moved on (the repair found it elsewhere).
    if (
      decision.status !== 'applied' &&
      decision.status !== 'planned' &&
      decision.status !== 'superseded' &&
      landed > 0
    ) {
      violations.push(`${decision.decisionId} is ${decision.status} but ${landed} write(s) landed for it`);
    }
    if (decision.status === 'applied' && decision.outcome && !NOTHING_WRITTEN.test(decision.outcome.detail)) {
      appliedWithWrite++;
      if (landed !== 1)
        violations.push(
          `${decision.decisionId} is applied with "${decision.outcome.detail}" but ${landed} write(s) landed for it`,
        );
    }
  }
  return { targetId, decisions, writes, appliedWithWrite, violations };
}

function sameAllocation(a: Allocation, b: Allocation): boolean {
  if (a.kind === 'capacity' && b.kind === 'capacity') return a.desired === b.desired && a.floor === b.floor;
  if (a.kind === 'weights' && b.kind === 'weights') {
    const keys = Object.keys(a.weights);
    return keys.length === Object.keys(b.weights).length && keys.every((k) => a.weights[k] === b.weights[k]);
  }
  return false;
}

/**
 * What the engine would do now from the stored state and the resource as it is. Converged means no action:
 * the resource already holds the allocation the engine wants, and the state agrees with the resource.
 */
async function engineVerdict(
  h: Harness,
  faults: AwsFaults,
  target: Target,
): Promise<{ decision: Decision; resource: Allocation; stateCurrent: Allocation | undefined; pending: boolean }> {
  const state = await h.decisions.getState(target.id);
  const resource = faults.allocationOf(target.id);
  const drivers = await h.drivers.live(target.id, h.now.value);
  const decision = decide(
    target,
    drivers,
    { targetId: target.id, version: 0, ...state, current: resource },
    h.now.value,
  );
  return { decision, resource, stateCurrent: state?.current, pending: state?.pending !== undefined };
}

/**
 * Converged: no plan left pending, the engine wants no action on the resource as it is, and the state's last
 * applied allocation (when a decision was ever applied) is what the resource holds.
 */
export async function expectConverged(h: Harness, faults: AwsFaults, targetId: string): Promise<void> {
  const target = h.config.targets.find((x) => x.id === targetId);
  if (!target) throw new Error(`test bug: no target ${targetId}`);
  const verdict = await engineVerdict(h, faults, target);
  expect({ targetId, actions: verdict.decision.actions, pending: verdict.pending }).toEqual({
    targetId,
    actions: [],
    pending: false,
  });
  if (verdict.stateCurrent) expect(verdict.stateCurrent).toEqual(verdict.resource);
}

/** A seeded PRNG: storms and shuffles that replay exactly from their seed. */
export const seededRandom = mulberry32;
