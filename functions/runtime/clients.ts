/**
 * AWS SDK clients of the deployed Lambdas, built once per execution environment and injected into the
 * adapters, so connections and credentials are reused across warm invocations.
 *
 * DynamoDB is on every path and built at module scope. The executors' clients (Auto Scaling, Lambda,
 * Route 53) and CloudWatch for metric history are each needed only by some targets and some configs, so
 * each is a chunk of its own, imported on its port's first call (lazy-port.ts): a cold start pays for the
 * code of one SDK client instead of five, and a config without a target kind never loads its client.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { DrivetrainConfig } from '../domain/config';
import type { ExecutorPorts } from '../executors';
import type { DecisionEventPublisher, MetricHistoryPort } from '../ports';
import { loadedOnFirstUse } from './lazy-port';
import type { TraceClient } from './on-demand/client-config';

export interface AwsClients {
  dynamodb: DynamoDBClient;
  doc: DynamoDBDocumentClient;
}

/** `tracer` (when given) records every SDK call as an X-Ray subsegment. */
export function traceClient(tracer?: Tracer): TraceClient {
  return <C>(client: C): C => (tracer ? tracer.captureAWSv3Client(client) : client);
}

export function createAwsClients(trace: TraceClient): AwsClients {
  const dynamodb = trace(new DynamoDBClient({}));
  return {
    dynamodb,
    // removeUndefinedValues: optional fields of the domain model are absent, never stored as NULL.
    doc: DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
  };
}

export function awsExecutorPorts(trace: TraceClient): ExecutorPorts {
  return {
    autoScaling: loadedOnFirstUse(async () => (await import('./on-demand/auto-scaling')).createAutoScalingPort(trace), {
      describe: true,
      setCapacity: true,
      failedActivities: true,
      setMinSize: true,
      ownScaling: true,
    }),
    applicationAutoScaling: loadedOnFirstUse(
      async () => (await import('./on-demand/application-auto-scaling')).createApplicationAutoScalingPort(trace),
      { describe: true, setMinCapacity: true, ownScaling: true },
    ),
    provisionedConcurrency: loadedOnFirstUse(
      async () => (await import('./on-demand/provisioned-concurrency')).createProvisionedConcurrencyPort(trace),
      { get: true, put: true, remove: true },
    ),
    weightedRouting: loadedOnFirstUse(
      async () => (await import('./on-demand/weighted-routing')).createWeightedRoutingPort(trace),
      { getWeights: true, setWeights: true, changeStatus: true },
    ),
    albRouting: loadedOnFirstUse(async () => (await import('./on-demand/alb-routing')).createAlbRoutingPort(trace), {
      getWeights: true,
      setWeights: true,
    }),
  };
}

/** Metric history (CloudWatch GetMetricData); one instance per execution environment, so its cache lives as long. */
export function awsMetricHistory(trace: TraceClient, config: Readonly<DrivetrainConfig>): MetricHistoryPort {
  return loadedOnFirstUse(
    async () => (await import('./on-demand/metric-history')).createMetricHistoryPort(trace, config),
    { forTarget: true },
  );
}

/**
 * Decision events on the business bus (PutEvents), the EventBridge client loaded on first publish. The
 * publisher never throws (a notification must not fail the reconcile): a failed load counts every event as failed.
 */
export function awsDecisionEvents(trace: TraceClient, busName: string): DecisionEventPublisher {
  const port = loadedOnFirstUse(
    async () => (await import('./on-demand/decision-events')).createDecisionEventPublisher(trace, busName),
    { publish: true },
  );
  return {
    async publish(events) {
      try {
        return await port.publish(events);
      } catch (error) {
        return { published: 0, failed: events.length, error: error instanceof Error ? error.message : String(error) };
      }
    },
  };
}
