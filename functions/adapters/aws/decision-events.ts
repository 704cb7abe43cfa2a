/**
 * Decision events over EventBridge PutEvents on the deployment's business bus. A request takes at most 10
 * entries and 256 KB, so events are cut into batches by both. PutEvents answers 200 even when entries failed
 * (FailedEntryCount, per-entry ErrorCode); entries failed with a retryable ErrorCode are sent once more, then
 * every failure is reported, never thrown.
 */
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import { DECISION_EVENT_SOURCE, DETAIL_TYPES } from '../../contracts';
import type { DecisionEventDetail, DecisionEventPublisher } from '../../ports';

/** PutEvents limits (EventBridge quotas): entries per request and bytes per request. */
export const PUT_EVENTS_MAX_ENTRIES = 10;
export const PUT_EVENTS_MAX_BYTES = 256 * 1024;
/** One more try for entries EventBridge failed (throttling, an internal error) before reporting them. */
const ATTEMPTS = 2;
/** The per-entry ErrorCodes PutEventsResultEntry documents as retryable. */
const RETRYABLE_ENTRY_ERRORS = new Set(['InternalFailure', 'ThrottlingException']);

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
      const { left, thrown } = await this.putWithRetry(batch);
      published += batch.length - left.length;
      failed += left.length;
      if (thrown !== undefined)
        error ??= thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
      else if (left.length > 0) error ??= left.map((l) => l.ErrorCode ?? 'unknown').join(', ');
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

  /**
   * The per-entry results of the entries still failed after ATTEMPTS, and the error of a request that failed
   * whole (none of its entries is known to be on the bus; those an earlier attempt published are). Only the
   * ErrorCodes PutEvents documents as retryable are sent again: AccessDeniedException, MalformedDetail,
   * NotAuthorizedForSourceException… fail the same way every time.
   */
  private async putWithRetry(
    batch: PutEventsRequestEntry[],
  ): Promise<{ left: Array<{ ErrorCode?: string }>; thrown?: unknown }> {
    let pending = batch;
    let retryable: Array<{ ErrorCode?: string }> = batch.map(() => ({}));
    const final: Array<{ ErrorCode?: string }> = [];
    for (let attempt = 1; attempt <= ATTEMPTS && pending.length > 0; attempt++) {
      let results: PutEventsResultEntry[];
      try {
        results = (await this.client.send(new PutEventsCommand({ Entries: pending }))).Entries ?? [];
      } catch (thrown) {
        return { left: [...final, ...retryable], thrown };
      }
      const again: PutEventsRequestEntry[] = [];
      retryable = [];
      pending.forEach((entry, i) => {
        const result = results[i];
        if (result?.EventId) return;
        const failure = result?.ErrorCode ? { ErrorCode: result.ErrorCode } : {};
        // An entry without an ErrorCode is an odd answer, not a verdict: it is sent again like a throttled one.
        if (failure.ErrorCode === undefined || RETRYABLE_ENTRY_ERRORS.has(failure.ErrorCode)) {
          again.push(entry);
          retryable.push(failure);
        } else final.push(failure);
      });
      pending = again;
    }
    return { left: [...final, ...retryable] };
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
