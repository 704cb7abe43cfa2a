/**
 * The shard queue over Amazon SQS: SendMessageBatch, ten shards per request. SendMessageBatch succeeds as a
 * call even when some entries fail (`Failed` in the response), so each entry is checked; entries that failed
 * on the service side are sent once more, sender faults (a malformed entry) are not.
 */
import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SendMessageBatchResult,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { classifyAwsError, ShardDispatchError, type ShardMessageBody, type ShardQueue } from '../../ports';

/** Shards per SendMessageBatch call: the SQS maximum of entries per batch. */
const SHARD_MESSAGES_PER_BATCH = 10;

/** One more try for entries SQS failed on its side (throttling, an internal error) before giving up on them. */
const SERVICE_FAULT_ATTEMPTS = 2;

export class SqsShardQueue implements ShardQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(shards: readonly ShardMessageBody[]): Promise<void> {
    const failed: number[] = [];
    let retryable = true;
    let cause: unknown;
    for (let start = 0; start < shards.length; start += SHARD_MESSAGES_PER_BATCH) {
      const outcome = await this.sendBatch(shards.slice(start, start + SHARD_MESSAGES_PER_BATCH));
      for (const entry of outcome.left) {
        failed.push(entry.shard.index);
        retryable &&= !entry.senderFault;
      }
      if (outcome.error !== undefined) {
        cause = outcome.error;
        retryable &&= classifyAwsError(outcome.error).retryable;
      }
    }
    if (failed.length > 0) {
      throw new ShardDispatchError(
        failed,
        retryable,
        `${failed.length} of ${shards.length} shard(s) could not be queued: shard(s) ${failed.join(', ')}`,
        { cause },
      );
    }
  }

  /**
   * The shards still not accepted after SERVICE_FAULT_ATTEMPTS, and the error of a request that failed whole.
   * A request that fails whole leaves only its own entries unsent: the shards an earlier attempt got
   * accepted are queued, and naming them failed would contradict the ShardQueue contract.
   */
  private async sendBatch(batch: readonly ShardMessageBody[]): Promise<{ left: Unsent[]; error?: unknown }> {
    let pending = batch.map((body, i) => ({ body, id: String(i) }));
    const refused: Unsent[] = [];
    const unsent = () => [...refused, ...pending.map(({ body }) => ({ shard: body.shard, senderFault: false }))];
    for (let attempt = 1; attempt <= SERVICE_FAULT_ATTEMPTS && pending.length > 0; attempt++) {
      const entries: SendMessageBatchRequestEntry[] = pending.map(({ body, id }) => ({
        Id: id,
        MessageBody: JSON.stringify(body),
      }));
      let response: SendMessageBatchResult;
      try {
        response = await this.client.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
      } catch (error) {
        // The whole request failed: none of its entries is known to be queued.
        return { left: unsent(), error };
      }
      const failures = new Map((response.Failed ?? []).map((f) => [f.Id, f.SenderFault === true]));
      for (const { body, id } of pending)
        if (failures.get(id) === true) refused.push({ shard: body.shard, senderFault: true });
      pending = pending.filter(({ id }) => failures.get(id) === false);
    }
    return { left: unsent() };
  }
}

interface Unsent {
  shard: ShardMessageBody['shard'];
  senderFault: boolean;
}
