/**
 * The sharded tick end to end on DynamoDB Local: the tick plans shards and sends them with SendMessageBatch
 * (SQS mocked at the client), the shard worker takes them as SQS delivers them (the Lambda event shape) and
 * reconciles through the real stores, executors and AWS adapters (SDK mocked at the client, harness.ts).
 */
import { wasApplied } from '../../functions/ports';
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
} from '@aws-sdk/client-auto-scaling';
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SendMessageBatchCommand, SQSClient, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import {
  AwsApplicationAutoScalingAdapter,
  AwsAutoScalingAdapter,
  AwsProvisionedConcurrencyAdapter,
  AwsWeightedRoutingAdapter,
} from '../../functions/adapters/aws';
import { SqsShardQueue } from '../../functions/adapters/aws/shard-queue';
import { METRIC } from '../../functions/contracts';
import type { OverrideDriver } from '../../functions/domain/model';
import { createExecutors } from '../../functions/executors';
import {
  createShardHandler,
  TARGET_START_MARGIN_MS,
  type ShardBatchResponse,
  type ShardDeps,
} from '../../functions/handlers/shard';
import { createTickHandler, type TickSummary } from '../../functions/handlers/tick';
import type { ShardMessageBody, DecisionStore } from '../../functions/ports';
import { cpuAlarm, createHarness, lambdaContext, SCHEDULED_EVENT, ONCALL, type Harness } from './harness';

const NOW = 1_795_000_000;
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/111122223333/drivetrain-shards';
const QUEUE_ARN = 'arn:aws:sqs:us-east-1:111122223333:drivetrain-shards';

function pin(observedAt: number, allocation: number): OverrideDriver {
  return {
    kind: 'override',
    id: 'override:ops-override',
    name: 'ops-override',
    source: 'drivetrain.operator',
    targets: ['web-asg'],
    observedAt,
    expiresAt: observedAt + 3600,
    lineage: {
      eventId: `evt-pin-${observedAt}`,
      channel: 'eventbridge',
      receivedAt: observedAt,
      principal: ONCALL.replace('*', 'alice'),
    },
    signal: { action: 'pin', allocation },
    reason: 'INC-7: hold',
  };
}

