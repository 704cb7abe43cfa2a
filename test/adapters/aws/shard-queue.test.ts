import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  RequestThrottled,
  SendMessageBatchCommand,
  SQSClient,
  type SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';
import { SqsShardQueue } from '../../../functions/adapters/aws/shard-queue';
import { shardMessages } from '../../../functions/app/shards';
import { ShardDispatchError } from '../../../functions/ports';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/111122223333/dt-shards';
const ids = (n: number) => Array.from({ length: n }, (_, i) => `t-${String(i).padStart(3, '0')}`);
const accepted = (entries: SendMessageBatchRequestEntry[]) =>
  entries.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}`, MD5OfMessageBody: 'x' }));

describe('SqsShardQueue', () => {
  const sqs = mockClient(SQSClient);
  const queue = new SqsShardQueue(
    new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' } }),
    QUEUE_URL,
  );
  afterEach(() => sqs.reset());
  afterAll(() => sqs.restore());

  test('sends ten shards per SendMessageBatch, each body the shard message as JSON', async () => {
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: SendMessageBatchRequestEntry[] }) => ({
      Successful: accepted(input.Entries),
      Failed: [],
    }));
    const shards = shardMessages(ids(23), 100, 60, 1);
    await queue.send(shards);
    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls.map((c) => c.args[0].input.Entries!.length)).toEqual([10, 10, 3]);
    expect(calls.flatMap((c) => c.args[0].input.Entries!.map((e) => JSON.parse(e.MessageBody!) as unknown))).toEqual(
      shards,
    );
    expect(calls.every((c) => c.args[0].input.QueueUrl === QUEUE_URL)).toBe(true);
  });

  test('a sender fault is not sent again and makes the error permanent', async () => {
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: SendMessageBatchRequestEntry[] }) => ({
      Successful: accepted(input.Entries.filter((e) => e.Id !== '0')),
      Failed: [{ Id: '0', SenderFault: true, Code: 'InvalidMessageContents', Message: 'bad' }],
    }));
    const error = (await queue.send(shardMessages(ids(3), 100, 60, 1)).catch((e: unknown) => e)) as ShardDispatchError;
    expect(error).toBeInstanceOf(ShardDispatchError);
    expect(error).toMatchObject({ failedShards: [0], retryable: false });
    expect(sqs).toHaveReceivedCommandTimes(SendMessageBatchCommand, 1);
  });

  test('a request that fails whole fails only its own ten shards; the next batch still goes out', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .rejectsOnce(
        Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }),
      )
      .callsFake((input: { Entries: SendMessageBatchRequestEntry[] }) => ({
        Successful: accepted(input.Entries),
        Failed: [],
      }));
    const error = (await queue.send(shardMessages(ids(12), 100, 60, 1)).catch((e: unknown) => e)) as ShardDispatchError;
    expect(error).toMatchObject({ failedShards: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], retryable: true });
    expect(error.cause).toMatchObject({ name: 'ThrottlingException' });
    expect(sqs).toHaveReceivedCommandTimes(SendMessageBatchCommand, 2);
  });
  test('a resend that fails whole names only the shards still unsent: those accepted the first time are queued', async () => {
    // First request: shard 1 fails on the service side (SenderFault false), the others are accepted.
    // The resend of shard 1 is throttled as a whole request.
    sqs
      .on(SendMessageBatchCommand)
      .callsFakeOnce((input: { Entries: SendMessageBatchRequestEntry[] }) => ({
        Successful: accepted(input.Entries.filter((e) => e.Id !== '1')),
        Failed: [{ Id: '1', SenderFault: false, Code: 'InternalError', Message: 'An internal error occurred' }],
      }))
      .rejectsOnce(
        new RequestThrottled({
          message: 'Request is throttled.',
          $metadata: { httpStatusCode: 400, requestId: 'r-1', attempts: 1, totalRetryDelay: 0 },
        }),
      );
    const error = (await queue.send(shardMessages(ids(3), 100, 60, 1)).catch((e: unknown) => e)) as ShardDispatchError;
    expect(error).toBeInstanceOf(ShardDispatchError);
    expect(error).toMatchObject({ failedShards: [1], retryable: true });
    expect(error.cause).toBeInstanceOf(RequestThrottled);
    expect(sqs).toHaveReceivedCommandTimes(SendMessageBatchCommand, 2);
  });
});
