import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDecisionStore, decisionKey } from '../../../functions/adapters/dynamodb/decision-store';
import { ConcurrentDecisionError, UnknownTargetError } from '../../../functions/ports';
import type { Decision } from '../../../functions/domain/model';
import { createTestTables, type LocalTables } from '../../support/dynamodb';

const T0 = 1_795_000_000; // 2026-11-17T...

function decision(
  targetId: string,
  at: number,
  from: number | undefined,
  to: number,
  overrides: Partial<Decision> = {},
): Decision {
  const changes = from !== to;
  return {
    targetId,
    targetKind: 'ec2-asg',
    at,
    policyVersion: 'web-2026-11-23',
    mode: 'enforce',
    ...(from === undefined ? {} : { current: { kind: 'capacity', desired: from, floor: 2 } }),
    desired: { kind: 'capacity', desired: to, floor: 2 },
    actions: changes ? [{ type: 'set-capacity', desired: to, floor: 2 }] : [],
    apply: changes,
    reasons: changes ? ['alarm-step'] : ['no-change'],
    summary: changes ? `scale ${from}→${to}: cpu-high` : `hold ${to}: no driver demands a change`,
    winner: 'cpu-high',
    considered: [
      { driverId: 'arn:alarm', name: 'cpu-high', kind: 'alarm', rule: 'rules[0] alarm', outcome: 'won', demand: to },
    ],
    ...overrides,
  };
}

