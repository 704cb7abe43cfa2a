/**
 * Narrow ports: one small interface per outside thing. Handlers and the reconcile service depend on these,
 * never on an SDK; each has one real adapter (DynamoDB or AWS SDK v3) and the local simulator implements the
 * AWS ones for the demo.
 */
import type { MetricHistories } from '../domain/history';
import type { Action, Allocation, Decision, Driver, Target, TargetMode, TargetState } from '../domain/model';

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
 * follows it.
 */
export const DECISION_STATUSES = ['planned', 'applied', 'failed', 'superseded', 'shadow', 'skipped'] as const;
export type DecisionStatus = (typeof DECISION_STATUSES)[number];
/** The statuses that settle a plan (markOutcome). */
export type PlanOutcomeStatus = Extract<DecisionStatus, 'applied' | 'failed' | 'superseded'>;

export interface DecisionOutcome {
  at: number;
  detail: string;
  error?: { name: string; message: string; retryable: boolean };
  /** The resource as the repair observed it before settling the plan (superseded plans move state.current there). */
  observed?: Allocation;
  /** The claim owner (invocation) that settled the plan. */
  by?: string;
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
   * All clear state.pending, in the same transaction.
   */
  markOutcome(
    record: DecisionRecord,
    status: PlanOutcomeStatus,
    outcome: DecisionOutcome,
    owner?: string,
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
}

export interface AutoScalingPort {
  describe(groupName: string): Promise<AutoScalingGroupCapacity | undefined>;
  /** SetDesiredCapacity, or UpdateAutoScalingGroup when MinSize must move (pre-warm floor). */
  setCapacity(groupName: string, change: { desired: number; min?: number }): Promise<void>;
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
  setWeights(record: WeightedRecord, weights: Record<string, number>, options?: { comment?: string }): Promise<void>;
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

export type ApplyResult = { status: 'applied' | 'unchanged'; detail: string };

/** One per target kind: observes the resource and applies a decision's actions idempotently. */
export interface AllocationExecutor {
  observe(target: Target): Promise<Allocation | undefined>;
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
