/**
 * The one definition of Drivetrain's DynamoDB tables. The CDK stack (lib/) builds its tables from it and the
 * local demo and tests create theirs from it (createTableInput), so the layout can never drift.
 *
 * Layouts are chosen to read well in the DynamoDB console: partition by target, sort by time.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

export interface KeyAttribute {
  name: string;
  type: 'S' | 'N';
}

export interface TableDefinition {
  /** Logical id and suffix of the physical name. */
  id: 'drivers' | 'decisions' | 'state' | 'idempotency' | 'history';
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  /** DynamoDB TTL attribute (epoch seconds). Deletion is late: readers still filter on it. */
  ttlAttribute?: string;
  globalSecondaryIndexes?: Array<{ indexName: string; partitionKey: KeyAttribute; sortKey?: KeyAttribute }>;
  description: string;
}

export const DRIVERS_TABLE: TableDefinition = {
  id: 'drivers',
  // One item per (target, driver instance): a driver for two targets is two items written in one transaction.
  partitionKey: { name: 'targetId', type: 'S' },
  sortKey: { name: 'driverKey', type: 'S' },
  ttlAttribute: 'expiresAt',
  description: 'Canonical driver records, one per target and driver instance, expiring by TTL',
};

export const DECISIONS_TABLE: TableDefinition = {
  id: 'decisions',
  // decisionKey = `${ISO time}#${state version, zero-padded}`: newest-first queries and readable in the console.
  partitionKey: { name: 'targetId', type: 'S' },
  sortKey: { name: 'decisionKey', type: 'S' },
  ttlAttribute: 'expiresAt',
  globalSecondaryIndexes: [{ indexName: 'byDecisionId', partitionKey: { name: 'decisionId', type: 'S' } }],
  description: 'Every decision with its summary, reasons, drivers considered and outcome (audit trail)',
};

export const STATE_TABLE: TableDefinition = {
  id: 'state',
  partitionKey: { name: 'targetId', type: 'S' },
  description: 'Per-target state: version (optimistic lock), last allocation, last change times, operator mode',
};

export const HISTORY_TABLE: TableDefinition = {
  id: 'history',
  // historyKey = `${ISO observation time}#${driverKey}#${event id}`: time-window queries per target, and a
  // redelivered event lands on the item its first delivery wrote. `retainUntil` (not the driver's own
  // expiresAt, which the item carries) is the deployment's driverHistoryRetention after receipt.
  partitionKey: { name: 'targetId', type: 'S' },
  sortKey: { name: 'historyKey', type: 'S' },
  ttlAttribute: 'retainUntil',
  description: 'Every accepted driver observation per target, kept for driverHistoryRetention (replay input)',
};

/**
 * The state table's one item that is not a target: the deployed config (adapters/dynamodb/deployed-config.ts).
 * Target ids are lowercase and start with a letter or digit (IDENTIFIER, domain/model.ts), so `#` never is one.
 */
export const DEPLOYED_CONFIG_KEY = '#deployed-config';

/** Layout required by Powertools idempotency (DynamoDBPersistenceLayer defaults). */
export const IDEMPOTENCY_TABLE: TableDefinition = {
  id: 'idempotency',
  partitionKey: { name: 'id', type: 'S' },
  ttlAttribute: 'expiration',
  description: 'Powertools idempotency records for event de-duplication',
};

export const TABLES = [DRIVERS_TABLE, DECISIONS_TABLE, STATE_TABLE, IDEMPOTENCY_TABLE, HISTORY_TABLE] as const;

export type TableNames = Record<TableDefinition['id'], string>;

export function tableNames(prefix: string): TableNames {
  return {
    drivers: `${prefix}-drivers`,
    decisions: `${prefix}-decisions`,
    state: `${prefix}-state`,
    idempotency: `${prefix}-idempotency`,
    history: `${prefix}-history`,
  };
}

/** CreateTable input (on-demand) for DynamoDB Local and any SDK-created table. */
export function createTableInput(table: TableDefinition, tableName: string): CreateTableCommandInput {
  const attributes = new Map<string, KeyAttribute>();
  const add = (a: KeyAttribute | undefined) => a && attributes.set(a.name, a);
  add(table.partitionKey);
  add(table.sortKey);
  for (const gsi of table.globalSecondaryIndexes ?? []) {
    add(gsi.partitionKey);
    add(gsi.sortKey);
  }
  const keySchema = (pk: KeyAttribute, sk?: KeyAttribute) => [
    { AttributeName: pk.name, KeyType: 'HASH' as const },
    ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' as const }] : []),
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes.values()].map((a) => ({ AttributeName: a.name, AttributeType: a.type })),
    KeySchema: keySchema(table.partitionKey, table.sortKey),
    ...(table.globalSecondaryIndexes?.length
      ? {
          GlobalSecondaryIndexes: table.globalSecondaryIndexes.map((gsi) => ({
            IndexName: gsi.indexName,
            KeySchema: keySchema(gsi.partitionKey, gsi.sortKey),
            Projection: { ProjectionType: 'ALL' as const },
          })),
        }
      : {}),
  };
}
