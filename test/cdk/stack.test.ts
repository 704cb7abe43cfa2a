/**
 * CDK assertions on the stack built from the fixture config (synthesized once for the whole file, with
 * bundling skipped: the template does not depend on the bundle's contents).
 */
import { Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  DECISION_EVENT_SOURCE,
  DETAIL_TYPES,
  ENV,
  METRIC,
  METRICS_NAMESPACE,
  SERVICE_NAME,
} from '../../functions/contracts';
import { TABLES } from '../../functions/adapters/dynamodb/tables';
import { appWithoutBundling, blankAssetHashes, fixtureConfig, flatten, resourcesOf, synthStack } from './support';
import { DrivetrainStack } from '../../lib/drivetrain-stack';

const { app, template } = synthStack();
const json = template.toJSON() as {
  Resources: Record<
    string,
    { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string }
  >;
  Outputs: Record<string, unknown>;
};
const flat = flatten(json) as typeof json;

function logicalIdWhere(type: string, predicate: (properties: Record<string, unknown>) => boolean): string {
  const ids = Object.entries(flat.Resources)
    .filter(([, r]) => r.Type === type && predicate(r.Properties))
    .map(([id]) => id);
  if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.length}`);
  return ids[0]!;
}
const ingestId = logicalIdWhere('AWS::Lambda::Function', (p) => String(p.Description).includes('store drivers'));
const tickId = logicalIdWhere('AWS::Lambda::Function', (p) => String(p.Description).includes('reconcile every target'));
const operatorId = logicalIdWhere('AWS::Lambda::Function', (p) => String(p.Description).includes('operator endpoint'));
const DIMENSIONS = [
  { Name: 'deployment', Value: 'dt-test' },
  { Name: 'service', Value: SERVICE_NAME },
];
const busId = logicalIdWhere('AWS::Events::EventBus', () => true);

describe('tables (built from functions/adapters/dynamodb/tables.ts)', () => {
  test.each(TABLES.map((definition) => [definition.id, definition] as const))('%s', (id, definition) => {
    const [logicalId, table] =
      Object.entries(flat.Resources).find(
        ([, r]) => r.Type === 'AWS::DynamoDB::Table' && r.Properties.TableName === `dt-test-${id}`,
      ) ?? [];
    expect(logicalId).toBeDefined();
    const p = table!.Properties;
    expect(p.KeySchema).toEqual([
      { AttributeName: definition.partitionKey.name, KeyType: 'HASH' },
      ...(definition.sortKey ? [{ AttributeName: definition.sortKey.name, KeyType: 'RANGE' }] : []),
    ]);
    expect(p.BillingMode).toBe('PAY_PER_REQUEST');
    expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(p.SSESpecification).toEqual({ SSEEnabled: true });
    expect(p.TimeToLiveSpecification).toEqual(
      definition.ttlAttribute ? { AttributeName: definition.ttlAttribute, Enabled: true } : undefined,
    );
    expect(p.GlobalSecondaryIndexes ?? []).toEqual(
      (definition.globalSecondaryIndexes ?? []).map((gsi) => ({
        IndexName: gsi.indexName,
        KeySchema: [
          { AttributeName: gsi.partitionKey.name, KeyType: 'HASH' },
          ...(gsi.sortKey ? [{ AttributeName: gsi.sortKey.name, KeyType: 'RANGE' }] : []),
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    );
    expect(p.DeletionProtectionEnabled).toBe(true);
    expect(table!.DeletionPolicy).toBe('Retain');
  });

  test('the drivers table expires records on expiresAt (what DriverStore.live also filters on)', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'dt-test-drivers',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });
});

describe('functions', () => {
  test.each([
    ['ingest', ingestId, 30],
    ['tick', tickId, 30],
    [
      'shard worker',
      logicalIdWhere('AWS::Lambda::Function', (p) => String(p.Description).includes('reconcile one shard')),
      120,
    ],
  ])(
    '%s: Node 22 on ARM64, active tracing, JSON logs in its own log group, table names in the environment',
    (_, id, timeout) => {
      const p = flat.Resources[id]!.Properties;
      expect(p).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Timeout: timeout,
        LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'INFO', SystemLogLevel: 'WARN' },
        Environment: {
          Variables: {
            [ENV.driversTable]: 'dt-test-drivers',
            [ENV.decisionsTable]: 'dt-test-decisions',
            [ENV.stateTable]: 'dt-test-state',
            [ENV.idempotencyTable]: 'dt-test-idempotency',
            POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
            POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
          },
        },
      });
      // The config travels inside the bundle, never in the 4 KB environment.
      expect((p.Environment as { Variables: Record<string, string> }).Variables[ENV.config]).toBeUndefined();
      const logGroup = String((p.LoggingConfig as { LogGroup: string }).LogGroup).replace(/^\$\{|\}$/g, '');
      expect(flat.Resources[logGroup]).toMatchObject({
        Type: 'AWS::Logs::LogGroup',
        Properties: { RetentionInDays: 30 },
        DeletionPolicy: 'Retain',
      });
    },
  );

  test('no function reserves concurrency (overlapping reconciliations are safe per target; see sharded-tick.test.ts)', () => {
    for (const r of Object.values(flat.Resources))
      if (r.Type === 'AWS::Lambda::Function') expect(r.Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  test('no function role uses an AWS managed policy', () => {
    for (const role of Object.values(resourcesOf(template, 'AWS::IAM::Role'))) {
      const managed = (flatten(role.Properties.ManagedPolicyArns) as string[] | undefined) ?? [];
      expect(managed.filter((arn) => arn.includes(':iam::aws:policy/'))).toEqual([]);
    }
  });
});

describe('event routing, DLQs and retries', () => {
  const rules = Object.values(flat.Resources).filter((r) => r.Type === 'AWS::Events::Rule');

  test('default-bus rule: state changes of exactly the configured alarms, of this account and region only', () => {
    const alarmRules = rules.filter(
      (r) => (r.Properties.EventPattern as { source?: string[] } | undefined)?.source?.[0] === 'aws.cloudwatch',
    );
    expect(alarmRules).toHaveLength(1);
    expect(alarmRules[0]!.Properties.EventBusName).toBeUndefined();
    expect(alarmRules[0]!.Properties.EventPattern).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': [DETAIL_TYPES.alarmStateChange],
      account: ['${AWS::AccountId}'],
      region: ['${AWS::Region}'],
      detail: { alarmName: ['api-euw1-5xx', 'api-use1-5xx', 'web-cpu-high', 'web-cpu-low'] },
    });
  });

  test('business-bus rule: business drivers and metric snapshots (never overrides) from the union of allowed sources, AWS sources excluded', () => {
    const busRules = rules.filter((r) => r.Properties.EventBusName === `\${${busId}}`);
    expect(busRules).toHaveLength(1);
    expect(busRules[0]!.Properties.EventPattern).toEqual({
      source: ['com.acme.marketing', 'drivetrain.metrics', 'drivetrain.operator'],
      'detail-type': [DETAIL_TYPES.businessDriver, DETAIL_TYPES.metricSnapshot],
    });
  });

  test('the reconciliation tick runs every minute on the tick function', () => {
    const ticks = rules.filter((r) => r.Properties.ScheduleExpression);
    expect(ticks).toHaveLength(1);
    expect(ticks[0]!.Properties.ScheduleExpression).toBe('rate(1 minute)');
    expect((ticks[0]!.Properties.Targets as Array<{ Arn: string }>)[0]!.Arn).toBe(`\${${tickId}.Arn}`);
  });

  test('every rule target has a dead-letter queue and a bounded retry policy', () => {
    expect(rules).toHaveLength(3);
    for (const rule of rules) {
      for (const target of rule.Properties.Targets as Array<Record<string, unknown>>) {
        expect(target.DeadLetterConfig).toEqual({
          Arn: expect.stringMatching(/^\$\{DrivetrainFunctionsDeliveryDlq\w+\.Arn\}$/),
        });
        expect(target.RetryPolicy).toEqual({
          MaximumRetryAttempts: expect.any(Number),
          MaximumEventAgeInSeconds: expect.any(Number),
        });
      }
    }
  });

  test('every asynchronous invocation that fails after retries lands in the failures DLQ', () => {
    const configs = Object.values(flat.Resources).filter((r) => r.Type === 'AWS::Lambda::EventInvokeConfig');
    expect(configs.map((c) => c.Properties.FunctionName).sort()).toEqual(
      [`\${${ingestId}}`, `\${${tickId}}`, `\${${operatorId}}`].sort(),
    );
    for (const config of configs) {
      expect(config.Properties.DestinationConfig).toEqual({
        OnFailure: { Destination: expect.stringMatching(/^\$\{DrivetrainFunctionsFailuresDlq\w+\.Arn\}$/) },
      });
    }
  });

  test('DLQs keep messages 14 days, are encrypted and refuse plain HTTP', () => {
    const queues = resourcesOf(template, 'AWS::SQS::Queue');
    // The three DLQs, and the shard queue (sharded-tick.test.ts).
    expect(Object.keys(queues)).toHaveLength(4);
    const dlqs = Object.values(queues).filter((q) => String(q.Properties.QueueName).endsWith('-dlq'));
    expect(dlqs).toHaveLength(3);
    for (const queue of dlqs) {
      expect(queue.Properties).toMatchObject({ MessageRetentionPeriod: 14 * 24 * 3600, SqsManagedSseEnabled: true });
    }
    template.resourcePropertiesCountIs(
      'AWS::SQS::QueuePolicy',
      {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      },
      4,
    );
  });

  test('classic alarm notifications: an encrypted SNS topic subscribed by the ingest function, with a DLQ', () => {
    const topics = Object.entries(flat.Resources).filter(([, r]) => r.Type === 'AWS::SNS::Topic');
    expect(topics).toHaveLength(1);
    const [topicId, topic] = topics[0]!;
    expect(topic.Properties.KmsMasterKeyId).toMatch(/^\$\{DrivetrainIngressAlarmNotificationsKey\w+\.Arn\}$/);
    const subscription = Object.values(flat.Resources).find((r) => r.Type === 'AWS::SNS::Subscription')!;
    expect(subscription.Properties).toEqual({
      Protocol: 'lambda',
      TopicArn: `\${${topicId}}`,
      Endpoint: `\${${ingestId}.Arn}`,
      RedrivePolicy: { deadLetterTargetArn: expect.stringMatching(/^\$\{DrivetrainFunctionsDeliveryDlq\w+\.Arn\}$/) },
    });
  });

  test('CloudWatch may publish to the topic and use its key only for alarms of this account', () => {
    const sourceConditions = {
      StringEquals: { 'aws:SourceAccount': '${AWS::AccountId}' },
      ArnLike: { 'aws:SourceArn': 'arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*' },
    };
    const topicPolicy = Object.values(flat.Resources).find((r) => r.Type === 'AWS::SNS::TopicPolicy')!;
    expect((topicPolicy.Properties.PolicyDocument as { Statement: unknown[] }).Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Condition: sourceConditions,
      }),
    );
    const key = Object.values(flat.Resources).find((r) => r.Type === 'AWS::KMS::Key')!;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect((key.Properties.KeyPolicy as { Statement: unknown[] }).Statement).toContainEqual(
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Condition: sourceConditions,
      }),
    );
  });

  test('direct alarm actions: one invoke permission per configured alarm, scoped by SourceAccount and SourceArn', () => {
    const permissions = Object.values(flat.Resources).filter(
      (r) =>
        r.Type === 'AWS::Lambda::Permission' && r.Properties.Principal === 'lambda.alarms.cloudwatch.amazonaws.com',
    );
    expect(permissions.map((p) => p.Properties.SourceArn).sort()).toEqual(
      ['api-euw1-5xx', 'api-use1-5xx', 'web-cpu-high', 'web-cpu-low'].map(
        (name) => `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:${name}`,
      ),
    );
    for (const permission of permissions) {
      expect(permission.Properties).toMatchObject({
        Action: 'lambda:InvokeFunction',
        FunctionName: `\${${ingestId}.Arn}`,
        SourceAccount: '${AWS::AccountId}',
      });
    }
  });
});

describe('business bus resource policy', () => {
  const policy = flat.Resources[busId]!.Properties.Policy as { Statement: Array<Record<string, unknown>> };
  const statement = (sid: string) => policy.Statement.find((s) => s.Sid === sid);
  const busArn = 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/dt-test-business-drivers';
  const sources = ['com.acme.marketing', 'drivetrain.metrics', 'drivetrain.operator'];

  // What each statement admits is proven with the IAM simulator in test/security/policies.test.ts; these
  // pin the statements' shape: per-source senders, set operators on the multivalued keys, overrides denied.
  test("each source: an Allow for its senders' accounts and principals, with set operators", () => {
    expect(statement('AcceptSource1')).toEqual({
      Sid: 'AcceptSource1',
      Effect: 'Allow',
      Principal: {
        AWS: ['arn:${AWS::Partition}:iam::111122223333:root', 'arn:${AWS::Partition}:iam::444455556666:root'],
      },
      Action: 'events:PutEvents',
      Resource: busArn,
      Condition: {
        'ForAllValues:StringEquals': {
          'events:source': ['com.acme.marketing'],
          'events:detail-type': [DETAIL_TYPES.businessDriver, DETAIL_TYPES.metricSnapshot],
        },
        Null: { 'events:source': 'false', 'events:detail-type': 'false' },
        StringLike: {
          'aws:PrincipalArn': ['arn:aws:iam::111122223333:role/oncall-*', 'arn:aws:iam::444455556666:role/marketing-*'],
        },
      },
    });
  });

  test('... and a Deny of the same source for every other principal, in this account too', () => {
    expect(statement('DenySourceFromOtherPrincipals1')).toEqual({
      Sid: 'DenySourceFromOtherPrincipals1',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'events:PutEvents',
      Resource: busArn,
      Condition: {
        'ForAnyValue:StringEquals': { 'events:source': ['com.acme.marketing'] },
        StringNotLike: {
          'aws:PrincipalArn': ['arn:aws:iam::111122223333:role/oncall-*', 'arn:aws:iam::444455556666:role/marketing-*'],
        },
      },
    });
    expect(policy.Statement.map((s) => s.Sid)).toEqual([
      'AcceptSource1',
      'DenySourceFromOtherPrincipals1',
      'AcceptSource2',
      'DenySourceFromOtherPrincipals2',
      'AcceptSource3',
      'DenySourceFromOtherPrincipals3',
      'DenyUnconfiguredSources',
      'DenyDecisionSourceFromOthers',
      'DenyDecisionDetailTypeFromOthers',
      'DenyOverridesOnTheBus',
    ]);
  });

  test('overrides are denied on the bus to everyone: they go through the operator endpoint', () => {
    expect(statement('DenyOverridesOnTheBus')).toEqual({
      Sid: 'DenyOverridesOnTheBus',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'events:PutEvents',
      Resource: busArn,
      Condition: { 'ForAnyValue:StringEquals': { 'events:detail-type': [DETAIL_TYPES.override] } },
    });
    // Drivetrain's own decision events are the one source beyond the configured ones (publishers only).
    expect(statement('DenyUnconfiguredSources')!.Condition).toEqual({
      'ForAnyValue:StringNotEquals': { 'events:source': [...sources, DECISION_EVENT_SOURCE] },
    });
  });

  test('the policy names the bus it is attached to', () => {
    expect(flat.Resources[busId]!.Properties.Name).toBe('dt-test-business-drivers');
    expect(policy.Statement.every((s) => s.Resource === busArn)).toBe(true);
  });
});

describe('IAM least privilege', () => {
  interface Statement {
    Effect: string;
    Action: string | string[];
    Resource: unknown;
    Condition?: Record<string, Record<string, unknown>>;
  }
  const statements: Array<Statement & { policy: string }> = [];
  for (const [id, r] of Object.entries(flat.Resources)) {
    const documents: unknown[] =
      r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy'
        ? [r.Properties.PolicyDocument]
        : r.Type === 'AWS::IAM::Role'
          ? ((r.Properties.Policies as Array<{ PolicyDocument: unknown }> | undefined) ?? []).map(
              (p) => p.PolicyDocument,
            )
          : [];
    for (const document of documents)
      for (const s of (document as { Statement: Statement[] }).Statement) statements.push({ ...s, policy: id });
  }
  const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);
  const actionsOf = (s: Statement) => list(s.Action) as string[];

  // The only actions granted on "*", each because the service has no resource-level permissions for it.
  const ALLOWED_ON_STAR = new Set([
    'autoscaling:DescribeAutoScalingGroups',
    // The follow-through's failed launches; no resource-level permissions either.
    'autoscaling:DescribeScalingActivities',
    'xray:PutTraceSegments',
    'xray:PutTelemetryRecords',
  ]);

  test('no Allow statement grants anything but the no-resource-level reads and X-Ray telemetry on "*"', () => {
    const offending = statements
      .filter((s) => s.Effect === 'Allow' && list(s.Resource).includes('*'))
      .flatMap((s) =>
        actionsOf(s)
          .filter((a) => !ALLOWED_ON_STAR.has(a))
          .map((a) => `${s.policy}: ${a}`),
      );
    expect(offending).toEqual([]);
  });

  test('no wildcard actions', () => {
    expect(statements.flatMap((s) => actionsOf(s).filter((a) => a.includes('*')))).toEqual([]);
  });

  const allow = (action: string) => statements.filter((s) => s.Effect === 'Allow' && actionsOf(s).includes(action));

  test('Auto Scaling changes only the configured group, by name', () => {
    for (const action of ['autoscaling:SetDesiredCapacity', 'autoscaling:UpdateAutoScalingGroup']) {
      expect(allow(action).map((s) => s.Resource)).toEqual([
        'arn:${AWS::Partition}:autoscaling:${AWS::Region}:${AWS::AccountId}:autoScalingGroup:*:autoScalingGroupName/web-fleet',
      ]);
    }
  });

  test('the follow-through may read scaling activities (failed launches), and nothing else is added for it', () => {
    expect(allow('autoscaling:DescribeScalingActivities').map((s) => s.Resource)).toEqual(['*']);
    expect(allow('autoscaling:DescribeScalingActivities').flatMap(actionsOf)).toEqual([
      'autoscaling:DescribeAutoScalingGroups',
      'autoscaling:DescribeScalingActivities',
    ]);
  });

  test("provisioned concurrency only on the configured function alias, in the stack's account and region", () => {
    for (const action of [
      'lambda:GetProvisionedConcurrencyConfig',
      'lambda:PutProvisionedConcurrencyConfig',
      'lambda:DeleteProvisionedConcurrencyConfig',
    ]) {
      expect(allow(action).map((s) => s.Resource)).toEqual([
        'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:checkout:live',
      ]);
    }
  });

  test('Route 53: UPSERT of the configured record name and type in the configured zone only', () => {
    const changes = allow('route53:ChangeResourceRecordSets');
    expect(changes).toHaveLength(1);
    expect(changes[0]!.Resource).toBe('arn:${AWS::Partition}:route53:::hostedzone/Z0123456789ABCDEFGHIJ');
    expect(changes[0]!.Condition).toEqual({
      'ForAllValues:StringEquals': {
        // "*.API.example.com." normalized the way the condition key compares it.
        'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['\\052.api.example.com'],
        'route53:ChangeResourceRecordSetsRecordTypes': ['CNAME'],
        'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
      },
    });
    expect(allow('route53:ListResourceRecordSets').map((s) => s.Resource)).toEqual([
      'arn:${AWS::Partition}:route53:::hostedzone/Z0123456789ABCDEFGHIJ',
    ]);
    // The follow-through asks GetChange whether the applied change is INSYNC: change/* (ids are generated).
    expect(allow('route53:GetChange').map((s) => s.Resource)).toEqual(['arn:${AWS::Partition}:route53:::change/*']);
  });

  test('DynamoDB actions only on Drivetrain tables (and the decisions index)', () => {
    const tableIds = Object.entries(flat.Resources)
      .filter(([, r]) => r.Type === 'AWS::DynamoDB::Table')
      .map(([id]) => id);
    // The decisions index by name (the one GSI the reconcile queries), never index/*.
    const allowed = new Set(tableIds.flatMap((id) => [`\${${id}.Arn}`, `\${${id}.Arn}/index/byDecisionId`]));
    const dynamo = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.length).toBeGreaterThan(0);
    for (const s of dynamo) for (const resource of list(s.Resource)) expect(allowed.has(String(resource))).toBe(true);
  });

  test('the tick only reads drivers; the ingest function writes them', () => {
    const driversArn = `\${${Object.entries(flat.Resources).find(([, r]) => r.Properties.TableName === 'dt-test-drivers')![0]}.Arn}`;
    const writersOf = (roleFragment: string) =>
      statements.filter(
        (s) =>
          s.policy.includes(roleFragment) &&
          list(s.Resource).includes(driversArn) &&
          actionsOf(s).includes('dynamodb:PutItem'),
      );
    expect(writersOf('Ingest')).toHaveLength(1);
    expect(writersOf('Tick')).toHaveLength(0);
  });

  test('the two deciding roles (ingest, shard worker) carry the one allocation policy; the tick only plans', () => {
    const managed = Object.keys(resourcesOf(template, 'AWS::IAM::ManagedPolicy'));
    expect(managed).toHaveLength(1);
    const tickRole = String(flat.Resources[tickId]!.Properties.Role).replace(/^\$\{|\.Arn\}$/g, '');
    expect(flat.Resources[tickRole]!.Properties.ManagedPolicyArns).toBeUndefined();
    for (const id of [
      ingestId,
      logicalIdWhere('AWS::Lambda::Function', (p) => String(p.Description).includes('reconcile one shard')),
    ]) {
      const role = String(flat.Resources[id]!.Properties.Role).replace(/^\$\{|\.Arn\}$/g, '');
      expect(flat.Resources[role]!.Properties.ManagedPolicyArns).toEqual([`\${${managed[0]}}`]);
    }
  });
});

describe('control-plane alarms', () => {
  const alarms = Object.values(flat.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
  const byName = (name: string) => alarms.find((a) => a.Properties.AlarmName === name)?.Properties;

  test('one alarm per DLQ, firing on the first message', () => {
    for (const name of ['dt-test-delivery-dlq-not-empty', 'dt-test-failures-dlq-not-empty']) {
      expect(byName(name)).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
      });
    }
  });

  test('executor failure rate over ActionsApplied and ActionsFailed', () => {
    const alarm = byName('dt-test-action-failure-rate')!;
    expect(alarm).toMatchObject({
      Threshold: 10,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
    });
    const metrics = alarm.Metrics as Array<{
      Id: string;
      MetricStat?: { Metric: { MetricName: string; Namespace: string; Dimensions: unknown } };
    }>;
    expect(
      metrics
        .filter((m) => m.MetricStat)
        .map((m) => [
          m.Id,
          m.MetricStat!.Metric.MetricName,
          m.MetricStat!.Metric.Namespace,
          m.MetricStat!.Metric.Dimensions,
        ]),
    ).toEqual([
      ['applied', METRIC.actionsApplied, METRICS_NAMESPACE, DIMENSIONS],
      ['failed', METRIC.actionsFailed, METRICS_NAMESPACE, DIMENSIONS],
    ]);
  });

  test('stale targets, Lambda errors and a stalled tick', () => {
    expect(byName('dt-test-stale-targets')).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: METRIC.staleTargets,
      Threshold: 1,
      Dimensions: DIMENSIONS,
    });
    expect(byName('dt-test-operator-errors')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: `\${${operatorId}}` }],
    });
    expect(byName('dt-test-ingest-errors')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: `\${${ingestId}}` }],
    });
    expect(byName('dt-test-tick-errors')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: `\${${tickId}}` }],
    });
    expect(byName('dt-test-reconciliation-stalled')).toMatchObject({
      MetricName: 'Invocations',
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    // …the four of the sharded tick (sharded-tick.test.ts) and the operator endpoint's errors.
    expect(alarms).toHaveLength(12);
  });

  test('without an alarm topic the alarms have no actions', () => {
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toBeUndefined();
  });
});

describe('dashboard and outputs', () => {
  test('the dashboard shows decisions, actions, latency, freshness, churn and the DLQs', () => {
    const dashboard = Object.values(flat.Resources).find((r) => r.Type === 'AWS::CloudWatch::Dashboard')!;
    expect(dashboard.Properties.DashboardName).toBe('dt-test');
    const body = String(dashboard.Properties.DashboardBody);
    for (const name of [
      METRIC.decisionsRecorded,
      METRIC.actionsApplied,
      METRIC.actionsFailed,
      METRIC.decisionLatency,
      METRIC.driverAge,
      METRIC.staleTargets,
      METRIC.allocationChanges,
    ]) {
      expect(body).toContain(`"${METRICS_NAMESPACE}","${name}","deployment","dt-test","service","${SERVICE_NAME}"`);
    }
    expect(body).toContain('ApproximateNumberOfMessagesVisible');
    expect(body).toContain('item-explorer?table=dt-test-decisions');
  });

  test('outputs: table names, bus ARN, topic, dashboard URL', () => {
    const outputs = flat.Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual(
      [
        'AlarmNotificationTopicArn',
        'BusinessBusArn',
        'BusinessBusName',
        'DashboardUrl',
        'DecisionsTableName',
        'DeliveryDlqUrl',
        'DriversTableName',
        'FailuresDlqUrl',
        'ShardDlqUrl',
        'HistoryTableName',
        'IdempotencyTableName',
        'IngestFunctionArn',
        'OperatorEndpointUrl',
        'StateTableName',
      ].sort(),
    );
    expect(outputs.DashboardUrl!.Value).toBe(
      'https://${AWS::Region}.console.aws.amazon.com/cloudwatch/home?region=${AWS::Region}#dashboards/dashboard/dt-test',
    );
    expect(outputs.BusinessBusArn!.Value).toBe(`\${${busId}.Arn}`);
    expect(outputs.DecisionsTableName!.Value).toMatch(/^\$\{DrivetrainTablesDecisionsTable\w+\}$/);
  });

  test('the bus outputs do not invite overrides, which the bus policy denies to everyone', () => {
    const outputs = flat.Outputs as Record<string, { Description?: string }>;
    expect(outputs.BusinessBusName!.Description).toBe(
      'Send business drivers and metric snapshots here (overrides only through the operator endpoint)',
    );
    expect(outputs.OperatorEndpointUrl!.Description).toContain('put-driver');
  });
});

describe('cdk-nag AwsSolutions', () => {
  test('no unacknowledged findings (errors or warnings)', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(
      report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`),
    ).toEqual([]);
  });

  test('the plugin registered as in bin/app.ts lets the synth through', () => {
    const nagApp = appWithoutBundling();
    new DrivetrainStack(nagApp, 'NagCheck', { config: fixtureConfig() });
    Validations.of(nagApp).addPlugins(new AwsSolutionsChecks(nagApp));
    expect(() => nagApp.synth()).not.toThrow();
  });

  test('... and stops it on a finding nobody acknowledged', () => {
    const nagApp = appWithoutBundling();
    const stack = new DrivetrainStack(nagApp, 'NagCheck', { config: fixtureConfig() });
    new sqs.Queue(stack, 'UnencryptedQueue', { encryption: sqs.QueueEncryption.UNENCRYPTED, enforceSSL: true });
    Validations.of(nagApp).addPlugins(new AwsSolutionsChecks(nagApp));
    expect(() => nagApp.synth()).toThrow(/AwsSolutions-SQS2/);
  });

  test('every acknowledgement carries a reason', () => {
    const acknowledged = app.node
      .findAll()
      .flatMap((c) =>
        c.node.metadata
          .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .map((m) => m.data as Record<string, string>),
      )
      .flatMap((data) => Object.entries(data));
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledged)
      expect({ id, short: reason.trim().length < 40 }).toEqual({ id, short: false });
  });
});

test('snapshot (asset hashes blanked)', () => {
  expect(blankAssetHashes(template.toJSON())).toMatchSnapshot();
});
