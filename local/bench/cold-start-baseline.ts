/**
 * The yardstick of `npm run bench:cold-start`: the smallest useful DynamoDB handler (a DocumentClient built
 * at module scope, one GetItem per invocation), bundled exactly like the Drivetrain handlers.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));

export const handler = async (event: { id: string }) =>
  documents.send(new GetCommand({ TableName: process.env.TABLE_NAME ?? 'items', Key: { id: event.id } }));
