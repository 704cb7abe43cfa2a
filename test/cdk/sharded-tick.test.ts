/**
 * CDK assertions on the sharded reconciliation: no reserved concurrency anywhere (it fails on new accounts),
 * the shard queue with its DLQ, the event source mapping (batch size, maxConcurrency, partial batch
 * responses), the worker's timeout against the queue's visibility timeout, and least privilege for the tick
 * (it only enqueues) and the worker (it only consumes).
 */
import { Duration } from 'aws-cdk-lib';
import { ENV, METRIC } from '../../functions/contracts';
import { SHARD_WORKER_TIMEOUT_SECONDS } from '../../functions/app/shards';
import { DEFAULT_PENDING_GRACE_SECONDS } from '../../functions/app/reconcile';
import { DEPLOYED_CONFIG_KEY } from '../../functions/adapters/dynamodb/tables';
import { flatten, synthStack } from './support';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
const synth = (props: Parameters<typeof synthStack>[0] = {}) =>
  (flatten(synthStack(props).template.toJSON()) as { Resources: Resources }).Resources;
const resources = synth();
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const functionId = (fragment: string) =>
  ofType('AWS::Lambda::Function').find(([, r]) => String(r.Properties.Description).includes(fragment))![0];
const tickId = functionId('plan the reconciliation');
const workerId = functionId('reconcile one shard');
const queueId = ofType('AWS::SQS::Queue').find(([, r]) => r.Properties.QueueName === 'dt-test-shards')![0];
const dlqId = ofType('AWS::SQS::Queue').find(([, r]) => r.Properties.QueueName === 'dt-test-shard-dlq')![0];

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);
function statementsOfRole(functionLogicalId: string): Statement[] {
  const role = String(resources[functionLogicalId]!.Properties.Role).replace(/^\$\{|\.Arn\}$/g, '');
  const managed = (list(resources[role]!.Properties.ManagedPolicyArns ?? []) as string[]).map((arn) =>
    arn.replace(/^\$\{|\}$/g, ''),
  );
  return Object.entries(resources)
    .filter(
      ([id, r]) =>
        (r.Type === 'AWS::IAM::Policy' && list(r.Properties.Roles).includes(`\${${role}}`)) ||
        (r.Type === 'AWS::IAM::ManagedPolicy' && managed.includes(id)),
    )
    .flatMap(([, r]) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}
const actionsOf = (statements: Statement[]) => statements.flatMap((s) => list(s.Action) as string[]);

test('no function reserves concurrency: a new account (concurrency quota 10) cannot refuse the stack', () => {
  for (const [, fn] of ofType('AWS::Lambda::Function'))
    expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
});

test('the shard queue: encrypted, TLS only, visibility six times the worker timeout, a DLQ after three receives', () => {
  expect(resources[queueId]!.Properties).toMatchObject({
    SqsManagedSseEnabled: true,
    VisibilityTimeout: 6 * SHARD_WORKER_TIMEOUT_SECONDS,
    RedrivePolicy: { deadLetterTargetArn: `\${${dlqId}.Arn}`, maxReceiveCount: 3 },
  });
  expect(resources[dlqId]!.Properties).toMatchObject({
    SqsManagedSseEnabled: true,
    MessageRetentionPeriod: 14 * 24 * 3600,
  });
  const policies = ofType('AWS::SQS::QueuePolicy').filter(([, r]) =>
    list(r.Properties.Queues).some((q) => q === `\${${queueId}}` || q === `\${${dlqId}}`),
  );
  expect(policies).toHaveLength(2);
  for (const [, policy] of policies) {
    expect((policy.Properties.PolicyDocument as { Statement: unknown[] }).Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  }
});

test('the event source mapping: one shard per invocation, bounded maxConcurrency, partial batch responses', () => {
  const mappings = ofType('AWS::Lambda::EventSourceMapping');
  expect(mappings).toHaveLength(1);
  expect(mappings[0]![1].Properties).toMatchObject({
    EventSourceArn: `\${${queueId}.Arn}`,
    FunctionName: `\${${workerId}}`,
    BatchSize: 1,
    ScalingConfig: { MaximumConcurrency: 5 },
    FunctionResponseTypes: ['ReportBatchItemFailures'],
  });
  const raised = Object.values(synth({ shardConcurrency: 20 })).find(
    (r) => r.Type === 'AWS::Lambda::EventSourceMapping',
  )!;
  expect(raised.Properties.ScalingConfig).toEqual({ MaximumConcurrency: 20 });
});

test('shardConcurrency outside what an event source mapping accepts (2-1000) stops the synth', () => {
  expect(() => synth({ shardConcurrency: 1 })).toThrow(/shardConcurrency: 1; allowed: a whole number from 2 to 1000/);
  expect(() => synth({ shardConcurrency: 1001 })).toThrow(/shardConcurrency/);
});

test('timeouts: the worker has SHARD_WORKER_TIMEOUT_SECONDS, below the pending grace; the tick only plans (30 s)', () => {
  expect(resources[workerId]!.Properties.Timeout).toBe(SHARD_WORKER_TIMEOUT_SECONDS);
  expect(SHARD_WORKER_TIMEOUT_SECONDS).toBeLessThan(DEFAULT_PENDING_GRACE_SECONDS);
  expect(resources[tickId]!.Properties.Timeout).toBe(30);
  const tenMinutes = Object.values(synth({ tickInterval: Duration.minutes(10) }));
  const tick = tenMinutes.find(
    (r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.Description).includes('plan the reconciliation'),
  )!;
  expect(tick.Properties.Timeout).toBe(30);
  expect(
    (tick.Properties.Environment as { Variables: Record<string, unknown> }).Variables[ENV.tickIntervalSeconds],
  ).toBe('600');
});

test('the tick is told where to send shards and how long they are valid', () => {
  const variables = (resources[tickId]!.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
  expect(variables[ENV.shardQueueUrl]).toBe(`\${${queueId}}`);
  expect(variables[ENV.tickIntervalSeconds]).toBe('60');
});

test('least privilege: the tick may only send to the shard queue; of the tables only the deployed-config item; no allocated resource', () => {
  const statements = statementsOfRole(tickId);
  const failuresDlq = `\${${ofType('AWS::SQS::Queue').find(([, r]) => r.Properties.QueueName === 'dt-test-failures-dlq')![0]}.Arn}`;
  // Besides the failed-invocation destination every asynchronously invoked function has.
  const sqsStatements = statements.filter(
    (s) => actionsOf([s]).some((a) => a.startsWith('sqs:')) && s.Resource !== failuresDlq,
  );
  expect(sqsStatements).toEqual([
    expect.objectContaining({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: `\${${queueId}.Arn}` }),
  ]);
  expect(actionsOf(statements).filter((a) => /^(autoscaling|lambda|route53):/.test(a))).toEqual([]);
  // test/cdk/deployed-config-iam.test.ts evaluates this statement with the IAM simulator.
  const stateTable = Object.entries(resources).find(([, r]) => r.Properties.TableName === 'dt-test-state')![0];
  expect(statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('dynamodb:')))).toEqual([
    {
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      Resource: `\${${stateTable}.Arn}`,
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [DEPLOYED_CONFIG_KEY] } },
    },
  ]);
});

