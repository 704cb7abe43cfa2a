/**
 * The AWS side of the executors: the SDK client configuration they need and the three adapters. The Lambdas
 * build each client once per execution environment, on its first use (functions/runtime/clients.ts); tests wrap
 * mocked clients.
 */
export { AWS_EXECUTOR_CLIENT_CONFIG } from './client-config';
export { AwsApplicationAutoScalingAdapter } from './application-auto-scaling';
export { AwsAlbRoutingAdapter } from './alb-routing';
export { AwsAutoScalingAdapter } from './auto-scaling';
export { AwsProvisionedConcurrencyAdapter } from './provisioned-concurrency';
export { AwsWeightedRoutingAdapter, normalizeRecordName } from './weighted-routing';
export { AwsLambdaLimitsAdapter } from './lambda-limits';
