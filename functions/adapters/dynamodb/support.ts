/**
 * DynamoDB helpers of the stores: transaction cancellation reasons and the logging surface. The errors the
 * stores throw are part of the DecisionStore/DriverStore contract and live in functions/ports/errors.ts.
 */

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
