/**
 * Driver history on DynamoDB: one item per (target, accepted observation), partition `targetId`, sort
 * `historyKey` = `${ISO observedAt}#${driverKey}#${eventId}`, the canonical driver under `driver`, and
 * `retainUntil` (receipt + retention) as TTL. The drivers table keeps only the latest observation of each
 * driver; this is what `drivetrain replay --since` replays, from the drivers live at the start of its window
 * (readLiveAt) and every observation inside it (readHistory).
 */
import { paginateQuery, PutCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
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
  return queryDrivers(doc, tableName, query, {
    // '~' sorts after every character of a historyKey's tail, so the upper bound includes the last second.
    KeyConditionExpression: 'targetId = :targetId AND historyKey BETWEEN :from AND :to',
    FilterExpression: 'retainUntil > :now',
    ExpressionAttributeValues: {
      ':targetId': query.targetId,
      ':from': isoSeconds(query.from),
      ':to': `${isoSeconds(query.to)}~`,
      ':now': query.now,
    },
  });
}

export interface LiveAtQuery {
  targetId: string;
  /** Epoch seconds: the drivers live at this instant, from the observations strictly before it. */
  at: number;
  /** How far before `at` an observation still live at `at` can have been made (the caller knows the kinds). */
  lookbackSeconds: number;
  /** Items retained past this time only (TTL deletion runs days late). */
  now: number;
  /** Observations read at most. */
  limit: number;
  logger?: StoreLogger;
}

/**
 * What the drivers table held for the target at `at`: per driver (its driverKey, the drivers table's sort
 * key), the latest observation before `at`, kept only when still live then (expiresAt > at; TTL deletion is
 * late, so the item's own expiresAt decides). Oldest first. `truncated` when more than `limit` were read.
 */
export async function readLiveAt(
  doc: DynamoDBDocumentClient,
  tableName: string,
  query: LiveAtQuery,
): Promise<HistoryRead> {
  const read = await queryDrivers(doc, tableName, query, {
    // The upper bound is the bare ISO second of `at`: every key observed at `at` has a '#…' tail after it
    // and sorts above, so an observation at `at` stays the window's (readHistory's), never read twice.
    KeyConditionExpression: 'targetId = :targetId AND historyKey BETWEEN :since AND :until',
    // Only what can be, or can end, a live record is returned. An alarm's or a snapshot's expiry is its
    // observation time plus the declaration's TTL, so a later one never expires sooner: an expired one hides
    // nothing earlier and is dropped here. A business record or an override carries its own expiry and a
    // restatement may shorten it (a campaign called off): those are all returned, to take the latest.
    FilterExpression: 'retainUntil > :now AND (#driver.#expiresAt > :at OR #driver.#kind IN (:business, :override))',
    ExpressionAttributeNames: { '#driver': 'driver', '#expiresAt': 'expiresAt', '#kind': 'kind' },
    ExpressionAttributeValues: {
      ':targetId': query.targetId,
      ':since': isoSeconds(query.at - query.lookbackSeconds),
      ':until': isoSeconds(query.at),
      ':at': query.at,
      ':now': query.now,
      ':business': 'business',
      ':override': 'override',
    },
  });
  if (read.truncated) return read;
  const latest = new Map<string, Driver>();
  for (const driver of read.drivers) {
    const key = driverKey(driver);
    const held = latest.get(key);
    // Ties on observedAt: the drivers table lets the later delivery replace the earlier one.
    if (
      !held ||
      driver.observedAt > held.observedAt ||
      (driver.observedAt === held.observedAt && driver.lineage.receivedAt >= held.lineage.receivedAt)
    )
      latest.set(key, driver);
  }
  const live = [...latest.values()].filter((d) => d.expiresAt > query.at);
  return { drivers: live.sort((a, b) => a.observedAt - b.observedAt), truncated: false };
}

type QueryInput = Pick<
  QueryCommandInput,
  'KeyConditionExpression' | 'FilterExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
>;

/** The query's drivers in sort-key order, at most `limit` of them; a corrupt item is skipped with a warning. */
async function queryDrivers(
  doc: DynamoDBDocumentClient,
  tableName: string,
  query: { targetId: string; limit: number; logger?: StoreLogger },
  input: QueryInput,
): Promise<HistoryRead> {
  const logger = query.logger ?? silentLogger;
  const drivers: Driver[] = [];
  const pages = paginateQuery(
    { client: doc, pageSize: Math.min(query.limit + 1, 1000) },
    { TableName: tableName, ...input },
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
