/**
 * End-to-end harness for the Lambda handlers: real stores on DynamoDB Local, real executors and AWS adapters
 * over SDK clients mocked with aws-sdk-client-mock (stateful fakes of one ASG, one provisioned-concurrency
 * config and one weighted record set), real Powertools instances whose EMF output is captured.
 */
// Metrics print EMF through the global console only in dev mode; metrics stay enabled explicitly.
process.env.POWERTOOLS_DEV = 'true';
process.env.POWERTOOLS_METRICS_DISABLED = 'false';

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import {
  type Action as ElbAction,
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
  ModifyRuleCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { AwsAlbRoutingAdapter } from '../../functions/adapters/aws/alb-routing';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribePoliciesCommand,
  DescribeScheduledActionsCommand,
  SetDesiredCapacityCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import {
  DeleteProvisionedConcurrencyConfigCommand,
  GetProvisionedConcurrencyConfigCommand,
  LambdaClient,
  ProvisionedConcurrencyConfigNotFoundException,
  PutProvisionedConcurrencyConfigCommand,
} from '@aws-sdk/client-lambda';
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  NoSuchChange,
  Route53Client,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDecisionStore } from '../../functions/adapters/dynamodb/decision-store';
import { DynamoDriverStore } from '../../functions/adapters/dynamodb/driver-store';
import {
  AwsApplicationAutoScalingAdapter,
  AwsAutoScalingAdapter,
  AwsProvisionedConcurrencyAdapter,
  AwsWeightedRoutingAdapter,
} from '../../functions/adapters/aws';
import { createExecutors } from '../../functions/executors';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../functions/contracts';
import { parseConfig, type DrivetrainConfig, type DrivetrainConfigInput } from '../../functions/domain/config';
import type { AlarmDriver } from '../../functions/domain/model';
import { createIngestHandler } from '../../functions/handlers/ingest';
import { createTickHandler } from '../../functions/handlers/tick';
import { createOperatorHandler, type OperatorResponse } from '../../functions/handlers/operator';
import type { DecisionEventPublisher, DecisionStore, DeployedConfigStore } from '../../functions/ports';
import { createTestTables, type LocalTables } from '../support/dynamodb';
import type { LooseJson } from '../support/loose-json';

export const FIXTURES = join(__dirname, '..', 'fixtures', 'events');

export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as T;
}

/** Epoch seconds of an ISO timestamp. */
export function t(iso: string): number {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new Error(`test bug: ${iso} is not ISO`);
  return Math.floor(ms / 1000);
}

export const ONCALL = 'arn:aws:iam::111122223333:role/oncall-*';

/** The ResourceId of the harness's one scalable target (an ECS service's DesiredCount). */
export const SCALABLE_RESOURCE_ID = 'service/web/orders';

