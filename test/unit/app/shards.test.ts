import fc from 'fast-check';
import {
  MAX_SHARD_TARGETS,
  SHARD_BUDGET_SHARE,
  SHARD_SIZE,
  SHARD_TARGET_CONCURRENCY,
  SHARD_WORKER_TIMEOUT_SECONDS,
  TARGET_WORST_CASE_SECONDS,
  planShards,
  shardMessageSchema,
  shardMessages,
} from '../../../functions/app/shards';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `target-${String(i).padStart(5, '0')}`);

describe('planShards', () => {
  test('every target in exactly one shard, no shard above the size, sizes within one of each other (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), { maxLength: 400 }),
        fc.integer({ min: 1, max: 60 }),
        (targets, size) => {
          const shards = planShards(targets, size);
          expect(shards.flat().sort()).toEqual([...targets].sort());
          expect(shards.every((s) => s.length >= 1 && s.length <= size)).toBe(true);
          const lengths = shards.map((s) => s.length);
          if (lengths.length > 0) expect(Math.max(...lengths) - Math.min(...lengths)).toBeLessThanOrEqual(1);
          expect(shards).toHaveLength(Math.ceil(targets.length / size));
        },
      ),
    );
  });

  test('deterministic: the same targets in any order give the same shards, tick after tick (fast-check)', () => {
    const targets = ids(500);
    fc.assert(
      fc.property(fc.shuffledSubarray(targets, { minLength: targets.length }), (shuffled) => {
        expect(planShards(shuffled)).toEqual(planShards(targets));
      }),
      { numRuns: 50 },
    );
  });

  test('5,000 targets: 179 shards of 27-28', () => {
    const shards = planShards(ids(5000));
    expect(shards).toHaveLength(179);
    expect(new Set(shards.map((s) => s.length))).toEqual(new Set([27, 28]));
  });

  test('duplicates count once; no targets, no shards; a size below 1 is refused', () => {
    expect(planShards(['b', 'a', 'b'], 1)).toEqual([['a'], ['b']]);
    expect(planShards([])).toEqual([]);
    expect(() => planShards(['a'], 0)).toThrow(RangeError);
  });
});

describe('shard sizing', () => {
  test('a shard at the worst-case cost of every target takes at most a quarter of the worker timeout', () => {
    const worstCaseSeconds = Math.ceil(SHARD_SIZE / SHARD_TARGET_CONCURRENCY) * TARGET_WORST_CASE_SECONDS;
    expect(SHARD_SIZE).toBe(28);
    expect(worstCaseSeconds).toBeLessThanOrEqual(SHARD_WORKER_TIMEOUT_SECONDS * SHARD_BUDGET_SHARE);
    expect(worstCaseSeconds).toBeLessThan(SHARD_WORKER_TIMEOUT_SECONDS / 2);
  });
});

describe('shardMessages', () => {
  test('valid messages, each valid until the next tick, numbered index/count', () => {
    const messages = shardMessages(ids(65), 1_795_000_000, 60);
    expect(messages.map((m) => [m.shard, m.targetIds.length])).toEqual([
      [{ index: 0, count: 3 }, 22],
      [{ index: 1, count: 3 }, 22],
      [{ index: 2, count: 3 }, 21],
    ]);
    for (const message of messages) {
      expect(shardMessageSchema.parse(message)).toEqual(message);
      expect(message).toMatchObject({ v: 1, tickAt: 1_795_000_000, notAfter: 1_795_000_060 });
    }
  });

  test('a larger size is capped at what one message may carry', () => {
    expect(shardMessages(ids(250), 0, 60, 1000).every((m) => m.targetIds.length <= MAX_SHARD_TARGETS)).toBe(true);
  });

  test.each([
    ['index beyond count', { shard: { index: 2, count: 2 } }],
    ['notAfter before tickAt', { notAfter: 1 }],
    ['an unknown version', { v: 2 }],
    ['no targets', { targetIds: [] }],
    ['too many targets', { targetIds: ids(MAX_SHARD_TARGETS + 1) }],
    ['a target id that is not an identifier', { targetIds: ['web asg;drop'] }],
    ['an extra field', { principal: 'root' }],
  ])('the schema refuses %s', (_, change) => {
    const valid = { v: 1, tickAt: 100, notAfter: 160, shard: { index: 0, count: 1 }, targetIds: ['web-asg'] };
    expect(shardMessageSchema.safeParse(valid).success).toBe(true);
    expect(shardMessageSchema.safeParse({ ...valid, ...change }).success).toBe(false);
  });
});
