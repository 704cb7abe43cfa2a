/**
 * The executors: one per target kind, each observing its resource and applying a decision's actions
 * idempotently through the narrow ports (AWS SDK adapters in production, the simulator in the demo).
 *
 * Contract for the caller (the reconcile service):
 * - Pass the target with its effective mode (`{ ...target, mode: effectiveMode(target, state) }`). Only
 *   `enforce` targets can be changed; apply on any other mode throws PermanentExecutorError before any AWS
 *   call. Shadow and paused decisions should never reach apply in the first place (`decision.apply`).
 * - `actionId` is `${decisionId}#${index}`; it appears in every detail/error and in Route 53 change comments.
 * - apply returns { status: 'applied' | 'unchanged', detail } or throws an ExecutorError whose `retryable`
 *   says whether to leave the decision for the next tick or mark it failed. Executors log nothing.
 * - Create executors per invocation when you want `retry.deadlineAt` set from the Lambda context: they are
 *   cheap closures, and the Route 53 limiter is shared per process unless you inject one.
 */
import type { TargetKind } from '../domain/model';
import type { AllocationExecutor, AutoScalingPort, ProvisionedConcurrencyPort, WeightedRoutingPort } from '../ports';
import { createAutoScalingExecutor } from './auto-scaling';
import { createProvisionedConcurrencyExecutor } from './provisioned-concurrency';
import { defaultRoute53Limiter, type RequestLimiter } from './rate-limiter';
import { INVOCATION_RETRY_BUDGET_MS, RetryBudget, type RetryOptions } from './retry';
import { createWeightedRoutingExecutor } from './weighted-routing';

export interface ExecutorPorts {
  autoScaling: AutoScalingPort;
  provisionedConcurrency: ProvisionedConcurrencyPort;
  weightedRouting: WeightedRoutingPort;
}

export interface ExecutorOptions {
  /** Overrides of DEFAULT_RETRY_OPTIONS (attempts, delays, deadlineAt, injected sleep/random/now). */
  retry?: Partial<RetryOptions>;
  /** Paces Route 53 requests; defaults to one 5 req/s bucket shared by the whole process. */
  route53Limiter?: RequestLimiter;
}

export function createExecutors(
  ports: ExecutorPorts,
  options: ExecutorOptions = {},
): Record<TargetKind, AllocationExecutor> {
  const retry = options.retry ?? {};
  return {
    'ec2-asg': createAutoScalingExecutor(ports.autoScaling, retry),
    'lambda-provisioned-concurrency': createProvisionedConcurrencyExecutor(ports.provisionedConcurrency, retry),
    'route53-weighted': createWeightedRoutingExecutor(
      ports.weightedRouting,
      options.route53Limiter ?? defaultRoute53Limiter(),
      retry,
    ),
  };
}

/**
 * The executors of one Lambda invocation: every retry shares the invocation's budget
 * (INVOCATION_RETRY_BUDGET_MS) and none runs past `deadlineAtMs`. Build them per invocation.
 */
export function createInvocationExecutors(
  ports: ExecutorPorts,
  invocation: { deadlineAtMs: number | undefined },
  options: ExecutorOptions = {},
): Record<TargetKind, AllocationExecutor> {
  const retry: Partial<RetryOptions> = {
    ...options.retry,
    invocationBudget: new RetryBudget(INVOCATION_RETRY_BUDGET_MS),
  };
  if (invocation.deadlineAtMs !== undefined) retry.deadlineAt = invocation.deadlineAtMs;
  return createExecutors(ports, { ...options, retry });
}

export {
  DEFAULT_RETRY_OPTIONS,
  INVOCATION_RETRY_BUDGET_MS,
  RetryBudget,
  withRetry,
  type RetryInfo,
  type RetryOptions,
} from './retry';
export {
  defaultRoute53Limiter,
  ROUTE53_RATE_LIMIT,
  TokenBucketLimiter,
  systemClock,
  type LimiterClock,
  type RequestLimiter,
} from './rate-limiter';
