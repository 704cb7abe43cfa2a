/**
 * DriverStore on DynamoDB: one item per (target, driver instance), partition `targetId`, sort
 * `driverKey` = `${kind}#${name}#${id}`, the canonical driver fields as attributes and `expiresAt` as TTL.
 */
import { paginateQuery, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { driverSchema, type Driver } from '../../domain/model';
import type { DriverStore, PutDriverResult } from '../../ports';
import { driverKey, withoutUndefined } from './items';
import { recordHistory, type DriverHistoryOptions } from './driver-history';
import {
  cancellationReasons,
  isConditionFailure,
  onlyConditionFailures,
  silentLogger,
  type StoreLogger,
} from './support';

export { driverKey };

export interface DriverStoreOptions {
  /** Where corrupt items are reported; they are skipped, never fatal. */
  logger?: StoreLogger;
  /**
   * Where every accepted observation (stored or a redelivery of the stored one) is also kept, for replay;
   * absent: no history (driverHistoryRetention 0).
   */
  history?: DriverHistoryOptions;
}

export class DynamoDriverStore implements DriverStore {
  private readonly logger: StoreLogger;
  private readonly history: DriverHistoryOptions | undefined;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: DriverStoreOptions = {},
  ) {
    this.logger = options.logger ?? silentLogger;
    this.history = options.history;
  }

  async put(driver: Driver): Promise<PutDriverResult> {
    const result = await this.putLatest(driver);
    // After the latest-record write, and for a duplicate too: a delivery that died between the two writes
    // leaves the history item to its redelivery. An out-of-order event was not acted on, so it is no history.
    if (this.history && result !== 'out-of-order') await recordHistory(this.doc, this.history, driver);
    return result;
  }

  private async putLatest(driver: Driver): Promise<PutDriverResult> {
    const key = driverKey(driver);
    // A driver names each target once; a duplicate would make the transaction touch one item twice,
    // which DynamoDB rejects as a validation error.
    const targets = [...new Set(driver.targets)];
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: targets.map((targetId) => ({
            Put: {
              TableName: this.tableName,
              Item: { ...withoutUndefined(driver), targetId, driverKey: key },
              // Newer observation wins. At an equal time the later arrival wins (this write), unless it is the
              // very event stored (a duplicate): thirty pins an operator sends within one second end at the
              // last one sent, not at whichever random event id sorts highest. Observation times are never
              // later than their receipt (the normalizer clamps them), so a forged future time cannot hold
              // the item against honest updates either.
              ConditionExpression:
                'attribute_not_exists(driverKey) OR observedAt < :observedAt OR (observedAt = :observedAt AND lineage.eventId <> :eventId)',
              ExpressionAttributeValues: { ':observedAt': driver.observedAt, ':eventId': driver.lineage.eventId },
              // Tells a duplicate from a late event without a read on the happy path.
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          })),
        }),
      );
      return 'stored';
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (!reasons || !onlyConditionFailures(reasons)) throw error;
      const refused = reasons.filter(isConditionFailure).map((r) => storedObservation(r.Item));
      const same = refused.every(
        (old) => old?.observedAt === driver.observedAt && old.eventId === driver.lineage.eventId,
      );
      return same ? 'duplicate' : 'out-of-order';
    }
  }

  async live(targetId: string, now: number): Promise<Driver[]> {
    const drivers = await this.query(targetId, now);
    // TTL deletion runs up to days late: the filter above is the fast path, this one is the guarantee.
    return drivers.filter((d) => d.expiresAt > now);
  }

  all(targetId: string): Promise<Driver[]> {
    return this.query(targetId, undefined);
  }

  private async query(targetId: string, now: number | undefined): Promise<Driver[]> {
    const drivers: Driver[] = [];
    const pages = paginateQuery(
      { client: this.doc },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'targetId = :targetId',
        ...(now === undefined
          ? { ExpressionAttributeValues: { ':targetId': targetId } }
          : {
              FilterExpression: 'expiresAt > :now',
              ExpressionAttributeValues: { ':targetId': targetId, ':now': now },
            }),
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const parsed = driverSchema.safeParse(item);
        if (parsed.success) drivers.push(parsed.data);
        else {
          this.logger.warn('skipping corrupt driver item', {
            table: this.tableName,
            targetId,
            driverKey: item.driverKey,
            issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
          });
        }
      }
    }
    return drivers;
  }
}

/** The old item returned by ReturnValuesOnConditionCheckFailure (raw AttributeValues: errors bypass the document client's unmarshalling). */
function storedObservation(
  item: Record<string, unknown> | undefined,
): { observedAt: unknown; eventId: unknown } | undefined {
  if (!item) return undefined;
  const plain = isAttributeValueMap(item) ? unmarshall(item as Record<string, AttributeValue>) : item;
  const lineage = plain.lineage as { eventId?: unknown } | undefined;
  return { observedAt: plain.observedAt, eventId: lineage?.eventId };
}

function isAttributeValueMap(item: Record<string, unknown>): boolean {
  const sample = item.driverKey ?? item.targetId;
  return typeof sample === 'object' && sample !== null && 'S' in sample;
}
