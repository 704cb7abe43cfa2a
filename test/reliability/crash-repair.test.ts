/**
 * Crash repair through the real handlers on DynamoDB Local (issue 10, violations 1-4 and 8, and the lost
 * `record()` response and the orphaned pending plan). A crash is an invocation that dies at a chosen step: a
 * DecisionStore whose `record` or `markOutcome` throws after (or instead of) doing its work, so the plan is
 * left pending exactly as a Lambda timeout would leave it. AWS is the stateful SDK fakes of the harness with
 * the write ledger of `AwsFaults`; every assertion is on writes, resource state and decision records.
 */
import { SetDesiredCapacityCommand } from '@aws-sdk/client-auto-scaling';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { METRIC } from '../../functions/contracts';
import {
  DEFAULT_PENDING_GRACE_SECONDS,
  PERMANENT_FAILURE_RETRY_SECONDS,
  type ReconcileResult,
} from '../../functions/app/reconcile';
import type { IngestSummary } from '../../functions/handlers/ingest';
import type { TickSummary } from '../../functions/handlers/tick';
import type { DecisionStore } from '../../functions/ports';
import { cpuAlarm, createHarness, type Harness } from '../handlers/harness';
import {
  T0,
  alarmEvent,
  auditTarget,
  AwsFaults,
  expectConverged,
  metricEvent,
  overrideEvent,
  sdkErrors,
  viaOperatorEndpoint,
} from './support';

class SimulatedCrash extends Error {
  override readonly name = 'SimulatedCrash';
}

/**
 * A DecisionStore whose invocation dies once: after recording the plan (nothing applied), or right before
 * marking it (the write landed). Later calls behave normally.
 */
function crashingStore(h: Harness, at: 'after-record' | 'before-mark'): DecisionStore & { crashed: () => boolean } {
  let crashed = false;
  const store = Object.create(h.decisions, {
    record: {
      value: async (...args: Parameters<DecisionStore['record']>) => {
        const recorded = await h.decisions.record(...args);
        if (at === 'after-record' && !crashed && args[2] === 'planned') {
          crashed = true;
          throw new SimulatedCrash('Lambda timed out after recording');
        }
        return recorded;
      },
    },
    markOutcome: {
      value: async (...args: Parameters<DecisionStore['markOutcome']>) => {
        if (at === 'before-mark' && !crashed) {
          crashed = true;
          throw new SimulatedCrash('Lambda timed out before marking');
        }
        return h.decisions.markOutcome(...args);
      },
    },
    crashed: { value: () => crashed },
  });
  return store as DecisionStore & { crashed: () => boolean };
}

/** Plans web-asg 4→6 (1,500 requests/s at 250 per instance) through an ingest that dies at `at`. */
async function crashedPlan(h: Harness, at: 'after-record' | 'before-mark'): Promise<string> {
  const store = crashingStore(h, at);
  const summary = (await h
    .handlers({ decisions: store })
    .ingest(metricEvent({ id: 'snap-crash', at: T0, value: 1500 }))) as IngestSummary;
  expect(store.crashed()).toBe(true);
  expect(summary.failedTargets).toEqual([{ targetId: 'web-asg', error: expect.stringMatching(/Lambda timed out/) }]);
  const pending = (await h.decisions.getState('web-asg'))?.pending;
  expect(pending).toBeDefined();
  return pending!.decisionId;
}

function webResults(summaries: unknown[]): ReconcileResult[] {
  return summaries.flatMap((s) =>
    ((s as TickSummary).reconciled ?? (s as IngestSummary).reconciled).filter((r) => r.targetId === 'web-asg'),
  );
}

