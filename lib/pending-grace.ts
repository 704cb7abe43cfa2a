/**
 * The pending grace the functions get (PENDING_GRACE_SECONDS), derived from the timeouts the construct sets.
 *
 * A plan recorded by one invocation may be taken over by another only once the first is certainly gone. Each
 * claim carries a lease from its invocation's own deadline; the grace stands in for it when none is known
 * (and for plans recorded before claims existed), so it must exceed the longest invocation of every function
 * that reconciles. Deriving
 * it here, from the same numbers the functions are given, keeps the two from drifting apart (a fixed 180 s
 * grace against a 590 s tick let an ingest repair a plan the tick was still applying).
 */
import type { Duration } from 'aws-cdk-lib';

/**
 * Added to the longest timeout. Lambda stops an invocation at its timeout, but a request it sent just before
 * can still be processed by AWS a few seconds later (the executors' requests time out after 5 s); 30 s covers
 * that three times over and stays above the claims' own lease margin (CLAIM_LEASE_MARGIN_SECONDS, 10 s).
 */
export const PENDING_GRACE_MARGIN_SECONDS = 30;

/** Lambda's default when a function sets no timeout. */
const LAMBDA_DEFAULT_TIMEOUT_SECONDS = 3;

/** The longest of the given functions' timeouts plus the margin, in whole seconds. */
export function pendingGraceSeconds(timeouts: ReadonlyArray<Duration | undefined>): number {
  if (timeouts.length === 0) throw new RangeError('pendingGraceSeconds needs the timeout of at least one function');
  const longest = Math.max(...timeouts.map((t) => (t === undefined ? LAMBDA_DEFAULT_TIMEOUT_SECONDS : t.toSeconds())));
  return Math.ceil(longest) + PENDING_GRACE_MARGIN_SECONDS;
}
