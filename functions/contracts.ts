/**
 * Names shared by the Lambdas, the CDK stack, the CLI and the demo. Changing one here changes it everywhere,
 * which is the point: a metric name or an event detail-type typed twice is a dashboard that silently breaks.
 */

/** EventBridge detail-types accepted on the business bus. `source` is the sender (checked per target). */
export const DETAIL_TYPES = {
  businessDriver: 'Drivetrain Business Driver',
  metricSnapshot: 'Drivetrain Metric Snapshot',
  override: 'Drivetrain Override',
  /** Emitted by AWS on the default bus. */
  alarmStateChange: 'CloudWatch Alarm State Change',
  /**
   * Published by Drivetrain itself on the business bus after every recorded decision (docs/events.md). Not a
   * driver: the ingest rules match only the driver detail-types, so a decision event never loops back.
   */
  decision: 'Drivetrain Decision',
} as const;

/**
 * Source of the decision events Drivetrain publishes on its business bus. Fixed, not derived from the
 * deployment name: every deployment has its own bus, the detail names the deployment, and a fixed value can
 * be reserved (a config may not name it as a business source, see lib/drivetrain.ts) where `drivetrain.<name>`
 * could collide with a business source such as `drivetrain.metrics`.
 */
export const DECISION_EVENT_SOURCE = 'drivetrain.decisions';
/** Version of the decision event's detail schema (docs/events.md); bumped on any incompatible change. */
export const DECISION_EVENT_SCHEMA_VERSION = 1;

/** Source used by the CLI for operator actions (overrides, pause/resume). */
export const OPERATOR_SOURCE = 'drivetrain.operator';

/** Environment of every Drivetrain Lambda (parsed once at cold start, see functions/runtime/env.ts). */
export const ENV = {
  config: 'DRIVETRAIN_CONFIG',
  /** Set with the config by the deployed entry module: the config is already validated (config-seal.ts). */
  configSeal: 'DRIVETRAIN_CONFIG_SEAL',
  driversTable: 'DRIVERS_TABLE_NAME',
  decisionsTable: 'DECISIONS_TABLE_NAME',
  stateTable: 'STATE_TABLE_NAME',
  idempotencyTable: 'IDEMPOTENCY_TABLE_NAME',
  /** Ingest and operator: where accepted drivers are kept, and for how long (both absent: no history). */
  historyTable: 'HISTORY_TABLE_NAME',
  historyRetentionSeconds: 'DRIVER_HISTORY_RETENTION_SECONDS',
  /** Seconds; longer than the longest invocation of any Drivetrain function (see lib/pending-grace.ts). */
  pendingGraceSeconds: 'PENDING_GRACE_SECONDS',
  /** Tick only: the queue it hands shards to (functions/app/shards.ts). */
  shardQueueUrl: 'SHARD_QUEUE_URL',
  /** Tick only: seconds between scheduled ticks; a shard not started within it is superseded by the next tick's. */
  tickIntervalSeconds: 'TICK_INTERVAL_SECONDS',
  /** The deployment's account id: alarms from other accounts are refused (the region is Lambda's AWS_REGION). */
  homeAccount: 'DRIVETRAIN_HOME_ACCOUNT',
  /** Reconciling functions: the business bus their decision events are published on (absent: not published). */
  businessBusName: 'BUSINESS_BUS_NAME',
} as const;

export const METRICS_NAMESPACE = 'Drivetrain';
export const SERVICE_NAME = 'drivetrain';

