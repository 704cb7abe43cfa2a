/**
 * The AWS side of the executors: the SDK client configuration they need and the three adapters. The Lambdas
 * build the clients once at module scope (functions/runtime/clients.ts); tests wrap mocked clients.
 */

/**
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

export { AwsApplicationAutoScalingAdapter } from './application-auto-scaling';
export { AwsAlbRoutingAdapter } from './alb-routing';
export { AwsAutoScalingAdapter } from './auto-scaling';
export { AwsProvisionedConcurrencyAdapter } from './provisioned-concurrency';
export { AwsWeightedRoutingAdapter, normalizeRecordName } from './weighted-routing';
