/**
 * Narrow ports: one small interface per outside thing. Handlers and the reconcile service depend on these,
 * never on an SDK; each has one real adapter (DynamoDB or AWS SDK v3) and the local simulator implements the
 * AWS ones for the demo.
 */
import type { MetricHistories } from '../domain/history';
import type { Action, Allocation, Decision, Driver, Target, TargetMode, TargetState } from '../domain/model';
import type { DrivetrainConfig } from '../domain/config';

export * from './aws-errors';
export * from './errors';

// ---- driver store -----------------------------------------------------------------------------------------

/** `out-of-order`: the store already holds a newer observation of the same driver instance (late event). */
export type PutDriverResult = 'stored' | 'duplicate' | 'out-of-order';

export interface DriverStore {
  /**
   * Stores the driver once per target it applies to, in one transaction (all targets or none). A driver
   * observed before the stored one for the same instance is refused (`out-of-order`), so a late event can
   * never roll the allocation back.
   */
  put(driver: Driver): Promise<PutDriverResult>;
  /** Drivers of a target with expiresAt > now. TTL deletion runs days late, so the read filters too. */
  live(targetId: string, now: number): Promise<Driver[]>;
  /** Every stored record of a target, expired ones included (operators want to see what is lingering). */
  all(targetId: string): Promise<Driver[]>;
}

// ---- decision store ---------------------------------------------------------------------------------------

/**
 * Every status a decision can have; the one place they are defined (schemas, CLI and report derive from it).
 * `superseded`: a plan left unconfirmed by a crashed invocation that the repair found not in place (never
 * landed, or the resource was moved elsewhere since); it was not applied as planned, and a fresh decision
 * follows it. `replaced`: an applied plan that a newer applied plan of the same target replaced before the
 * follow-through saw it serve (`replacedBy` names the newer one); it was applied, but never settled.
 */
export const DECISION_STATUSES = [
  'planned',
  'applied',
  'settled',
  'degraded',
  'failed',
  'superseded',
  'replaced',
  'shadow',
  'skipped',
] as const;
export type DecisionStatus = (typeof DECISION_STATUSES)[number];

/**
 * The one definition of how a decision's status may move (stores condition their writes on it, so a
 * concurrent reconcile can never regress a status). `applied` means AWS accepted the call; the follow-through
 * then moves it to `settled` (the planned allocation serves: instances InService, provisioned concurrency
 * READY, the Route 53 change INSYNC) or `degraded` (a failed launch, FAILED provisioned concurrency, or not
 * serving within SERVING_TIMEOUT_SECONDS), with the cause, or — when a newer plan is applied first — to
 * `replaced` (markOutcome does it in the newer plan's transaction). Every other status is final.
 */
export const DECISION_TRANSITIONS = {
  planned: ['applied', 'failed', 'superseded'],
  applied: ['settled', 'degraded', 'replaced'],
  settled: [],
  degraded: [],
  failed: [],
  superseded: [],
  replaced: [],
  shadow: [],
  skipped: [],
} as const satisfies Record<DecisionStatus, readonly DecisionStatus[]>;
/** The statuses that settle a plan (markOutcome). */
export type PlanOutcomeStatus = (typeof DECISION_TRANSITIONS)['planned'][number];
/** The statuses the follow-through ends an applied plan with (markServing); `replaced` is markOutcome's. */
export type ServingStatus = Exclude<(typeof DECISION_TRANSITIONS)['applied'][number], 'replaced'>;

/** Whether the plan's writes were accepted: `applied`, or a status the follow-through moved it to from there. */
export function wasApplied(status: DecisionStatus): boolean {
  return status === 'applied' || canTransition('applied', status);
}

export function canTransition(from: DecisionStatus, to: DecisionStatus): boolean {
  return (DECISION_TRANSITIONS[from] as readonly DecisionStatus[]).includes(to);
}

/** What the follow-through found when it ended: recorded on the decision as `serving`. */
export interface ServingOutcome {
  at: number;
  detail: string;
  /** Applied → serving, in seconds (settled only). */
  timeToServeSeconds?: number;
  /** Why it did not serve (degraded only): the AWS status message or the timeout. */
  cause?: string;
}

