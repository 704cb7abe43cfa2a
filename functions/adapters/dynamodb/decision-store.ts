/**
 * DecisionStore on DynamoDB: the audit trail (decisions table, partition `targetId`, sort `decisionKey`)
 * and the per-target state with its optimistic-lock `version` (state table). Every write that touches both
 * is one transaction, so a decision is never recorded without its state change or the other way round.
 *
 * Decision items are laid out for the DynamoDB console: `summary`, `status`, `decidedAt` (ISO) and the
 * decision's fields are top-level attributes, newest last in the partition.
 */
import {
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { sameAllocation } from '../../domain/allocation';
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
import { configuredResourceWeights } from '../../domain/target-kinds';
import {
  ConcurrentDecisionError,
  CorruptItemError,
  DECISION_STATUSES,
  UnknownTargetError,
  type DecisionOutcome,
  type DecisionRecord,
  type DecisionStatus,
  DECISION_TRANSITIONS,
  canTransition,
  type DecisionStore,
  type Following,
  type MarkResult,
  type ServingOutcome,
  type ServingStatus,
  type PlanClaim,
  type PlanOutcomeStatus,
  type StoredTargetState,
} from '../../ports';
import { formatDuration } from '../../domain/decision-common';
import { DECISIONS_TABLE } from './tables';
import { cancellationReasons, isConditionFailure, silentLogger, type StoreLogger } from './support';
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
/** markOutcome re-reads the followed plan this many times when it ends between the read and the write. */
const MARK_ATTEMPTS = 3;

const errorSchema = z.lazy(() => z.object({ name: z.string(), message: z.string(), retryable: z.boolean() }));

const outcomeSchema = z.lazy(() =>
  z.object({
    at: z.number(),
    detail: z.string(),
    error: errorSchema.optional(),
    observed: allocationSchema.optional(),
    by: z.string().optional(),
    changeIds: z.array(z.string()).optional(),
  }),
);

const servingSchema = z.lazy(() =>
  z.object({
    at: z.number(),
    detail: z.string(),
    timeToServeSeconds: z.number().nonnegative().optional(),
    cause: z.string().optional(),
  }),
);

export const decisionRecordSchema = z.lazy(() =>
  decisionSchema.unwrap().extend({
    decisionId: z.string().min(1),
    decisionKey: z.string().min(1),
    version: z.number().int().positive(),
    status: z.enum(DECISION_STATUSES),
    outcome: outcomeSchema.optional(),
    serving: servingSchema.optional(),
    replacedBy: z.string().optional(),
    actor: z.object({ by: z.string(), reason: z.string() }).optional(),
  }),
);

export const storedTargetStateSchema = z.lazy(() =>
  targetStateSchema.unwrap().extend({
    pending: z
      .object({
        decisionId: z.string(),
        decisionKey: z.string(),
        at: z.number(),
        owner: z.string().optional(),
        leaseUntil: z.number().optional(),
      })
      .optional(),
    lastSummary: z.string().optional(),
    lastPermanentFailure: z
      .object({ decisionId: z.string(), desired: allocationSchema, at: z.number(), error: errorSchema })
      .optional(),
    following: z
      .object({
        decisionId: z.string(),
        decisionKey: z.string(),
        appliedAt: z.number(),
        desired: allocationSchema,
        scaleOut: z.boolean(),
        changeIds: z.array(z.string()).optional(),
      })
      .optional(),
    timeToServe: z.array(z.number().nonnegative()).optional(),
  }),
);

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
  targets?: ReadonlyArray<Pick<Target, 'id' | 'resource' | 'policy'>>;
  logger?: StoreLogger;
}

