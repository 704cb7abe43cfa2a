/**
 * How the periodic reconciliation is split across invocations. The tick only plans shards and hands them to
 * a queue; shard workers reconcile one shard each. This file is the contract between the two: the sizing
 * constants, the deterministic shard plan and the message schema.
 *
 * Nothing here makes one tick (or one shard) the only decider of a target: overlapping ticks, redelivered
 * messages and a shard worker racing an ingest are all made safe per target by the state version (see
 * reconcile.ts), so sharding only has to be complete (every target in exactly one shard per tick) and
 * bounded (every shard finishes well inside its timeout).
 */
import { z } from 'zod';
import { identifier } from '../domain/model';
import type { ShardMessageBody, ShardQueue } from '../ports';

/**
 * The shard worker's Lambda timeout. Two minutes is long enough for a shard at its worst-case cost to take
 * only a quarter of it (see SHARD_SIZE), and short enough to stay below the pending grace period
 * (reconcile.ts), which must exceed the longest invocation that may still be applying a plan: the grace
 * derivation takes this value together with the other functions' timeouts.
 */
export const SHARD_WORKER_TIMEOUT_SECONDS = 120;

/**
 * What one target may cost a shard when everything changes and the control plane throttles: ~5 DynamoDB
 * requests (state, live drivers, last decision, record, mark: single-digit ms each, ≤ 0.1 s together), up
 * to 3 control-plane calls (observe, converge's read + write) at ≤ 0.3 s each, plus the executors' full
 * backoff budget of one action (≤ 3 s of sleep, retry.ts). A target that is unchanged costs a read of the
 * resource and three DynamoDB requests, well under this; the constant is the throttled worst case, not a
 * measured average, so it holds for any mix of target kinds.
 */
export const TARGET_WORST_CASE_SECONDS = 4;

/** Targets one shard worker reconciles at once: its burst on the Auto Scaling / Lambda / Route 53 APIs. */
export const SHARD_TARGET_CONCURRENCY = 4;

/**
 * A shard is planned to finish, at the worst-case cost of every target, within this share of its timeout:
 * "well under half", leaving the other three quarters for a slow cold start, a DynamoDB hiccup or a retry
 * storm worse than the budget assumes, before the deadline guard (shard handler) has to defer targets.
 */
export const SHARD_BUDGET_SHARE = 0.25;

/**
 * Targets per shard: as many rounds of SHARD_TARGET_CONCURRENCY targets as fit, at the worst-case cost, in
 * SHARD_BUDGET_SHARE of the timeout (7 rounds of 4 = 28 with the values above: 7 × 4 s = 28 s of 120 s).
 */
export const SHARD_SIZE =
  Math.floor((SHARD_WORKER_TIMEOUT_SECONDS * SHARD_BUDGET_SHARE) / TARGET_WORST_CASE_SECONDS) *
  SHARD_TARGET_CONCURRENCY;

/**
 * Shard workers running at once by default (the event source mapping's maximum concurrency). It caps, without
 * reserving, what the sharded tick takes of the account's concurrency: half of a new account's quota of 10,
 * leaving the rest for the ingest function and everything else; the workers' combined burst on the control
 * plane is this times SHARD_TARGET_CONCURRENCY.
 */
export const DEFAULT_SHARD_CONCURRENCY = 5;

/**
 * Splits targets into shards of at most `size`, deterministically: ids in code-point order, cut into
 * ceil(n / size) shards whose sizes differ by at most one. The same set of targets (one deployed config)
 * always gives the same shards, tick after tick; only a redeploy that adds or removes targets moves
 * membership, and an overlap across that boundary is as safe as any other (see the file comment).
 */
export function planShards(targetIds: readonly string[], size: number = SHARD_SIZE): string[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`shard size must be a positive integer, got ${size}`);
  const ids = [...new Set(targetIds)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (ids.length === 0) return [];
  const count = Math.ceil(ids.length / size);
  const base = Math.floor(ids.length / count);
  const larger = ids.length % count;
  const shards: string[][] = [];
  let start = 0;
  for (let i = 0; i < count; i++) {
    const length = base + (i < larger ? 1 : 0);
    shards.push(ids.slice(start, start + length));
    start += length;
  }
  return shards;
}

/** Shard messages may be larger than SHARD_SIZE (a manual tick), but never beyond what one worker can bound. */
export const MAX_SHARD_TARGETS = 100;

/**
 * The body of one shard message (JSON), validated by the worker like any other input at the edge. z.lazy: the
 * tick, which only writes messages, never builds it.
 */
export const shardMessageSchema = z.lazy(() =>
  z
    .object({
      v: z.literal(1),
      /** Epoch seconds of the tick that planned the shard. */
      tickAt: z.number().int().nonnegative().max(253_402_300_799),
      /** Epoch seconds after which the next tick has planned this shard again: the worker drops it as superseded. */
      notAfter: z.number().int().nonnegative().max(253_402_300_799),
      shard: z
        .object({ index: z.number().int().nonnegative().max(10_000), count: z.number().int().positive().max(10_000) })
        .strict(),
      targetIds: z.array(identifier).min(1).max(MAX_SHARD_TARGETS),
    })
    .strict()
    .refine((m) => m.shard.index < m.shard.count, {
      message: 'shard.index must be below shard.count',
      path: ['shard', 'index'],
    })
    .refine((m) => m.notAfter >= m.tickAt, { message: 'notAfter must not be before tickAt', path: ['notAfter'] }),
);
export type ShardMessage = z.infer<typeof shardMessageSchema>;
// The port's body and the schema describe one shape.
export const shardMessageShapeAgrees: ShardMessage extends ShardMessageBody
  ? ShardMessageBody extends ShardMessage
    ? true
    : false
  : false = true;

/** The messages of one tick: every target in exactly one, each valid until the next tick is due. */
export function shardMessages(
  targetIds: readonly string[],
  tickAt: number,
  intervalSeconds: number,
  size: number = SHARD_SIZE,
): ShardMessageBody[] {
  const shards = planShards(targetIds, Math.min(size, MAX_SHARD_TARGETS));
  return shards.map((ids, index) => ({
    v: 1,
    tickAt,
    notAfter: tickAt + intervalSeconds,
    shard: { index, count: shards.length },
    targetIds: ids,
  }));
}

/** Where a sharded tick sends its shards, and how long each is valid (the tick interval). */
export interface ShardDispatch {
  queue: ShardQueue;
  intervalSeconds: number;
  /** Targets per shard. @default SHARD_SIZE */
  size?: number;
}
