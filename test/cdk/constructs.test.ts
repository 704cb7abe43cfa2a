/** The building blocks on their own: one test (at least) per prop of each construct. Bundling skipped. */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { TABLES } from '../../functions/adapters/dynamodb/tables';
import { AllocationPolicy } from '../../lib/allocation-policy';
import { DrivetrainFunction, lambdaEntrySource } from '../../lib/drivetrain-function';
import { handlerBundleDir } from '../../lib/handlers';
import { DrivetrainObservability } from '../../lib/observability';
import { DrivetrainTables } from '../../lib/tables';
import { appWithoutBundling, fixtureConfig, flatten } from './support';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string }>;
const resourcesOf = (stack: Stack) =>
  (flatten(Template.fromStack(stack).toJSON()) as { Resources: Resources }).Resources;
const single = (stack: Stack, type: string) => {
  const found = Object.values(resourcesOf(stack)).filter((r) => r.Type === type);
  expect(found).toHaveLength(1);
  return found[0]!;
};
const newStack = () => new Stack(appWithoutBundling(), 'ConstructTest');

describe('DrivetrainFunction', () => {
  const bundleDir = handlerBundleDir('ingest');
  const build = (overrides: Partial<ConstructorParameters<typeof DrivetrainFunction>[2]> = {}) => {
    const stack = newStack();
    const failureQueue = new sqs.Queue(stack, 'Failures');
    const fn = new DrivetrainFunction(stack, 'Fn', {
      bundleDir,
      description: 'under test',
      config: fixtureConfig(),
      timeout: Duration.seconds(20),
      failureQueue,
      retryAttempts: 1,
      maxEventAge: Duration.minutes(10),
      ...overrides,
    });
    return { stack, fn, failureQueue };
  };

  test('required props: bundleDir, description, timeout, failure destination with retries and event age', () => {
    const { stack, failureQueue } = build();
    const fn = single(stack, 'AWS::Lambda::Function').Properties;
    expect(fn).toMatchObject({ Description: 'under test', Timeout: 20, Handler: 'index.handler', MemorySize: 512 });
    const queueId = stack.getLogicalId(failureQueue.node.defaultChild as sqs.CfnQueue);
    expect(single(stack, 'AWS::Lambda::EventInvokeConfig').Properties).toMatchObject({
      MaximumRetryAttempts: 1,
      MaximumEventAgeInSeconds: 600,
      DestinationConfig: { OnFailure: { Destination: `\${${queueId}.Arn}` } },
    });
  });

  test('environment is added to the Powertools defaults; memorySize and reservedConcurrentExecutions pass through', () => {
    const { stack } = build({ environment: { EXTRA: 'yes' }, memorySize: 1024, reservedConcurrentExecutions: 3 });
    const properties = single(stack, 'AWS::Lambda::Function').Properties;
    expect(properties).toMatchObject({ MemorySize: 1024, ReservedConcurrentExecutions: 3 });
    // No NODE_OPTIONS (in particular no --enable-source-maps, which parsed the source map at every cold start).
    expect(properties.Environment).toEqual({
      Variables: { EXTRA: 'yes', POWERTOOLS_SERVICE_NAME: 'drivetrain', POWERTOOLS_METRICS_NAMESPACE: 'Drivetrain' },
    });
  });

  test('logRetention and logRemovalPolicy shape its own log group; the role may write to that group only', () => {
    const { stack, fn } = build({
      logRetention: logs.RetentionDays.TWO_WEEKS,
      logRemovalPolicy: RemovalPolicy.DESTROY,
    });
    const group = single(stack, 'AWS::Logs::LogGroup');
    expect(group.Properties.RetentionInDays).toBe(14);
    expect(group.DeletionPolicy).toBe('Delete');
    const logGroupId = stack.getLogicalId(fn.logGroup.node.defaultChild as logs.CfnLogGroup);
    const statements = (
      single(stack, 'AWS::IAM::Policy').Properties.PolicyDocument as {
        Statement: Array<{ Action: string[]; Resource: unknown }>;
      }
    ).Statement;
    expect(statements.find((s) => s.Action.includes('logs:PutLogEvents'))?.Resource).toBe(`\${${logGroupId}.Arn}`);
  });

  test('defaults: a month of logs, kept when the stack goes', () => {
    const { stack } = build();
    const group = single(stack, 'AWS::Logs::LogGroup');
    expect(group.Properties.RetentionInDays).toBe(30);
    expect(group.DeletionPolicy).toBe('Retain');
  });

  test('config goes into the deployed entry module (the bundle tests run it), Node 22 runtime', () => {
    const { fn } = build();
    expect(fn.function.runtime).toBe(lambda.Runtime.NODEJS_22_X);
    expect(lambdaEntrySource(fixtureConfig())).toContain(
      `process.env.DRIVETRAIN_CONFIG = ${JSON.stringify(JSON.stringify(fixtureConfig()))};`,
    );
  });
});