/** A deployment whose drivers are the documented fixtures' alarms and Drivetrain's own event sources. */
export function configInput(overrides: { webMode?: 'enforce' | 'shadow' | 'paused' } = {}): DrivetrainConfigInput {
  return {
    version: 1,
    decisionRetentionDays: 30,
    drivers: [
      {
        name: 'cpu-high',
        kind: 'alarm',
        alarmNames: ['ServerCpuTooHigh', 'lambda-demo-metric-alarm', 'EXAMPLE'],
        targets: ['web-asg'],
      },
      { name: 'net-high', kind: 'alarm', alarmNames: ['TotalNetworkTrafficTooHigh'], targets: ['web-asg'] },
      { name: 'cpu-anomaly', kind: 'alarm', alarmNames: ['EC2 CPU Utilization Anomaly'], targets: ['web-asg'] },
      {
        name: 'service-health',
        kind: 'alarm',
        alarmNames: ['ServiceAggregatedAlarm', 'CompositeDemo.Main'],
        targets: ['api-routing'],
      },
      { name: 'requests', kind: 'metric', unit: 'Count/Second', targets: ['web-asg'] },
      { name: 'flash-sale', kind: 'business', targets: ['web-asg', 'checkout-fn'] },
      { name: 'cost-budget', kind: 'business', targets: ['web-asg'] },
      { name: 'change-freeze', kind: 'business', targets: ['web-asg', 'checkout-fn'] },
      { name: 'ops-override', kind: 'override', targets: ['web-asg', 'checkout-fn', 'api-routing'] },
    ],
    targets: [
      {
        id: 'web-asg',
        kind: 'ec2-asg',
        resource: { kind: 'ec2-asg', autoScalingGroupName: 'web-prod' },
        mode: overrides.webMode ?? 'enforce',
        allowedSources: [
          'aws.cloudwatch',
          'drivetrain.metrics',
          'com.acme.marketing',
          'com.acme.finance',
          'com.acme.change',
          'drivetrain.operator',
        ],
        overridePrincipals: [ONCALL],
        policy: {
          version: 'web-1',
          bounds: { min: 2, max: 40 },
          rules: [
            { kind: 'alarm', driver: 'cpu-high', step: 2, urgent: true },
            { kind: 'alarm', driver: 'net-high', step: 1 },
            { kind: 'alarm', driver: 'cpu-anomaly', step: 1 },
            { kind: 'metric', driver: 'requests', targetPerUnit: 250 },
            { kind: 'business', driver: 'flash-sale', baseline: 4, leadTimeSeconds: 900 },
            { kind: 'business', driver: 'cost-budget' },
            { kind: 'business', driver: 'change-freeze' },
            { kind: 'override', driver: 'ops-override' },
          ],
          stabilization: { scaleUpSeconds: 0, scaleDownSeconds: 300 },
          budget: { unitHourlyPrice: 0.1, maxHourlyCost: 10 },
          fallback: { allocation: 4 },
        },
      },
      {
        id: 'checkout-fn',
        kind: 'lambda-provisioned-concurrency',
        resource: { kind: 'lambda-provisioned-concurrency', functionName: 'checkout', qualifier: 'live' },
        mode: 'enforce',
        allowedSources: ['com.acme.marketing', 'com.acme.change', 'drivetrain.operator'],
        overridePrincipals: [ONCALL],
        policy: {
          version: 'checkout-1',
          bounds: { min: 0, max: 200 },
          rules: [
            { kind: 'business', driver: 'flash-sale', baseline: 20, leadTimeSeconds: 600 },
            { kind: 'business', driver: 'change-freeze' },
            { kind: 'override', driver: 'ops-override' },
          ],
          fallback: { allocation: 0 },
        },
      },
      {
        id: 'api-routing',
        kind: 'route53-weighted',
        resource: {
          kind: 'route53-weighted',
          hostedZoneId: 'Z0123456789ABCDEFGHIJ',
          recordName: 'api.example.com',
          recordType: 'CNAME',
          endpoints: [
            { setIdentifier: 'us-east-1', weight: 70, drainOn: ['service-health'] },
            { setIdentifier: 'eu-west-1', weight: 30 },
          ],
        },
        mode: 'enforce',
        allowedSources: ['aws.cloudwatch', 'drivetrain.operator'],
        overridePrincipals: [ONCALL],
        policy: {
          version: 'routing-1',
          bounds: { min: 0, max: 255 },
          rules: [{ kind: 'override', driver: 'ops-override' }],
          routing: { restoreAfterSeconds: 300 },
          fallback: { allocation: 0 },
        },
      },
    ],
  };
}

export interface EmfMetric {
  name: string;
  value: number;
  dimensions: Record<string, string>;
}

/** Lambda context as the runtime passes it (only what Powertools and the handlers read). */
export function lambdaContext(remainingMs = 60_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'drivetrain-ingest',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:drivetrain-ingest',
    memoryLimitInMB: '512',
    awsRequestId: `req-${Math.random().toString(36).slice(2)}`,
    logGroupName: '/aws/lambda/drivetrain-ingest',
    logStreamName: '2026/11/20/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export interface AwsFakes {
  group: { DesiredCapacity: number; MinSize: number; MaxSize: number };
  /** The group's own scaling policies (DescribePolicies), e.g. a target-tracking policy. */
  groupPolicies: Array<{ PolicyName: string; PolicyType: string }>;
  /** One Application Auto Scaling scalable target (ResourceId SCALABLE_RESOURCE_ID); undefined: not registered. */
  scalable: { MinCapacity: number; MaxCapacity: number; capacity: number } | undefined;
  provisioned: number | undefined;
  weights: Record<string, number>;
  /** Route 53 changes by ChangeInfo.Id as GetChange reports them; an id not here is NoSuchChange. */
  changes: Record<string, 'PENDING' | 'INSYNC'>;
  /** What GetChange says of a change just submitted (default INSYNC: propagated before the next reconcile). */
  newChangeStatus: 'PENDING' | 'INSYNC';
  /** ALB listener rules (alb-weighted targets): the forward action's weights by target group ARN. */
  albRules: Record<string, Record<string, number>>;
}

