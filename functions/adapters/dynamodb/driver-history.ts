/**
 * Driver history on DynamoDB: one item per (target, accepted observation), partition `targetId`, sort
 * `historyKey` = `${ISO observedAt}#${driverKey}#${eventId}`, the canonical driver under `driver`, and
 * `retainUntil` (receipt + retention) as TTL. The drivers table keeps only the latest observation of each
 * driver; this is what `drivetrain replay --since` replays.
 */
import { paginateQuery, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { driverSchema, type Driver } from '../../domain/model';
import { driverKey, isoSeconds, withoutUndefined } from './items';
import { silentLogger, type StoreLogger } from './support';

export interface DriverHistoryOptions {
  tableName: string;
  /** Seconds an observation is kept after its receipt (the construct's driverHistoryRetention); > 0. */
  retentionSeconds: number;
}

export function historyKey(driver: Driver): string {
  return `${isoSeconds(driver.observedAt)}#${driverKey(driver)}#${driver.lineage.eventId}`;
}

/** Writes one history item per target of the driver; the same event always lands on the same items. */
export async function recordHistory(
  doc: DynamoDBDocumentClient,
  options: DriverHistoryOptions,
  driver: Driver,
): Promise<void> {
  const key = historyKey(driver);
  const item = withoutUndefined(driver);
  const retainUntil = driver.lineage.receivedAt + options.retentionSeconds;
  // One put per target, side by side: the ingest path waits for one round trip, not one per target.
  // Unconditional: a redelivery rewrites the identical item, which is cheaper than a condition.
  await Promise.all(
    [...new Set(driver.targets)].map((targetId) =>
      doc.send(
        new PutCommand({
          TableName: options.tableName,
          Item: { targetId, historyKey: key, retainUntil, driver: item },
        }),
      ),
    ),
  );
}

export interface HistoryRead {
  drivers: Driver[];
  /** The read stopped at `limit` items: the window holds more than was returned. */
  truncated: boolean;
}

export interface HistoryQuery {
  targetId: string;
  /** Observation window, epoch seconds, both inclusive. */
  from: number;
  to: number;
  /** Items retained past this time only (TTL deletion runs days late). */
  now: number;
  limit: number;
  logger?: StoreLogger;
}

/** The target's observations in the window, oldest first, at most `limit` of them. */
export async function readHistory(
  doc: DynamoDBDocumentClient,
  tableName: string,
  query: HistoryQuery,
): Promise<HistoryRead> {
  const logger = query.logger ?? silentLogger;
  const drivers: Driver[] = [];
  const pages = paginateQuery(
    { client: doc, pageSize: Math.min(query.limit + 1, 1000) },
    {
      TableName: tableName,
      // '~' sorts after every character of a historyKey's tail, so the upper bound includes the last second.
      KeyConditionExpression: 'targetId = :targetId AND historyKey BETWEEN :from AND :to',
      FilterExpression: 'retainUntil > :now',
      ExpressionAttributeValues: {
        ':targetId': query.targetId,
        ':from': isoSeconds(query.from),
        ':to': `${isoSeconds(query.to)}~`,
        ':now': query.now,
      },
    },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      if (drivers.length >= query.limit) return { drivers, truncated: true };
      const parsed = driverSchema.safeParse(item.driver);
      if (parsed.success) drivers.push(parsed.data);
      else {
        logger.warn('skipping corrupt driver history item', {
          table: tableName,
          targetId: query.targetId,
          historyKey: item.historyKey,
          issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
        });
      }
    }
  }
  return { drivers, truncated: false };
}