describe('crash repair through the handlers', () => {
  let h: Harness;
  let aws: AwsFaults;
  beforeEach(async () => {
    h = await createHarness({ now: T0 });
    aws = new AwsFaults(h);
  });
  afterEach(() => {
    aws.close();
    h.close();
  });

  it('violation 1: a tick and three ingests past the grace — exactly one repairs the plan, the stale plan is never written, the newer pin stands', async () => {
    const planId = await crashedPlan(h, 'after-record');
    expect(aws.writesOf('web-asg')).toHaveLength(0);

    h.now.value = T0 + DEFAULT_PENDING_GRACE_SECONDS + 1;
    const at = h.now.value;
    const envs = Array.from({ length: 4 }, () => h.handlers({ idempotency: false }));
    const summaries = await Promise.all([
      envs[0]!.tick({ targetIds: ['web-asg'] }),
      envs[1]!.ingest(metricEvent({ id: 'snap-late', at, value: 1500 })),
      envs[2]!.ingest(alarmEvent({ id: 'cpu-ok', at, state: 'OK' })),
      // The operator's pin arrives through the operator endpoint, the only path overrides take.
      viaOperatorEndpoint(
        envs[3]!,
        overrideEvent({ id: 'pin-12', at, targets: ['web-asg'], action: 'pin', allocation: 12 }),
      ),
    ]);
    const results = webResults(summaries);
    expect(summaries.flatMap((s) => (s as TickSummary).failed ?? (s as IngestSummary).failedTargets)).toEqual([]);
    // Exactly one invocation took the claim and repaired; the others stood down (or decided after it).
    expect(results.filter((r) => 'repaired' in r && r.repaired === planId)).toHaveLength(1);
    expect(h.metric(METRIC.pendingRepaired)).toBe(1);
    // Nothing of the stale plan landed (it never had), and it was not re-applied: it is superseded.
    expect(aws.writesOf('web-asg').filter((w) => w.decisionId === planId)).toEqual([]);
    expect(await h.decisions.get(planId)).toMatchObject({ status: 'superseded' });
    expect((await auditTarget(h, aws, 'web-asg')).violations).toEqual([]);

    // The next ticks settle on the operator's pin and nothing ever goes back from 12.
    for (let i = 1; i <= 3; i++) {
      h.now.value = at + i * 80;
      await h.tick({ targetIds: ['web-asg'] });
    }
    expect(h.aws.group.DesiredCapacity).toBe(12);
    const values = aws.writesOf('web-asg').map((w) => (w.allocation.kind === 'capacity' ? w.allocation.desired : -1));
    expect(values.slice(values.indexOf(12))).toEqual(values.slice(values.indexOf(12)).map(() => 12));
    expect((await auditTarget(h, aws, 'web-asg')).violations).toEqual([]);
    await expectConverged(h, aws, 'web-asg');
  });

  it('violation 2: plan 4→6 landed, the invocation died, someone set 10 by hand — the repair marks it superseded and the engine holds 10 (no scale-in inside the window)', async () => {
    const planId = await crashedPlan(h, 'before-mark');
    expect(h.aws.group.DesiredCapacity).toBe(6);
    h.aws.group.DesiredCapacity = 10;

    h.now.value = T0 + DEFAULT_PENDING_GRACE_SECONDS + 1;
    const [result] = webResults([await h.tick({ targetIds: ['web-asg'] })]);
    expect(h.aws.group.DesiredCapacity).toBe(10);
    expect(h.autoScaling.commandCalls(SetDesiredCapacityCommand)).toHaveLength(1);
    expect(result).toMatchObject({ repaired: planId, repair: 'superseded' });
    const plan = await h.decisions.get(planId);
    expect(plan).toMatchObject({ status: 'superseded', outcome: { observed: { kind: 'capacity', desired: 10 } } });
    const state = await h.decisions.getState('web-asg');
    expect(state).toMatchObject({ current: { desired: 10 }, lastChangeAt: h.now.value });
    expect(state?.pending).toBeUndefined();
    const [fresh] = await h.decisions.list('web-asg', { limit: 1 });
    expect(fresh).toMatchObject({ status: 'skipped', reasons: expect.arrayContaining(['cooldown-scale-down']) });

    // Once the scale-down window has passed, the engine scales in: decided afresh, not the stale plan.
    h.now.value += 301;
    await h.tick({ targetIds: ['web-asg'] });
    expect(h.aws.group.DesiredCapacity).toBeLessThan(10);
    expect((await auditTarget(h, aws, 'web-asg')).violations).toEqual([]);
    await expectConverged(h, aws, 'web-asg');
  });

  it('violation 2: nothing landed and the group was set to 12 by hand — superseded, no write from the stale plan', async () => {
    const planId = await crashedPlan(h, 'after-record');
    h.aws.group.DesiredCapacity = 12;

    h.now.value = T0 + DEFAULT_PENDING_GRACE_SECONDS + 1;
    const [result] = webResults([await h.tick({ targetIds: ['web-asg'] })]);
    expect(h.aws.group.DesiredCapacity).toBe(12);
    expect(h.autoScaling.commandCalls(SetDesiredCapacityCommand)).toHaveLength(0);
    expect(result).toMatchObject({ repaired: planId, repair: 'superseded' });
    expect(await h.decisions.get(planId)).toMatchObject({
      status: 'superseded',
      outcome: { detail: expect.stringMatching(/moved to desired 12/) },
    });
    expect((await auditTarget(h, aws, 'web-asg')).violations).toEqual([]);
  });

  it('violation 3: the write landed, then the operator paused the target — the repair marks the plan applied and state.current matches the group', async () => {
    const planId = await crashedPlan(h, 'before-mark');
    await h.decisions.setMode('web-asg', 'paused', { by: 'alice', reason: 'incident 42' }, T0 + 30);

    h.now.value = T0 + DEFAULT_PENDING_GRACE_SECONDS + 1;
    const [result] = webResults([await h.tick({ targetIds: ['web-asg'] })]);
    // Applied by the repair, then followed through in the same reconcile: the group serves it (settled).
    expect(await h.decisions.get(planId)).toMatchObject({ status: 'settled' });
    expect((await h.decisions.getState('web-asg'))?.current).toMatchObject({ desired: 6 });
    expect(result).toMatchObject({ repaired: planId, repair: 'applied' });
    expect(await h.decisions.get(planId)).toMatchObject({
      outcome: { detail: expect.stringMatching(/in place when repaired/) },
    });
    const state = await h.decisions.getState('web-asg');
    expect(state?.current).toMatchObject({ desired: 6 });
    expect(state?.pending).toBeUndefined();
    expect(h.aws.group.DesiredCapacity).toBe(6);
    expect(h.autoScaling.commandCalls(SetDesiredCapacityCommand)).toHaveLength(1);
    expect((await auditTarget(h, aws, 'web-asg')).violations).toEqual([]);
  });

  it('violation 4: a tick with a 230 s timeout still applying at plan age 185 s — an ingest stands down; one write', async () => {
    await h.drivers.put(cpuAlarm(T0 - 5));
    let entered!: () => void;
    const inWrite = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    h.autoScaling.on(SetDesiredCapacityCommand).callsFake(async (input: { DesiredCapacity: number }) => {
      if (++calls === 1) {
        entered();
        await released;
      }
      h.aws.group.DesiredCapacity = input.DesiredCapacity;
      return {};
    });
    // A 4-minute tick: its Lambda timeout is min(240 − 10, 600) = 230 s.
    const slowTick = h.handlers({ remainingMs: 230_000 }).tick({ targetIds: ['web-asg'] });
    await inWrite;
    const planId = (await h.decisions.getState('web-asg'))!.pending!.decisionId;

    h.now.value = T0 + 185;
    let ingested: IngestSummary;
    try {
      ingested = (await h.ingest(metricEvent({ id: 'snap-185', at: T0 + 185, value: 1500 }))) as IngestSummary;
    } finally {
      release();
    }
    const tick = (await slowTick) as TickSummary;
    expect(ingested.reconciled).toEqual([
      expect.objectContaining({ targetId: 'web-asg', outcome: 'in-flight', pendingDecisionId: planId }),
    ]);
    expect(tick.reconciled).toEqual([
      expect.objectContaining({ outcome: 'recorded', decisionId: planId, status: 'applied' }),
    ]);
    expect(calls).toBe(1);
    expect(h.aws.group.DesiredCapacity).toBe(6);
  });

  it('violation 8: SetDesiredCapacity denied and the alarm flapping every minute — the same plan is tried once per back-off, whatever is recorded between', async () => {
    aws.fail('SetDesiredCapacity', sdkErrors.autoScalingAccessDenied, { times: 100 });
    const minutes = Math.floor(PERMANENT_FAILURE_RETRY_SECONDS / 60);
    for (let m = 0; m < minutes; m++) {
      h.now.value = T0 + m * 60;
      await h.ingest(alarmEvent({ id: `cpu-${m}`, at: h.now.value, state: m % 2 === 0 ? 'ALARM' : 'OK' }));
    }
    const decisions = await h.decisions.list('web-asg', { limit: 100 });
    expect(decisions.filter((d) => d.status === 'failed')).toHaveLength(1);
    expect(aws.calls.SetDesiredCapacity).toBe(1);
    // Holds were recorded in between (the newest record is not the failure), and the back-off still held.
    expect(decisions.filter((d) => d.status === 'skipped').length).toBeGreaterThanOrEqual(1);

    // After the back-off, the same plan is tried again once.
    h.now.value = T0 + PERMANENT_FAILURE_RETRY_SECONDS + 60;
    await h.ingest(alarmEvent({ id: 'cpu-after', at: h.now.value, state: 'ALARM' }));
    expect(aws.calls.SetDesiredCapacity).toBe(2);
  });

  it('an orphaned pending plan (its record deleted) is cleared by the repair, counted, and the target is decided afresh', async () => {
    const planId = await crashedPlan(h, 'after-record');
    const plan = (await h.decisions.get(planId))!;
    await h.local.doc.send(
      new DeleteCommand({
        TableName: h.local.names.decisions,
        Key: { targetId: 'web-asg', decisionKey: plan.decisionKey },
      }),
    );

    h.now.value = T0 + DEFAULT_PENDING_GRACE_SECONDS + 1;
    const tick = (await h.tick({ targetIds: ['web-asg'] })) as TickSummary;
    expect(tick.failed).toEqual([]);
    expect(tick.reconciled).toEqual([
      expect.objectContaining({ repaired: planId, repair: 'orphaned', outcome: 'recorded', status: 'applied' }),
    ]);
    expect(h.metric(METRIC.pendingOrphaned)).toBe(1);
    expect(h.aws.group.DesiredCapacity).toBe(6);
    h.now.value += 60;
    expect(((await h.tick({ targetIds: ['web-asg'] })) as TickSummary).failed).toEqual([]);
    await expectConverged(h, aws, 'web-asg');
  });
});