describe('DrivetrainTables', () => {
  test('prefix names every table; retainData defaults to keeping them', () => {
    const stack = newStack();
    new DrivetrainTables(stack, 'Tables', { prefix: 'blue' });
    const tables = Object.values(resourcesOf(stack)).filter((r) => r.Type === 'AWS::DynamoDB::Table');
    expect(tables.map((t) => t.Properties.TableName).sort()).toEqual(TABLES.map((t) => `blue-${t.id}`).sort());
    for (const table of tables)
      expect([table.DeletionPolicy, table.Properties.DeletionProtectionEnabled]).toEqual(['Retain', true]);
  });

  test('retainData: false', () => {
    const stack = newStack();
    new DrivetrainTables(stack, 'Tables', { prefix: 'green', retainData: false });
    for (const table of Object.values(resourcesOf(stack)).filter((r) => r.Type === 'AWS::DynamoDB::Table')) {
      expect([table.DeletionPolicy, table.Properties.DeletionProtectionEnabled]).toEqual(['Delete', false]);
    }
  });
});

describe('AllocationPolicy', () => {
  const sidsFor = (resources: ConstructorParameters<typeof AllocationPolicy>[2]['resources']) => {
    const stack = newStack();
    new AllocationPolicy(stack, 'Allocation', { resources });
    return (
      single(stack, 'AWS::IAM::ManagedPolicy').Properties.PolicyDocument as { Statement: Array<{ Sid: string }> }
    ).Statement.map((s) => s.Sid);
  };

  test('resources: statements only for the kinds configured', () => {
    expect(
      sidsFor({
        autoScalingGroups: [],
        provisionedConcurrency: [{ targetId: 'fn', arn: 'arn:aws:lambda:us-east-1:123456789012:function:f:live' }],
        weightedRecords: [],
        scalableTargets: [],
        albListenerRules: [],
      }),
    ).toEqual(['ProvisionedConcurrencyOfConfiguredFunctions']);
    expect(
      sidsFor({
        autoScalingGroups: ['a', 'b'],
        provisionedConcurrency: [],
        weightedRecords: [
          { targetId: 'api-a', hostedZoneId: 'ZA', recordName: 'a.example.com', recordType: 'A' },
          { targetId: 'api_a', hostedZoneId: 'ZA', recordName: 'b.example.com', recordType: 'AAAA' },
        ],
        scalableTargets: [],
        albListenerRules: [],
      }),
    ).toEqual([
      'DescribeAutoScalingGroups',
      'SetCapacityOfConfiguredGroups',
      // UpdateAutoScalingGroup on its own statement: its conditions keep MaxSize and the group's shape out.
      'SetFloorOfConfiguredGroups',
      'ReadConfiguredHostedZones',
      'FollowRoute53Changes',
      'UpsertWeightsApiA',
      'UpsertWeightsApiA2',
    ]);
  });
});

