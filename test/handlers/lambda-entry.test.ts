/**
 * The deployed entry points as Lambda loads them: `handler` built at module scope from the environment
 * (config JSON, table names) and real SDK clients — DynamoDB pointed at DynamoDB Local through the SDK's
 * standard AWS_ENDPOINT_URL_DYNAMODB, the allocation APIs mocked at the SDK boundary.
 */
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  GetProvisionedConcurrencyConfigCommand,
  LambdaClient,
  ProvisionedConcurrencyConfigNotFoundException,
} from '@aws-sdk/client-lambda';
import { ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { SendMessageBatchCommand, SQSClient, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { TickSummary } from '../../functions/handlers/tick';
import { ENV } from '../../functions/contracts';
import { EnvironmentError, parseEnv } from '../../functions/runtime/env';
import { buildLambdaDeps } from '../../functions/runtime/deps';
import { buildShardDispatch } from '../../functions/runtime/shards';
import { createTestTables, type LocalTables } from '../support/dynamodb';
import { fixture, lambdaContext } from './harness';

const defaultConfig = parseYaml(readFileSync(join(__dirname, '..', '..', 'drivetrain.config.yaml'), 'utf8')) as Record<
  string,
  unknown
>;

function env(tables: LocalTables['names'], config: string = JSON.stringify(defaultConfig)): NodeJS.ProcessEnv {
  return {
    [ENV.config]: config,
    [ENV.driversTable]: tables.drivers,
    [ENV.decisionsTable]: tables.decisions,
    [ENV.stateTable]: tables.state,
    [ENV.idempotencyTable]: tables.idempotency,
    [ENV.pendingGraceSeconds]: '90',
    // The account the stack sets and the region Lambda sets: alarms of any other are refused.
    [ENV.homeAccount]: '123456789012',
    AWS_REGION: 'us-east-1',
  };
}

describe('parseEnv', () => {
  it('keeps driver history only with both its table and a retention of whole days', () => {
    const base = env({ drivers: 'dt-drivers', decisions: 'dt-d', state: 'dt-s', idempotency: 'dt-i', history: 'dt-h' });
    const history = { ...base, [ENV.historyTable]: 'dt-history', [ENV.historyRetentionSeconds]: '2592000' };
    expect(parseEnv(history).history).toEqual({ tableName: 'dt-history', retentionSeconds: 2_592_000 });
    expect(() => parseEnv({ ...base, [ENV.historyTable]: 'dt-history' })).toThrow(
      /HISTORY_TABLE_NAME and DRIVER_HISTORY_RETENTION_SECONDS are set together/,
    );
    expect(() => parseEnv({ ...history, [ENV.historyRetentionSeconds]: '60' })).toThrow(
      /DRIVER_HISTORY_RETENTION_SECONDS/,
    );
  });

  const tables = { drivers: 'dt-drivers', decisions: 'dt-decisions', state: 'dt-state', idempotency: 'dt-idempotency' };
  const names = { ...tables, history: 'dt-history' };

  it('parses the config and table names into a frozen object', () => {
    const parsed = parseEnv(env(names));
    expect(parsed.tables).toEqual(tables);
    expect(parsed.history).toBeUndefined();
    expect(parsed.config.targets.map((target) => target.id)).toEqual(['web-asg', 'checkout-fn', 'api-routing']);
    expect(Object.isFrozen(parsed)).toBe(true);
    expect(Object.isFrozen(parsed.config.targets[0]!.policy)).toBe(true);
  });

  it('passes the pending grace the construct derived to the reconcile (buildLambdaDeps)', () => {
    const parsed = parseEnv({ ...env(names), [ENV.pendingGraceSeconds]: '620' });
    expect(parsed.pendingGraceSeconds).toBe(620);
    expect(buildLambdaDeps(parsed).pendingGraceSeconds).toBe(620);
  });

  it('accepts a gzip+base64 config (Lambda caps environment variables at 4 KB)', () => {
    const packed = `gzip+base64:${gzipSync(JSON.stringify(defaultConfig)).toString('base64')}`;
    expect(parseEnv(env(names, packed)).config.name).toBe('drivetrain');
  });

  it.each([
    ['a missing variable, by name', { ...env(names), [ENV.stateTable]: undefined }, /STATE_TABLE_NAME is not set/],
    [
      'every missing variable at once',
      {},
      /DRIVETRAIN_CONFIG is not set.*DRIVERS_TABLE_NAME is not set.*IDEMPOTENCY_TABLE_NAME is not set/,
    ],
    [
      'a table name DynamoDB would refuse',
      { ...env(names), [ENV.driversTable]: 'a b' },
      /DRIVERS_TABLE_NAME must be a DynamoDB table name/,
    ],
    [
      'no home account (alarms could not be checked against it)',
      { ...env(names), [ENV.homeAccount]: undefined },
      /DRIVETRAIN_HOME_ACCOUNT is not set/,
    ],
    [
      'a home account that is not an account id',
      { ...env(names), [ENV.homeAccount]: '${Token[AWS.AccountId]}' },
      /DRIVETRAIN_HOME_ACCOUNT must be a 12-digit AWS account id/,
    ],
    ['config that is not JSON', env(names, 'version: 1'), /DRIVETRAIN_CONFIG is not valid JSON/],
    [
      'a missing pending grace',
      { ...env(names), [ENV.pendingGraceSeconds]: undefined },
      /PENDING_GRACE_SECONDS is not set/,
    ],
    [
      'a pending grace in milliseconds',
      { ...env(names), [ENV.pendingGraceSeconds]: '630000' },
      /PENDING_GRACE_SECONDS/,
    ],
    ['a pending grace of 0', { ...env(names), [ENV.pendingGraceSeconds]: '0' }, /PENDING_GRACE_SECONDS/],
    [
      'a pending grace with a unit',
      { ...env(names), [ENV.pendingGraceSeconds]: '60s' },
      /PENDING_GRACE_SECONDS must be a whole number of seconds/,
    ],
    [
      'config that fails validation, with the path',
      env(names, JSON.stringify({ ...defaultConfig, targets: [] })),
      /DRIVETRAIN_CONFIG does not hold a valid Drivetrain config:[\s\S]*targets/,
    ],
  ])('fails fast on %s', (_label, source, message) => {
    expect(() => parseEnv(source)).toThrow(EnvironmentError);
    expect(() => parseEnv(source)).toThrow(message);
  });
});

describe("buildShardDispatch (the tick's own environment)", () => {
  const queue = 'https://sqs.us-east-1.amazonaws.com/111122223333/dt-shards';

  it('takes the queue URL and the tick interval', () => {
    expect(buildShardDispatch({ [ENV.shardQueueUrl]: queue, [ENV.tickIntervalSeconds]: '300' }).intervalSeconds).toBe(
      300,
    );
  });

  it.each([
    ['no queue URL, by name', { [ENV.tickIntervalSeconds]: '60' }, /SHARD_QUEUE_URL is not set/],
    [
      'a queue URL that is not https',
      { [ENV.shardQueueUrl]: 'http://sqs.local/q', [ENV.tickIntervalSeconds]: '60' },
      /SHARD_QUEUE_URL/,
    ],
    [
      'an interval below a minute',
      { [ENV.shardQueueUrl]: queue, [ENV.tickIntervalSeconds]: '30' },
      /TICK_INTERVAL_SECONDS/,
    ],
    [
      'an interval that is not a number',
      { [ENV.shardQueueUrl]: queue, [ENV.tickIntervalSeconds]: 'soon' },
      /TICK_INTERVAL_SECONDS/,
    ],
  ])('fails fast on %s', (_label, source, message) => {
    expect(() => buildShardDispatch(source)).toThrow(EnvironmentError);
    expect(() => buildShardDispatch(source)).toThrow(message);
  });
});

describe('module-scope handlers built from the environment', () => {
  let local: LocalTables;
  const saved = { ...process.env };
  const autoScaling = mockClient(AutoScalingClient);
  const lambda = mockClient(LambdaClient);
  const route53 = mockClient(Route53Client);
  const sqs = mockClient(SQSClient);

  beforeAll(async () => {
    local = await createTestTables();
    Object.assign(process.env, env(local.names), {
      [ENV.shardQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/111122223333/drivetrain-shards',
      [ENV.tickIntervalSeconds]: '60',
      AWS_ENDPOINT_URL_DYNAMODB: local.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
  });
  afterAll(() => {
    process.env = saved;
    autoScaling.restore();
    lambda.restore();
    route53.restore();
    sqs.restore();
    local.client.destroy();
  });

  it('ingest: an alarm from the embedded default config scales web-prod through the real wiring', async () => {
    const alarm = fixture<{ time: string; detail: { alarmName: string; state: { timestamp: string } } }>(
      'eventbridge-alarm-single-metric',
    );
    alarm.detail.alarmName = 'web-prod-cpu-high';
    // Events are judged against the wall clock in the deployed handler: make this one current.
    const now = new Date();
    alarm.time = now.toISOString().replace(/\.\d+Z$/, 'Z');
    alarm.detail.state.timestamp = now.toISOString().replace('Z', '+0000');
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [{ AutoScalingGroupName: 'web-prod', DesiredCapacity: 6, MinSize: 2, MaxSize: 40 } as never],
    });
    autoScaling.on(SetDesiredCapacityCommand).resolves({});

    const { handler } = await import('../../functions/handlers/ingest');
    const summary = await handler(alarm, lambdaContext(), () => undefined);

    expect(summary).toMatchObject({
      accepted: 1,
      failedTargets: [],
      reconciled: [{ targetId: 'web-asg', status: 'applied' }],
    });
    expect(autoScaling).toHaveReceivedCommandWith(SetDesiredCapacityCommand, {
      AutoScalingGroupName: 'web-prod',
      DesiredCapacity: 8,
    });
  });

  it('ingest: the same alarm from another account drives nothing (home account from the environment, not the event)', async () => {
    const alarm = fixture<{
      account: string;
      time: string;
      detail: { alarmName: string; state: { timestamp: string } };
    }>('eventbridge-alarm-single-metric');
    alarm.detail.alarmName = 'web-prod-cpu-high';
    alarm.account = '999999999999';
    const now = new Date();
    alarm.time = now.toISOString().replace(/\.\d+Z$/, 'Z');
    alarm.detail.state.timestamp = now.toISOString().replace('Z', '+0000');
    autoScaling.resetHistory();

    const { handler } = await import('../../functions/handlers/ingest');
    const summary = await handler(alarm, lambdaContext(), () => undefined);

    expect(summary).toMatchObject({ accepted: 0, rejected: [{ reason: 'foreign-alarm' }] });
    expect(autoScaling).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
  });

  it('tick → shard worker: the scheduled event queues every configured target, the worker reconciles them', async () => {
    const { handler } = await import('../../functions/handlers/tick');
    const { handler: shardHandler } = await import('../../functions/handlers/shard');
    const sent: SendMessageBatchRequestEntry[] = [];
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: SendMessageBatchRequestEntry[] }) => {
      sent.push(...input.Entries);
      return {
        Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}`, MD5OfMessageBody: 'x' })),
        Failed: [],
      };
    });
    const scheduled = {
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
    lambda.on(GetProvisionedConcurrencyConfigCommand).rejects(
      new ProvisionedConcurrencyConfigNotFoundException({
        message: 'No Provisioned Concurrency Config found for this function',
        $metadata: {},
      }),
    );
    route53.on(ListResourceRecordSetsCommand).resolves({
      IsTruncated: false,
      ResourceRecordSets: [
        {
          Name: 'api.example.com.',
          Type: 'CNAME',
          SetIdentifier: 'eu-west-1',
          Weight: 30,
          TTL: 60,
          ResourceRecords: [{ Value: 'eu.api.example.com' }],
        },
        {
          Name: 'api.example.com.',
          Type: 'CNAME',
          SetIdentifier: 'us-east-1',
          Weight: 70,
          TTL: 60,
          ResourceRecords: [{ Value: 'us.api.example.com' }],
        },
      ],
    });
    const summary = (await handler(scheduled as never, lambdaContext(), () => undefined)) as TickSummary;
    expect(summary).toMatchObject({
      failed: [],
      reconciled: [],
      dispatched: { shards: 1, targets: 3, failedShards: [] },
    });
    expect(sqs).toHaveReceivedCommandWith(SendMessageBatchCommand, {
      QueueUrl: 'https://sqs.us-east-1.amazonaws.com/111122223333/drivetrain-shards',
    });

    const records = sent.map((entry, i) => ({
      messageId: `00000000-0000-4000-8000-00000000000${i}`,
      receiptHandle: 'AQEBexample',
      body: entry.MessageBody!,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '1545082649183',
        SenderId: 'AROAEXAMPLE:tick',
        ApproximateFirstReceiveTimestamp: '1545082649185',
      },
      messageAttributes: {},
      md5OfBody: '098f6bcd4621d373cade4e832627b4f6',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:111122223333:drivetrain-shards',
      awsRegion: 'us-east-1',
    }));
    const response = await shardHandler({ Records: records } as never, lambdaContext(), () => undefined);
    expect(response).toEqual({ batchItemFailures: [] });
    for (const targetId of ['api-routing', 'checkout-fn', 'web-asg']) {
      const state = await local.doc.send(new GetCommand({ TableName: local.names.state, Key: { targetId } }));
      expect(state.Item?.version).toBeGreaterThan(0);
    }
  });
});
