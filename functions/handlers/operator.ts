/**
 * Operator endpoint Lambda (a function URL with AuthType AWS_IAM): the one path for what people do —
 * overrides, business drivers and metric snapshots sent by hand, and mode changes (pause/resume/shadow/
 * enforce). Lambda verifies the SigV4 signature before the function runs and puts the caller in
 * `requestContext.authorizer.iam`; that identity, never a field of the body, is what authorization checks
 * against the config (per target, per source) and what the decision records.
 *
 *   verified caller → parse body (zod) → authorize against the config → store + decide / record the mode
 *
 * Every refusal is counted (DriversRejected or OperatorRequestsRefused, with a `reason` dimension) and
 * answered with a 4xx naming it; nothing is ever half-applied: a request whose driver is refused for one of
 * its targets stores nothing.
 */
import { performance } from 'node:perf_hooks';
import type { Context } from 'aws-lambda';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';
import { METRIC } from '../contracts';
import { changeMode, type ModeChange } from '../app/mode';
import { describeCaller, principalMatches, verifiedCaller, type VerifiedCaller } from '../ingest/caller';
import { normalize } from '../ingest/normalize';
import { buildLambdaDeps } from '../runtime/deps';
import { DEFAULT_TARGET_CONCURRENCY, lambdaEntry, targetsById, withPowertools } from './common';
import type { HandlerDeps } from '../app/deps';
import { operatorRequestSchema, type OperatorRequest, type OperatorResponse } from '../operator-contract';
import { countRejections, storeDriversAndReconcile, type Stored } from './store-drivers';

export { operatorRequestSchema, type OperatorRequest, type OperatorResponse } from '../operator-contract';

export interface OperatorDeps extends HandlerDeps {
  /** This deployment's account and region (Lambda environment). */
  home?: { account: string; region: string };
}

/** Why a request was refused before it reached the normalizer or the decision store. */
export const OPERATOR_REFUSALS = ['unauthenticated', 'bad-request', 'unknown-target', 'mode-not-permitted'] as const;
export type OperatorRefusal = (typeof OPERATOR_REFUSALS)[number];

const STATUS: Record<OperatorRefusal | 'driver-rejected', number> = {
  unauthenticated: 401,
  'bad-request': 400,
  'unknown-target': 404,
  'mode-not-permitted': 403,
  'driver-rejected': 403,
};

/** A request body is a few KB at most (an override names ≤100 targets); anything larger is not ours. */
const MAX_BODY_BYTES = 64 * 1024;

/** The parts of a function URL event the endpoint reads (the full shape is APIGatewayProxyEventV2). */
const functionUrlEventSchema = z.object({
  body: z.string().optional(),
  isBase64Encoded: z.boolean().optional(),
  requestContext: z.object({
    requestId: z.string().min(1).max(512),
    http: z.object({ method: z.string() }),
    authorizer: z.object({ iam: z.object({ userArn: z.string().min(1).max(2048) }) }).optional(),
  }),
});

