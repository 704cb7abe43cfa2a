import { AWS_EXECUTOR_CLIENT_CONFIG } from '../../adapters/aws/client-config';

/** Records a client's calls as X-Ray subsegments (Powertools' captureAWSv3Client), or leaves it as it is. */
export type TraceClient = <C>(client: C) => C;

/** The executors retry on their own (see AWS_EXECUTOR_CLIENT_CONFIG); a fresh copy per client, because the
 * SDK keeps a reference to the request-handler options. */
export function executorClientConfig() {
  return { ...AWS_EXECUTOR_CLIENT_CONFIG, requestHandler: { ...AWS_EXECUTOR_CLIENT_CONFIG.requestHandler } };
}
