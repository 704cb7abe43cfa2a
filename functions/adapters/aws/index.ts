/**
 * The AWS side of the executors: SDK clients configured for them and the three adapters built on those.
 * Call createAwsAllocationPorts() once at module scope (cold start) and inject the result into
 * createExecutors; tests build the adapters directly around mocked clients.
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { Route53Client } from '@aws-sdk/client-route-53';
import type { ExecutorPorts } from '../../executors';
import { AwsAutoScalingAdapter } from './auto-scaling';
import { AwsProvisionedConcurrencyAdapter } from './provisioned-concurrency';
import { AwsWeightedRoutingAdapter } from './weighted-routing';

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

export interface AwsAllocationPortsConfig {
  /** Defaults to the Lambda's AWS_REGION. Route 53 is global and ignores it. */
  region?: string;
}

export function createAwsAllocationPorts(config: AwsAllocationPortsConfig = {}): ExecutorPorts {
  const clientConfig = { ...AWS_EXECUTOR_CLIENT_CONFIG, requestHandler: { ...AWS_EXECUTOR_CLIENT_CONFIG.requestHandler }, ...(config.region ? { region: config.region } : {}) };
  return {
    autoScaling: new AwsAutoScalingAdapter(new AutoScalingClient(clientConfig)),
    provisionedConcurrency: new AwsProvisionedConcurrencyAdapter(new LambdaClient(clientConfig)),
    weightedRouting: new AwsWeightedRoutingAdapter(new Route53Client(clientConfig)),
  };
}

export { AwsAutoScalingAdapter } from './auto-scaling';
export { AwsProvisionedConcurrencyAdapter } from './provisioned-concurrency';
export { AwsWeightedRoutingAdapter, normalizeRecordName } from './weighted-routing';
