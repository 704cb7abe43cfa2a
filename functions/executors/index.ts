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
import { TARGET_KINDS, type TargetKind } from '../domain/target-kinds';
import { createAlbRoutingExecutor } from './alb-routing';
import type {
  AlbRoutingPort,
  AllocationExecutor,
  ApplicationAutoScalingPort,
  AutoScalingPort,
  ProvisionedConcurrencyPort,
  WeightedRoutingPort,
} from '../ports';
import { createApplicationAutoScalingExecutor } from './application-auto-scaling';
import { createAutoScalingExecutor } from './auto-scaling';
import { PermanentExecutorError } from '../ports/errors';
import { createProvisionedConcurrencyExecutor } from './provisioned-concurrency';
import { defaultRoute53Limiter, type RequestLimiter } from './rate-limiter';
import { INVOCATION_RETRY_BUDGET_MS, RetryBudget, type RetryOptions } from './retry';
import { createWeightedRoutingExecutor } from './weighted-routing';

export interface ExecutorPorts {
  autoScaling: AutoScalingPort;
  applicationAutoScaling: ApplicationAutoScalingPort;
  provisionedConcurrency: ProvisionedConcurrencyPort;
  weightedRouting: WeightedRoutingPort;
  /**
   * ALB listener rules. Optional so callers without alb-weighted targets need not build an ELBv2 client;
   * without it, acting on an alb-weighted target fails permanently and says why.
   */
  albRouting?: AlbRoutingPort;
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
  return Object.fromEntries(
    TARGET_KINDS.map((kind) => [kind, EXECUTOR_FACTORIES[kind](ports, options, retry)]),
  ) as Record<TargetKind, AllocationExecutor>;
}

type ExecutorFactory = (
  ports: ExecutorPorts,
  options: ExecutorOptions,
  retry: Partial<RetryOptions>,
) => AllocationExecutor;

/**
 * The target-kind registry, executor layer: the executor (and so the SDK adapter, through its port) of each
 * kind. Keyed by every kind, so a kind without an executor does not compile.
 */
export const EXECUTOR_FACTORIES = {
  'ec2-asg': (ports, _options, retry) => createAutoScalingExecutor(ports.autoScaling, retry),
  'lambda-provisioned-concurrency': (ports, _options, retry) =>
    createProvisionedConcurrencyExecutor(ports.provisionedConcurrency, retry),
  'route53-weighted': (ports, options, retry) =>
    createWeightedRoutingExecutor(ports.weightedRouting, options.route53Limiter ?? defaultRoute53Limiter(), retry),
  'application-auto-scaling': (ports, _options, retry) =>
    createApplicationAutoScalingExecutor(ports.applicationAutoScaling, retry),
  'alb-weighted': (ports, _options, retry) => createAlbRoutingExecutor(ports.albRouting ?? MISSING_ALB_PORT, retry),
} satisfies Record<TargetKind, ExecutorFactory>;

const MISSING_ALB_PORT: AlbRoutingPort = {
  getWeights: async () => {
    throw new PermanentExecutorError('no ALB port was given to the executors (ExecutorPorts.albRouting)');
  },
  setWeights: async () => {
    throw new PermanentExecutorError('no ALB port was given to the executors (ExecutorPorts.albRouting)');
  },
};

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