export interface DecisionOutcome {
  at: number;
  detail: string;
  error?: { name: string; message: string; retryable: boolean };
  /** The resource as the repair observed it before settling the plan (superseded plans move state.current there). */
  observed?: Allocation;
  /** The claim owner (invocation) that settled the plan. */
  by?: string;
  /** Route 53 change ids the apply produced, followed to INSYNC. */
  changeIds?: string[];
}

export interface DecisionRecord extends Decision {
  /** `${targetId}:${version}`; stable, human-typable (`drivetrain explain web-asg:42`). */
  decisionId: string;
  /** Sort key: `${ISO time}#${version zero-padded to 9}`. */
  decisionKey: string;
  /** The state version this decision created. */
  version: number;
  status: DecisionStatus;
  outcome?: DecisionOutcome;
  /** How the follow-through of an applied plan ended (settled, degraded, or replaced before it served). */
  serving?: ServingOutcome;
  /** `replaced` only: the decision whose apply replaced this plan before it served. */
  replacedBy?: string;
  /** Operator actions (mode changes) record who and why. */
  actor?: { by: string; reason: string };
}

/**
 * Who may act on an unconfirmed plan, and until when. The invocation that records a plan holds the claim
 * while it applies it; a repair takes it over only once the lease has run out (the holder is certainly gone)
 * with a conditional write, so exactly one invocation at a time may act on a plan.
 */
export interface PlanClaim {
  /** The invocation: Lambda request id plus a per-invocation random part. */
  owner: string;
  /** Epoch seconds: the owner's invocation deadline plus a margin (the pending grace when it has none). */
  leaseUntil: number;
}

/** A plan that failed with a permanent error, kept on the state until it is overwritten by the next one. */
export interface PermanentFailure {
  decisionId: string;
  /** The plan: the allocation it wanted. The back-off is keyed by (target, this). */
  desired: Allocation;
  at: number;
  error: { name: string; message: string; retryable: boolean };
}

/**
 * An applied plan whose allocation is not yet known to serve. Kept on the state so a reconcile knows, without
 * reading the decisions table, that there is something to follow (and that nothing else needs an AWS call).
 */
export interface Following {
  decisionId: string;
  decisionKey: string;
  /** When the plan was marked applied: time to serve counts from here. */
  appliedAt: number;
  /** The allocation that must serve. */
  desired: Allocation;
  /** Capacity went up: its time to serve is a warmup sample. */
  scaleOut: boolean;
  /** Route 53 change ids (ChangeInfo.Id) to follow to INSYNC. */
  changeIds?: string[];
}

/** Target state as stored: the domain state plus bookkeeping the pipeline needs. */
export interface StoredTargetState extends TargetState {
  /**
   * A planned decision whose actions have not been confirmed, with its claim. A pending item written before
   * claims existed has no owner/lease; it counts as leased until `at` + the pending grace.
   */
  pending?: { decisionId: string; decisionKey: string; at: number; owner?: string; leaseUntil?: number };
  /** Summary of the last recorded decision: an unchanged "hold" is not written again. */
  lastSummary?: string;
  /** The last plan that failed permanently (permanent-failure back-off). */
  lastPermanentFailure?: PermanentFailure;
  /** The applied plan being followed until it serves. */
  following?: Following;
  /** Time to serve (seconds) of the most recent settled scale-outs, oldest first (TIME_TO_SERVE_SAMPLES). */
  timeToServe?: number[];
}

/**
 * What marking a plan did. `marked`: this call (or an earlier attempt of the same owner whose response was
 * lost) settled it. `claim-lost`: the plan is no longer this owner's to settle — another invocation claimed
 * it or settled it already — and nothing was changed.
 */
export type MarkResult = 'marked' | 'claim-lost';

