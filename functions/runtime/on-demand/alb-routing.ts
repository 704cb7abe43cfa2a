/** The ALB routing port with its Elastic Load Balancing v2 client: a chunk of its own, loaded on first use. */
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AwsAlbRoutingAdapter } from '../../adapters/aws/alb-routing';
import type { AlbRoutingPort } from '../../ports';
import { executorClientConfig, type TraceClient } from './client-config';

export function createAlbRoutingPort(trace: TraceClient): AlbRoutingPort {
  return new AwsAlbRoutingAdapter(trace(new ElasticLoadBalancingV2Client(executorClientConfig())));
}
