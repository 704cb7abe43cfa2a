/**
 * What the ingest handler and the operator endpoint share after normalization: counting rejections, and
 * storing drivers then deciding/acting for the targets they affect. In its own module so the operator
 * endpoint does not load (and, in Lambda, initialise) the ingest handler.
 */
import type { Context } from 'aws-lambda';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC } from '../contracts';
import type { Driver, Target } from '../domain/model';
import { reconcileTarget, describeError, type ReconcileResult } from '../app/reconcile';
import { settleWithConcurrency } from '../app/concurrency';
import type { Rejection } from '../ingest/normalize';
import { reconcileDeps } from './common';
import type { HandlerDeps } from '../app/deps';

/** What storing and deciding did (the ingest summary minus the normalizer's part). */
export interface Stored {
  accepted: number;
  duplicates: number;
  outOfOrder: number;
  reconciled: ReconcileResult[];
  /** Targets whose reconcile failed here; their driver is stored and the next tick decides for them. */
  failedTargets: Array<{ targetId: string; error: string }>;
}

/** Counts and logs every rejection, by reason; shared with the operator endpoint. */
export function countRejections(
  deps: Pick<HandlerDeps, 'metrics' | 'logger'>,
  rejected: readonly Rejection[],
  channel: string,
): void {
  for (const rejection of rejected) {
    const counter = deps.metrics.singleMetric();
    counter.addDimension('reason', rejection.reason);
    counter.addMetric(METRIC.driversRejected, MetricUnit.Count, 1);
    deps.logger.warn('driver rejected', { channel, ...rejection });
  }
  // The per-reason counts above carry the dimension set [service, reason], which CloudWatch stores as a
  // metric of its own; the dashboard and any alarm read the total by `service` alone.
  if (rejected.length > 0) deps.metrics.addMetric(METRIC.driversRejected, MetricUnit.Count, rejected.length);
}

/**
 * Stores drivers and decides/acts for the targets they affect: the ingest handler's work after
 * normalization, shared with the operator endpoint (functions/handlers/operator.ts).
 */
export async function storeDriversAndReconcile(
  deps: HandlerDeps,
  targets: ReadonlyMap<string, Target>,
  concurrency: number,
  drivers: Driver[],
  context: Context | undefined,
  receivedAtMs: number,
): Promise<Stored> {
  const stored: Stored = { accepted: 0, duplicates: 0, outOfOrder: 0, reconciled: [], failedTargets: [] };
  const affected = new Set<string>();
  for (const driver of drivers) {
    const result = await deps.drivers.put(driver);
    const log = {
      driverId: driver.id,
      driver: driver.name,
      kind: driver.kind,
      targets: driver.targets,
      eventId: driver.lineage.eventId,
      observedAt: driver.observedAt,
    };
    if (result === 'out-of-order') {
      stored.outOfOrder++;
      deps.metrics.addMetric(METRIC.driversOutOfOrder, MetricUnit.Count, 1);
      deps.logger.info('older than the stored observation of this driver; ignored', log);
      continue;
    }
    if (result === 'stored') {
      stored.accepted++;
      deps.metrics.addMetric(METRIC.driversAccepted, MetricUnit.Count, 1);
      deps.logger.info('driver stored', log);
    } else {
      // Already stored by an earlier delivery that may have died before deciding: decide again (cheap, and
      // nothing is rewritten when nothing changed).
      stored.duplicates++;
      deps.logger.info('driver already stored', log);
    }
    for (const t of driver.targets) affected.add(t);
  }

  const ids = [...affected].filter((id) => targets.has(id));
  const rdeps = reconcileDeps(deps, context);
  const results = await settleWithConcurrency(ids, concurrency, (id) =>
    reconcileTarget(rdeps, targets.get(id)!, deps.clock(), 'driver', { receivedAtMs }),
  );
  results.forEach((result, i) => {
    if (result.status === 'fulfilled') stored.reconciled.push(result.value);
    else {
      const targetId = ids[i]!;
      deps.metrics.addMetric(METRIC.reconcileErrors, MetricUnit.Count, 1);
      deps.logger.error('reconcile failed; the driver is stored and the next tick decides again', {
        targetId,
        error: result.reason as Error,
      });
      stored.failedTargets.push({ targetId, error: describeError(result.reason).message });
    }
  });
  return stored;
}