/** One SQS record as Lambda delivers it (Lambda Developer Guide, "Using Lambda with Amazon SQS", example event). */
function sqsRecord(body: string, messageId = randomUUID()) {
  return {
    messageId,
    receiptHandle: `AQEB${messageId.replace(/-/g, '')}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1545082649183',
      SenderId: 'AROAEXAMPLE:drivetrain-tick',
      ApproximateFirstReceiveTimestamp: '1545082649185',
    },
    messageAttributes: {},
    md5OfBody: '098f6bcd4621d373cade4e832627b4f6',
    eventSource: 'aws:sqs',
    eventSourceARN: QUEUE_ARN,
    awsRegion: 'us-east-1',
  };
}

function sqsEvent(...records: ReturnType<typeof sqsRecord>[]) {
  return { Records: records };
}

function shard(targetIds: string[], tickAt = NOW, notAfter = NOW + 60): ShardMessageBody {
  return { v: 1, tickAt, notAfter, shard: { index: 0, count: 1 }, targetIds };
}

/** A context whose remaining time is read live (the deadline guard reads it before every target). */
function contextWithRemaining(remaining: () => number): Context {
  return { ...lambdaContext(), getRemainingTimeInMillis: remaining };
}

describe('sharded tick, end to end on DynamoDB Local', () => {
  let h: Harness;
  let sqs: AwsClientStub<SQSClient>;
  let deps: ShardDeps;
  afterEach(() => {
    sqs?.restore();
    h?.close();
  });

  async function setup() {
    h = await createHarness({ now: NOW });
    sqs = mockClient(SQSClient);
    const region = { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
    // New clients of the mocked classes: aws-sdk-client-mock intercepts every instance, so these executors
    // talk to the harness's fake ASG, provisioned concurrency and record set.
    const executors = createExecutors(
      {
        autoScaling: new AwsAutoScalingAdapter(new AutoScalingClient(region)),
        applicationAutoScaling: new AwsApplicationAutoScalingAdapter(new ApplicationAutoScalingClient(region)),
        provisionedConcurrency: new AwsProvisionedConcurrencyAdapter(new LambdaClient(region)),
        weightedRouting: new AwsWeightedRoutingAdapter(new Route53Client(region)),
      },
      { retry: { sleep: async () => undefined, random: () => 0.5 }, route53Limiter: { take: async () => 0 } },
    );
    deps = {
      config: h.config,
      drivers: h.drivers,
      decisions: h.decisions,
      executors,
      clock: () => h.now.value,
      logger: h.logger,
      metrics: h.metrics,
    };
  }

  const worker = (over: Partial<ShardDeps> = {}) => {
    const handler = createShardHandler({ ...deps, ...over });
    return (event: unknown, context: Context = lambdaContext()) =>
      handler(event as never, context) as Promise<ShardBatchResponse>;
  };

  /** The messages the tick sent, as the bodies SQS will deliver. */
  const sentBodies = (): string[] =>
    sqs
      .commandCalls(SendMessageBatchCommand)
      .flatMap((c) => (c.args[0].input.Entries ?? []).map((e: SendMessageBatchRequestEntry) => e.MessageBody!));

  it('the tick enqueues every target in exactly one shard, and the workers reconcile them from the SQS events', async () => {
    await setup();
    await h.drivers.put(cpuAlarm(NOW - 5));
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: SendMessageBatchRequestEntry[] }) => ({
      Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: randomUUID(), MD5OfMessageBody: 'x' })),
      Failed: [],
    }));
    const tick = createTickHandler({
      ...deps,
      shards: {
        queue: new SqsShardQueue(new SQSClient({ region: 'us-east-1' }), QUEUE_URL),
        intervalSeconds: 60,
        size: 2,
      },
    });
    const summary = (await tick(SCHEDULED_EVENT as never, lambdaContext())) as TickSummary;

    expect(summary).toMatchObject({
      reconciled: [],
      failed: [],
      dispatched: { shards: 2, targets: 3, failedShards: [] },
    });
    expect(sqs).toHaveReceivedCommandWith(SendMessageBatchCommand, { QueueUrl: QUEUE_URL });
    // The tick reconciled nothing itself.
    expect(h.mutatingCalls()).toBe(0);
    expect(await h.decisions.list('web-asg')).toEqual([]);
    const bodies = sentBodies().map((b) => JSON.parse(b) as ShardMessageBody);
    expect(bodies.flatMap((b) => b.targetIds).sort()).toEqual(['api-routing', 'checkout-fn', 'web-asg']);
    expect(bodies.map((b) => b.shard)).toEqual([
      { index: 0, count: 2 },
      { index: 1, count: 2 },
    ]);
    expect(bodies.every((b) => b.tickAt === NOW && b.notAfter === NOW + 60)).toBe(true);
    expect(h.metric(METRIC.shardsDispatched)).toBe(2);

    const response = await worker()(sqsEvent(...sentBodies().map((b) => sqsRecord(b))));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(h.autoScaling).toHaveReceivedCommandTimes(SetDesiredCapacityCommand, 1);
    expect(h.aws.group.DesiredCapacity).toBe(6);
    for (const id of ['web-asg', 'checkout-fn', 'api-routing'])
      expect((await h.decisions.list(id)).length).toBeGreaterThan(0);
    expect(h.emf.filter((m) => m.name === METRIC.shardDuration)).toHaveLength(2);
  });

  it('a manual tick ({ targetIds }) is sharded the same way: only the named targets, nothing reconciled inline', async () => {
    await setup();
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: SendMessageBatchRequestEntry[] }) => ({
      Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: randomUUID(), MD5OfMessageBody: 'x' })),
      Failed: [],
    }));
    const tick = createTickHandler({
      ...deps,
      shards: { queue: new SqsShardQueue(new SQSClient({ region: 'us-east-1' }), QUEUE_URL), intervalSeconds: 60 },
    });
    const summary = (await tick({ targetIds: ['web-asg', 'api-routing'] } as never, lambdaContext())) as TickSummary;
    expect(summary.dispatched).toEqual({ shards: 1, targets: 2, failedShards: [] });
    expect(sentBodies().map((b) => (JSON.parse(b) as ShardMessageBody).targetIds)).toEqual([
      ['api-routing', 'web-asg'],
    ]);
    expect(h.mutatingCalls()).toBe(0);
  });

  it('reports only the unreadable messages as batch item failures; the readable shard in the same batch is reconciled once', async () => {
    await setup();
    await h.drivers.put(cpuAlarm(NOW - 5));
    const good = sqsRecord(JSON.stringify(shard(['web-asg', 'checkout-fn'])));
    const notJson = sqsRecord('{"v":1,');
    const invalid = sqsRecord(JSON.stringify({ ...shard(['web-asg']), shard: { index: 3, count: 2 } }));
    const unknownField = sqsRecord(JSON.stringify({ ...shard(['web-asg']), extra: true }));

    const response = await worker()(sqsEvent(notJson, good, invalid, unknownField));

    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
      [notJson.messageId, invalid.messageId, unknownField.messageId].sort(),
    );
    expect(h.autoScaling).toHaveReceivedCommandTimes(SetDesiredCapacityCommand, 1);
    expect(h.metric(METRIC.poisonEvents)).toBe(3);
  });

  it('one failing target never fails its message: the other targets of the shard are not retried through SQS', async () => {
    await setup();
    await h.drivers.put(cpuAlarm(NOW - 5));
    h.autoScaling.on(DescribeAutoScalingGroupsCommand).rejects(
      Object.assign(new Error('not authorized to perform autoscaling:DescribeAutoScalingGroups'), {
        name: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const response = await worker()(
      sqsEvent(sqsRecord(JSON.stringify(shard(['api-routing', 'checkout-fn', 'web-asg'])))),
    );

    expect(response).toEqual({ batchItemFailures: [] });
    expect(h.metric(METRIC.reconcileErrors)).toBe(1);
    expect((await h.decisions.list('checkout-fn')).length).toBe(1);
    expect((await h.decisions.list('api-routing')).length).toBe(1);
    expect(h.mutatingCalls()).toBe(0);
  });

  it('two overlapping ticks over the same shard produce one action per change', async () => {
    await setup();
    // Each worker records only once both have decided from the same state version: a real race every time.
    const racingStore = () => {
      let arrivals = 0;
      let release!: () => void;
      const bothDecided = new Promise<void>((resolve) => (release = resolve));
      return Object.create(h.decisions, {
        record: {
          value: async (...args: Parameters<DecisionStore['record']>) => {
            if (++arrivals <= 2) {
              if (arrivals === 2) release();
              await bothDecided;
            }
            return h.decisions.record(...args);
          },
        },
      }) as DecisionStore;
    };
    const body = JSON.stringify(shard(['web-asg']));
    const overlap = async () => {
      const decisions = racingStore();
      // Two ticks a minute apart both delivered while the first is still running, or one message delivered twice.
      const [a, b] = await Promise.all([
        worker({ decisions })(sqsEvent(sqsRecord(body))),
        worker({ decisions })(sqsEvent(sqsRecord(body))),
      ]);
      expect([a, b]).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    };

    // Change 1: cpu-high fires (4 → 6).
    await h.drivers.put(cpuAlarm(NOW - 5));
    await overlap();
    expect(h.autoScaling).toHaveReceivedCommandTimes(SetDesiredCapacityCommand, 1);
    expect(h.aws.group.DesiredCapacity).toBe(6);

    // Change 2: an operator pins 12.
    h.now.value = NOW + 60;
    await h.drivers.put(pin(NOW + 55, 12));
    await overlap();
    expect(h.mutatingCalls()).toBe(2);
    expect(h.aws.group.DesiredCapacity).toBe(12);

    // No change: both overlapping workers hold, nothing is written or recorded again.
    h.now.value = NOW + 120;
    const recorded = (await h.decisions.list('web-asg')).length;
    await overlap();
    expect(h.mutatingCalls()).toBe(2);
    expect((await h.decisions.list('web-asg')).length).toBe(recorded);
    const records = await h.decisions.list('web-asg');
    // The older change has been followed through (settled) by the later ticks; both were applied.
    expect(records.filter((r) => r.actions.length > 0).map((r) => wasApplied(r.status))).toEqual([true, true]);
    expect(h.metric(METRIC.decisionConflicts)).toBeGreaterThanOrEqual(2);
  });

  it('drops a shard message the next tick has superseded, without failing it', async () => {
    await setup();
    await h.drivers.put(cpuAlarm(NOW - 5));
    h.now.value = NOW + 61;
    const response = await worker()(sqsEvent(sqsRecord(JSON.stringify(shard(['web-asg'], NOW, NOW + 60)))));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(h.metric(METRIC.shardsSuperseded)).toBe(1);
    expect(h.mutatingCalls()).toBe(0);
    expect(await h.decisions.list('web-asg')).toEqual([]);
  });

  it('does not start a target with less than the start margin left; the rest wait for the next tick', async () => {
    await setup();
    await h.drivers.put(cpuAlarm(NOW - 5));
    // One target at a time: the first starts with time to spare; once it has recorded, the invocation is
    // nearly out of time.
    let remaining = 60_000;
    const decisions = Object.create(h.decisions, {
      record: {
        value: async (...args: Parameters<DecisionStore['record']>) => {
          const recorded = await h.decisions.record(...args);
          remaining = TARGET_START_MARGIN_MS - 1;
          return recorded;
        },
      },
    }) as DecisionStore;
    const response = await worker({ targetConcurrency: 1, decisions })(
      sqsEvent(sqsRecord(JSON.stringify(shard(['web-asg', 'checkout-fn', 'api-routing'])))),
      contextWithRemaining(() => remaining),
    );
    expect(response).toEqual({ batchItemFailures: [] });
    // The target already started finishes (its plan is applied and marked); the two not started are left.
    expect(await h.decisions.list('web-asg', { limit: 1 })).toEqual([expect.objectContaining({ status: 'applied' })]);
    expect(h.aws.group.DesiredCapacity).toBe(6);
    expect(await h.decisions.list('checkout-fn')).toEqual([]);
    expect(await h.decisions.list('api-routing')).toEqual([]);
    expect(h.metric(METRIC.shardTargetsDeferred)).toBe(2);
  });

  it('a shard naming a target this deployment does not configure reconciles the others', async () => {
    await setup();
    await h.drivers.put(cpuAlarm(NOW - 5));
    const response = await worker()(sqsEvent(sqsRecord(JSON.stringify(shard(['retired-target', 'web-asg'])))));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(h.aws.group.DesiredCapacity).toBe(6);
    expect(h.metric(METRIC.reconcileErrors)).toBe(1);
  });

  it('a shard SQS could not take is reported by the tick (counted, not thrown); the others are on their way', async () => {
    await setup();
    let calls = 0;
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: SendMessageBatchRequestEntry[] }) => {
      calls++;
      // Entry "1" fails on the service side every time (retried once), the rest go through.
      const failed = input.Entries.filter((e) => e.Id === '1');
      return {
        Successful: input.Entries.filter((e) => e.Id !== '1').map((e) => ({
          Id: e.Id,
          MessageId: randomUUID(),
          MD5OfMessageBody: 'x',
        })),
        Failed: failed.map((e) => ({ Id: e.Id, SenderFault: false, Code: 'InternalError', Message: 'try again' })),
      };
    });
    const tick = createTickHandler({
      ...deps,
      shards: {
        queue: new SqsShardQueue(new SQSClient({ region: 'us-east-1' }), QUEUE_URL),
        intervalSeconds: 60,
        size: 1,
      },
    });
    const summary = (await tick(SCHEDULED_EVENT as never, lambdaContext())) as TickSummary;
    expect(summary.dispatched).toEqual({ shards: 3, targets: 3, failedShards: [1] });
    expect(calls).toBe(2);
    // The retry carried only the failed entry.
    expect(sqs.commandCalls(SendMessageBatchCommand)[1]!.args[0].input.Entries).toHaveLength(1);
    expect(h.metric(METRIC.shardDispatchFailures)).toBe(1);
    expect(h.metric(METRIC.shardsDispatched)).toBe(2);
  });
});