export interface Harness {
  local: LocalTables;
  config: Readonly<DrivetrainConfig>;
  now: { value: number };
  drivers: DynamoDriverStore;
  decisions: DynamoDecisionStore;
  autoScaling: AwsClientStub<AutoScalingClient>;
  applicationAutoScaling: AwsClientStub<ApplicationAutoScalingClient>;
  lambda: AwsClientStub<LambdaClient>;
  route53: AwsClientStub<Route53Client>;
  elbv2: AwsClientStub<ElasticLoadBalancingV2Client>;
  aws: AwsFakes;
  logger: Logger;
  metrics: Metrics;
  emf: EmfMetric[];
  ingest: (event: unknown) => Promise<unknown>;
  tick: (event?: unknown) => Promise<unknown>;
  /** The operator endpoint, called with a function-URL event (see functionUrlEvent). */
  operator: (event: unknown) => Promise<OperatorResponse>;
  /** Build another ingest/tick pair over the same tables and mocks (a second Lambda environment). */
  /** `remainingMs`: what the Lambda context reports as the invocation's remaining time (default 60 s). */
  handlers(options?: {
    decisions?: DecisionStore;
    idempotency?: boolean;
    remainingMs?: number;
    /** The tick records its config there (deployed: the state table). */
    deployedConfig?: DeployedConfigStore;
    config?: Readonly<DrivetrainConfig>;
  }): {
    ingest: (event: unknown) => Promise<unknown>;
    tick: (event?: unknown) => Promise<unknown>;
    operator: (event: unknown) => Promise<OperatorResponse>;
  };
  metric(name: string, dimensions?: Record<string, string>): number;
  mutatingCalls(): number;
  close(): void;
}

export const SCHEDULED_EVENT = {
  version: '0',
  id: '89d1a02d-5ec7-412e-82f5-13505f849b41',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2016-12-30T18:44:49Z',
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:123456789012:rule/SampleRule'],
  detail: {},
};

/** The harness config's cpu-high alarm as a stored driver (observed at `observedAt`, received a second later). */
export function cpuAlarm(observedAt: number, state: 'ALARM' | 'OK' = 'ALARM'): AlarmDriver {
  return {
    kind: 'alarm',
    id: 'alarm:ServerCpuTooHigh',
    name: 'cpu-high',
    source: 'aws.cloudwatch',
    targets: ['web-asg'],
    observedAt,
    expiresAt: observedAt + 7 * 86400,
    lineage: { eventId: `evt-${observedAt}`, channel: 'eventbridge', receivedAt: observedAt + 1 },
    signal: { alarmName: 'ServerCpuTooHigh', state },
  };
}

/**
 * A Lambda function URL request as Lambda delivers it with AuthType AWS_IAM (payload format 2.0): the body as
 * sent, and the caller Lambda verified in requestContext.authorizer.iam. `callerArn: null` drops the
 * authorizer block (what a direct invocation with a hand-made event would look like without it).
 */
export function functionUrlEvent(
  body: unknown,
  callerArn: string | null = 'arn:aws:sts::111122223333:assumed-role/oncall-alice/alice',
  extra: { method?: string } = {},
): LooseJson {
  const event = JSON.parse(
    readFileSync(join(__dirname, '..', 'fixtures', 'operator', 'function-url-iam.json'), 'utf8'),
  ) as LooseJson;
  event.body = typeof body === 'string' ? body : JSON.stringify(body);
  event.requestContext.requestId = `req-${Math.random().toString(36).slice(2)}`;
  if (extra.method) event.requestContext.http.method = extra.method;
  if (callerArn === null) delete event.requestContext.authorizer;
  else {
    event.requestContext.authorizer.iam.userArn = callerArn;
    event.requestContext.authorizer.iam.accountId = callerArn.split(':')[4];
  }
  return event;
}

