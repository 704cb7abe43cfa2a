/**
 * Decision events: every recorded decision, with its final status, as a "Drivetrain Decision" event on the
 * deployment's business bus, so users route it to SNS, Chatbot or their own tooling (docs/events.md).
 *
 * Published after the decision is recorded and settled, never before: an event always names a decision the
 * table holds. Collected per invocation and sent once at its end (PutEvents takes 10 entries per request, so
 * a shard of 28 targets costs 3 requests instead of 28). A failure to publish is counted and logged, never
 * thrown: the decision is in the table whatever happens to its notification.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { DECISION_EVENT_SCHEMA_VERSION, METRIC } from '../contracts';
import type { DecisionEventDetail, DecisionEventPublisher, DecisionRecord, DecisionStatus } from '../ports';

export function decisionEventDetail(
  deployment: string,
  record: DecisionRecord,
  status: DecisionStatus,
): DecisionEventDetail {
  return {
    schemaVersion: DECISION_EVENT_SCHEMA_VERSION,
    deployment,
    decisionId: record.decisionId,
    targetId: record.targetId,
    targetKind: record.targetKind,
    at: record.at,
    status,
    onFallback: record.reasons.includes('fallback-stale-drivers'),
    mode: record.mode,
    summary: record.summary,
    reasons: [...record.reasons],
    ...(record.winner ? { winner: record.winner } : {}),
    ...(record.current ? { current: record.current } : {}),
    desired: record.desired,
    policyVersion: record.policyVersion,
    ...(record.serving ? { serving: record.serving } : {}),
    ...(record.replacedBy ? { replacedBy: record.replacedBy } : {}),
    ...(record.outcome
      ? {
          outcome: {
            detail: record.outcome.detail,
            ...(record.outcome.error ? { error: record.outcome.error } : {}),
          },
        }
      : {}),
  };
}

/** Where a recorded decision goes, with its final status, once it is settled (or left for the repair). */
export interface DecisionEventSink {
  add(record: DecisionRecord, status: DecisionStatus): void;
  /** Called by the handler once its reconciles are done; never throws. */
  flush(): Promise<void>;
}

/** The decision events of one invocation, sent together by `flush`. */
export class DecisionEventBatch implements DecisionEventSink {
  private readonly pending: DecisionEventDetail[] = [];

  constructor(
    private readonly deployment: string,
    private readonly publisher: DecisionEventPublisher,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {}

  add(record: DecisionRecord, status: DecisionStatus): void {
    this.pending.push(decisionEventDetail(this.deployment, record, status));
  }

  async flush(): Promise<void> {
    const events = this.pending.splice(0);
    if (events.length === 0) return;
    const { published, failed, error } = await this.publisher.publish(events);
    if (published > 0) this.metrics.addMetric(METRIC.decisionEventsPublished, MetricUnit.Count, published);
    if (failed === 0) return;
    this.metrics.addMetric(METRIC.decisionEventsFailed, MetricUnit.Count, failed);
    this.logger.error('decision events could not be published; the decisions are recorded all the same', {
      failed,
      of: events.length,
      error: error ?? null,
      decisionIds: events.map((e) => e.decisionId),
    });
  }
}
