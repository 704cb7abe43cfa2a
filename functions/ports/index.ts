/**
 * Narrow ports: one small interface per outside thing. Handlers and the reconcile service depend on these,
 * never on an SDK; each has one real adapter (DynamoDB or AWS SDK v3) and the local simulator implements the
 * AWS ones for the demo.
 */
import type { MetricHistories } from '../domain/history';
import type { Action, Allocation, Decision, Driver, Target, TargetMode, TargetState } from '../domain/model';

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

export const DECISION_STATUSES = ['planned', 'applied', 'failed', 'shadow', 'skipped'] as const;
export type DecisionStatus = (typeof DECISION_STATUSES)[number];

export interface DecisionOutcome {
  at: number;
  detail: string;
  error?: { name: string; message: string; retryable: boolean };
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

/** Target state as stored: the domain state plus bookkeeping the pipeline needs. */
export interface StoredTargetState extends TargetState {
  /** A planned decision whose actions have not been confirmed (crash between decide and act). */
  pending?: { decisionId: string; decisionKey: string; at: number };
  /** Summary of the last recorded decision: an unchanged "hold" is not written again. */
  lastSummary?: string;
}

export interface DecisionStore {
  getState(targetId: string): Promise<StoredTargetState | undefined>;
  /**
   * Records the decision and advances the target state from `expectedVersion` (undefined: no state yet)
   * in one transaction. Throws ConcurrentDecisionError when another decider advanced the state first.
   * `planned` sets state.pending; `shadow`/`skipped` leave the allocation untouched.
   */
  record(decision: Decision, expectedVersion: number | undefined, status: 'planned' | 'shadow' | 'skipped'): Promise<DecisionRecord>;
  /**
   * Marks a planned decision applied or failed. `applied` moves state.current to the decision's desired
   * allocation and sets the change times, in the same transaction; both clear state.pending. A decision
   * that is no longer `planned` is left alone (idempotent).
   */
  markOutcome(record: DecisionRecord, status: 'applied' | 'failed', outcome: DecisionOutcome): Promise<void>;
  get(decisionId: string): Promise<DecisionRecord | undefined>;
  /** Newest first. */
  list(targetId: string, options?: { since?: number; limit?: number }): Promise<DecisionRecord[]>;
  /** Operator kill switch / promotion; recorded as a decision (status `skipped`, reason in summary). */
  setMode(targetId: string, mode: TargetMode, actor: { by: string; reason: string }, now: number): Promise<DecisionRecord>;
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
