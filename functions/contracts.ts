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
  driversTable: 'DRIVERS_TABLE_NAME',
  decisionsTable: 'DECISIONS_TABLE_NAME',
  stateTable: 'STATE_TABLE_NAME',
  idempotencyTable: 'IDEMPOTENCY_TABLE_NAME',
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
  /** Target reconciles that failed (logged with the error); the next tick tries again. */
  reconcileErrors: 'ReconcileErrors',
  /** Events that could not be read at all (malformed/unsupported); they end in the DLQ. */
  poisonEvents: 'PoisonEvents',
  /** Operator endpoint requests refused before any driver was read (no verified identity, not permitted). */
  operatorRequestsRefused: 'OperatorRequestsRefused',
} as const;

/**
 * Dimension every metric carries besides `service`: the deployment name, so two deployments in one account
 * keep their own dashboards and alarms.
 */
export const DEPLOYMENT_DIMENSION = 'deployment';
