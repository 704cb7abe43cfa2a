/**
 * The error contract of the ports: what an adapter (or an in-memory twin) throws and what the executors, the
 * reconcile service and the CLI branch on. Callers branch on the class and its flags, never on a message.
 *
 * Typed executor errors. Every failure leaving an executor is an ExecutorError whose `retryable` flag is the
 * one thing the caller branches on: retryable → leave the decision planned and let the next tick converge;
 * permanent → mark it failed and tell a human (retrying a validation error or a missing permission only
 * burns the API quota the rest of the account shares).
 *
 * `code` is the AWS error name (`ThrottlingException`, `ScalingActivityInProgressFault`, …) or one of ours
 * (EXECUTOR_ERROR_CODES), so metrics and alerts can group by it without parsing messages. The SDK error is
 * always kept as `cause`: its `$metadata.requestId` is what AWS Support asks for.
 */

/** Codes of the errors Drivetrain raises itself (not from an AWS response). */
export const EXECUTOR_ERROR_CODES = {
  /** The action does not fit the target kind (set-weights on an Auto Scaling group…). */
  wrongActionType: 'WrongActionType',
  /** The target's resource is of another kind than the executor it was given to. */
  wrongTargetKind: 'WrongTargetKind',
  /** The action's values are impossible (floor above desired, unknown endpoint…). */
  invalidAction: 'InvalidAction',
  /** The target is not in enforce mode: executors refuse to call a mutating API for it. */
  targetNotEnforced: 'TargetNotEnforced',
  resourceNotFound: 'ResourceNotFound',
  /** desired > the Auto Scaling group's MaxSize: Drivetrain never raises MaxSize itself. */
  desiredAboveMaxSize: 'DesiredAboveMaxSize',
  /** A SetIdentifier the configuration names is missing from (or not weighted in) Route 53. */
  unknownSetIdentifier: 'UnknownSetIdentifier',
  /** A target group the configuration names is not in the ALB rule's forward action (or the rule has none). */
  unknownTargetGroup: 'UnknownTargetGroup',
  /** The record belongs to a Route 53 traffic policy instance, which would overwrite any direct edit. */
  trafficPolicyRecord: 'TrafficPolicyRecord',
  /** Retrying would run past the invocation's deadline. */
  deadlineExceeded: 'DeadlineExceeded',
  /** The retry budget (per action or per invocation) would not cover the next wait. */
  retryBudgetExhausted: 'RetryBudgetExhausted',
  /** An error without an AWS name (a bug, a malformed response): not worth retrying. */
  unexpected: 'Unexpected',
} as const;

export interface ExecutorErrorOptions {
  cause?: unknown;
  /** AWS error name or an EXECUTOR_ERROR_CODES value. */
  code?: string;
  /** Server-suggested wait before retrying (Lambda's TooManyRequestsException carries Retry-After). */
  retryAfterMs?: number;
  /** How many attempts were made before giving up (set by withRetry). */
  attempts?: number;
  /** Known not to have changed the resource (see ExecutorError.notApplied). */
  notApplied?: boolean;
}

export class ExecutorError extends Error {
  override readonly name: string = 'ExecutorError';
  readonly retryable: boolean;
  readonly code: string;
  readonly retryAfterMs: number | undefined;
  readonly attempts: number | undefined;
  /**
   * True when the action is known not to have changed the resource: no write was sent, or AWS refused every
   * write that was (throttled, another operation in progress). False means the outcome is unknown — a write
   * may have timed out after AWS applied it — and the caller must read the resource to tell.
   */
  readonly notApplied: boolean;

  constructor(message: string, retryable: boolean, options: ExecutorErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = retryable;
    this.code = options.code ?? EXECUTOR_ERROR_CODES.unexpected;
    this.retryAfterMs = options.retryAfterMs;
    this.attempts = options.attempts;
    this.notApplied = options.notApplied ?? false;
  }
}

/** Transient: throttling, a conflicting operation in progress, a 5xx, a timeout. Trying later can succeed. */
export class RetryableExecutorError extends ExecutorError {
  override readonly name = 'RetryableExecutorError';
  constructor(message: string, options: ExecutorErrorOptions = {}) {
    super(message, true, options);
  }
}

/** Trying again cannot help until a human changes something (configuration, IAM, the resource). */
export class PermanentExecutorError extends ExecutorError {
  override readonly name = 'PermanentExecutorError';
  constructor(message: string, options: ExecutorErrorOptions = {}) {
    super(message, false, options);
  }
}

export function isExecutorError(error: unknown): error is ExecutorError {
  return error instanceof ExecutorError;
}

// ---------------------------------------------------------------------------------------------------------
// Decision store errors
// ---------------------------------------------------------------------------------------------------------

/** Another decider advanced the target's state version first: reload and decide again (or stand down). */
export class ConcurrentDecisionError extends Error {
  override readonly name = 'ConcurrentDecisionError';
  readonly retryable = true;
  constructor(
    readonly targetId: string,
    readonly expectedVersion: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      `target ${targetId}: state is no longer at version ${expectedVersion ?? '(none)'}; another decider recorded first`,
      options,
    );
  }
}

/** An item that no longer parses with the current schema (hand edit, older release). Never crashes a tick. */
export class CorruptItemError extends Error {
  override readonly name = 'CorruptItemError';
  readonly retryable = false;
  constructor(
    readonly table: string,
    readonly key: Record<string, unknown>,
    readonly issues: string,
  ) {
    super(`${table} item ${JSON.stringify(key)} does not match the schema: ${issues}`);
  }
}

/** The store cannot describe a target it has neither configuration nor history for. */
export class UnknownTargetError extends Error {
  override readonly name = 'UnknownTargetError';
  readonly retryable = false;
  constructor(readonly targetId: string) {
    super(
      `unknown target "${targetId}": it is not in the configuration given to the decision store and has no recorded decision`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------
// Live-check errors (Ec2QuotaPort)
// ---------------------------------------------------------------------------------------------------------

/**
 * The launch template (version) or launch configuration an Auto Scaling group names does not exist (EC2 lets
 * a template be deleted while a group still uses it): the group can launch no instance until it names one
 * that does. `source` says which, e.g. `launch template lt-0a1b2c3d4e5f67890 version 7`.
 */
export class LaunchSourceNotFoundError extends Error {
  override readonly name = 'LaunchSourceNotFoundError';
  readonly retryable = false;
  constructor(
    readonly groupName: string,
    readonly source: string,
    options?: { cause?: unknown },
  ) {
    super(`Auto Scaling group ${groupName} launches from ${source}, which does not exist`, options);
  }
}
