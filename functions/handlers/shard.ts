/**
 * Shard worker Lambda: reconciles the targets of one shard of the tick, consumed from the shard queue (SQS
 * event source mapping, bounded maxConcurrency). parse → for each target: load → decide → act → record, via
 * the same reconcileTarget as every other path, a few targets at a time.
 *
 * Failures are reported per message (ReportBatchItemFailures): only a message that cannot be read is handed
 * back to SQS (and after a few receives to the shard DLQ). A target that fails is logged and counted, never
 * retried through SQS — that would re-run every other target of its shard — but by the next tick, a minute
 * away, exactly as an inline tick did. Overlap with another tick, a redelivered message or an ingest on the
 * same target is safe per target (state version, see reconcile.ts), so no message needs to be the only one.
 */
import type { Context } from 'aws-lambda';
import { performance } from 'node:perf_hooks';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import { SqsSchema } from '@aws-lambda-powertools/parser/schemas/sqs';
import type { z } from 'zod';
import { METRIC } from '../contracts';
import type { Target } from '../domain/model';
import { reconcileTarget, describeError, type ReconcileDeps } from '../app/reconcile';
import { settleWithConcurrency } from '../app/concurrency';
import {
  SHARD_TARGET_CONCURRENCY,
  TARGET_WORST_CASE_SECONDS,
  shardMessageSchema,
  type ShardMessage,
} from '../app/shards';
import { buildLambdaDeps } from '../runtime/deps';
import { lambdaEntry, reconcileDeps, targetsById, withPowertools } from './common';
import type { HandlerDeps } from '../app/deps';

export type ShardEvent = z.infer<typeof SqsSchema>;

/** What SQS reads back from the function (the partial-batch response; nothing else may be in it). */
export interface ShardBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

/**
 * A target is not started with less than this left of the invocation: the executors' own deadline keeps a
 * started target's retries in bounds, but one started at the very end could be stopped between recording
 * its plan and marking it, leaving the plan to the pending-grace repair. Twice the worst case of one target.
 */
export const TARGET_START_MARGIN_MS = 2 * TARGET_WORST_CASE_SECONDS * 1000;

export type ShardDeps = HandlerDeps;

type TargetOutcome = 'reconciled' | 'failed' | 'deferred';

/** What one invocation reconciles its shards with. */
interface Invocation {
  deps: ShardDeps;
  rdeps: ReconcileDeps;
  byId: ReadonlyMap<string, Target>;
  concurrency: number;
  context: Context;
}

export function createShardHandler(deps: ShardDeps) {
  const concurrency = deps.targetConcurrency ?? SHARD_TARGET_CONCURRENCY;
  const byId = targetsById(deps.config);

  const handle = async (event: ShardEvent, context: Context): Promise<ShardBatchResponse> => {
    const invocation: Invocation = { deps, rdeps: reconcileDeps(deps, context), byId, concurrency, context };
    const batchItemFailures: ShardBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      const message = readShardMessage(record.body);
      if (!message.ok) {
        deps.metrics.addMetric(METRIC.poisonEvents, MetricUnit.Count, 1);
        deps.logger.error('unreadable shard message; handed back to SQS (it ends in the shard DLQ)', {
          messageId: record.messageId,
          problem: message.problem,
        });
        batchItemFailures.push({ itemIdentifier: record.messageId });
        continue;
      }
      await reconcileShard(invocation, message.value, record.messageId);
    }
    return { batchItemFailures };
  };

  return withPowertools(deps, handle).use(parser({ schema: SqsSchema }));
}

function readShardMessage(body: string): { ok: true; value: ShardMessage } | { ok: false; problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    return { ok: false, problem: `body is not JSON: ${(error as Error).message}` };
  }
  const parsed = shardMessageSchema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    problem: parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '),
  };
}

async function reconcileShard(
  { deps, rdeps, byId, concurrency, context }: Invocation,
  message: ShardMessage,
  messageId: string,
): Promise<void> {
  const log = { messageId, shard: `${message.shard.index + 1}/${message.shard.count}`, tickAt: message.tickAt };
  if (deps.clock() > message.notAfter) {
    // The next tick has planned this shard again (a backlog, or a redelivery after a lost invocation).
    deps.metrics.addMetric(METRIC.shardsSuperseded, MetricUnit.Count, 1);
    deps.logger.info('shard superseded by a newer tick; skipped', { ...log, notAfter: message.notAfter });
    return;
  }
  const started = performance.now();
  const unknown = message.targetIds.filter((id) => !byId.has(id));
  if (unknown.length > 0) {
    // Only a tick built from another config (mid-deploy) can name them; the next tick's shards are consistent.
    deps.metrics.addMetric(METRIC.reconcileErrors, MetricUnit.Count, unknown.length);
    deps.logger.error('shard names targets this deployment does not configure; skipped', { ...log, unknown });
  }
  const targets = message.targetIds.filter((id) => byId.has(id)).map((id) => byId.get(id)!);
  const results = await settleWithConcurrency(targets, concurrency, async (target): Promise<TargetOutcome> => {
    if (remainingMs(context) < TARGET_START_MARGIN_MS) return 'deferred';
    await reconcileTarget(rdeps, target, deps.clock(), 'tick');
    return 'reconciled';
  });
  const outcomes = results.map((result, i): TargetOutcome => {
    if (result.status === 'fulfilled') return result.value;
    deps.metrics.addMetric(METRIC.reconcileErrors, MetricUnit.Count, 1);
    deps.logger.error('reconcile failed; the next tick tries again', {
      ...log,
      targetId: targets[i]!.id,
      error: describeError(result.reason),
    });
    return 'failed';
  });
  const count = (o: TargetOutcome) => outcomes.filter((x) => x === o).length;
  const durationMs = performance.now() - started;
  deps.metrics.addMetric(METRIC.shardDuration, MetricUnit.Milliseconds, durationMs);
  if (count('deferred') > 0) {
    deps.metrics.addMetric(METRIC.shardTargetsDeferred, MetricUnit.Count, count('deferred'));
    deps.logger.warn('invocation nearly out of time; the remaining targets wait for the next tick', {
      ...log,
      deferred: count('deferred'),
    });
  }
  deps.logger.info('shard done', {
    ...log,
    targets: targets.length,
    reconciled: count('reconciled'),
    failed: count('failed'),
    deferred: count('deferred'),
    durationMs: Math.round(durationMs),
  });
}

function remainingMs(context: Context): number {
  return typeof context.getRemainingTimeInMillis === 'function'
    ? context.getRemainingTimeInMillis()
    : Number.POSITIVE_INFINITY;
}

export const handler = lambdaEntry(() =>
  createShardHandler({ ...buildLambdaDeps(), targetConcurrency: SHARD_TARGET_CONCURRENCY }),
);