export interface DecisionStore {
  getState(targetId: string): Promise<StoredTargetState | undefined>;
  /**
   * Records the decision and advances the target state from `expectedVersion` (undefined: no state yet)
   * in one transaction. Throws ConcurrentDecisionError when another decider advanced the state first.
   * `planned` sets state.pending with `claim` (held by the recording invocation); `shadow`/`skipped` leave
   * the allocation untouched. A transaction that landed although its response was lost is recognised by a
   * re-read and returned as recorded.
   */
  record(
    decision: Decision,
    expectedVersion: number | undefined,
    status: 'planned' | 'shadow' | 'skipped',
    claim?: PlanClaim,
  ): Promise<DecisionRecord>;
  /**
   * Takes over the claim on the pending plan `seen` (as read by getState) for `claim.owner`: a conditional
   * write that succeeds only if the pending plan and its claim are still exactly what was read. False: another
   * invocation changed it first (claimed, settled or re-leased it); stand down.
   */
  claimPending(targetId: string, seen: NonNullable<StoredTargetState['pending']>, claim: PlanClaim): Promise<boolean>;
  /**
   * Settles a planned decision, only for the owner of its claim (`owner` omitted: any claim; tools and tests).
   * `applied` moves state.current to the decision's desired allocation and sets the change times;
   * `superseded` moves state.current to `outcome.observed` and, if that differs from where the plan started,
   * sets the change times the observed move implies; a permanent `failed` is kept as lastPermanentFailure.
   * All clear state.pending, in the same transaction. An `applied` that replaces the state's `following`
   * (an earlier applied plan not yet serving) moves that decision applied → `replaced` in it too.
   */
  markOutcome(
    record: DecisionRecord,
    status: PlanOutcomeStatus,
    outcome: DecisionOutcome,
    owner?: string,
  ): Promise<MarkResult>;
  /**
   * Ends the follow-through of `following` (as read by getState): the decision moves applied → `status` with
   * `serving`, and state.following is cleared, in one transaction conditioned on both (a decision already
   * settled, or a state now following another plan, changes nothing: claim-lost). `timeToServe` replaces the
   * state's samples when given.
   */
  markServing(
    targetId: string,
    following: Following,
    status: ServingStatus,
    serving: ServingOutcome,
    timeToServe?: readonly number[],
  ): Promise<MarkResult>;
  /**
   * Clears a pending plan whose decision record is gone or already settled (nothing to mark), for the owner
   * of its claim. Returns claim-lost when the plan is no longer this owner's.
   */
  releasePending(targetId: string, decisionId: string, owner: string, at: number): Promise<MarkResult>;
  get(decisionId: string): Promise<DecisionRecord | undefined>;
  /** Newest first. */
  list(targetId: string, options?: { since?: number; limit?: number }): Promise<DecisionRecord[]>;
  /** Operator kill switch / promotion; recorded as a decision (status `skipped`, reason in summary). */
  setMode(
    targetId: string,
    mode: TargetMode,
    actor: { by: string; reason: string },
    now: number,
  ): Promise<DecisionRecord>;
}

// ---- AWS resources ----------------------------------------------------------------------------------------

export interface AutoScalingGroupCapacity {
  desired: number;
  min: number;
  max: number;
  /** Instances in LifecycleState InService (serving); absent when the source cannot tell. */
  inService?: number;
}

/** A scaling activity that did not succeed (StatusCode Failed or Cancelled), with AWS's StatusMessage. */
export interface FailedScalingActivity {
  at: number;
  cause: string;
}

export interface AutoScalingPort {
  describe(groupName: string): Promise<AutoScalingGroupCapacity | undefined>;
  /** SetDesiredCapacity, or UpdateAutoScalingGroup when MinSize must move (pre-warm floor). */
  setCapacity(groupName: string, change: { desired: number; min?: number }): Promise<void>;
  /** DescribeScalingActivities: the activities started at or after `since` that failed or were cancelled. */
  failedActivities(groupName: string, since: number): Promise<FailedScalingActivity[]>;
  /**
   * UpdateAutoScalingGroup with MinSize alone (floor-managed groups): DesiredCapacity stays with the group's
   * own policies. A MinSize above the current desired makes the group raise desired to it by itself; a lower
   * MinSize never lowers desired.
   */
  setMinSize(groupName: string, min: number): Promise<void>;
  /** The group's own scaling policies and scheduled actions (names), for coexistence checks. */
  ownScaling(groupName: string): Promise<OwnScaling>;
}

