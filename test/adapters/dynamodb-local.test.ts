import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { TABLES } from '../../functions/adapters/dynamodb/tables';
import { createTestTables, type LocalTables } from '../support/dynamodb';

describe('DynamoDB Local tables from the shared definition', () => {
  let local: LocalTables;
  beforeAll(async () => {
    local = await createTestTables({ enableTtl: true });
  });
  afterAll(() => local.client.destroy());

  it.each(TABLES.map((t) => [t.id, t] as const))('%s has the shared key schema and TTL', async (id, table) => {
    const { Table } = await local.client.send(new DescribeTableCommand({ TableName: local.names[id] }));
    expect(Table?.KeySchema?.[0]).toEqual({ AttributeName: table.partitionKey.name, KeyType: 'HASH' });
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    if (table.ttlAttribute) {
      const ttl = await local.client.send(new DescribeTimeToLiveCommand({ TableName: local.names[id] }));
      expect(ttl.TimeToLiveDescription?.AttributeName).toBe(table.ttlAttribute);
    }
  });

  it('sorts decisions of a target by time with the decisionKey layout', async () => {
    for (const key of ['2026-11-23T10:00:00.000Z#000002', '2026-11-23T09:00:00.000Z#000001']) {
      await local.doc.send(
        new PutCommand({
          TableName: local.names.decisions,
          Item: { targetId: 'web', decisionKey: key, decisionId: `web:${key}` },
        }),
      );
    }
    const { Items } = await local.doc.send(
      new QueryCommand({
        TableName: local.names.decisions,
        KeyConditionExpression: 'targetId = :t',
        ExpressionAttributeValues: { ':t': 'web' },
        ScanIndexForward: false,
      }),
    );
    expect(Items?.map((i) => i.decisionKey)).toEqual([
      '2026-11-23T10:00:00.000Z#000002',
      '2026-11-23T09:00:00.000Z#000001',
    ]);
  });
});
