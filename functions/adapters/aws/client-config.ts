/**
 * The SDK client configuration of the executors' clients (a module of its own: the on-demand chunks need only it).
 *
 * - `maxAttempts: 1`: the executors' withRetry is the only retry layer. Stacked on the SDK's default three
 *   attempts it would multiply into fifteen requests per action, blow the time budget in retry.ts, and let
 *   the SDK's own retries slip past the Route 53 limiter.
 * - Timeouts: an AWS control-plane call normally answers in well under a second; one that hangs should fail
 *   fast as a retryable TimeoutError and be re-read/retried, not eat the Lambda's whole timeout.
 */
export const AWS_EXECUTOR_CLIENT_CONFIG = Object.freeze({
  maxAttempts: 1,
  requestHandler: Object.freeze({ connectionTimeout: 2_000, requestTimeout: 5_000, throwOnRequestTimeout: true }),
});