describe('DynamoDecisionStore (DynamoDB Local)', () => {
  let local: LocalTables;
  let store: DynamoDecisionStore;

  beforeAll(async () => {
    local = await createTestTables();
    store = new DynamoDecisionStore(local.doc, {
      decisionsTable: local.names.decisions,
      stateTable: local.names.state,
      retentionDays: 90,
    });
  });
  afterAll(() => local.client.destroy());

  it('records a planned decision with a console-readable item and sets state.pending in one transaction', async () => {
    const record = await store.record(decision('t-plan', T0, 4, 6), undefined, 'planned');
    expect(record).toMatchObject({
      decisionId: 't-plan:1',
      version: 1,
      status: 'planned',
      decisionKey: `${new Date(T0 * 1000).toISOString()}#000000001`,
    });

    const { Item } = await local.doc.send(
      new GetCommand({
        TableName: local.names.decisions,
        Key: { targetId: 't-plan', decisionKey: record.decisionKey },
      }),
    );
    expect(Item).toMatchObject({
      targetId: 't-plan',
      decisionId: 't-plan:1',
      status: 'planned',
      summary: 'scale 4→6: cpu-high',
      mode: 'enforce',
      policyVersion: 'web-2026-11-23',
      decidedAt: new Date(T0 * 1000).toISOString(),
      reasons: ['alarm-step'],
      current: { kind: 'capacity', desired: 4, floor: 2 },
      desired: { kind: 'capacity', desired: 6, floor: 2 },
      actions: [{ type: 'set-capacity', desired: 6, floor: 2 }],
      expiresAt: T0 + 90 * 86400,
    });
    expect(Item?.considered).toHaveLength(1);

    const state = await store.getState('t-plan');
    expect(state).toMatchObject({
      targetId: 't-plan',
      version: 1,
      lastDecisionId: 't-plan:1',
      lastSummary: 'scale 4→6: cpu-high',
    });
    expect(state?.pending).toEqual({ decisionId: 't-plan:1', decisionKey: record.decisionKey, at: T0 });
    expect(state?.current).toBeUndefined();
  });

  it('refuses a second decider at the same version with ConcurrentDecisionError and writes nothing', async () => {
    await store.record(decision('t-race', T0, 4, 4), undefined, 'skipped');
    const results = await Promise.allSettled([
      store.record(decision('t-race', T0 + 60, 4, 6), 1, 'planned'),
      store.record(decision('t-race', T0 + 60, 4, 6), 1, 'planned'),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected?.reason).toBeInstanceOf(ConcurrentDecisionError);
    expect(await store.list('t-race')).toHaveLength(2);
    await expect(store.record(decision('t-race', T0 + 120, 4, 6), undefined, 'shadow')).rejects.toBeInstanceOf(
      ConcurrentDecisionError,
    );
  });

  it('never plans over an unconfirmed plan', async () => {
    const first = await store.record(decision('t-pending', T0, 4, 6), undefined, 'planned');
    await expect(store.record(decision('t-pending', T0 + 60, 6, 8), first.version, 'planned')).rejects.toBeInstanceOf(
      ConcurrentDecisionError,
    );
  });

  it('markOutcome applied: decision applied, state current = desired, change times per direction, pending cleared, version bumped', async () => {
    const up = await store.record(decision('t-apply', T0, 4, 6), undefined, 'planned');
    await store.markOutcome(up, 'applied', { at: T0 + 2, detail: 'SetDesiredCapacity web-prod 4→6' });
    let state = await store.getState('t-apply');
    expect(state).toMatchObject({
      version: 2,
      current: { kind: 'capacity', desired: 6, floor: 2 },
      lastChangeAt: T0 + 2,
      lastScaleUpAt: T0 + 2,
    });
    expect(state?.pending).toBeUndefined();
    expect(state?.lastScaleDownAt).toBeUndefined();
    expect(await store.get(up.decisionId)).toMatchObject({
      status: 'applied',
      outcome: { at: T0 + 2, detail: 'SetDesiredCapacity web-prod 4→6' },
    });

    const down = await store.record(decision('t-apply', T0 + 900, 6, 5), state!.version, 'planned');
    expect(down.decisionId).toBe('t-apply:3');
    await store.markOutcome(down, 'applied', { at: T0 + 901, detail: 'scaled in' });
    state = await store.getState('t-apply');
    expect(state).toMatchObject({
      version: 4,
      lastScaleUpAt: T0 + 2,
      lastScaleDownAt: T0 + 901,
      current: { desired: 5 },
    });
  });

  it('an applied plan that replaces one still followed ends that one replaced, naming it; a settled one stays', async () => {
    const first = await store.record(decision('t-repl', T0, 4, 6), undefined, 'planned');
    await store.markOutcome(first, 'applied', { at: T0 + 2, detail: 'SetDesiredCapacity web-prod 4→6' });
    let state = await store.getState('t-repl');
    const second = await store.record(decision('t-repl', T0 + 60, 6, 8), state!.version, 'planned');
    expect(await store.markOutcome(second, 'applied', { at: T0 + 62, detail: '6→8' })).toBe('marked');
    expect(await store.get(first.decisionId)).toMatchObject({
      status: 'replaced',
      replacedBy: second.decisionId,
      serving: { at: T0 + 62, detail: `replaced before it served by ${second.decisionId} (applied 1m after it)` },
    });
    state = await store.getState('t-repl');
    expect(state?.following?.decisionId).toBe(second.decisionId);

    // Settled first: the next applied plan leaves it settled.
    await store.markServing('t-repl', state!.following!, 'settled', { at: T0 + 200, detail: 'serving' });
    state = await store.getState('t-repl');
    const third = await store.record(decision('t-repl', T0 + 300, 8, 9), state!.version, 'planned');
    await store.markOutcome(third, 'applied', { at: T0 + 301, detail: '8→9' });
    expect(await store.get(second.decisionId)).toMatchObject({ status: 'settled' });
    expect((await store.get(second.decisionId))?.replacedBy).toBeUndefined();
    expect((await store.getState('t-repl'))?.following?.decisionId).toBe(third.decisionId);
  });

  it('markOutcome is idempotent: a second mark (applied or failed) changes nothing', async () => {
    const record = await store.record(decision('t-idem', T0, 4, 6), undefined, 'planned');
    await store.markOutcome(record, 'applied', { at: T0 + 1, detail: 'ok' });
    const before = await store.getState('t-idem');
    await store.markOutcome(record, 'failed', {
      at: T0 + 5,
      detail: 'late failure',
      error: { name: 'X', message: 'x', retryable: true },
    });
    await store.markOutcome(record, 'applied', { at: T0 + 6, detail: 'again' });
    expect(await store.getState('t-idem')).toEqual(before);
    expect(await store.get(record.decisionId)).toMatchObject({ status: 'applied', outcome: { detail: 'ok' } });
  });

  it('markOutcome failed: keeps the allocation, records the classified error, clears pending', async () => {
    const record = await store.record(decision('t-fail', T0, 4, 6), undefined, 'planned');
    await store.markOutcome(record, 'failed', {
      at: T0 + 3,
      detail: 'throttled 5 times',
      error: { name: 'ExecutorError', message: 'Rate exceeded', retryable: true },
    });
    const state = await store.getState('t-fail');
    expect(state?.pending).toBeUndefined();
    expect(state?.current).toBeUndefined();
    expect(state?.lastChangeAt).toBeUndefined();
    expect(await store.get(record.decisionId)).toMatchObject({
      status: 'failed',
      outcome: { error: { name: 'ExecutorError', retryable: true } },
    });
  });

  describe('plan claims', () => {
    const claim = (owner: string, leaseUntil: number) => ({ owner, leaseUntil });

    it('record stores the claim on state.pending', async () => {
      const record = await store.record(decision('c-record', T0, 4, 6), undefined, 'planned', claim('inv-a', T0 + 70));
      expect((await store.getState('c-record'))?.pending).toEqual({
        decisionId: record.decisionId,
        decisionKey: record.decisionKey,
        at: T0,
        owner: 'inv-a',
        leaseUntil: T0 + 70,
      });
    });

    it('claimPending is a compare-and-swap: of two invocations that read the same expired claim, exactly one takes it', async () => {
      await store.record(decision('c-cas', T0, 4, 6), undefined, 'planned', claim('inv-a', T0 + 70));
      const seen = (await store.getState('c-cas'))!.pending!;
      const results = await Promise.all([
        store.claimPending('c-cas', seen, claim('inv-b', T0 + 300)),
        store.claimPending('c-cas', seen, claim('inv-c', T0 + 300)),
      ]);
      expect(results.sort()).toEqual([false, true]);
      const owner = (await store.getState('c-cas'))!.pending!.owner;
      expect(['inv-b', 'inv-c']).toContain(owner);
      // A claim read before the takeover no longer matches.
      expect(await store.claimPending('c-cas', seen, claim('inv-d', T0 + 400))).toBe(false);
    });

    it('claimPending takes over a plan recorded without a claim (before claims existed) once', async () => {
      await store.record(decision('c-legacy', T0, 4, 6), undefined, 'planned');
      const seen = (await store.getState('c-legacy'))!.pending!;
      expect(await store.claimPending('c-legacy', seen, claim('inv-b', T0 + 300))).toBe(true);
      expect(await store.claimPending('c-legacy', seen, claim('inv-c', T0 + 300))).toBe(false);
    });

    it('markOutcome by an owner that lost the claim reports claim-lost and changes nothing', async () => {
      const record = await store.record(decision('c-lost', T0, 4, 6), undefined, 'planned', claim('inv-a', T0 + 70));
      const seen = (await store.getState('c-lost'))!.pending!;
      expect(await store.claimPending('c-lost', seen, claim('inv-b', T0 + 300))).toBe(true);
      const before = await store.getState('c-lost');
      expect(await store.markOutcome(record, 'applied', { at: T0 + 80, detail: 'late' }, 'inv-a')).toBe('claim-lost');
      expect(await store.getState('c-lost')).toEqual(before);
      expect(await store.get(record.decisionId)).toMatchObject({ status: 'planned' });
      // The new owner settles it; a retry of that same mark (a lost response) is still `marked`.
      expect(await store.markOutcome(record, 'applied', { at: T0 + 90, detail: 'in place' }, 'inv-b')).toBe('marked');
      expect(await store.markOutcome(record, 'applied', { at: T0 + 90, detail: 'in place' }, 'inv-b')).toBe('marked');
      expect(await store.get(record.decisionId)).toMatchObject({ status: 'applied', outcome: { by: 'inv-b' } });
      expect(await store.markOutcome(record, 'failed', { at: T0 + 95, detail: 'late' }, 'inv-a')).toBe('claim-lost');
    });

    it('markOutcome superseded: state.current moves to what was observed, with change times when it moved from where the plan started', async () => {
      const moved = await store.record(decision('c-super', T0, 4, 6), undefined, 'planned', claim('inv-a', T0 + 70));
      const observed = { kind: 'capacity' as const, desired: 10, floor: 2 };
      expect(
        await store.markOutcome(moved, 'superseded', { at: T0 + 200, detail: 'moved to 10', observed }, 'inv-a'),
      ).toBe('marked');
      expect(await store.getState('c-super')).toMatchObject({
        current: observed,
        lastChangeAt: T0 + 200,
        lastScaleUpAt: T0 + 200,
      });
      expect(await store.get(moved.decisionId)).toMatchObject({ status: 'superseded', outcome: { observed } });

      const still = await store.record(decision('c-still', T0, 4, 6), undefined, 'planned', claim('inv-a', T0 + 70));
      await store.markOutcome(
        still,
        'superseded',
        { at: T0 + 200, detail: 'never landed', observed: { kind: 'capacity', desired: 4, floor: 2 } },
        'inv-a',
      );
      const state = await store.getState('c-still');
      expect(state).toMatchObject({ current: { desired: 4 } });
      expect(state?.lastChangeAt).toBeUndefined();
      expect(state?.pending).toBeUndefined();
    });

    it('a permanent failure is kept on the state with its plan; a retryable one is not', async () => {
      const record = await store.record(decision('c-perm', T0, 4, 6), undefined, 'planned', claim('inv-a', T0 + 70));
      const error = { name: 'AccessDenied', message: 'not authorized', retryable: false };
      await store.markOutcome(record, 'failed', { at: T0 + 3, detail: 'denied', error }, 'inv-a');
      expect((await store.getState('c-perm'))?.lastPermanentFailure).toEqual({
        decisionId: record.decisionId,
        desired: record.desired,
        at: T0 + 3,
        error,
      });
      // A plan that applies proves writes work again: the failure is forgotten.
      const next = await store.record(
        decision('c-perm', T0 + 60, 4, 5),
        (await store.getState('c-perm'))!.version,
        'planned',
        claim('inv-b', T0 + 130),
      );
      await store.markOutcome(next, 'applied', { at: T0 + 61, detail: 'ok' }, 'inv-b');
      expect((await store.getState('c-perm'))?.lastPermanentFailure).toBeUndefined();

      const retryable = await store.record(
        decision('c-retry', T0, 4, 6),
        undefined,
        'planned',
        claim('inv-a', T0 + 70),
      );
      await store.markOutcome(
        retryable,
        'failed',
        { at: T0 + 3, detail: 'throttled', error: { ...error, retryable: true } },
        'inv-a',
      );
      expect((await store.getState('c-retry'))?.lastPermanentFailure).toBeUndefined();
    });

    it('releasePending clears an orphaned plan for its owner only', async () => {
      const record = await store.record(decision('c-orphan', T0, 4, 6), undefined, 'planned', claim('inv-a', T0 + 70));
      expect(await store.releasePending('c-orphan', record.decisionId, 'inv-b', T0 + 200)).toBe('claim-lost');
      expect((await store.getState('c-orphan'))?.pending).toBeDefined();
      expect(await store.releasePending('c-orphan', record.decisionId, 'inv-a', T0 + 200)).toBe('marked');
      expect(await store.getState('c-orphan')).toMatchObject({ version: 2 });
      expect((await store.getState('c-orphan'))?.pending).toBeUndefined();
    });
  });

  it('shadow and skipped records leave the allocation alone and set no pending', async () => {
    await store.record(decision('t-shadow', T0, 4, 6, { mode: 'shadow', apply: false }), undefined, 'shadow');
    const state = await store.getState('t-shadow');
    expect(state).toMatchObject({ version: 1, lastSummary: 'scale 4→6: cpu-high' });
    expect(state?.pending).toBeUndefined();
    expect(state?.current).toBeUndefined();
  });

  it('lists newest first, honours since and limit, and finds by decisionId', async () => {
    let version: number | undefined;
    for (let i = 0; i < 5; i++)
      version = (
        await store.record(decision('t-list', T0 + i * 60, 4, 4, { summary: `hold ${i}` }), version, 'skipped')
      ).version;
    const all = await store.list('t-list');
    expect(all.map((r) => r.summary)).toEqual(['hold 4', 'hold 3', 'hold 2', 'hold 1', 'hold 0']);
    expect((await store.list('t-list', { limit: 2 })).map((r) => r.version)).toEqual([5, 4]);
    expect((await store.list('t-list', { since: T0 + 180 })).map((r) => r.version)).toEqual([5, 4]);
    expect(await store.get('t-list:3')).toMatchObject({ summary: 'hold 2', decisionKey: decisionKey(T0 + 120, 3) });
    expect(await store.get('t-list:99')).toBeUndefined();
  });

  it('setMode records who and why as a skipped decision and sets the mode override', async () => {
    const configured = new DynamoDecisionStore(local.doc, {
      decisionsTable: local.names.decisions,
      stateTable: local.names.state,
      retentionDays: 30,
      targets: [
        {
          id: 't-mode',
          resource: { kind: 'ec2-asg', autoScalingGroupName: 'web' },
          policy: { version: 'p1', fallback: { allocation: 3 }, bounds: { min: 2, max: 10 } } as never,
        },
      ],
    });
    const paused = await configured.setMode('t-mode', 'paused', { by: 'alice', reason: 'incident 123' }, T0);
    expect(paused).toMatchObject({
      status: 'skipped',
      summary: 'pause by alice: incident 123',
      reasons: ['paused'],
      actions: [],
      apply: false,
      actor: { by: 'alice', reason: 'incident 123' },
    });
    expect(await configured.getState('t-mode')).toMatchObject({
      version: 1,
      modeOverride: { mode: 'paused', by: 'alice', reason: 'incident 123', at: T0 },
    });
    const { Items } = await local.doc.send(
      new QueryCommand({
        TableName: local.names.decisions,
        KeyConditionExpression: 'targetId = :t',
        ExpressionAttributeValues: { ':t': 't-mode' },
      }),
    );
    expect(Items?.[0]).toMatchObject({
      status: 'skipped',
      summary: 'pause by alice: incident 123',
      expiresAt: T0 + 30 * 86400,
    });

    // A store without configuration still works for a target with history (the CLI's case).
    const resumed = await store.setMode('t-mode', 'enforce', { by: 'bob', reason: 'incident resolved' }, T0 + 600);
    expect(resumed).toMatchObject({
      decisionId: 't-mode:2',
      summary: 'enforce by bob: incident resolved',
      targetKind: 'ec2-asg',
      policyVersion: 'p1',
    });
    expect((await store.getState('t-mode'))?.modeOverride).toMatchObject({ mode: 'enforce', by: 'bob' });
  });

  it('setMode on a target with neither configuration nor history fails clearly', async () => {
    await expect(store.setMode('t-nowhere', 'paused', { by: 'alice', reason: 'x' }, T0)).rejects.toBeInstanceOf(
      UnknownTargetError,
    );
  });
});
