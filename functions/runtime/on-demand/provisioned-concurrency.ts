/** The provisioned-concurrency port with its Lambda client: a chunk of its own, loaded on first use. */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { AwsProvisionedConcurrencyAdapter } from '../../adapters/aws/provisioned-concurrency';
import type { ProvisionedConcurrencyPort } from '../../ports';
import { executorClientConfig, type TraceClient } from './client-config';

export function createProvisionedConcurrencyPort(trace: TraceClient): ProvisionedConcurrencyPort {
  return new AwsProvisionedConcurrencyAdapter(trace(new LambdaClient(executorClientConfig())));
}
