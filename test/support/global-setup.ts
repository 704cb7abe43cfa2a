/**
 * One DynamoDB Local for the whole jest run. Workers inherit DYNAMODB_ENDPOINT; each test file creates its
 * own tables under a unique prefix (see ./dynamodb.ts) so files never see each other's data.
 */
import { startDynamoDbLocal } from '../../local/dynamodb-local';

export default async function globalSetup(): Promise<void> {
  if (process.env.DYNAMODB_ENDPOINT) return; // reuse one the caller started
  const local = await startDynamoDbLocal({ timeoutMs: 60_000 });
  process.env.DYNAMODB_ENDPOINT = local.endpoint;
  (globalThis as { __DYNAMODB_LOCAL__?: typeof local }).__DYNAMODB_LOCAL__ = local;
}