export async function createHarness(options: {
  config?: DrivetrainConfigInput;
  now: number;
  aws?: Partial<AwsFakes>;
  home?: { account: string; region: string };
  /** Publishes the handlers' decision events (absent: none are published). */
  decisionEvents?: DecisionEventPublisher;
  /** Keep driver history in the history table for this many seconds (absent: none, driverHistoryRetention 0). */
  historyRetentionSeconds?: number;
}): Promise<Harness> {
  const local = await createTestTables();
  const config = parseConfig(options.config ?? configInput(), 'test/handlers/harness.ts');
  const now = { value: options.now };
  const aws: AwsFakes = {
    group: { DesiredCapacity: 4, MinSize: 2, MaxSize: 40 },
    groupPolicies: [],
    scalable: { MinCapacity: 2, MaxCapacity: 40, capacity: 3 },
    provisioned: undefined,
    weights: { 'us-east-1': 70, 'eu-west-1': 30 },
    changes: {},
    newChangeStatus: 'INSYNC',
    albRules: {},
    ...options.aws,
  };

  const autoScaling = mockClient(AutoScalingClient);
  autoScaling.on(DescribeAutoScalingGroupsCommand).callsFake((input: { AutoScalingGroupNames?: string[] }) => ({
    AutoScalingGroups: (input.AutoScalingGroupNames ?? []).includes('web-prod')
      ? [{ AutoScalingGroupName: 'web-prod', ...aws.group }]
      : [],
  }));
  autoScaling.on(SetDesiredCapacityCommand).callsFake((input: { DesiredCapacity: number }) => {
    aws.group.DesiredCapacity = input.DesiredCapacity;
    return {};
  });
  autoScaling.on(UpdateAutoScalingGroupCommand).callsFake((input: { DesiredCapacity?: number; MinSize?: number }) => {
    if (input.DesiredCapacity !== undefined) aws.group.DesiredCapacity = input.DesiredCapacity;
    if (input.MinSize !== undefined) aws.group.MinSize = input.MinSize;
    // As EC2 Auto Scaling does: a MinSize above desired (without a DesiredCapacity) raises desired to it.
    if (input.DesiredCapacity === undefined && aws.group.MinSize > aws.group.DesiredCapacity)
      aws.group.DesiredCapacity = aws.group.MinSize;
    return {};
  });
  autoScaling.on(DescribePoliciesCommand).callsFake(() => ({ ScalingPolicies: aws.groupPolicies }));
  autoScaling.on(DescribeScheduledActionsCommand).resolves({ ScheduledUpdateGroupActions: [] });

  const applicationAutoScaling = mockClient(ApplicationAutoScalingClient);
  applicationAutoScaling.on(DescribeScalableTargetsCommand).callsFake((input: { ResourceIds?: string[] }) => ({
    ScalableTargets:
      aws.scalable && (input.ResourceIds ?? []).includes(SCALABLE_RESOURCE_ID)
        ? [
            {
              ServiceNamespace: 'ecs',
              ResourceId: SCALABLE_RESOURCE_ID,
              ScalableDimension: 'ecs:service:DesiredCount',
              MinCapacity: aws.scalable.MinCapacity,
              MaxCapacity: aws.scalable.MaxCapacity,
              RoleARN: 'arn:aws:iam::111122223333:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/x',
              CreationTime: new Date(0),
            },
          ]
        : [],
  }));
  applicationAutoScaling.on(RegisterScalableTargetCommand).callsFake((input: { MinCapacity?: number }) => {
    if (!aws.scalable) throw new Error('test bug: RegisterScalableTarget on an unregistered target');
    if (input.MinCapacity !== undefined) {
      aws.scalable.MinCapacity = input.MinCapacity;
      aws.scalable.capacity = Math.max(aws.scalable.capacity, input.MinCapacity);
    }
    return { ScalableTargetARN: 'arn:aws:application-autoscaling:us-east-1:111122223333:scalable-target/0abc' };
  });

  const lambda = mockClient(LambdaClient);
  lambda.on(GetProvisionedConcurrencyConfigCommand).callsFake(() => {
    if (aws.provisioned === undefined)
      throw new ProvisionedConcurrencyConfigNotFoundException({
        message: 'No Provisioned Concurrency Config found for this function',
        $metadata: { httpStatusCode: 404 },
      });
    return {
      RequestedProvisionedConcurrentExecutions: aws.provisioned,
      AllocatedProvisionedConcurrentExecutions: aws.provisioned,
      Status: 'READY',
    };
  });
  lambda.on(PutProvisionedConcurrencyConfigCommand).callsFake((input: { ProvisionedConcurrentExecutions: number }) => {
    aws.provisioned = input.ProvisionedConcurrentExecutions;
    return { Status: 'IN_PROGRESS', RequestedProvisionedConcurrentExecutions: aws.provisioned };
  });
  lambda.on(DeleteProvisionedConcurrencyConfigCommand).callsFake(() => {
    aws.provisioned = undefined;
    return {};
  });

  const route53 = mockClient(Route53Client);
  route53.on(ListResourceRecordSetsCommand).callsFake(() => ({
    IsTruncated: false,
    ResourceRecordSets: Object.entries(aws.weights).map(
      ([id, weight]): ResourceRecordSet => ({
        Name: 'api.example.com.',
        Type: 'CNAME',
        SetIdentifier: id,
        Weight: weight,
        TTL: 60,
        ResourceRecords: [{ Value: `${id}.api.example.com` }],
      }),
    ),
  }));
  route53
    .on(ChangeResourceRecordSetsCommand)
    .callsFake((input: { ChangeBatch: { Changes: Array<{ ResourceRecordSet: ResourceRecordSet }> } }) => {
      for (const change of input.ChangeBatch.Changes)
        aws.weights[change.ResourceRecordSet.SetIdentifier!] = change.ResourceRecordSet.Weight!;
      const id = `/change/C${Object.keys(aws.changes).length + 1}`;
      aws.changes[id] = aws.newChangeStatus;
      return { ChangeInfo: { Id: id, Status: 'PENDING', SubmittedAt: new Date(now.value * 1000) } };
    });
  route53.on(GetChangeCommand).callsFake((input: { Id: string }) => {
    const status = aws.changes[input.Id];
    if (!status)
      throw new NoSuchChange({ message: 'A change with the specified change ID does not exist.', $metadata: {} });
    return { ChangeInfo: { Id: input.Id, Status: status, SubmittedAt: new Date(now.value * 1000) } };
  });

  const elbv2 = mockClient(ElasticLoadBalancingV2Client);
  elbv2.on(DescribeRulesCommand).callsFake((input: { RuleArns?: string[] }) => ({
    Rules: (input.RuleArns ?? [])
      .filter((arn) => aws.albRules[arn] !== undefined)
      .map((arn) => ({
        RuleArn: arn,
        Priority: '10',
        Actions: [
          {
            Type: 'forward',
            ForwardConfig: {
              TargetGroups: Object.entries(aws.albRules[arn]!).map(([tg, w]) => ({ TargetGroupArn: tg, Weight: w })),
            },
          },
        ],
      })),
  }));
  elbv2.on(ModifyRuleCommand).callsFake((input: { RuleArn: string; Actions: ElbAction[] }) => {
    const forward = input.Actions.find((a) => a.Type === 'forward');
    for (const g of forward?.ForwardConfig?.TargetGroups ?? [])
      aws.albRules[input.RuleArn]![g.TargetGroupArn!] = g.Weight!;
    return { Rules: [] };
  });

  const region = { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  const ports = {
    autoScaling: new AwsAutoScalingAdapter(new AutoScalingClient(region)),
    applicationAutoScaling: new AwsApplicationAutoScalingAdapter(new ApplicationAutoScalingClient(region)),
    provisionedConcurrency: new AwsProvisionedConcurrencyAdapter(new LambdaClient(region)),
    weightedRouting: new AwsWeightedRoutingAdapter(new Route53Client(region)),
    albRouting: new AwsAlbRoutingAdapter(new ElasticLoadBalancingV2Client(region)),
  };
  // Instant backoff and an unpaced Route 53 limiter: retries are counted, not waited for.
  const executors = createExecutors(ports, {
    retry: { sleep: async () => undefined, random: () => 0.5 },
    route53Limiter: { take: async () => 0 },
  });

  const drivers = new DynamoDriverStore(local.doc, local.names.drivers, {
    ...(options.historyRetentionSeconds
      ? { history: { tableName: local.names.history, retentionSeconds: options.historyRetentionSeconds } }
      : {}),
  });
  const decisions = new DynamoDecisionStore(local.doc, {
    decisionsTable: local.names.decisions,
    stateTable: local.names.state,
    retentionDays: config.decisionRetentionDays,
    targets: config.targets,
  });
  const logger = new Logger({ serviceName: SERVICE_NAME, logLevel: 'SILENT' });
  // Metrics' own warnings (e.g. "No application metrics to publish" for an invocation that only rejected) are
  // not under test; the EMF output is.
  const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME, logger: quiet });
  const emf: EmfMetric[] = [];
  jest.spyOn(console, 'log').mockImplementation((line: unknown) => {
    if (typeof line !== 'string' || !line.includes('"_aws"')) return;
    const blob = JSON.parse(line) as {
      _aws: { CloudWatchMetrics: Array<{ Dimensions: string[][]; Metrics: Array<{ Name: string }> }> };
    } & Record<string, unknown>;
    for (const directive of blob._aws.CloudWatchMetrics) {
      const dimensions = Object.fromEntries((directive.Dimensions[0] ?? []).map((d) => [d, String(blob[d])]));
      for (const { Name } of directive.Metrics) {
        const raw = blob[Name];
        for (const value of Array.isArray(raw) ? raw : [raw])
          emf.push({ name: Name, value: Number(value), dimensions });
      }
    }
  });

  const idempotencyStore = new DynamoDBPersistenceLayer({
    tableName: local.names.idempotency,
    awsSdkV3Client: local.client,
  });
  const build = (
    opts: {
      decisions?: DecisionStore;
      idempotency?: boolean;
      remainingMs?: number;
      deployedConfig?: DeployedConfigStore;
      config?: Readonly<DrivetrainConfig>;
    } = {},
  ) => {
    const deps = {
      config: opts.config ?? config,
      drivers,
      decisions: opts.decisions ?? decisions,
      executors,
      clock: () => now.value,
      logger,
      metrics,
      ...(opts.idempotency === false ? {} : { idempotencyStore }),
      ...(options.home ? { home: options.home } : {}),
      ...(options.decisionEvents ? { decisionEvents: options.decisionEvents } : {}),
    };
    const ingestHandler = createIngestHandler(deps);
    const tickHandler = createTickHandler({
      ...deps,
      ...(opts.deployedConfig ? { deployedConfig: opts.deployedConfig } : {}),
    });
    const operatorHandler = createOperatorHandler(deps);
    return {
      ingest: (event: unknown) => ingestHandler(event, lambdaContext(opts.remainingMs)),
      tick: (event: unknown = SCHEDULED_EVENT) => tickHandler(event as never, lambdaContext(opts.remainingMs)),
      operator: (event: unknown) =>
        operatorHandler(event, lambdaContext(opts.remainingMs)) as Promise<OperatorResponse>,
    };
  };
  const { ingest, tick, operator } = build();

  return {
    local,
    config,
    now,
    drivers,
    decisions,
    autoScaling,
    applicationAutoScaling,
    lambda,
    route53,
    elbv2,
    aws,
    logger,
    metrics,
    emf,
    ingest,
    tick,
    operator,
    handlers: build,
    metric: (name, dimensions) =>
      emf
        .filter((m) => m.name === name && Object.entries(dimensions ?? {}).every(([k, v]) => m.dimensions[k] === v))
        .reduce((sum, m) => sum + m.value, 0),
    mutatingCalls: () =>
      autoScaling.commandCalls(SetDesiredCapacityCommand).length +
      autoScaling.commandCalls(UpdateAutoScalingGroupCommand).length +
      applicationAutoScaling.commandCalls(RegisterScalableTargetCommand).length +
      lambda.commandCalls(PutProvisionedConcurrencyConfigCommand).length +
      lambda.commandCalls(DeleteProvisionedConcurrencyConfigCommand).length +
      route53.commandCalls(ChangeResourceRecordSetsCommand).length +
      elbv2.commandCalls(ModifyRuleCommand).length,
    close: () => {
      autoScaling.restore();
      applicationAutoScaling.restore();
      lambda.restore();
      route53.restore();
      elbv2.restore();
      local.client.destroy();
      jest.restoreAllMocks();
    },
  };
}