/** What scales a resource besides Drivetrain: its scaling policies and scheduled actions, by name. */
export interface OwnScaling {
  policies: string[];
  scheduledActions: string[];
}

/** An Application Auto Scaling scalable target: its namespace, resource id and dimension identify it. */
export interface ScalableTargetRef {
  serviceNamespace: string;
  resourceId: string;
  scalableDimension: string;
}

export interface ScalableTargetCapacity {
  min: number;
  max: number;
}

export interface ApplicationAutoScalingPort {
  /** DescribeScalableTargets; undefined when the target is not registered. */
  describe(target: ScalableTargetRef): Promise<ScalableTargetCapacity | undefined>;
  /**
   * RegisterScalableTarget naming MinCapacity only: MaxCapacity, suspended state and the target's policies
   * stay as they are (an update changes only the parameters it names).
   */
  setMinCapacity(target: ScalableTargetRef, min: number): Promise<void>;
  /** DescribeScalingPolicies and DescribeScheduledActions of the target, for coexistence checks. */
  ownScaling(target: ScalableTargetRef): Promise<OwnScaling>;
}

export interface ProvisionedConcurrency {
  requested: number;
  allocated: number;
  status: 'IN_PROGRESS' | 'READY' | 'FAILED';
  /** Why allocation FAILED (e.g. not enough unreserved account concurrency), when AWS says. */
  statusReason?: string;
}

export interface ProvisionedConcurrencyPort {
  get(functionName: string, qualifier: string): Promise<ProvisionedConcurrency | undefined>;
  put(functionName: string, qualifier: string, units: number): Promise<void>;
  /** Used when the allocation drops to 0: a config of 0 is not allowed, deleting it is. */
  remove(functionName: string, qualifier: string): Promise<void>;
}

export interface WeightedRecord {
  hostedZoneId: string;
  recordName: string;
  recordType: string;
}

export interface WeightedRoutingPort {
  /** Current weights by SetIdentifier. */
  getWeights(record: WeightedRecord): Promise<Record<string, number>>;
  /**
   * UPSERTs only the records whose weight differs, in one change batch. `comment` becomes the change batch
   * Comment (visible in CloudTrail), e.g. the action id, so a DNS change can be traced to its decision.
   */
  setWeights(
    record: WeightedRecord,
    weights: Record<string, number>,
    options?: { comment?: string },
  ): Promise<{ changeId?: string }>;
  /**
   * The propagation status of a change (GetChange): `INSYNC` once every Route 53 authoritative server
   * answers with it, `PENDING` until then, `undefined` when Route 53 knows no such change (NoSuchChange).
   */
  changeStatus(changeId: string): Promise<Route53ChangeStatus | undefined>;
}

export type Route53ChangeStatus = 'PENDING' | 'INSYNC';

/** What Lambda lets an account (and a function) have: the ceiling for provisioned concurrency. */
export interface LambdaAccountConcurrency {
  /** The account's concurrent executions quota in this region (Service Quotas L-B99A9384). */
  limit: number;
  /** What no function reserves: the pool provisioned concurrency of unreserved functions comes from. */
  unreserved: number;
}

/** Read-only limits for `validate --live` (GetAccountSettings, GetFunctionConcurrency). */
export interface LambdaLimitsPort {
  account(): Promise<LambdaAccountConcurrency>;
  /** The function's reserved concurrency (`null`: none reserved), or undefined when there is no such function. */
  reservedConcurrency(functionName: string): Promise<number | null | undefined>;
}

/**
 * What an Auto Scaling group's sizes (and so bounds) count, its DesiredCapacityType: instances or the weights
 * of its mixed-instances types (`units`, the default), vCPUs, or MiB of memory.
 */