describe('DrivetrainObservability', () => {
  const build = (overrides: Partial<ConstructorParameters<typeof DrivetrainObservability>[2]> = {}) => {
    const stack = newStack();
    const fn = (id: string) =>
      lambda.Function.fromFunctionArn(stack, id, `arn:aws:lambda:us-east-1:123456789012:function:${id}`);
    const dlq = new sqs.Queue(stack, 'Dlq');
    const observability = new DrivetrainObservability(stack, 'Observability', {
      name: 'obs',
      deployment: 'obs',
      targets: [{ id: 'web' }],
      ingest: fn('ingest-fn'),
      tick: fn('tick-fn'),
      tickInterval: Duration.minutes(1),
      shards: { worker: fn('shard-fn'), queue: new sqs.Queue(stack, 'Shards'), workerTimeout: Duration.minutes(2) },
      deadLetterQueues: [{ label: 'Only', queue: dlq }],
      decisionsTableName: 'obs-decisions',
      actionFailureRatePercent: 15,
      ...overrides,
    });
    return {
      stack,
      observability,
      alarms: Object.values(resourcesOf(stack)).filter((r) => r.Type === 'AWS::CloudWatch::Alarm'),
    };
  };

  test('name prefixes alarms and names the dashboard; functions, DLQs, table and threshold are wired in', () => {
    const { stack, alarms, observability } = build();
    expect(alarms.map((a) => a.Properties.AlarmName).sort()).toEqual(
      [
        'obs-action-failure-rate',
        'obs-ingest-errors',
        'obs-only-dlq-not-empty',
        'obs-reconciliation-stalled',
        'obs-stale-targets',
        'obs-tick-errors',
        'obs-shard-worker-errors',
        'obs-shard-duration',
        'obs-shard-backlog',
      ].sort(),
    );
    expect(alarms.find((a) => a.Properties.AlarmName === 'obs-action-failure-rate')!.Properties.Threshold).toBe(15);
    expect(alarms.find((a) => a.Properties.AlarmName === 'obs-ingest-errors')!.Properties.Dimensions).toEqual([
      { Name: 'FunctionName', Value: 'ingest-fn' },
    ]);
    expect(alarms.find((a) => a.Properties.AlarmName === 'obs-reconciliation-stalled')!.Properties.Dimensions).toEqual([
      { Name: 'FunctionName', Value: 'tick-fn' },
    ]);
    expect(alarms.find((a) => a.Properties.AlarmName === 'obs-shard-worker-errors')!.Properties.Dimensions).toEqual([
      { Name: 'FunctionName', Value: 'shard-fn' },
    ]);
    expect(alarms.find((a) => a.Properties.AlarmName === 'obs-shard-duration')!.Properties.Threshold).toBe(60_000);
    const dashboard = single(stack, 'AWS::CloudWatch::Dashboard').Properties;
    expect(dashboard.DashboardName).toBe('obs');
    expect(String(dashboard.DashboardBody)).toContain('item-explorer?table=obs-decisions');
    expect(flatten(stack.resolve(observability.dashboardUrl))).toBe(
      'https://${AWS::Region}.console.aws.amazon.com/cloudwatch/home?region=${AWS::Region}#dashboards/dashboard/obs',
    );
  });

  test('tickInterval widens the stall window for slow ticks', () => {
    const { alarms } = build({ tickInterval: Duration.minutes(10) });
    expect(alarms.find((a) => a.Properties.AlarmName === 'obs-reconciliation-stalled')!.Properties.Period).toBe(1200);
  });

  test('alarmTopic receives ALARM and OK', () => {
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Ops');
    const fn = lambda.Function.fromFunctionName(stack, 'F', 'f');
    new DrivetrainObservability(stack, 'Observability', {
      name: 'obs',
      deployment: 'obs',
      targets: [],
      ingest: fn,
      tick: fn,
      tickInterval: Duration.minutes(1),
      shards: { worker: fn, queue: new sqs.Queue(stack, 'Shards'), workerTimeout: Duration.minutes(2) },
      deadLetterQueues: [],
      decisionsTableName: 't',
      actionFailureRatePercent: 10,
      alarmTopic: topic,
    });
    const ref = `\${${stack.getLogicalId(topic.node.defaultChild as sns.CfnTopic)}}`;
    const alarms = Object.values(resourcesOf(stack)).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(8);
    for (const alarm of alarms)
      expect([alarm.Properties.AlarmActions, alarm.Properties.OKActions]).toEqual([[ref], [ref]]);
  });
});
