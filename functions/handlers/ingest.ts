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
import type { Driver } from '../domain/model';
import type { ReconcileResult } from '../app/reconcile';
import { normalize, type IngestChannel, type Rejection, type RejectionReason } from '../ingest/normalize';
import { buildLambdaDeps } from '../runtime/deps';
import { DEFAULT_TARGET_CONCURRENCY, lambdaEntry, targetsById, withPowertools } from './common';
import type { HandlerDeps } from '../app/deps';
import { countRejections, storeDriversAndReconcile, type Stored } from './store-drivers';

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

export function createIngestHandler(deps: IngestDeps) {
  const targets = targetsById(deps.config);
  const concurrency = deps.targetConcurrency ?? DEFAULT_TARGET_CONCURRENCY;

  const storeAndReconcile = (
    _eventKey: string,
    drivers: Driver[],
    context: Context | undefined,
    receivedAtMs: number,
  ): Promise<Stored> => storeDriversAndReconcile(deps, targets, concurrency, drivers, context, receivedAtMs);

  const idempotencyConfig = new IdempotencyConfig({ expiresAfterSeconds: IDEMPOTENCY_TTL_SECONDS });
  const storeOnce = deps.idempotencyStore
    ? makeIdempotent(storeAndReconcile, {
        persistenceStore: deps.idempotencyStore,
        config: idempotencyConfig,
        keyPrefix: 'drivetrain-ingest',
        dataIndexArgument: 0,
      })
    : storeAndReconcile;

  const ingest = async (event: unknown, context: Context): Promise<IngestSummary> => {
    const receivedAtMs = performance.now();
    const { drivers, rejected, channel } = normalize(event, {
      config: deps.config,
      receivedAt: deps.clock(),
      ...(deps.home ? { home: deps.home } : {}),
    });
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
      rejected: rejected.map((r) => ({
        reason: r.reason,
        message: r.message,
        ...(r.targetId ? { targetId: r.targetId } : {}),
      })),
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

export const handler = lambdaEntry(() => createIngestHandler(buildLambdaDeps()));
