/**
 * Tick Lambda: the periodic reconciliation (EventBridge schedule, every minute). Decisions change without any
 * new driver — windows open and close, lead times start, TTLs and overrides expire, cooldowns end — and a
 * crash between decide and act is repaired here. Every configured target is reconciled; one failing target
 * never stops the others.
 *
 * Deployed, the tick only plans: it splits the targets into deterministic shards (functions/app/shards.ts)
 * and enqueues them for the shard workers (handlers/shard.ts), so one deployment can hold thousands of
 * targets. Without a shard queue (the demo, the tests of the reconcile pipeline) it reconciles inline, a
 * few targets at a time.
 *
 * Also accepts `{ "targetIds": [...] }` for a manual reconcile of some targets (operator, demo).
 */
import type { Context } from 'aws-lambda';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import { z } from 'zod';
import { METRIC } from '../contracts';
import { identifier, type Target } from '../domain/model';
import { reconcileTarget, describeError, type ReconcileResult } from '../app/reconcile';
import { settleWithConcurrency } from '../app/concurrency';
import { shardMessages, type ShardDispatch } from '../app/shards';
import { ShardDispatchError, type DeployedConfigStore } from '../ports';
import { buildLambdaDeps } from '../runtime/deps';
import { buildDeployedConfigStore } from '../runtime/deployed-config';
import { buildShardDispatch } from '../runtime/shards';
import { DEFAULT_TARGET_CONCURRENCY, lambdaEntry, reconcileDeps, withPowertools } from './common';
import type { HandlerDeps } from '../app/deps';

export const scheduledEventSchema = EventBridgeSchema.extend({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
});
export const manualTickSchema = z.object({ targetIds: z.array(identifier).min(1).max(100).optional() }).strict();
export const tickEventSchema = z.union([scheduledEventSchema, manualTickSchema]);
export type TickEvent = z.infer<typeof tickEventSchema>;

export class UnknownTargetsError extends Error {
  override readonly name = 'UnknownTargetsError';
  readonly retryable = false;
  constructor(
    readonly targetIds: string[],
    known: string[],
  ) {
    super(`unknown target(s) ${targetIds.map((t) => JSON.stringify(t)).join(', ')}; configured: ${known.join(', ')}`);
  }
}

export interface TickSummary {
  at: number;
  reconciled: ReconcileResult[];
  failed: Array<{ targetId: string; error: string; retryable: boolean }>;
  /** Sharded ticks: what was handed to the shard workers (`reconciled` and `failed` stay empty). */
  dispatched?: { shards: number; targets: number; failedShards: number[] };
}

export interface TickDeps extends HandlerDeps {
  /** Set in Lambda: the tick plans and enqueues shards instead of reconciling inline. */
  shards?: ShardDispatch;
  /** Where the tick records the config it runs with, for the CLI's read commands; absent: not recorded. */
  deployedConfig?: DeployedConfigStore;
}

