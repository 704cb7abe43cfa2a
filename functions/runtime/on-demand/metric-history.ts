/** The metric history port with its CloudWatch client: a chunk of its own, loaded on first use. */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchMetricHistory } from '../../adapters/aws/metric-history';
import type { DrivetrainConfig } from '../../domain/config';
import type { MetricHistoryPort } from '../../ports';
import type { TraceClient } from './client-config';

export function createMetricHistoryPort(trace: TraceClient, config: Readonly<DrivetrainConfig>): MetricHistoryPort {
  // The SDK's own retries, a short timeout: a decision waits on it, and a failed read only costs history.
  const client = new CloudWatchClient({
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000, throwOnRequestTimeout: true },
  });
  return new CloudWatchMetricHistory(trace(client), config);
}
