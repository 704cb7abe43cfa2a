/**
 * MetricHistoryPort over CloudWatch GetMetricData: for each metric driver a target's rules read (and whose
 * declaration names its CloudWatch metric), the last two hours — or, for a rule with a forecast, the last week
 * and seven hours — of 1-minute datapoints, cached per driver and re-read at most every HISTORY_REFRESH_SECONDS.
 * IAM: cloudwatch:GetMetricData only (it has no resource-level permissions, so the grant is on "*").
 */
import { GetMetricDataCommand, type CloudWatchClient, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import type { CloudWatchMetric, DrivetrainConfig } from '../../domain/config';
import type { MetricHistory } from '../../domain/history';
import { FORECAST_SEASONS_SECONDS, FORECAST_RECENT_SECONDS } from '../../domain/forecast';
import type { Target } from '../../domain/model';
import {
  classifyAwsError,
  PermanentExecutorError,
  RetryableExecutorError,
  type MetricHistoryFailure,
  type MetricHistoryPort,
} from '../../ports';

/**
 * Re-read a metric's history at most every 5 minutes: the engine reads minute-level shape (noise, the
 * scale-down window, yesterday's curve), which 5 minutes of staleness barely moves, while the snapshots
 * still carry the latest minute; it keeps GetMetricData to ~300 requests per metric per day.
 */
export const HISTORY_REFRESH_SECONDS = 300;
/** A cached history older than this is not used after a failed refresh (its recent hour would be gone). */
export const HISTORY_STALE_AFTER_SECONDS = 3 * HISTORY_REFRESH_SECONDS;
/** The 1-minute resolution the engine's windows are written in (CloudWatch keeps it for 15 days). */
export const HISTORY_PERIOD_SECONDS = 60;
/** Reactive rules need the noise window and the scale-down window: two hours covers both with margin. */
const REACTIVE_SPAN_SECONDS = 2 * 3600;
/** A forecast needs its longest season plus the hour it measures its band on, plus the lead ahead of it. */
const FORECAST_SPAN_SECONDS = FORECAST_SEASONS_SECONDS[0] + FORECAST_RECENT_SECONDS + 6 * 3600;
/**
 * Safety stop for a NextToken that never ends. The longest span (a week and 13 hours of minutes, ~10,900
 * datapoints) fits one page of GetMetricData's default 100,800 datapoints, so a real read takes one page.
 */
const MAX_PAGES = 10;

interface Cached {
  fetchedAt: number;
  span: number;
  history: MetricHistory;
}

export class CloudWatchMetricHistory implements MetricHistoryPort {
  readonly #client: Pick<CloudWatchClient, 'send'>;
  readonly #metrics: ReadonlyMap<string, CloudWatchMetric>;
  readonly #cache = new Map<string, Cached>();
  readonly #inFlight = new Map<string, Promise<Cached>>();

  constructor(client: Pick<CloudWatchClient, 'send'>, config: Pick<DrivetrainConfig, 'drivers'>) {
    this.#client = client;
    const metrics = new Map<string, CloudWatchMetric>();
    for (const d of config.drivers) if (d.kind === 'metric' && d.cloudwatch) metrics.set(d.name, d.cloudwatch);
    this.#metrics = metrics;
  }

  async forTarget(
    target: Target,
    now: number,
  ): Promise<{ histories: Record<string, MetricHistory>; failures: MetricHistoryFailure[] }> {
    const histories: Record<string, MetricHistory> = {};
    const failures: MetricHistoryFailure[] = [];
    for (const rule of target.policy.rules) {
      if (rule.kind !== 'metric') continue;
      const metric = this.#metrics.get(rule.driver);
      if (!metric) continue;
      const span = rule.forecast ? FORECAST_SPAN_SECONDS : REACTIVE_SPAN_SECONDS;
      try {
        histories[rule.driver] = (await this.#read(rule.driver, metric, span, now)).history;
      } catch (error) {
        const classified = classifyAwsError(error);
        failures.push({ driver: rule.driver, error: classified.message, retryable: classified.retryable });
        const stale = this.#cache.get(rule.driver);
        if (stale && now - stale.fetchedAt < HISTORY_STALE_AFTER_SECONDS) histories[rule.driver] = stale.history;
      }
    }
    return { histories, failures };
  }

  async #read(driver: string, metric: CloudWatchMetric, span: number, now: number): Promise<Cached> {
    const cached = this.#cache.get(driver);
    if (cached && cached.span >= span && now - cached.fetchedAt < HISTORY_REFRESH_SECONDS) return cached;
    // Concurrent reconciles of targets sharing a metric wait for one request instead of sending their own.
    const pending = this.#inFlight.get(driver);
    if (pending) return pending;
    const request = this.#fetch(metric, Math.max(span, cached?.span ?? 0), now).finally(() =>
      this.#inFlight.delete(driver),
    );
    this.#inFlight.set(driver, request);
    const fresh = await request;
    this.#cache.set(driver, fresh);
    return fresh;
  }

  async #fetch(metric: CloudWatchMetric, span: number, now: number): Promise<Cached> {
    const end = Math.floor(now / HISTORY_PERIOD_SECONDS) * HISTORY_PERIOD_SECONDS;
    const start = end - span;
    const values = new Float64Array(span / HISTORY_PERIOD_SECONDS).fill(Number.NaN);
    let nextToken: string | undefined;
    let pages = 0;
    do {
      if (++pages > MAX_PAGES)
        throw new PermanentExecutorError(
          `GetMetricData ${metric.namespace} ${metric.metricName}: still answering a NextToken after ${MAX_PAGES} pages`,
        );
      const page = await this.#client.send(
        new GetMetricDataCommand({
          MetricDataQueries: [
            {
              Id: 'history',
              MetricStat: {
                Metric: {
                  Namespace: metric.namespace,
                  MetricName: metric.metricName,
                  Dimensions: metric.dimensions.map((d) => ({ Name: d.name, Value: d.value })),
                },
                Period: HISTORY_PERIOD_SECONDS,
                Stat: metric.statistic,
              },
              ReturnData: true,
            },
          ],
          StartTime: new Date(start * 1000),
          EndTime: new Date(end * 1000),
          ScanBy: 'TimestampAscending',
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      );
      for (const result of page.MetricDataResults ?? []) {
        refuseIncomplete(metric, result);
        place(values, result, start, metric.perSecond);
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return { fetchedAt: now, span, history: { start, stepSeconds: HISTORY_PERIOD_SECONDS, values } };
  }
}

/**
 * GetMetricData answers 200 even when a query failed: its result says so in StatusCode (Complete, PartialData
 * — more on the next page —, InternalError, Forbidden). A failed result has missing datapoints that would
 * read as gaps in the history and be cached as a good read; it is a failure instead (InternalError worth
 * asking again, Forbidden not: a cross-account or cross-Region grant is missing), so the stale cache rule
 * and the failure report apply.
 */
function refuseIncomplete(metric: CloudWatchMetric, result: MetricDataResult): void {
  const status = result.StatusCode;
  if (status !== 'InternalError' && status !== 'Forbidden') return;
  const messages = (result.Messages ?? []).map((m) => `${m.Code ?? '?'}: ${m.Value ?? ''}`).join('; ');
  const message = `GetMetricData ${metric.namespace} ${metric.metricName}: StatusCode ${status}${messages ? ` (${messages})` : ''}`;
  throw status === 'InternalError'
    ? new RetryableExecutorError(message, { code: status })
    : new PermanentExecutorError(message, { code: status });
}

/** Datapoints onto the minute grid (timestamps are period starts); anything off the grid or non-finite is a gap. */
function place(values: Float64Array, result: MetricDataResult, start: number, perSecond: boolean): void {
  const timestamps = result.Timestamps ?? [];
  const data = result.Values ?? [];
  for (let i = 0; i < timestamps.length; i++) {
    const t = timestamps[i]!.getTime() / 1000;
    const index = (t - start) / HISTORY_PERIOD_SECONDS;
    const value = data[i];
    if (
      !Number.isInteger(index) ||
      index < 0 ||
      index >= values.length ||
      value === undefined ||
      !Number.isFinite(value)
    )
      continue;
    values[index] = perSecond ? value / HISTORY_PERIOD_SECONDS : value;
  }
}