export class DynamoDecisionStore implements DecisionStore {
  private readonly decisionsTable: string;
  private readonly stateTable: string;
  private readonly retentionSeconds: number;
  private readonly targets: Map<string, Pick<Target, 'id' | 'resource' | 'policy'>>;
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
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.stateTable, Key: { targetId }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const parsed = storedTargetStateSchema.safeParse(Item);
    // A state that does not parse cannot be decided on safely; the caller fails this target only.
    if (!parsed.success) throw new CorruptItemError(this.stateTable, { targetId }, formatIssues(parsed.error));
    return parsed.data;
  }

  async record(
    decision: Decision,
    expectedVersion: number | undefined,
    status: 'planned' | 'shadow' | 'skipped',
    claim?: PlanClaim,
  ): Promise<DecisionRecord> {
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
      values[':pending'] = {
        decisionId: record.decisionId,
        decisionKey: record.decisionKey,
        at: decision.at,
        ...(claim ? { owner: claim.owner, leaseUntil: claim.leaseUntil } : {}),
      };
      // Never plan over an unconfirmed plan: that one must be repaired (or marked) first.
      condition = `(${condition}) AND attribute_not_exists(pending)`;
    }
    try {
      await this.transact(decision.targetId, expectedVersion, [
        {
          Put: {
            TableName: this.decisionsTable,
            Item: this.toItem(record),
            ConditionExpression: 'attribute_not_exists(decisionKey)',
          },
        },
        {
          Update: {
            TableName: this.stateTable,
            Key: { targetId: decision.targetId },
            UpdateExpression: update,
            ConditionExpression: condition,
            ExpressionAttributeValues: values,
          },
        },
      ]);
    } catch (error) {
      // A lost response (or the SDK's retry of a transaction that had landed, refused by its own condition)
      // would leave this invocation's own plan pending until its lease ran out. The claim's owner is unique
      // to this invocation, so a pending plan carrying it proves the transaction landed.
      if (
        status === 'planned' &&
        claim &&
        (await this.pendingOwnedBy(decision.targetId, record.decisionId, claim.owner))
      ) {
        this.logger.warn('recording looked failed but the plan is stored under this invocation; continuing with it', {
          targetId: decision.targetId,
          decisionId: record.decisionId,
          error: (error as Error).name,
        });
        return record;
      }
      throw error;
    }
    return record;
  }

  async claimPending(
    targetId: string,
    seen: NonNullable<StoredTargetState['pending']>,
    claim: PlanClaim,
  ): Promise<boolean> {
    const names: Record<string, string> = { '#owner': 'owner', '#lease': 'leaseUntil' };
    const values: Record<string, unknown> = {
      ':decisionId': seen.decisionId,
      ':owner': claim.owner,
      ':lease': claim.leaseUntil,
    };
    const conditions = ['pending.decisionId = :decisionId'];
    // Compare-and-swap on the claim exactly as read: of several invocations that saw the same expired lease,
    // the first write wins and every other one fails its condition.
    if (seen.owner === undefined) conditions.push('attribute_not_exists(pending.#owner)');
    else {
      conditions.push('pending.#owner = :seenOwner');
      values[':seenOwner'] = seen.owner;
    }
    if (seen.leaseUntil === undefined) conditions.push('attribute_not_exists(pending.#lease)');
    else {
      conditions.push('pending.#lease = :seenLease');
      values[':seenLease'] = seen.leaseUntil;
    }
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.stateTable,
          Key: { targetId },
          UpdateExpression: 'SET pending.#owner = :owner, pending.#lease = :lease',
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async markOutcome(
    record: DecisionRecord,
    status: PlanOutcomeStatus,
    outcome: DecisionOutcome,
    owner?: string,
  ): Promise<MarkResult> {
    for (let attempt = 1; ; attempt++) {
      // An applied plan replaces the state's `following`: the plan it replaces ends `replaced` in the same
      // transaction, conditioned on the state still following it (a follow-through elsewhere may end it first).
      const replacing = status === 'applied' ? await this.followedBefore(record) : undefined;
      const items = this.outcomeItems(record, status, outcome, owner, replacing);
      try {
        await this.doc.send(new TransactWriteCommand({ TransactItems: items }));
        return 'marked';
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (!reasons?.some((r) => isConditionFailure(r))) throw error;
        // Settled already: by this owner (a retry of a transaction whose response was lost), or by someone else.
        const current = await this.getByKey(record.targetId, record.decisionKey);
        if (owner !== undefined && current?.status === status && current.outcome?.by === owner) return 'marked';
        // Still ours, only the followed plan moved under us (it ended elsewhere meanwhile): read it again.
        const mayRetry = current?.status === 'planned' && replacing !== undefined && attempt < MARK_ATTEMPTS;
        if (mayRetry && (await this.stillPending(record, owner))) continue;
        this.logger.warn("plan is no longer this invocation's to settle; nothing marked", {
          targetId: record.targetId,
          decisionId: record.decisionId,
          status,
          owner: owner ?? null,
          decisionStatus: current?.status ?? null,
        });
        return 'claim-lost';
      }
    }
  }

  /** The applied plan the state follows (not this one), if its decision is still `applied`. */
  private async followedBefore(record: DecisionRecord): Promise<{ following: Following; live: boolean } | undefined> {
    const following = (await this.getState(record.targetId))?.following;
    if (!following || following.decisionId === record.decisionId) return undefined;
    const earlier = await this.getByKey(record.targetId, following.decisionKey);
    // A record gone (TTL) or no longer applied has nothing to end; the state's pointer is replaced all the same.
    return { following, live: earlier?.status === 'applied' };
  }

  private async stillPending(record: DecisionRecord, owner: string | undefined): Promise<boolean> {
    const pending = (await this.getState(record.targetId))?.pending;
    return pending?.decisionId === record.decisionId && (owner === undefined || pending.owner === owner);
  }

  private outcomeItems(
    record: DecisionRecord,
    status: PlanOutcomeStatus,
    outcome: DecisionOutcome,
    owner: string | undefined,
    replacing: { following: Following; live: boolean } | undefined,
  ): NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> {
    const stored = withoutUndefined({ ...outcome, ...(owner === undefined ? {} : { by: owner }) });
    const decisionUpdate = {
      TableName: this.decisionsTable,
      Key: { targetId: record.targetId, decisionKey: record.decisionKey },
      UpdateExpression: 'SET #status = :status, outcome = :outcome',
      ConditionExpression: '#status = :planned',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':status': status, ':outcome': stored, ':planned': 'planned' },
    };
    const { sets, removes, values, names } = settledStateChanges(record, status, outcome);
    let condition = 'pending.decisionId = :decisionId';
    values[':decisionId'] = record.decisionId;
    if (owner !== undefined) {
      // Only the claim's owner settles a plan: an invocation that lost its claim must not mark (or roll back)
      // what the new owner is doing.
      condition += ' AND pending.#owner = :owner';
      names['#owner'] = 'owner';
      values[':owner'] = owner;
    }
    if (replacing) {
      condition += ' AND following.decisionId = :replacing';
      values[':replacing'] = replacing.following.decisionId;
    }
    const stateUpdate = {
      TableName: this.stateTable,
      Key: { targetId: record.targetId },
      UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
      ConditionExpression: condition,
      ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: values,
    };
    const items = [{ Update: decisionUpdate }, { Update: stateUpdate }];
    if (replacing?.live)
      items.push({ Update: replacedUpdate(this.decisionsTable, record, replacing.following, outcome) });
    return items;
  }

  async markServing(
    targetId: string,
    following: Following,
    status: ServingStatus,
    serving: ServingOutcome,
    timeToServe?: readonly number[],
  ): Promise<MarkResult> {
    const from = (Object.keys(DECISION_TRANSITIONS) as DecisionStatus[]).find((s) => canTransition(s, status))!;
    const decisionUpdate = {
      TableName: this.decisionsTable,
      Key: { targetId, decisionKey: following.decisionKey },
      UpdateExpression: 'SET #status = :status, serving = :serving',
      ConditionExpression: '#status = :from',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':status': status, ':serving': withoutUndefined({ ...serving }), ':from': from },
    };
    const values: Record<string, unknown> = {
      ':decisionId': following.decisionId,
      ':updatedAt': isoSeconds(serving.at),
    };
    let update = 'SET updatedAt = :updatedAt';
    if (timeToServe) {
      update += ', timeToServe = :samples';
      values[':samples'] = [...timeToServe];
    }
    const stateUpdate = {
      TableName: this.stateTable,
      Key: { targetId },
      UpdateExpression: `${update} REMOVE following`,
      ConditionExpression: 'following.decisionId = :decisionId',
      ExpressionAttributeValues: values,
    };
    try {
      await this.doc.send(
        new TransactWriteCommand({ TransactItems: [{ Update: decisionUpdate }, { Update: stateUpdate }] }),
      );
      return 'marked';
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (!reasons || !(isConditionFailure(reasons[0]) || isConditionFailure(reasons[1]))) throw error;
      // A retry of this very transaction whose response was lost finds it done: same status, same time.
      const current = await this.getByKey(targetId, following.decisionKey);
      if (current?.status === status && current.serving?.at === serving.at) return 'marked';
      this.logger.warn('follow-through already ended elsewhere; nothing marked', {
        targetId,
        decisionId: following.decisionId,
        status,
        decisionStatus: current?.status ?? null,
      });
      return 'claim-lost';
    }
  }

  async releasePending(targetId: string, decisionId: string, owner: string, at: number): Promise<MarkResult> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.stateTable,
          Key: { targetId },
          UpdateExpression: 'SET version = version + :one, updatedAt = :updatedAt REMOVE pending',
          ConditionExpression: 'pending.decisionId = :decisionId AND pending.#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: {
            ':one': 1,
            ':updatedAt': isoSeconds(at),
            ':decisionId': decisionId,
            ':owner': owner,
          },
        }),
      );
      return 'marked';
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return 'claim-lost';
      throw error;
    }
  }

  private async pendingOwnedBy(targetId: string, decisionId: string, owner: string): Promise<boolean> {
    try {
      const state = await this.getState(targetId);
      return state?.pending?.decisionId === decisionId && state.pending.owner === owner;
    } catch {
      return false;
    }
  }

  private async getByKey(targetId: string, key: string): Promise<DecisionRecord | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.decisionsTable, Key: { targetId, decisionKey: key }, ConsistentRead: true }),
    );
    const parsed = Item ? decisionRecordSchema.safeParse(Item) : undefined;
    return parsed?.success ? parsed.data : undefined;
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
    if (!parsed.success)
      throw new CorruptItemError(this.decisionsTable, { decisionId: id }, formatIssues(parsed.error));
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
          KeyConditionExpression:
            options.since === undefined ? 'targetId = :t' : 'targetId = :t AND decisionKey >= :since',
          ExpressionAttributeValues: {
            ':t': targetId,
            ...(options.since === undefined ? {} : { ':since': isoSeconds(options.since) }),
          },
          ScanIndexForward: false,
          Limit: limit - records.length,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const parsed = decisionRecordSchema.safeParse(item);
        if (parsed.success) records.push(parsed.data);
        else
          this.logger.warn('skipping corrupt decision item', {
            table: this.decisionsTable,
            targetId,
            decisionKey: item.decisionKey,
            issues: formatIssues(parsed.error),
          });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey && records.length < limit);
    return records;
  }

  async setMode(
    targetId: string,
    mode: TargetMode,
    actor: { by: string; reason: string },
    now: number,
  ): Promise<DecisionRecord> {
    targetModeSchema.parse(mode);
    if (!actor.by.trim() || !actor.reason.trim()) throw new TypeError('a mode change needs who (by) and why (reason)');
    for (let attempt = 1; ; attempt++) {
      const state = await this.getState(targetId);
      const previous = state?.lastDecisionId ? await this.get(state.lastDecisionId) : undefined;
      const configured = this.targets.get(targetId);
      const targetKind = configured?.resource.kind ?? previous?.targetKind;
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
      const record: DecisionRecord = {
        ...this.toRecord(decision, state?.version, 'skipped'),
        actor: { by: actor.by, reason: actor.reason },
      };
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
          {
            Put: {
              TableName: this.decisionsTable,
              Item: this.toItem(record),
              ConditionExpression: 'attribute_not_exists(decisionKey)',
            },
          },
          {
            Update: {
              TableName: this.stateTable,
              Key: { targetId },
              UpdateExpression:
                'SET version = :version, lastDecisionId = :decisionId, lastSummary = :summary, updatedAt = :updatedAt, modeOverride = :override',
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
    return {
      ...decision,
      decisionId: decisionId(decision.targetId, version),
      decisionKey: decisionKey(decision.at, version),
      version,
      status,
    };
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
  private async transact(
    targetId: string,
    expectedVersion: number | undefined,
    items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>,
  ): Promise<void> {
    try {
      await this.doc.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (error) {
      const reasons = cancellationReasons(error);
      // Condition failed: the version moved. TransactionConflict: another transaction is writing the same
      // state item right now. Both mean another decider is ahead of us.
      const lost =
        reasons?.some((r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict') ||
        (error as Error).name === 'TransactionConflictException';
      if (lost) throw new ConcurrentDecisionError(targetId, expectedVersion, { cause: error });
      throw error;
    }
  }
}

/** The earlier applied plan, moved applied → `replaced` with the newer decision's id and when. */
function replacedUpdate(table: string, record: DecisionRecord, following: Following, outcome: DecisionOutcome) {
  const serving: ServingOutcome = {
    at: outcome.at,
    detail: `replaced before it served by ${record.decisionId} (applied ${formatDuration(Math.max(0, outcome.at - following.appliedAt))} after it)`,
  };
  return {
    TableName: table,
    Key: { targetId: record.targetId, decisionKey: following.decisionKey },
    UpdateExpression: 'SET #status = :replaced, serving = :serving, replacedBy = :by',
    ConditionExpression: '#status = :applied',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: {
      ':replaced': 'replaced',
      ':serving': serving,
      ':by': record.decisionId,
      ':applied': 'applied',
    },
  };
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
 * The state changes that settle a plan, besides clearing `pending`: `applied` moves current to the plan's
 * allocation; `superseded` moves it to what the repair observed and, when that is not where the plan started,
 * records the move as a change (so stabilization counts from it and a landed alarm step is not taken again);
 * a permanent failure is remembered with its plan for the back-off, and forgotten once a plan applies (writes
 * work again: whatever was denied may have been fixed).
 */
function settledStateChanges(
  record: DecisionRecord,
  status: PlanOutcomeStatus,
  outcome: DecisionOutcome,
): { sets: string[]; removes: string[]; values: Record<string, unknown>; names: Record<string, string> } {
  const sets = ['version = version + :one', 'updatedAt = :updatedAt'];
  const removes = ['pending'];
  const values: Record<string, unknown> = { ':one': 1, ':updatedAt': isoSeconds(outcome.at) };
  const names: Record<string, string> = {};
  const moveTo = (from: Allocation | undefined, to: Allocation) => {
    sets.push('#current = :current');
    names['#current'] = 'current';
    values[':current'] = to;
    if (from !== undefined && sameAllocation(from, to)) return;
    sets.push('lastChangeAt = :at');
    values[':at'] = outcome.at;
    const direction = scaleDirection(from, to);
    if (direction === 'up') sets.push('lastScaleUpAt = :at');
    if (direction === 'down') sets.push('lastScaleDownAt = :at');
  };
  if (status === 'applied') {
    moveTo(record.current, record.desired);
    removes.push('lastPermanentFailure');
    // Followed until it serves (the reconcile's follow-through); a newer applied plan replaces an older one.
    sets.push('following = :following');
    values[':following'] = withoutUndefined({
      decisionId: record.decisionId,
      decisionKey: record.decisionKey,
      appliedAt: outcome.at,
      desired: record.desired,
      scaleOut: scaleDirection(record.current, record.desired) === 'up',
      changeIds: outcome.changeIds?.length ? outcome.changeIds : undefined,
    });
  } else if (status === 'superseded' && outcome.observed) moveTo(record.current, outcome.observed);
  else if (status === 'failed' && outcome.error && !outcome.error.retryable) {
    sets.push('lastPermanentFailure = :failure');
    values[':failure'] = {
      decisionId: record.decisionId,
      desired: record.desired,
      at: outcome.at,
      error: outcome.error,
    };
  }
  return { sets, removes, values, names };
}

/**
 * What a never-decided target is taken to hold in a mode-change record: the engine's own answer for "no
 * allocation known" (fallback allocation; configured weights for routing).
 */
function initialAllocation(target: Pick<Target, 'resource' | 'policy'> | undefined): Allocation {
  const weights = target && configuredResourceWeights(target.resource);
  if (weights) return allocationSchema.parse({ kind: 'weights', weights });
  const allocation = target?.policy.fallback.allocation ?? 0;
  return { kind: 'capacity', desired: allocation, floor: Math.min(allocation, target?.policy.bounds.min ?? 0) };
}

function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '<root>'}: ${i.message}`).join('; ');
}
