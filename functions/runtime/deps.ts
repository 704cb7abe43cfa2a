/**
 * Dependencies of the deployed Lambdas, built from the environment and real clients. Called once per
 * execution environment (module scope of each handler).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDecisionStore } from '../adapters/dynamodb/decision-store';
import { DynamoDriverStore } from '../adapters/dynamodb/driver-store';
import { createInvocationExecutors } from '../executors';
import type { HandlerDeps } from '../app/deps';
import { awsDecisionEvents, awsExecutorPorts, awsMetricHistory, createAwsClients, traceClient } from './clients';
import { DEPLOYMENT_DIMENSION } from '../contracts';
import { parseEnv, type DrivetrainEnv } from './env';
import { logger, metrics, tracer } from './powertools';

export interface LambdaDeps extends HandlerDeps {
  home: { account: string; region: string };
  /** The environment the dependencies were built from, and its DynamoDB client (ingest's idempotency store). */
  env: Readonly<DrivetrainEnv>;
  dynamodb: DynamoDBClient;
}

export function buildLambdaDeps(env = parseEnv()): LambdaDeps {
  // Every metric of this deployment carries its name, so deployments sharing an account stay apart.
  metrics.setDefaultDimensions({ [DEPLOYMENT_DIMENSION]: env.config.name });
  const trace = traceClient(tracer);
  const clients = createAwsClients(trace);
  const ports = awsExecutorPorts(trace);
  const storeLogger = {
    warn: (message: string, attributes: Record<string, unknown>) => logger.warn(message, attributes),
  };
  return {
    config: env.config,
    home: env.home,
    drivers: new DynamoDriverStore(clients.doc, env.tables.drivers, {
      logger: storeLogger,
      ...(env.history ? { history: env.history } : {}),
    }),
    decisions: new DynamoDecisionStore(clients.doc, {
      decisionsTable: env.tables.decisions,
      stateTable: env.tables.state,
      retentionDays: env.config.decisionRetentionDays,
      targets: env.config.targets,
      logger: storeLogger,
    }),
    // Per invocation, so the retries know the Lambda deadline and share one budget; the ports (and their
    // clients) are shared.
    executors: (invocation) => createInvocationExecutors(ports, invocation),
    // Whole seconds: the domain's unit, and what makes decision times readable in the console.
    clock: () => Math.floor(Date.now() / 1000),
    logger,
    metrics,
    tracer,
    pendingGraceSeconds: env.pendingGraceSeconds,
    env,
    dynamodb: clients.dynamodb,
    ...(env.businessBusName ? { decisionEvents: awsDecisionEvents(trace, env.businessBusName) } : {}),
    // Module scope, like the clients: the history cache lives as long as the execution environment.
    ...(env.config.drivers.some((d) => d.kind === 'metric' && d.cloudwatch)
      ? { metricHistory: awsMetricHistory(trace, env.config) }
      : {}),
  };
}
