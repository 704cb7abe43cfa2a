/**
 * Typed errors of the DynamoDB stores. Callers branch on the class, never on a message.
 */

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

/** Minimal structured-logging surface (a Powertools Logger satisfies it). */
export interface StoreLogger {
  warn(message: string, attributes: Record<string, unknown>): void;
}

export const silentLogger: StoreLogger = { warn: () => undefined };

export interface CancellationReason {
  Code?: string;
  Message?: string;
  Item?: Record<string, unknown>;
}

/** `TransactionCanceledException` reasons, positionally matching the transaction's items. */
export function cancellationReasons(error: unknown): CancellationReason[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as { CancellationReasons?: CancellationReason[] }).CancellationReasons;
  return Array.isArray(reasons) ? reasons : [];
}

export function isConditionFailure(reason: CancellationReason | undefined): boolean {
  return reason?.Code === 'ConditionalCheckFailed';
}

/**
 * True when every failed item of a cancelled transaction failed its condition (as opposed to a conflicting
 * concurrent transaction, throttling or validation, which are not business outcomes).
 */
export function onlyConditionFailures(reasons: CancellationReason[]): boolean {
  const failed = reasons.filter((r) => r.Code && r.Code !== 'None');
  return failed.length > 0 && failed.every(isConditionFailure);
}