function respond(statusCode: number, body: unknown): OperatorResponse {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

export function createOperatorHandler(deps: OperatorDeps) {
  const targets = targetsById(deps.config);
  const concurrency = deps.targetConcurrency ?? DEFAULT_TARGET_CONCURRENCY;

  const refuse = (reason: OperatorRefusal, message: string, log: Record<string, unknown> = {}): OperatorResponse => {
    const counter = deps.metrics.singleMetric();
    counter.addDimension('reason', reason);
    counter.addMetric(METRIC.operatorRequestsRefused, MetricUnit.Count, 1);
    deps.logger.warn('operator request refused', { reason, message, ...log });
    return respond(STATUS[reason], { error: reason, message });
  };

  const putDriver = async (
    request: Extract<OperatorRequest, { action: 'put-driver' }>,
    caller: VerifiedCaller,
    requestId: string,
    context: Context,
  ) => {
    const receivedAtMs = performance.now();
    const now = deps.clock();
    // The shape the normalizer knows, with the envelope fields taken from AWS, not from the body.
    const event = {
      version: '0',
      id: `operator-${requestId}`,
      'detail-type': request.detailType,
      source: request.source,
      account: caller.account,
      time: new Date(now * 1000).toISOString(),
      region: deps.home?.region ?? 'unknown',
      resources: [],
      detail: request.detail,
    };
    const { drivers, rejected } = normalize(event, {
      config: deps.config,
      receivedAt: now,
      caller,
      ...(deps.home ? { home: deps.home } : {}),
    });
    countRejections(deps, rejected, 'operator-endpoint');
    if (rejected.length > 0) {
      return respond(STATUS['driver-rejected'], {
        error: 'driver-rejected',
        rejected: rejected.map((r) => ({
          reason: r.reason,
          message: r.message,
          ...(r.targetId ? { targetId: r.targetId } : {}),
        })),
      });
    }
    const stored: Stored = await storeDriversAndReconcile(deps, targets, concurrency, drivers, context, receivedAtMs);
    deps.logger.info('operator driver accepted', {
      caller: caller.arn,
      session: caller.session,
      drivers: drivers.map((d) => d.id),
    });
    return respond(200, {
      eventId: event.id,
      principal: caller.arn,
      ...(caller.session ? { session: caller.session } : {}),
      drivers,
      ...stored,
    });
  };

  const setMode = async (request: Extract<OperatorRequest, { action: 'set-mode' }>, caller: VerifiedCaller) => {
    const target = targets.get(request.targetId);
    if (!target)
      return refuse(
        'unknown-target',
        `unknown target "${request.targetId}"; known targets: ${[...targets.keys()].join(', ')}`,
      );
    if (!principalMatches(caller.arn, target.operatorPrincipals)) {
      return refuse(
        'mode-not-permitted',
        `caller ${caller.arn} may not ${request.verb} target "${target.id}"; operatorPrincipals of ${target.id}: ${target.operatorPrincipals.join(', ') || '(none: mode changes are disabled for it)'}`,
        { caller: caller.arn, targetId: target.id },
      );
    }
    const change: ModeChange = await changeMode(
      deps.decisions,
      target,
      request.verb,
      { by: describeCaller(caller), reason: request.reason },
      deps.clock(),
    );
    deps.logger.info('operator mode change', {
      caller: caller.arn,
      session: caller.session,
      targetId: target.id,
      verb: request.verb,
      changed: change.changed,
    });
    return respond(200, change);
  };

  const operator = async (rawEvent: unknown, context: Context): Promise<OperatorResponse> => {
    const parsed = functionUrlEventSchema.safeParse(rawEvent);
    if (!parsed.success) return refuse('bad-request', 'not a Lambda function URL request');
    const event = parsed.data;
    // Present only when Lambda authenticated the request (AuthType AWS_IAM): no identity, no request.
    const userArn = event.requestContext.authorizer?.iam.userArn;
    const caller = userArn === undefined ? undefined : verifiedCaller(userArn);
    if (!caller)
      return refuse(
        'unauthenticated',
        'the request carries no IAM identity verified by AWS; sign it with SigV4 (the function URL uses AuthType AWS_IAM)',
      );
    if (event.requestContext.http.method !== 'POST')
      return refuse('bad-request', `method ${event.requestContext.http.method}; the operator endpoint takes POST`);
    const text = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
    if (Buffer.byteLength(text) > MAX_BODY_BYTES) return refuse('bad-request', `body over ${MAX_BODY_BYTES} bytes`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return refuse('bad-request', 'body is not JSON');
    }
    const request = operatorRequestSchema.safeParse(body);
    if (!request.success)
      return refuse(
        'bad-request',
        request.error.issues.map((i) => `${i.path.join('.') || '<body>'}: ${i.message}`).join('; '),
      );
    return request.data.action === 'put-driver'
      ? putDriver(request.data, caller, event.requestContext.requestId, context)
      : setMode(request.data, caller);
  };

  return withPowertools(deps, operator);
}

export const handler = lambdaEntry(() => createOperatorHandler(buildLambdaDeps()));
