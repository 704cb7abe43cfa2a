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
} as const;

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
  /** Seconds; longer than the longest invocation of any Drivetrain function (see lib/pending-grace.ts). */
  pendingGraceSeconds: 'PENDING_GRACE_SECONDS',
  /** Tick only: the queue it hands shards to (functions/app/shards.ts). */
  shardQueueUrl: 'SHARD_QUEUE_URL',
  /** Tick only: seconds between scheduled ticks; a shard not started within it is superseded by the next tick's. */
  tickIntervalSeconds: 'TICK_INTERVAL_SECONDS',
  /** The deployment's account id: alarms from other accounts are refused (the region is Lambda's AWS_REGION). */
  homeAccount: 'DRIVETRAIN_HOME_ACCOUNT',
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
} as const;

/**
 * Dimension every metric carries besides `service`: the deployment name, so two deployments in one account
 * keep their own dashboards and alarms.
 */
export const DEPLOYMENT_DIMENSION = 'deployment';
