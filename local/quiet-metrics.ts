/**
 * Powertools Metrics that compute everything and print nothing, for the demo, the playground and the soak.
 *
 * EMF goes to stdout in Lambda, where CloudWatch picks it up; in a terminal or a test run it would bury the
 * output (tens of thousands of blobs in the soak). Metrics reads POWERTOOLS_METRICS_DISABLED when it is built,
 * and `singleMetric()` (the per-target gauges) builds a fresh instance on every call, after any temporary
 * setting of the variable has been undone: so the single metrics are made quiet the same way.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../functions/contracts';

const SILENT_LOGGER = { debug() {}, info() {}, warn() {}, error() {} };

export function quietMetrics(): Metrics {
  const previous = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  try {
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME, logger: SILENT_LOGGER });
    metrics.singleMetric = quietMetrics;
    return metrics;
  } finally {
    if (previous === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = previous;
  }
}
