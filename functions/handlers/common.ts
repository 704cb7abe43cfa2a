/**
 * What the Lambda entry points share: their dependencies, the Powertools middleware stack and the
 * module-scope wiring from environment + real clients.
 */
import middy from '@middy/core';
import type { Context, Handler } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { DrivetrainConfig } from '../domain/config';
import type { Target, TargetKind } from '../domain/model';
import type {
  AllocationExecutor,
  DecisionEventPublisher,
  DecisionStore,
  DriverStore,
  MetricHistoryPort,
} from '../ports';
import { perTargetTelemetryIds } from '../contracts';
import { DecisionEventBatch } from '../app/decision-events';
import { randomUUID } from 'node:crypto';
import { CLAIM_LEASE_MARGIN_SECONDS, type InvocationClaim, type ReconcileDeps } from '../app/reconcile';

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
  /** Publishes the decision events on the business bus; absent: none are published (demo, most tests). */
  decisionEvents?: DecisionEventPublisher;
}

/**
 * Each reconcile makes ~4 DynamoDB requests and 1-3 control-plane calls. Four at a time lets a tick over
 * dozens of targets finish in seconds while keeping one invocation's burst on the Auto Scaling and Lambda
 * APIs (shared with everything else in the account) small; Route 53 is paced separately by the executors.
 */
export const DEFAULT_TARGET_CONCURRENCY = 4;

/** Room left after the executors' last retry to mark the decision before Lambda stops the invocation. */
const DEADLINE_SAFETY_MS = 5_000;

/**
 * Epoch milliseconds the invocation's AWS calls must be done by. Measured on the handler's clock (whole
 * seconds in Lambda: at most a second early, never late), so a virtual clock in tests moves the deadline too.
 */
export function invocationDeadline(context: Context | undefined, nowMs: number): number | undefined {
  const remaining =
    typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined;
  return remaining === undefined ? undefined : nowMs + remaining - DEADLINE_SAFETY_MS;
}

export function reconcileDeps(deps: HandlerDeps, context: Context | undefined): ReconcileDeps {
  const executors =
    typeof deps.executors === 'function'
      ? deps.executors({ deadlineAtMs: invocationDeadline(context, deps.clock() * 1000) })
      : deps.executors;
  return {
    drivers: deps.drivers,
    decisions: deps.decisions,
    executors,
    clock: deps.clock,
    logger: deps.logger,
    metrics: deps.metrics,
    claim: invocationClaim(context),
    ...(deps.pendingGraceSeconds === undefined ? {} : { pendingGraceSeconds: deps.pendingGraceSeconds }),
    ...(deps.metricHistory ? { metricHistory: deps.metricHistory } : {}),
    perTargetTelemetry: new Set(perTargetTelemetryIds(deps.config.targets)),
    ...(deps.decisionEvents
      ? { decisionEvents: new DecisionEventBatch(deps.config.name, deps.decisionEvents, deps.logger, deps.metrics) }
      : {}),
  };
}

/**
 * This invocation as a claim owner. The request id makes the owner traceable to its logs; the random part
 * makes it unique, because Lambda reuses the request id when it retries an invocation that failed.
 */
export function invocationClaim(context: Context | undefined): InvocationClaim {
  const owner = `${context?.awsRequestId ?? 'local'}/${randomUUID()}`;
  const remainingMs = () =>
    typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined;
  return {
    owner,
    leaseSeconds: () => {
      const remaining = remainingMs();
      return remaining === undefined
        ? undefined
        : Math.ceil(Math.max(0, remaining) / 1000) + CLAIM_LEASE_MARGIN_SECONDS;
    },
  };
}

export function targetsById(config: Readonly<DrivetrainConfig>): ReadonlyMap<string, Target> {
  return new Map(config.targets.map((t) => [t.id, t]));
}

/** Powertools stack: X-Ray segment, Lambda context on every log line, EMF metrics flushed even on error. */
export function withPowertools<TEvent, TResult>(
  deps: Pick<HandlerDeps, 'logger' | 'metrics' | 'tracer'>,
  fn: (event: TEvent, context: Context) => Promise<TResult>,
) {
  const handler = middy(fn);
  if (deps.tracer) handler.use(captureLambdaHandler(deps.tracer));
  return handler
    .use(injectLambdaContext(deps.logger, { resetKeys: true }))
    .use(logMetrics(deps.metrics, { captureColdStartMetric: true }));
}

/**
 * The module-scope `handler`. Inside Lambda the dependencies are built at init, so a bad environment fails
 * the cold start with a clear message. Elsewhere (the demo, tests importing the factories) building waits
 * for the first call, so importing the module never needs a Lambda environment.
 */
export function lambdaEntry<TEvent, TResult>(build: () => Handler<TEvent, TResult>): Handler<TEvent, TResult> {
  let built: Handler<TEvent, TResult> | undefined = process.env.AWS_LAMBDA_FUNCTION_NAME ? build() : undefined;
  return (event, context, callback) => {
    built ??= build();
    return built(event, context, callback);
  };
}
