/**
 * AWS SDK clients of the deployed Lambdas, built once per execution environment (module scope) and
 * injected into the adapters, so connections and credentials are reused across warm invocations.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { Route53Client } from '@aws-sdk/client-route-53';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import {
  AWS_EXECUTOR_CLIENT_CONFIG,
  AwsApplicationAutoScalingAdapter,
  AwsAlbRoutingAdapter,
  AwsAutoScalingAdapter,
  AwsProvisionedConcurrencyAdapter,
  AwsWeightedRoutingAdapter,
} from '../adapters/aws';
import type { ExecutorPorts } from '../executors';

export interface AwsClients {
  dynamodb: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  autoScaling: AutoScalingClient;
  applicationAutoScaling: ApplicationAutoScalingClient;
  lambda: LambdaClient;
  route53: Route53Client;
  elbv2: ElasticLoadBalancingV2Client;
  /** Metric history reads (GetMetricData): the SDK's own retries, a short timeout (a decision waits on it). */
  cloudWatch: CloudWatchClient;
}

/** `tracer` (when given) records every SDK call as an X-Ray subsegment. */
export function createAwsClients(tracer?: Tracer): AwsClients {
  // The executors retry on their own (see AWS_EXECUTOR_CLIENT_CONFIG); each client gets its own copy of the
  // request-handler options because the SDK keeps a reference to them.
  const executorConfig = () => ({
    ...AWS_EXECUTOR_CLIENT_CONFIG,
    requestHandler: { ...AWS_EXECUTOR_CLIENT_CONFIG.requestHandler },
  });
  const trace = <C>(client: C): C => (tracer ? tracer.captureAWSv3Client(client) : client);
  const dynamodb = trace(new DynamoDBClient({}));
  return {
    dynamodb,
    // removeUndefinedValues: optional fields of the domain model are absent, never stored as NULL.
    doc: DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
    autoScaling: trace(new AutoScalingClient(executorConfig())),
    applicationAutoScaling: trace(new ApplicationAutoScalingClient(executorConfig())),
    lambda: trace(new LambdaClient(executorConfig())),
    route53: trace(new Route53Client(executorConfig())),
    elbv2: trace(new ElasticLoadBalancingV2Client(executorConfig())),
    cloudWatch: trace(
      new CloudWatchClient({
        requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000, throwOnRequestTimeout: true },
      }),
    ),
  };
}

export function awsExecutorPorts(clients: AwsClients): ExecutorPorts {
  return {
    autoScaling: new AwsAutoScalingAdapter(clients.autoScaling),
    applicationAutoScaling: new AwsApplicationAutoScalingAdapter(clients.applicationAutoScaling),
    provisionedConcurrency: new AwsProvisionedConcurrencyAdapter(clients.lambda),
    weightedRouting: new AwsWeightedRoutingAdapter(clients.route53),
    albRouting: new AwsAlbRoutingAdapter(clients.elbv2),
  };
}
