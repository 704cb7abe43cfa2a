/**
 * What every entry point is given. Built from the environment and real clients in Lambda (runtime/deps.ts),
 * from in-memory twins in the demo and the tests. It lives here, below both the handlers and the runtime, so
 * the runtime can build it without importing a handler module.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { DrivetrainConfig } from '../domain/config';
import type { TargetKind } from '../domain/model';
import type { AllocationExecutor, DecisionStore, DriverStore, MetricHistoryPort } from '../ports';

export type Executors = Readonly<Record<TargetKind, AllocationExecutor>>;

/**
 * Executors, or a factory called once per invocation with the time the invocation must be done by, so
 * executor retries never sleep past the Lambda deadline (the decision could then not be marked).
 */
export type ExecutorsProvider = Executors | ((invocation: { deadlineAtMs: number | undefined }) => Executors);

export interface HandlerDeps {
  config: Readonly<DrivetrainConfig>;
  drivers: DriverStore;
  decisions: DecisionStore;
  executors: ExecutorsProvider;
  /** Epoch seconds. */
  clock: () => number;
  logger: Logger;
  metrics: Metrics;
  /** Absent in the demo and tests: tracing is a no-op outside Lambda anyway. */
  tracer?: Tracer;
  /** Longer than the longest invocation of any function that reconciles (deployed: from the environment). */
  pendingGraceSeconds?: number;
  /** Targets reconciled at once by one invocation (default DEFAULT_TARGET_CONCURRENCY). */
  targetConcurrency?: number;
  /** Recent history of the metrics (CloudWatch GetMetricData, cached); absent: decide from snapshots alone. */
  metricHistory?: MetricHistoryPort;
}
