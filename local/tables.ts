/** Creates Drivetrain's tables (from the shared definition) in DynamoDB Local. */
import {
  CreateTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { TABLES, createTableInput, tableNames, type TableNames } from '../functions/adapters/dynamodb/tables';

export interface LocalTableOptions {
  /**
   * Turn DynamoDB TTL on, as the stack does. Off by default: DynamoDB Local deletes expired items against the
   * wall clock, while the demo, replays and tests run on virtual clocks (Black Friday 2026 whatever today is),
   * so TTL there would delete records that are still live in virtual time. Nothing depends on the deletion:
   * every read filters on `expiresAt` anyway (TTL is a hint).
   */
  enableTtl?: boolean;
}

export async function createLocalTables(
  client: DynamoDBClient,
  prefix: string,
  options: LocalTableOptions = {},
): Promise<TableNames> {
  const names = tableNames(prefix);
  for (const table of TABLES) {
    const name = names[table.id];
    try {
      await client.send(new CreateTableCommand(createTableInput(table, name)));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    if (table.ttlAttribute && options.enableTtl) {
      await client
        .send(
          new UpdateTimeToLiveCommand({
            TableName: name,
            TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true },
          }),
        )
        .catch((error: Error) => {
          // Enabling TTL twice is an error on DynamoDB; the table is already in the state we want.
          if (!/already enabled|TimeToLive is already/i.test(error.message)) throw error;
        });
    }
  }
  return names;
}