export type Ec2CapacityUnit = 'units' | 'vcpu' | 'memory-mib';

/**
 * One kind of instance the group may launch, and the capacity units each such instance counts for (its
 * WeightedCapacity; 1 without weights): a named instance type, or attribute-based instance selection, where
 * only the vCPU range per instance is known (`max` absent: no upper bound).
 */
export type Ec2LaunchOption =
  | { instanceType: string; weight: number }
  | { vcpus: { min: number; max?: number }; weight: number };

/** What an Auto Scaling group launches, and in which unit its capacity is counted. */
export interface Ec2LaunchOptions {
  capacityUnit: Ec2CapacityUnit;
  /** Without duplicates; empty when nothing names an instance type or vCPU range. */
  options: Ec2LaunchOption[];
}

/**
 * Read-only EC2 limits for `validate --live` (operator credentials only; no function is granted them): the
 * account's Running On-Demand Standard instances quota in vCPUs (Service Quotas ec2 L-1216C47A), what a group
 * launches, and each type's default vCPUs (ec2 DescribeInstanceTypes).
 */
export interface Ec2QuotaPort {
  /** The applied quota, or undefined when Service Quotas has no applied value for it (NoSuchResourceException). */
  onDemandStandardVcpus(): Promise<number | undefined>;
  /**
   * What the group launches: its instances, and what it launches next — the overrides of its mixed-instances
   * policy, else the launch template version it uses, else its launch configuration. Throws
   * LaunchSourceNotFoundError when the launch template (version) or launch configuration it names is gone.
   */
  launchOptions(groupName: string): Promise<Ec2LaunchOptions>;
  /** Default vCPUs by instance type, for the types EC2 knows. */
  vcpus(instanceTypes: readonly string[]): Promise<Record<string, number>>;
}

/**
 * The weights of an ALB listener rule's forward action (elbv2 DescribeRules / ModifyRule), by target group ARN.
 * Only the forward action's target group weights ever change: its stickiness, the rule's conditions,
 * priority and other actions stay as they are.
 */
export interface AlbRoutingPort {
  /** Weight of every target group the rule's forward action names, by target group ARN. */
  getWeights(listenerRuleArn: string): Promise<Record<string, number>>;
  /** Sets these target groups' weights (by ARN); target groups not named keep theirs. */
  setWeights(listenerRuleArn: string, weights: Record<string, number>): Promise<void>;
}

// ---- metric history (CloudWatch GetMetricData) -----------------------------------------------------------

/** One metric whose history could not be read: its rules decide from snapshots alone this time. */
export interface MetricHistoryFailure {
  driver: string;
  error: string;
  retryable: boolean;
}

/**
 * The recent history of the metrics a target's rules read (functions/domain/history.ts), by driver name.
 * Never throws and never blocks a decision: a history that cannot be read is left out and reported.
 */
export interface MetricHistoryPort {
  forTarget(target: Target, now: number): Promise<{ histories: MetricHistories; failures: MetricHistoryFailure[] }>;
}

// ---- executors (logic above the AWS ports) --------------------------------------------------------------

/** `changeIds`: Route 53 changes the apply submitted (ChangeInfo.Id), followed to INSYNC by the follow-through. */
export type ApplyResult = { status: 'applied' | 'unchanged'; detail: string; changeIds?: string[] };

/**
 * Whether an applied allocation serves. `serving`: it does (instances InService ≥ desired, provisioned
 * concurrency READY, the DNS change INSYNC). `in-progress`: not yet, nothing failed. `failed`: AWS says it
 * will not without help (a failed launch, FAILED provisioned concurrency), or the resource is gone.
 */
export type ServingObservation =
  | {
      state: 'serving';
      detail: string;
      /** The capacity seen serving (InService instances, allocated provisioned concurrency): TargetServing. */
      serving?: number;
      /**
       * The plan is in place but the kind cannot see when the capacity behind it serves (an AAS scalable target
       * reports MinCapacity, not running tasks): settled without a time to serve, so no warmup sample is kept.
       */
      timeToServeUnknown?: true;
    }
  | { state: 'in-progress'; detail: string; serving?: number }
  | { state: 'failed'; cause: string; serving?: number };