/** CloudWatch metric names (EMF, namespace Drivetrain, dimensions `service` and `deployment`). */
export const METRIC = {
  driversAccepted: 'DriversAccepted',
  driversRejected: 'DriversRejected',
  driversOutOfOrder: 'DriversOutOfOrder',
  decisionsRecorded: 'DecisionsRecorded',
  decisionConflicts: 'DecisionConflicts',
  actionsApplied: 'ActionsApplied',
  actionsFailed: 'ActionsFailed',
  actionsUnchanged: 'ActionsUnchanged',
  /** Driver event received → executor call returned, milliseconds. */
  decisionLatency: 'DecisionLatencyMs',
  /** Age of the newest telemetry driver per target at decision time, seconds. */
  driverAge: 'DriverAgeSeconds',
  /** Targets whose telemetry is all stale (fallback in force). */
  staleTargets: 'StaleTargets',
  /** Allocation changes applied (churn). */
  allocationChanges: 'AllocationChanges',
  /** Targets left alone because another invocation is mid-apply on them (young state.pending). */
  targetsInFlight: 'TargetsInFlight',
  /** Planned decisions left unconfirmed by a crashed invocation and repaired by a later reconcile. */
  pendingRepaired: 'PendingRepaired',
  /** Pending plans whose record was gone or already settled, cleared by the repair (investigate: a hand edit?). */
  pendingOrphaned: 'PendingOrphaned',
  /** Plans an invocation could not settle because another invocation had taken its claim over. */
  claimsLost: 'ClaimsLost',
  /** Target reconciles that failed (logged with the error); the next tick tries again. */
  reconcileErrors: 'ReconcileErrors',
  /** Events that could not be read at all (malformed/unsupported); they end in the DLQ. */
  poisonEvents: 'PoisonEvents',
  /**
   * Actions given up because a retry budget (per action, per invocation) or the invocation deadline ran out
   * before AWS accepted them; the next reconcile decides again.
   */
  retryBudgetExhausted: 'RetryBudgetExhausted',
  /** Shards the tick enqueued, and those it could not (their targets wait for the next tick). */
  shardsDispatched: 'ShardsDispatched',
  shardDispatchFailures: 'ShardDispatchFailures',
  /** One shard worker's time over its shard, milliseconds (alarmed against the worker's timeout). */
  shardDuration: 'ShardDurationMs',
  /** Shard messages dropped because the next tick had already planned the same shard again. */
  shardsSuperseded: 'ShardsSuperseded',
  /** Targets a shard worker did not start because too little of its invocation was left; the next tick has them. */
  shardTargetsDeferred: 'ShardTargetsDeferred',
  /** Operator endpoint requests refused before any driver was read (no verified identity, not permitted). */
  operatorRequestsRefused: 'OperatorRequestsRefused',
  /** Decision events accepted by EventBridge, and those it refused or never received (the reconcile goes on). */
  decisionEventsPublished: 'DecisionEventsPublished',
  decisionEventsFailed: 'DecisionEventsFailed',
} as const;

/**
 * Dimension every metric carries besides `service`: the deployment name, so two deployments in one account
 * keep their own dashboards and alarms.
 */
export const DEPLOYMENT_DIMENSION = 'deployment';

/**
 * Dimension of the per-target metrics (TARGET_METRIC), besides `service` and `deployment`. Its values are the
 * configured target ids, so the metrics' cardinality is bounded by the config, never by the traffic.
 */
export const TARGET_DIMENSION = 'target';

/**
 * Per-target metrics: one EMF line per target per reconcile, dimensions {service, deployment, target}. The
 * handlers emit exactly these names (functions/app/target-metrics.ts) and the dashboard's per-target section
 * reads exactly these (lib/observability.ts), both from this one definition.
 */
export const TARGET_METRIC = {
  /** What the winning demand asked for, in allocation units (capacity targets; absent when nothing asked). */
  demand: 'TargetDemand',
  /** The allocation the decision wants (capacity targets). */
  desiredAllocation: 'TargetDesiredAllocation',
  /** The allocation observed on the resource at decision time (capacity targets). */
  currentAllocation: 'TargetCurrentAllocation',
  /**
   * What actually serves (e.g. InService instances, READY provisioned concurrency). Defined so the dashboard
   * and the settled-outcome observation can share it; emitted only where the reconcile knows it.
   */
  serving: 'TargetServing',
  /** Decisions recorded for the target, one metric per status (TARGET_DECISION_METRIC). */
  decisions: 'TargetDecisions',
  /** 1 while every telemetry driver of the target is stale (fallback allocation in force), else 0. */
  staleDrivers: 'TargetStaleDrivers',
} as const;

/** Dimension of TARGET_METRIC.decisions besides the target: the decision's status (DECISION_STATUSES). */
export const STATUS_DIMENSION = 'status';

/**
 * Targets that get per-target metrics and a dashboard section: the first this many in config order. A
 * CloudWatch dashboard holds at most 500 widgets; a section takes 3 (header, allocation graph, decisions and
 * staleness graph), so 100 sections and the ~20 control-plane widgets fit with room to spare. It also bounds
 * the bill: CloudWatch charges per metric (≈6 per target, ≈600 at the limit) and the dimension's values are
 * config ids only. Targets past the limit keep every deployment-wide metric; the dashboard says which.
 */
export const PER_TARGET_TELEMETRY_MAX = 100;

/** The ids of the targets with per-target telemetry (the handlers and the dashboard both read this). */
export function perTargetTelemetryIds(targets: ReadonlyArray<{ id: string }>): string[] {
  return targets.slice(0, PER_TARGET_TELEMETRY_MAX).map((t) => t.id);
}
