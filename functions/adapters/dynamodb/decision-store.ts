/**
 * DecisionStore on DynamoDB: the audit trail (decisions table, partition `targetId`, sort `decisionKey`)
 * and the per-target state with its optimistic-lock `version` (state table). Every write that touches both
 * is one transaction, so a decision is never recorded without its state change or the other way round.
 *
 * Decision items are laid out for the DynamoDB console: `summary`, `status`, `decidedAt` (ISO) and the
 * decision's fields are top-level attributes, newest last in the partition.
 */
import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import {
  allocationSchema,
  decisionSchema,
  targetModeSchema,
  targetStateSchema,
  type Allocation,
  type Decision,
  type ReasonCode,
  type Target,
  type TargetMode,
} from '../../domain/model';
import {
  DECISION_STATUSES,
  type DecisionOutcome,
  type DecisionRecord,
  type DecisionStatus,
  type DecisionStore,
  type StoredTargetState,
} from '../../ports';
import { DECISIONS_TABLE } from './tables';
import {
  ConcurrentDecisionError,
  CorruptItemError,
  UnknownTargetError,
  cancellationReasons,
  isConditionFailure,
  silentLogger,
  type StoreLogger,
} from './errors';
import { isoSeconds, withoutUndefined } from './items';

/**
 * A decision of a target with hundreds of drivers would otherwise approach DynamoDB's 400 KB item limit;
 * 250 considered drivers (~150 bytes each) keep an item under ~50 KB. The count of the rest is kept.
 */
export const MAX_CONSIDERED_PER_ITEM = 250;
/** A console or CLI listing never needs more in one call; keeps one `list` bounded in time and RCUs. */
export const MAX_LIST_LIMIT = 1000;
const DEFAULT_LIST_LIMIT = 50;
/** Operator mode changes retry a racing tick this many times: the kill switch must not fail on a race. */
const SET_MODE_ATTEMPTS = 5;

const outcomeSchema = z.object({
  at: z.number(),
  detail: z.string(),
  error: z.object({ name: z.string(), message: z.string(), retryable: z.boolean() }).optional(),
});

export const decisionRecordSchema = decisionSchema.extend({
  decisionId: z.string().min(1),
  decisionKey: z.string().min(1),
  version: z.number().int().positive(),
  status: z.enum(DECISION_STATUSES),
  outcome: outcomeSchema.optional(),
  actor: z.object({ by: z.string(), reason: z.string() }).optional(),
});

export const storedTargetStateSchema = targetStateSchema.extend({
  pending: z.object({ decisionId: z.string(), decisionKey: z.string(), at: z.number() }).optional(),
  lastSummary: z.string().optional(),
});

export function decisionId(targetId: string, version: number): string {
  return `${targetId}:${version}`;
}

export function decisionKey(at: number, version: number): string {
  return `${isoSeconds(at)}#${String(version).padStart(9, '0')}`;
}

export interface DecisionStoreOptions {
  decisionsTable: string;
  stateTable: string;
  /** Decision records expire (DynamoDB TTL) this many days after the decision. */
  retentionDays: number;
  /**
   * Configured targets. Only `setMode` needs them, to describe a target that has never been decided
   * (kind, policy version); without them such a target can only be paused once it has history.
   */
  targets?: ReadonlyArray<Pick<Target, 'id' | 'kind' | 'resource' | 'policy'>>;
  logger?: StoreLogger;
}

