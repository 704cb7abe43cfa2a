/** The Application Auto Scaling port with its client: a chunk of its own, loaded on first use. */
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { AwsApplicationAutoScalingAdapter } from '../../adapters/aws/application-auto-scaling';
import type { ApplicationAutoScalingPort } from '../../ports';
import { executorClientConfig, type TraceClient } from './client-config';

export function createApplicationAutoScalingPort(trace: TraceClient): ApplicationAutoScalingPort {
  return new AwsApplicationAutoScalingAdapter(trace(new ApplicationAutoScalingClient(executorClientConfig())));
}
