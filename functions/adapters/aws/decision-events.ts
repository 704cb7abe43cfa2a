/**
 * Decision events over EventBridge PutEvents on the deployment's business bus. A request takes at most 10
 * entries and 256 KB, so events are cut into batches by both. PutEvents answers 200 even when entries failed
 * (FailedEntryCount, per-entry ErrorCode); failed entries are sent once more, then reported, never thrown.
 */
import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { DECISION_EVENT_SOURCE, DETAIL_TYPES } from '../../contracts';
import type { DecisionEventDetail, DecisionEventPublisher } from '../../ports';

/** PutEvents limits (EventBridge quotas): entries per request and bytes per request. */
export const PUT_EVENTS_MAX_ENTRIES = 10;
export const PUT_EVENTS_MAX_BYTES = 256 * 1024;
/** One more try for entries EventBridge failed (throttling, an internal error) before reporting them. */
const ATTEMPTS = 2;

export class EventBridgeDecisionPublisher implements DecisionEventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(
    events: readonly DecisionEventDetail[],
  ): Promise<{ published: number; failed: number; error?: string }> {
    let published = 0;
    let failed = 0;
    let error: string | undefined;
    for (const batch of batches(events.map((e) => this.entry(e)))) {
      try {
        const left = await this.putWithRetry(batch);
        published += batch.length - left.length;
        failed += left.length;
        if (left.length > 0) error ??= left.map((l) => l.ErrorCode ?? 'unknown').join(', ');
      } catch (cause) {
        // The whole request failed: none of its entries is known to be on the bus.
        failed += batch.length;
        error ??= cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
      }
    }
    return { published, failed, ...(error ? { error } : {}) };
  }

  private entry(detail: DecisionEventDetail): PutEventsRequestEntry {
    return {
      EventBusName: this.busName,
      Source: DECISION_EVENT_SOURCE,
      DetailType: DETAIL_TYPES.decision,
      Detail: JSON.stringify(detail),
      Time: new Date(detail.at * 1000),
    };
  }

  /** Returns the per-entry results of the entries still failed after ATTEMPTS. */
  private async putWithRetry(batch: PutEventsRequestEntry[]): Promise<Array<{ ErrorCode?: string }>> {
    let pending = batch;
    let failures: Array<{ ErrorCode?: string }> = [];
    for (let attempt = 1; attempt <= ATTEMPTS && pending.length > 0; attempt++) {
      const response = await this.client.send(new PutEventsCommand({ Entries: pending }));
      const results = response.Entries ?? [];
      const retry: PutEventsRequestEntry[] = [];
      failures = [];
      pending.forEach((entry, i) => {
        const result = results[i];
        if (result?.EventId) return;
        retry.push(entry);
        failures.push({ ...(result?.ErrorCode ? { ErrorCode: result.ErrorCode } : {}) });
      });
      pending = retry;
    }
    return failures;
  }
}

/** The size EventBridge counts for an entry (its quota documentation): time, source, detail-type, detail. */
export function entrySize(entry: PutEventsRequestEntry): number {
  const bytes = (s: string | undefined) => (s ? Buffer.byteLength(s, 'utf8') : 0);
  return 14 + bytes(entry.Source) + bytes(entry.DetailType) + bytes(entry.Detail);
}

function batches(entries: PutEventsRequestEntry[]): PutEventsRequestEntry[][] {
  const out: PutEventsRequestEntry[][] = [];
  let current: PutEventsRequestEntry[] = [];
  let size = 0;
  for (const entry of entries) {
    const bytes = entrySize(entry);
    if (current.length > 0 && (current.length === PUT_EVENTS_MAX_ENTRIES || size + bytes > PUT_EVENTS_MAX_BYTES)) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(entry);
    size += bytes;
  }
  if (current.length > 0) out.push(current);
  return out;
}
