/**
 * The tick's shard queue, from its environment (set by the construct). Parsed at cold start like the rest of
 * the environment, so a missing queue URL fails the init with its name instead of a tick that sends nowhere.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { ENV } from '../contracts';
import { SqsShardQueue } from '../adapters/aws/shard-queue';
import type { ShardDispatch } from '../app/shards';
import { EnvironmentError } from './env';
import { tracer } from './powertools';

const shardEnvSchema = z.object({
  [ENV.shardQueueUrl]: z.url({ protocol: /^https$/ }),
  // At least a minute (what EventBridge rate expressions allow); a month bounds a typo.
  [ENV.tickIntervalSeconds]: z.coerce
    .number()
    .int()
    .min(60)
    .max(30 * 86_400),
});

export function buildShardDispatch(source: NodeJS.ProcessEnv = process.env): ShardDispatch {
  const parsed = shardEnvSchema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) =>
        `${String(issue.path[0])} ${source[String(issue.path[0])] === undefined ? 'is not set' : issue.message}`,
    );
    throw new EnvironmentError(`invalid tick environment: ${problems.join('; ')}`);
  }
  const client = tracer.captureAWSv3Client(new SQSClient({}));
  return {
    queue: new SqsShardQueue(client, parsed.data[ENV.shardQueueUrl]),
    intervalSeconds: parsed.data[ENV.tickIntervalSeconds],
  };
}