export class DynamoDecisionStore implements DecisionStore {
  private readonly decisionsTable: string;
  private readonly stateTable: string;
  private readonly retentionSeconds: number;
  private readonly targets: Map<string, Pick<Target, 'id' | 'kind' | 'resource' | 'policy'>>;
  private readonly logger: StoreLogger;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    options: DecisionStoreOptions,
  ) {
    if (!Number.isFinite(options.retentionDays) || options.retentionDays <= 0) {
      throw new RangeError(`retentionDays must be a positive number of days, got ${options.retentionDays}`);
    }
    this.decisionsTable = options.decisionsTable;
    this.stateTable = options.stateTable;
    this.retentionSeconds = Math.round(options.retentionDays * 86400);
    this.targets = new Map((options.targets ?? []).map((t) => [t.id, t]));
    this.logger = options.logger ?? silentLogger;
  }

  async getState(targetId: string): Promise<StoredTargetState | undefined> {
    // Strongly consistent: the version read here is the one the next conditional write is checked against.
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.stateTable, Key: { targetId }, ConsistentRead: true }));
    if (!Item) return undefined;
    const parsed = storedTargetStateSchema.safeParse(Item);
    // A state that does not parse cannot be decided on safely; the caller fails this target only.
    if (!parsed.success) throw new CorruptItemError(this.stateTable, { targetId }, formatIssues(parsed.error));
    return parsed.data;
  }

  async record(decision: Decision, expectedVersion: number | undefined, status: 'planned' | 'shadow' | 'skipped'): Promise<DecisionRecord> {
    const record = this.toRecord(decision, expectedVersion, status);
    const values: Record<string, unknown> = {
      ':version': record.version,
      ':decisionId': record.decisionId,
      ':summary': record.summary,
      ':updatedAt': isoSeconds(decision.at),
    };
    let update = 'SET version = :version, lastDecisionId = :decisionId, lastSummary = :summary, updatedAt = :updatedAt';
    let condition = expectedVersion === undefined ? 'attribute_not_exists(targetId)' : 'version = :expected';
    if (expectedVersion !== undefined) values[':expected'] = expectedVersion;
    if (status === 'planned') {
      update += ', pending = :pending';
      values[':pending'] = { decisionId: record.decisionId, decisionKey: record.decisionKey, at: decision.at };
      // Never plan over an unconfirmed plan: that one must be repaired (or marked) first.
      condition = `(${condition}) AND attribute_not_exists(pending)`;
    }
    await this.transact(decision.targetId, expectedVersion, [
      { Put: { TableName: this.decisionsTable, Item: this.toItem(record), ConditionExpression: 'attribute_not_exists(decisionKey)' } },
      { Update: { TableName: this.stateTable, Key: { targetId: decision.targetId }, UpdateExpression: update, ConditionExpression: condition, ExpressionAttributeValues: values } },
    ]);
    return record;
  }

  async markOutcome(record: DecisionRecord, status: 'applied' | 'failed', outcome: DecisionOutcome): Promise<void> {
    const decisionUpdate = {
      TableName: this.decisionsTable,
      Key: { targetId: record.targetId, decisionKey: record.decisionKey },
      UpdateExpression: 'SET #status = :status, outcome = :outcome',
      ConditionExpression: '#status = :planned',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':status': status, ':outcome': withoutUndefined(outcome), ':planned': 'planned' },
    };
    const sets = ['version = version + :one', 'updatedAt = :updatedAt'];
    const values: Record<string, unknown> = { ':one': 1, ':updatedAt': isoSeconds(outcome.at), ':decisionId': record.decisionId };
    if (status === 'applied') {
      sets.push('#current = :desired', 'lastChangeAt = :at');
      values[':desired'] = record.desired;
      values[':at'] = outcome.at;
      const direction = scaleDirection(record.current, record.desired);
      if (direction === 'up') sets.push('lastScaleUpAt = :at');
      if (direction === 'down') sets.push('lastScaleDownAt = :at');
    }
    const stateUpdate = {
      TableName: this.stateTable,
      Key: { targetId: record.targetId },
      UpdateExpression: `SET ${sets.join(', ')} REMOVE pending`,
      // Only the plan this outcome belongs to is cleared; a state that moved on is not rolled back.
      ConditionExpression: 'pending.decisionId = :decisionId',
      ...(status === 'applied' ? { ExpressionAttributeNames: { '#current': 'current' } } : {}),
      ExpressionAttributeValues: values,
    };
    try {
      await this.doc.send(new TransactWriteCommand({ TransactItems: [{ Update: decisionUpdate }, { Update: stateUpdate }] }));
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (!reasons) throw error;
      // Already applied/failed (a repair or a retry got there first): marking is idempotent.
      if (isConditionFailure(reasons[0])) return;
      if (!isConditionFailure(reasons[1])) throw error;
      this.logger.warn('state no longer pending on this decision; marking the decision only', { targetId: record.targetId, decisionId: record.decisionId, status });
      try {
        await this.doc.send(new UpdateCommand(decisionUpdate));
      } catch (inner) {
        if ((inner as Error).name !== 'ConditionalCheckFailedException') throw inner;
      }
    }
  }

  async get(id: string): Promise<DecisionRecord | undefined> {
    const { Items } = await this.doc.send(
      new QueryCommand({
        TableName: this.decisionsTable,
        IndexName: DECISIONS_TABLE.globalSecondaryIndexes![0]!.indexName,
        KeyConditionExpression: 'decisionId = :id',
        ExpressionAttributeValues: { ':id': id },
      }),
    );
    const item = Items?.[0];
    if (!item) return undefined;
    const parsed = decisionRecordSchema.safeParse(item);
    if (!parsed.success) throw new CorruptItemError(this.decisionsTable, { decisionId: id }, formatIssues(parsed.error));
    return parsed.data;
  }

  async list(targetId: string, options: { since?: number; limit?: number } = {}): Promise<DecisionRecord[]> {
    const limit = Math.max(1, Math.min(MAX_LIST_LIMIT, Math.floor(options.limit ?? DEFAULT_LIST_LIMIT)));
    const records: DecisionRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.decisionsTable,
          KeyConditionExpression: options.since === undefined ? 'targetId = :t' : 'targetId = :t AND decisionKey >= :since',
          ExpressionAttributeValues: { ':t': targetId, ...(options.since === undefined ? {} : { ':since': isoSeconds(options.since) }) },
          ScanIndexForward: false,
          Limit: limit - records.length,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const parsed = decisionRecordSchema.safeParse(item);
        if (parsed.success) records.push(parsed.data);
        else this.logger.warn('skipping corrupt decision item', { table: this.decisionsTable, targetId, decisionKey: item.decisionKey, issues: formatIssues(parsed.error) });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey && records.length < limit);
    return records;
  }

  async setMode(targetId: string, mode: TargetMode, actor: { by: string; reason: string }, now: number): Promise<DecisionRecord> {
    targetModeSchema.parse(mode);
    if (!actor.by.trim() || !actor.reason.trim()) throw new TypeError('a mode change needs who (by) and why (reason)');
    for (let attempt = 1; ; attempt++) {
      const state = await this.getState(targetId);
      const previous = state?.lastDecisionId ? await this.get(state.lastDecisionId) : undefined;
      const configured = this.targets.get(targetId);
      const targetKind = configured?.kind ?? previous?.targetKind;
      if (!targetKind) throw new UnknownTargetError(targetId);
      const current = state?.current;
      const summary = `${MODE_VERBS[mode]} by ${actor.by}: ${actor.reason}`;
      const decision: Decision = {
        targetId,
        targetKind,
        at: now,
        policyVersion: configured?.policy.version ?? previous?.policyVersion ?? 'unknown',
        mode,
        desired: current ?? previous?.desired ?? initialAllocation(configured),
        actions: [],
        apply: false,
        reasons: [MODE_REASONS[mode]],
        summary,
        considered: [],
      };
      if (current) decision.current = current;
      const record: DecisionRecord = { ...this.toRecord(decision, state?.version, 'skipped'), actor: { by: actor.by, reason: actor.reason } };
      const values: Record<string, unknown> = {
        ':version': record.version,
        ':decisionId': record.decisionId,
        ':summary': summary,
        ':updatedAt': isoSeconds(now),
        ':override': { mode, by: actor.by, reason: actor.reason, at: now },
      };
      if (state) values[':expected'] = state.version;
      try {
        await this.transact(targetId, state?.version, [
          { Put: { TableName: this.decisionsTable, Item: this.toItem(record), ConditionExpression: 'attribute_not_exists(decisionKey)' } },
          {
            Update: {
              TableName: this.stateTable,
              Key: { targetId },
              UpdateExpression: 'SET version = :version, lastDecisionId = :decisionId, lastSummary = :summary, updatedAt = :updatedAt, modeOverride = :override',
              ConditionExpression: state ? 'version = :expected' : 'attribute_not_exists(targetId)',
              ExpressionAttributeValues: values,
            },
          },
        ]);
        return record;
      } catch (error) {
        if (!(error instanceof ConcurrentDecisionError) || attempt >= SET_MODE_ATTEMPTS) throw error;
      }
    }
  }

  private toRecord(decision: Decision, expectedVersion: number | undefined, status: DecisionStatus): DecisionRecord {
    const version = (expectedVersion ?? 0) + 1;
    return { ...decision, decisionId: decisionId(decision.targetId, version), decisionKey: decisionKey(decision.at, version), version, status };
  }

  private toItem(record: DecisionRecord): Record<string, unknown> {
    const considered = record.considered.slice(0, MAX_CONSIDERED_PER_ITEM);
    const omitted = record.considered.length - considered.length;
    return withoutUndefined({
      ...record,
      considered,
      ...(omitted > 0 ? { consideredOmitted: omitted } : {}),
      decidedAt: isoSeconds(record.at),
      expiresAt: Math.floor(record.at) + this.retentionSeconds,
    });
  }

  /** Runs a decision+state transaction; a lost optimistic-lock race becomes ConcurrentDecisionError. */
  private async transact(targetId: string, expectedVersion: number | undefined, items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>): Promise<void> {
    try {
      await this.doc.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (error) {
      const reasons = cancellationReasons(error);
      // Condition failed: the version moved. TransactionConflict: another transaction is writing the same
      // state item right now. Both mean another decider is ahead of us.
      const lost = reasons?.some((r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict') || (error as Error).name === 'TransactionConflictException';
      if (lost) throw new ConcurrentDecisionError(targetId, expectedVersion, { cause: error });
      throw error;
    }
  }
}

const MODE_VERBS: Record<TargetMode, string> = { paused: 'pause', enforce: 'enforce', shadow: 'shadow' };
const MODE_REASONS: Record<TargetMode, ReasonCode> = { paused: 'paused', enforce: 'no-change', shadow: 'shadow-mode' };

function scaleDirection(from: Allocation | undefined, to: Allocation): 'up' | 'down' | undefined {
  if (from?.kind !== 'capacity' || to.kind !== 'capacity') return undefined;
  if (to.desired > from.desired) return 'up';
  if (to.desired < from.desired) return 'down';
  return undefined;
}

/**
 * What a never-decided target is taken to hold in a mode-change record: the engine's own answer for "no
 * allocation known" (fallback allocation; configured weights for routing).
 */
function initialAllocation(target: Pick<Target, 'resource' | 'policy'> | undefined): Allocation {
  if (target?.resource.kind === 'route53-weighted') {
    return allocationSchema.parse({ kind: 'weights', weights: Object.fromEntries(target.resource.endpoints.map((e) => [e.setIdentifier, e.weight])) });
  }
  const allocation = target?.policy.fallback.allocation ?? 0;
  return { kind: 'capacity', desired: allocation, floor: Math.min(allocation, target?.policy.bounds.min ?? 0) };
}

function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '<root>'}: ${i.message}`).join('; ');
}
