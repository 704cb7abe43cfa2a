/** Per-test-file tables on the shared DynamoDB Local started by global-setup. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { LOCAL_CLIENT_CONFIG } from '../../local/dynamodb-local';
import { createLocalTables, type LocalTableOptions } from '../../local/tables';
import type { TableNames } from '../../functions/adapters/dynamodb/tables';

export interface LocalTables {
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  names: TableNames;
  endpoint: string;
}

export function localEndpoint(): string {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  if (!endpoint)
    throw new Error('DYNAMODB_ENDPOINT is not set: run the tests through jest (global-setup starts DynamoDB Local)');
  return endpoint;
}

/** `enableTtl`: only for tests of the table layout itself (see LocalTableOptions for why it is off). */
export async function createTestTables(options: LocalTableOptions = {}): Promise<LocalTables> {
  const endpoint = localEndpoint();
  const client = new DynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint });
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const names = await createLocalTables(client, `t${randomUUID().slice(0, 8)}`, options);
  return { client, doc, names, endpoint };
}
