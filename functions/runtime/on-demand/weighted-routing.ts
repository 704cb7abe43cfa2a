/** The weighted-routing port with its Route 53 client: a chunk of its own, loaded on first use. */
import { Route53Client } from '@aws-sdk/client-route-53';
import { AwsWeightedRoutingAdapter } from '../../adapters/aws/weighted-routing';
import type { WeightedRoutingPort } from '../../ports';
import { executorClientConfig, type TraceClient } from './client-config';

export function createWeightedRoutingPort(trace: TraceClient): WeightedRoutingPort {
  return new AwsWeightedRoutingAdapter(trace(new Route53Client(executorClientConfig())));
}