/** One per target kind: observes the resource and applies a decision's actions idempotently. */
export interface AllocationExecutor {
  observe(target: Target): Promise<Allocation | undefined>;
  /** Whether the applied plan `following` serves yet (one or two read calls; never writes). */
  observeServing(target: Target, following: Following): Promise<ServingObservation>;
  /** `actionId` is derived from the decision (`${decisionId}#${index}`) and used for idempotency/logs. */
  apply(target: Target, action: Action, actionId: string): Promise<ApplyResult>;
}

// ---- shard queue (the sharded tick) ---------------------------------------------------------------------

/** One shard of a tick, as the tick hands it to the shard workers (schema: functions/app/shards.ts). */
export interface ShardMessageBody {
  v: 1;
  tickAt: number;
  notAfter: number;
  shard: { index: number; count: number };
  targetIds: string[];
}

export interface ShardQueue {
  /**
   * Enqueues every shard. Resolves when all were accepted; otherwise rejects with ShardDispatchError naming
   * the shards that were not (the others are on their way: a shard is never half-sent).
   */
  send(shards: readonly ShardMessageBody[]): Promise<void>;
}

/** Some shards of a tick could not be enqueued; their targets wait for the next tick. */
export class ShardDispatchError extends Error {
  override readonly name = 'ShardDispatchError';
  constructor(
    readonly failedShards: number[],
    readonly retryable: boolean,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

// ---- decision events (EventBridge, the business bus) ----------------------------------------------------

/**
 * The detail of a "Drivetrain Decision" event (docs/events.md, schema version DECISION_EVENT_SCHEMA_VERSION).
 * Only what a notification or a router needs; the whole record is one `drivetrain explain <decisionId>` away.
 */
export interface DecisionEventDetail {
  schemaVersion: number;
  deployment: string;
  decisionId: string;
  targetId: string;
  targetKind: string;
  /** Epoch seconds the decision was made at. */
  at: number;
  status: DecisionStatus;
  /** Running on the fallback allocation because every telemetry driver is stale (not the `degraded` status). */
  onFallback: boolean;
  mode: TargetMode;
  summary: string;
  reasons: string[];
  winner?: string;
  current?: Allocation;
  desired: Allocation;
  policyVersion: string;
  outcome?: { detail: string; error?: { name: string; message: string; retryable: boolean } };
  /** The follow-through's verdict (settled/degraded/replaced events): when, what serves, time to serve or the cause. */
  serving?: ServingOutcome;
  /** `replaced` events: the decision whose apply replaced this plan before it served. */
  replacedBy?: string;
}

export interface DecisionEventPublisher {
  /**
   * Publishes the events (batched as the bus allows). Never throws: it reports how many were accepted and
   * how many not, so publishing can never fail the reconcile that produced them.
   */
  publish(events: readonly DecisionEventDetail[]): Promise<{ published: number; failed: number; error?: string }>;
}

// ---- the deployed config (state table, reserved key) -----------------------------------------------------

/** The config a deployment runs with, as its tick recorded it (read by the CLI's read commands). */
export interface DeployedConfig {
  /** Content hash of the validated config (hex); equal configs have equal versions. */
  version: string;
  /** When a tick of this config first recorded it (epoch seconds): within one tick interval of the deploy. */
  recordedAt: number;
  config: DrivetrainConfig;
}

/** `recorded`: this version is now stored; `unchanged`: it already was; `raced`: another tick wrote meanwhile. */
export type RecordConfigResult = 'recorded' | 'unchanged' | 'raced';

export interface DeployedConfigStore {
  /** The recorded config; undefined when none was recorded yet. Throws CorruptItemError on an unreadable item. */
  read(): Promise<DeployedConfig | undefined>;
  /** Records the config this process runs with, writing only when the stored version differs. */
  record(config: Readonly<DrivetrainConfig>, now: number): Promise<RecordConfigResult>;
}
