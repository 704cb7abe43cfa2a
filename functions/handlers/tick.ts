/**
 * Tick Lambda: the periodic reconciliation (EventBridge schedule, every minute). Decisions change without any
 * new driver — windows open and close, lead times start, TTLs and overrides expire, cooldowns end — and a
 * crash between decide and act is repaired here. Every configured target is reconciled, a few at a time;
 * one failing target never stops the others.
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
import { buildLambdaDeps } from '../runtime/deps';
import { DEFAULT_TARGET_CONCURRENCY, lambdaEntry, reconcileDeps, withPowertools, type HandlerDeps } from './common';

export const scheduledEventSchema = EventBridgeSchema.extend({ source: z.literal('aws.events'), 'detail-type': z.literal('Scheduled Event') });
export const manualTickSchema = z.object({ targetIds: z.array(identifier).min(1).max(100).optional() }).strict();
export const tickEventSchema = z.union([scheduledEventSchema, manualTickSchema]);
export type TickEvent = z.infer<typeof tickEventSchema>;

export class UnknownTargetsError extends Error {
  override readonly name = 'UnknownTargetsError';
  readonly retryable = false;
  constructor(readonly targetIds: string[], known: string[]) {
    super(`unknown target(s) ${targetIds.map((t) => JSON.stringify(t)).join(', ')}; configured: ${known.join(', ')}`);
  }
}

export interface TickSummary {
  at: number;
  reconciled: ReconcileResult[];
  failed: Array<{ targetId: string; error: string; retryable: boolean }>;
}

export type TickDeps = HandlerDeps;

export function createTickHandler(deps: TickDeps) {
  const concurrency = deps.targetConcurrency ?? DEFAULT_TARGET_CONCURRENCY;

  const tick = async (event: TickEvent, context: Context): Promise<TickSummary> => {
    const selected = selectTargets(deps.config.targets, 'targetIds' in event ? event.targetIds : undefined);
    const rdeps = reconcileDeps(deps, context);
    const startedAt = deps.clock();
    // The clock is read per target: a target reconciled late in a long tick must not be decided (and sorted
    // in the decision table) at a time earlier than a decision another invocation made meanwhile.
    const results = await settleWithConcurrency(selected, concurrency, (target) => reconcileTarget(rdeps, target, deps.clock(), 'tick'));
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

function selectTargets(targets: readonly Target[], ids: string[] | undefined): Target[] {
  if (!ids) return [...targets];
  const byId = new Map(targets.map((t) => [t.id, t]));
  const unknown = ids.filter((id) => !byId.has(id));
  if (unknown.length) throw new UnknownTargetsError(unknown, [...byId.keys()]);
  return [...new Set(ids)].map((id) => byId.get(id)!);
}

export const handler = lambdaEntry(() => createTickHandler(buildLambdaDeps()));
