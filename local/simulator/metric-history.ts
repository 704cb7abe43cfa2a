/**
 * The simulated account's CloudWatch, as the reconcile reads it: a MetricHistoryPort over the metric history
 * replay records (MetricHistoryRecorder, one datapoint per period, gaps as NaN), so the demo's engine gets its
 * history through the same port the CloudWatch adapter implements in AWS. Like the adapter, it serves only the
 * metric drivers whose declaration names a CloudWatch metric, and only periods that have ended by `now`.
 */
import type { DrivetrainConfig } from '../../functions/domain/config';
import type { MetricHistory } from '../../functions/domain/history';
import type { Target } from '../../functions/domain/model';
import type { MetricHistoryFailure, MetricHistoryPort } from '../../functions/ports';
import { MetricHistoryRecorder } from '../replay/simulate';

export class SimulatedMetricHistory implements MetricHistoryPort {
  readonly #recorder: MetricHistoryRecorder;
  readonly #declared: ReadonlySet<string>;

  constructor(config: Pick<DrivetrainConfig, 'drivers'>, stepSeconds = 60) {
    this.#recorder = new MetricHistoryRecorder(stepSeconds);
    this.#declared = new Set(config.drivers.filter((d) => d.kind === 'metric' && d.cloudwatch).map((d) => d.name));
  }

  /** The datapoint of the period starting at `periodStart` (what CloudWatch aggregated for that minute). */
  record(driver: string, periodStart: number, value: number): void {
    this.#recorder.record(driver, periodStart, value);
  }

  async forTarget(
    target: Target,
    now: number,
  ): Promise<{ histories: Record<string, MetricHistory>; failures: MetricHistoryFailure[] }> {
    const histories: Record<string, MetricHistory> = {};
    for (const rule of target.policy.rules) {
      if (rule.kind !== 'metric' || !this.#declared.has(rule.driver)) continue;
      const series = this.#recorder.histories[rule.driver];
      if (series) histories[rule.driver] = endedBy(series, now);
    }
    return { histories, failures: [] };
  }
}

/** The periods that have ended by `now` (a datapoint recorded ahead of time is not visible yet). */
function endedBy(series: MetricHistory & { values: number[] }, now: number): MetricHistory {
  const ended = Math.max(0, Math.floor((now - series.start) / series.stepSeconds));
  if (ended >= series.values.length) return series;
  return { start: series.start, stepSeconds: series.stepSeconds, values: series.values.slice(0, ended) };
}