export function createTickHandler(deps: TickDeps) {
  const concurrency = deps.targetConcurrency ?? DEFAULT_TARGET_CONCURRENCY;

  const tick = async (event: TickEvent, context: Context): Promise<TickSummary> => {
    const selected = selectTargets(deps.config.targets, 'targetIds' in event ? event.targetIds : undefined);
    const summary = deps.shards
      ? await dispatchShards(deps, deps.shards, selected)
      : await reconcileInline(selected, context);
    await recordDeployedConfig(deps);
    return summary;
  };

  const reconcileInline = async (selected: Target[], context: Context): Promise<TickSummary> => {
    const rdeps = reconcileDeps(deps, context);
    const startedAt = deps.clock();
    // The clock is read per target: a target reconciled late in a long tick must not be decided (and sorted
    // in the decision table) at a time earlier than a decision another invocation made meanwhile.
    const results = await settleWithConcurrency(selected, concurrency, (target) =>
      reconcileTarget(rdeps, target, deps.clock(), 'tick'),
    );
    await rdeps.decisionEvents?.flush();
    const summary: TickSummary = { at: startedAt, reconciled: [], failed: [] };
    results.forEach((result, i) => {
      const targetId = selected[i]!.id;
      if (result.status === 'fulfilled') {
        summary.reconciled.push(result.value);
        return;
      }
      const error = describeError(result.reason);
      deps.metrics.addMetric(METRIC.reconcileErrors, MetricUnit.Count, 1);
      deps.logger.error('reconcile failed; the next tick tries again', { targetId, error: result.reason as Error });
      summary.failed.push({ targetId, error: error.message, retryable: error.retryable });
    });
    deps.logger.info('tick done', {
      targets: selected.length,
      recorded: summary.reconciled.filter((r) => r.outcome === 'recorded').length,
      inFlight: summary.reconciled.filter((r) => r.outcome === 'in-flight').length,
      failed: summary.failed.length,
    });
    // Not thrown: Lambda's async retry would reconcile every target again, and the next tick is a minute away.
    // ReconcileErrors is the metric to alarm on.
    return summary;
  };

  return withPowertools(deps, tick).use(parser({ schema: tickEventSchema }));
}

/**
 * Every tick checks that the state table holds the config this build runs with (one read; a write only when
 * it differs: adapters/dynamodb/deployed-config.ts says why the tick records it). A failure is logged and
 * never fails the tick: reconciling matters more, and the next tick tries again.
 */
async function recordDeployedConfig(deps: TickDeps): Promise<void> {
  if (!deps.deployedConfig) return;
  try {
    const result = await deps.deployedConfig.record(deps.config, deps.clock());
    if (result !== 'unchanged') deps.logger.info('deployed config recorded in the state table', { result });
  } catch (error) {
    deps.logger.error('could not record the deployed config; the next tick tries again', { error: error as Error });
  }
}

/**
 * Plans the shards of this tick and enqueues them. A shard that cannot be queued is logged and counted; its
 * targets wait for the next tick (as a failed target of an inline tick does), and nothing is thrown: a
 * retried tick would enqueue every other shard twice.
 */
async function dispatchShards(
  deps: TickDeps,
  dispatch: ShardDispatch,
  selected: readonly Target[],
): Promise<TickSummary> {
  const at = deps.clock();
  const messages = shardMessages(
    selected.map((t) => t.id),
    at,
    dispatch.intervalSeconds,
    dispatch.size,
  );
  let failedShards: number[] = [];
  try {
    await dispatch.queue.send(messages);
  } catch (error) {
    if (!(error instanceof ShardDispatchError)) throw error;
    failedShards = error.failedShards;
    deps.metrics.addMetric(METRIC.shardDispatchFailures, MetricUnit.Count, failedShards.length);
    deps.logger.error('some shards could not be queued; their targets wait for the next tick', {
      failedShards,
      retryable: error.retryable,
      error,
    });
  }
  deps.metrics.addMetric(METRIC.shardsDispatched, MetricUnit.Count, messages.length - failedShards.length);
  deps.logger.info('tick planned', {
    targets: selected.length,
    shards: messages.length,
    failedShards: failedShards.length,
  });
  return {
    at,
    reconciled: [],
    failed: [],
    dispatched: { shards: messages.length, targets: selected.length, failedShards },
  };
}

function selectTargets(targets: readonly Target[], ids: string[] | undefined): Target[] {
  if (!ids) return [...targets];
  const byId = new Map(targets.map((t) => [t.id, t]));
  const unknown = ids.filter((id) => !byId.has(id));
  if (unknown.length) throw new UnknownTargetsError(unknown, [...byId.keys()]);
  return [...new Set(ids)].map((id) => byId.get(id)!);
}

export const handler = lambdaEntry(() => {
  const deps = buildLambdaDeps();
  return createTickHandler({ ...deps, shards: buildShardDispatch(), deployedConfig: buildDeployedConfigStore(deps) });
});
