/**
 * Ingest Lambda: every way a driver arrives (EventBridge rules on the default and business buses, a
 * CloudWatch alarm action, an SNS alarm topic) → normalize → store → reconcile the affected targets.
 *
 *   parse (normalizer, zod) → reject/poison → store drivers (idempotent per event id) → decide → act → record
 *
 * Duplicate deliveries are absorbed twice over: Powertools idempotency on the event id makes a redelivery a
 * no-op returning the first result, and the driver store refuses a repeated observation as `duplicate`.
 */
import { performance } from 'node:perf_hooks';
import type { Context } from 'aws-lambda';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC } from '../contracts';
import type { Driver, Target } from '../domain/model';
import { reconcileTarget, describeError, type ReconcileResult } from '../app/reconcile';
import { settleWithConcurrency } from '../app/concurrency';
import { normalize, type IngestChannel, type Rejection, type RejectionReason } from '../ingest/normalize';
import { buildLambdaDeps } from '../runtime/deps';
import { DEFAULT_TARGET_CONCURRENCY, lambdaEntry, reconcileDeps, targetsById, withPowertools, type HandlerDeps } from './common';

/** Input that no retry can fix. Thrown so Lambda's async retries end the event in the DLQ. */
export class PoisonEventError extends Error {
  override readonly name = 'PoisonEventError';
  readonly retryable = false;
  constructor(readonly rejections: readonly Rejection[]) {
    super(`poison event, nothing stored: ${rejections.map((r) => `${r.reason}: ${r.message}`).join(' | ')}`);
  }
}

/** Rejections that mean the event itself cannot be read, as opposed to a well-formed driver we decline. */
const POISON_REASONS: ReadonlySet<RejectionReason> = new Set(['malformed', 'unsupported-event']);

/**
 * EventBridge retries delivery for up to 24 hours, so a redelivered event can arrive that late; keeping
 * idempotency records as long makes every redelivery a no-op (the table's TTL removes them after).
 */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

export interface IngestDeps extends HandlerDeps {
  /** Powertools idempotency persistence (the idempotency table). Without it, only the driver store dedupes. */
  idempotencyStore?: BasePersistenceLayer;
  /** This deployment's account and region (Lambda environment): alarms from elsewhere are refused. */
  home?: { account: string; region: string };
}

export interface IngestSummary {
  channel: IngestChannel;
  eventIds: string[];
  accepted: number;
  duplicates: number;
  outOfOrder: number;
  rejected: Array<Pick<Rejection, 'reason' | 'message'> & { targetId?: string }>;
  reconciled: ReconcileResult[];
  /** Targets whose reconcile failed here; their driver is stored and the next tick decides for them. */
  failedTargets: Array<{ targetId: string; error: string }>;
}

export type Stored = Pick<IngestSummary, 'accepted' | 'duplicates' | 'outOfOrder' | 'reconciled' | 'failedTargets'>;

export function createIngestHandler(deps: IngestDeps) {
  const targets = targetsById(deps.config);
  const concurrency = deps.targetConcurrency ?? DEFAULT_TARGET_CONCURRENCY;

  const storeAndReconcile = (_eventKey: string, drivers: Driver[], context: Context | undefined, receivedAtMs: number): Promise<Stored> =>
    storeDriversAndReconcile(deps, targets, concurrency, drivers, context, receivedAtMs);

  const idempotencyConfig = new IdempotencyConfig({ expiresAfterSeconds: IDEMPOTENCY_TTL_SECONDS });
  const storeOnce = deps.idempotencyStore
    ? makeIdempotent(storeAndReconcile, { persistenceStore: deps.idempotencyStore, config: idempotencyConfig, keyPrefix: 'drivetrain-ingest', dataIndexArgument: 0 })
    : storeAndReconcile;

  const ingest = async (event: unknown, context: Context): Promise<IngestSummary> => {
    const receivedAtMs = performance.now();
    const { drivers, rejected, channel } = normalize(event, { config: deps.config, receivedAt: deps.clock(), ...(deps.home ? { home: deps.home } : {}) });
    countRejections(deps, rejected, channel);
    const poison = rejected.filter((r) => POISON_REASONS.has(r.reason));
    if (poison.length > 0) {
      // Never half of an event: if any part is unreadable nothing is stored, and the whole event goes to the DLQ.
      deps.metrics.addMetric(METRIC.poisonEvents, MetricUnit.Count, 1);
      const error = new PoisonEventError(poison);
      deps.logger.error('poison event', { channel, error, droppedDrivers: drivers.length });
      throw error;
    }

    const eventIds = [...new Set(drivers.map((d) => d.lineage.eventId))].sort();
    const summary: IngestSummary = {
      channel,
      eventIds,
      accepted: 0,
      duplicates: 0,
      outOfOrder: 0,
      rejected: rejected.map((r) => ({ reason: r.reason, message: r.message, ...(r.targetId ? { targetId: r.targetId } : {}) })),
      reconciled: [],
      failedTargets: [],
    };
    if (drivers.length === 0) return summary;

    idempotencyConfig.registerLambdaContext(context);
    const stored = await storeOnce(eventIds.join(' '), drivers, context, receivedAtMs);
    return { ...summary, ...stored };
  };

  return withPowertools(deps, ingest);
}

/** Counts and logs every rejection, by reason; shared with the operator endpoint. */
export function countRejections(deps: Pick<HandlerDeps, 'metrics' | 'logger'>, rejected: readonly Rejection[], channel: string): void {
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
    const log = { driverId: driver.id, driver: driver.name, kind: driver.kind, targets: driver.targets, eventId: driver.lineage.eventId, observedAt: driver.observedAt };
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
  const results = await settleWithConcurrency(ids, concurrency, (id) => reconcileTarget(rdeps, targets.get(id)!, deps.clock(), 'driver', { receivedAtMs }));
  results.forEach((result, i) => {
    if (result.status === 'fulfilled') stored.reconciled.push(result.value);
    else {
      const targetId = ids[i]!;
      deps.metrics.addMetric(METRIC.reconcileErrors, MetricUnit.Count, 1);
      deps.logger.error('reconcile failed; the driver is stored and the next tick decides again', { targetId, error: result.reason as Error });
      stored.failedTargets.push({ targetId, error: describeError(result.reason).message });
    }
  });
  return stored;
}

export const handler = lambdaEntry(() => createIngestHandler(buildLambdaDeps()));
