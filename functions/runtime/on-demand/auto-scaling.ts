/** The Auto Scaling port with its client: a chunk of its own, loaded on first use (see lazy-port.ts). */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { AwsAutoScalingAdapter } from '../../adapters/aws/auto-scaling';
import type { AutoScalingPort } from '../../ports';
import { executorClientConfig, type TraceClient } from './client-config';

export function createAutoScalingPort(trace: TraceClient): AutoScalingPort {
  return new AwsAutoScalingAdapter(trace(new AutoScalingClient(executorClientConfig())));
}
