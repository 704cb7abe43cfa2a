/**
 * The second yardstick of `npm run bench:cold-start`: the baseline handler plus what the stack requires of
 * every Drivetrain function before any Drivetrain code runs — Powertools Logger, Metrics and Tracer, built
 * as functions/runtime/powertools.ts builds them, and the DocumentClient traced — bundled like the handlers.
 * It says how much of a handler's cold import the required libraries take on their own.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { logger, metrics, tracer } from '../../functions/runtime/powertools';

const documents = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})));

export const handler = async (event: { id: string }) => {
  logger.info('reading', { id: event.id });
  metrics.addMetric('Reads', 'Count', 1);
  return documents.send(new GetCommand({ TableName: process.env.TABLE_NAME ?? 'items', Key: { id: event.id } }));
};