test('least privilege: the worker consumes the shard queue (never sends), reads drivers, writes decisions and state', () => {
  const statements = statementsOfRole(workerId);
  const sqsActions = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('sqs:')));
  expect(sqsActions.flatMap((s) => list(s.Resource))).toEqual([`\${${queueId}.Arn}`]);
  expect(actionsOf(sqsActions).sort()).toEqual([
    'sqs:ChangeMessageVisibility',
    'sqs:DeleteMessage',
    'sqs:GetQueueAttributes',
    'sqs:GetQueueUrl',
    'sqs:ReceiveMessage',
  ]);
  const driversTable = Object.entries(resources).find(([, r]) => r.Properties.TableName === 'dt-test-drivers')![0];
  const driverWrites = statements.filter(
    (s) => list(s.Resource).includes(`\${${driversTable}.Arn}`) && actionsOf([s]).includes('dynamodb:PutItem'),
  );
  expect(driverWrites).toEqual([]);
  expect(actionsOf(statements)).toEqual(
    expect.arrayContaining(['autoscaling:SetDesiredCapacity', 'dynamodb:UpdateItem']),
  );
});

test('alarms: the shard DLQ holding anything, and shards approaching their timeout', () => {
  const alarms = Object.values(resources)
    .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
    .map((r) => r.Properties);
  expect(alarms.find((a) => a.AlarmName === 'dt-test-shard-dlq-not-empty')).toMatchObject({
    MetricName: 'ApproximateNumberOfMessagesVisible',
    Threshold: 1,
  });
  expect(alarms.find((a) => a.AlarmName === 'dt-test-shard-duration')).toMatchObject({
    MetricName: METRIC.shardDuration,
    ExtendedStatistic: 'p99',
    Threshold: (SHARD_WORKER_TIMEOUT_SECONDS * 1000) / 2,
    ComparisonOperator: 'GreaterThanThreshold',
  });
  expect(alarms.find((a) => a.AlarmName === 'dt-test-shard-backlog')).toMatchObject({
    MetricName: 'ApproximateAgeOfOldestMessage',
    Threshold: 60,
  });
  expect(alarms.find((a) => a.AlarmName === 'dt-test-shard-worker-errors')).toMatchObject({
    MetricName: 'Errors',
    Dimensions: [{ Name: 'FunctionName', Value: `\${${workerId}}` }],
  });
});
