/**
 * What the Lambda entry points share: the Powertools middleware stack, the per-invocation reconcile wiring
 * and the module-scope entry. Their dependencies (HandlerDeps) are defined in app/deps.ts and built by the
 * runtime, which must not import this module.
 */
import middy from '@middy/core';
import type { Context, Handler } from 'aws-lambda';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { DrivetrainConfig } from '../domain/config';
import type { Target } from '../domain/model';
import { randomUUID } from 'node:crypto';
import type { HandlerDeps } from '../app/deps';
import { CLAIM_LEASE_MARGIN_SECONDS, type InvocationClaim, type ReconcileDeps } from '../app/reconcile';

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
