import {
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { GetProvisionedConcurrencyConfigCommand } from '@aws-sdk/client-lambda';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import 'aws-sdk-client-mock-jest';
import { METRIC } from '../../functions/contracts';
import { DEFAULT_PENDING_GRACE_SECONDS, type ReconcileResult } from '../../functions/app/reconcile';
import type { TickSummary } from '../../functions/handlers/tick';
import type { BusinessDriver, OverrideDriver } from '../../functions/domain/model';
import type { DecisionStore } from '../../functions/ports';
import { cpuAlarm, createHarness, type Harness } from './harness';

const NOW = 1_795_000_000; // 2026-11-18T...

function results(summary: unknown): ReconcileResult[] {
  return (summary as TickSummary).reconciled;
}

/** A DecisionStore that crashes the invocation right after a chosen step (the process dies there). */
class SimulatedCrash extends Error {
  override readonly name = 'SimulatedCrash';
}

describe('tick handler, end to end on DynamoDB Local', () => {
  let h: Harness;
  afterEach(() => h?.close());

  it('two deciders racing on one target produce one action', async () => {
    h = await createHarness({ now: NOW });
    await h.drivers.put(cpuAlarm(NOW - 5));
    // Both deciders read the same state version before either records: a real race, every time.
    let arrivals = 0;
    let release!: () => void;
    const bothDecided = new Promise<void>((resolve) => (release = resolve));
    const racing: DecisionStore = Object.create(h.decisions, {
      record: {
        value: async (...args: Parameters<DecisionStore['record']>) => {
          if (++arrivals <= 2) {
            if (arrivals === 2) release();
            await bothDecided;
          }
          return h.decisions.record(...args);
        },
      },
    });
    const a = h.handlers({ decisions: racing });
    const b = h.handlers({ decisions: racing });
    const [ra, rb] = await Promise.all([a.tick({ targetIds: ['web-asg'] }), b.tick({ targetIds: ['web-asg'] })]);

    expect(h.autoScaling).toHaveReceivedCommandTimes(SetDesiredCapacityCommand, 1);
    const outcomes = [...results(ra), ...results(rb)]
      .map((r) => (r.outcome === 'recorded' ? r.status : r.outcome))
      .sort();
    expect(outcomes[0]).toBe('applied');
    expect(['in-flight', 'skipped']).toContain(outcomes[1]);
    const records = await h.decisions.list('web-asg');
    expect(records.filter((r) => r.status === 'applied')).toHaveLength(1);
    expect(records.filter((r) => r.actions.length > 0)).toHaveLength(1);
    expect(h.metric(METRIC.decisionConflicts)).toBeGreaterThanOrEqual(1);
  });

  it.each([
    // Nothing landed: the repair finds the group where the plan started, supersedes the plan and decides afresh
    // (the same scale-out, now as a new plan). The write landed: the repair finds it in place and marks it.
    { crash: 'after recording, before acting', at: 'record' as const, expectedWrites: 1, repair: 'superseded' },
    { crash: 'after acting, before marking', at: 'markOutcome' as const, expectedWrites: 0, repair: 'applied' },
  ])(
    'a crash $crash is repaired by a tick once the grace period has passed',
    async ({ at, expectedWrites, repair }) => {
      h = await createHarness({ now: NOW });
      await h.drivers.put(cpuAlarm(NOW - 5));
      let crashed = false;
      const crashing: DecisionStore = Object.create(h.decisions, {
        [at]: {
          value: async (...args: unknown[]) => {
            if (at === 'record') {
              // The decision is recorded (state.pending set), then the invocation dies before acting.
              const recorded = await h.decisions.record(...(args as Parameters<DecisionStore['record']>));
              if (crashed) return recorded;
              crashed = true;
              throw new SimulatedCrash('Lambda timed out after recording');
            }
            // The action landed, then the invocation dies before it can mark the decision.
            crashed = true;
            throw new SimulatedCrash('Lambda timed out before marking');
          },
        },
      });
      const first = (await h.handlers({ decisions: crashing }).tick({ targetIds: ['web-asg'] })) as TickSummary;
      expect(crashed).toBe(true);
      expect(first.failed).toEqual([expect.objectContaining({ targetId: 'web-asg' })]);
      const setCallsAfterCrash = h.autoScaling.commandCalls(SetDesiredCapacityCommand).length;
      expect(setCallsAfterCrash).toBe(1 - expectedWrites);
      const planned = (await h.decisions.getState('web-asg'))?.pending;
      expect(planned).toBeDefined();

      // Young pending: another invocation might still be applying it. Stand back.
      h.now.value = NOW + 30;
      expect(results(await h.tick())).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            targetId: 'web-asg',
            outcome: 'in-flight',
            pendingDecisionId: planned!.decisionId,
          }),
        ]),
      );
      expect(h.metric(METRIC.targetsInFlight)).toBe(1);
      expect(h.autoScaling.commandCalls(SetDesiredCapacityCommand)).toHaveLength(setCallsAfterCrash);

      // Past the claim's lease: the invocation that wrote it is certainly gone. Observe first, then settle.
      h.now.value = NOW + DEFAULT_PENDING_GRACE_SECONDS + 1;
      const repaired = results(await h.tick()).find((r) => r.targetId === 'web-asg');
      expect(repaired).toMatchObject({ repaired: planned!.decisionId, repair });
      expect(h.autoScaling).toHaveReceivedCommandTimes(SetDesiredCapacityCommand, 1);
      expect(h.aws.group.DesiredCapacity).toBe(6);
      // A plan found in place is applied, and the same reconcile's follow-through sees it serving: settled.
      expect(await h.decisions.get(planned!.decisionId)).toMatchObject({
        status: repair === 'applied' ? 'settled' : repair,
      });
      const state = await h.decisions.getState('web-asg');
      expect(state?.pending).toBeUndefined();
      expect(state?.current).toMatchObject({ desired: 6 });
      expect(h.metric(METRIC.pendingRepaired)).toBe(1);
    },
  );

  it('ignores driver items past expiresAt that TTL has not deleted yet', async () => {
    h = await createHarness({ now: NOW });
    const expiredPin: OverrideDriver = {
      kind: 'override',
      id: 'override:ops-override',
      name: 'ops-override',
      source: 'drivetrain.operator',
      targets: ['web-asg'],
      observedAt: NOW - 7200,
      expiresAt: NOW - 60,
      lineage: {
        eventId: 'evt-pin',
        channel: 'eventbridge',
        receivedAt: NOW - 7200,
        principal: 'arn:aws:iam::111122223333:role/oncall-alice',
      },
      signal: { action: 'pin', allocation: 24 },
      reason: 'INC-1: hold',
    };
    // Written as DynamoDB holds it: still there, a minute past its TTL.
    await h.local.doc.send(
      new PutCommand({
        TableName: h.local.names.drivers,
        Item: { ...expiredPin, targetId: 'web-asg', driverKey: 'override#ops-override#override:ops-override' },
      }),
    );
    await h.tick({ targetIds: ['web-asg'] });
    expect(h.mutatingCalls()).toBe(0);
    const [decision] = await h.decisions.list('web-asg');
    expect(decision?.considered.map((c) => c.driverId)).not.toContain('override:ops-override');
    expect(decision?.desired).toMatchObject({ desired: 4 });
  });

  it('starts a pre-warm when the lead time begins, without any new driver event', async () => {
    h = await createHarness({ now: NOW });
    const windowStart = NOW + 3600;
    const sale: BusinessDriver = {
      kind: 'business',
      id: 'black-friday',
      name: 'flash-sale',
      source: 'com.acme.marketing',
      targets: ['web-asg'],
      observedAt: NOW,
      expiresAt: windowStart + 86400,
      lineage: { eventId: 'evt-sale', channel: 'eventbridge', receivedAt: NOW },
      signal: {
        type: 'demand',
        label: 'Black Friday',
        demand: { multiplier: 3 },
        windowStart,
        windowEnd: windowStart + 86400,
      },
    };
    await h.drivers.put(sale);
    await h.tick({ targetIds: ['web-asg'] });
    expect(h.mutatingCalls()).toBe(0);

    h.now.value = windowStart - 900; // the rule's lead time
    await h.tick({ targetIds: ['web-asg'] });
    expect(h.autoScaling).toHaveReceivedCommandWith(UpdateAutoScalingGroupCommand, {
      AutoScalingGroupName: 'web-prod',
      DesiredCapacity: 12,
      MinSize: 12,
    });
    expect(await h.decisions.list('web-asg', { limit: 1 })).toEqual([
      expect.objectContaining({ status: 'applied', reasons: expect.arrayContaining(['business-lead-time']) }),
    ]);
  });

  it('a steady hold is recorded once, not on every tick', async () => {
    h = await createHarness({ now: NOW });
    await h.tick();
    const recorded = h.metric(METRIC.decisionsRecorded);
    expect(recorded).toBe(3);
    for (let i = 1; i <= 3; i++) {
      h.now.value = NOW + i * 60;
      expect(results(await h.tick()).map((r) => r.outcome)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    }
    expect(h.metric(METRIC.decisionsRecorded)).toBe(recorded);
  });

  it('decides from the last applied allocation, and says so, when the resource cannot be read right now', async () => {
    h = await createHarness({ now: NOW });
    await h.drivers.put(cpuAlarm(NOW - 5));
    await h.tick({ targetIds: ['web-asg'] });
    expect(h.aws.group.DesiredCapacity).toBe(6);
    h.autoScaling
      .on(DescribeAutoScalingGroupsCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }));
    await h.drivers.put(cpuAlarm(NOW + 10, 'OK'));
    const warn = jest.spyOn(h.logger, 'warn');
    h.now.value = NOW + 60;
    const [result] = results(await h.tick({ targetIds: ['web-asg'] }));
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/could not observe/),
      expect.objectContaining({ targetId: 'web-asg', fallback: { kind: 'capacity', desired: 6, floor: 2 } }),
    );
    expect(result).toMatchObject({ outcome: 'recorded', status: 'skipped' });
    expect((await h.decisions.list('web-asg', { limit: 1 }))[0]).toMatchObject({
      current: { desired: 6 },
      actions: [],
    });
    expect(h.autoScaling).toHaveReceivedCommandTimes(SetDesiredCapacityCommand, 1);
  });

  it('one failing target never stops the others', async () => {
    h = await createHarness({ now: NOW });
    await h.drivers.put(cpuAlarm(NOW - 5));
    h.lambda.on(GetProvisionedConcurrencyConfigCommand).rejects(
      Object.assign(new Error('not authorized to perform lambda:GetProvisionedConcurrencyConfig'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const summary = (await h.tick()) as TickSummary;
    expect(summary.failed).toEqual([
      { targetId: 'checkout-fn', error: expect.stringMatching(/AccessDenied/), retryable: false },
    ]);
    expect(summary.reconciled.map((r) => r.targetId).sort()).toEqual(['api-routing', 'web-asg']);
    expect(h.autoScaling).toHaveReceivedCommandTimes(SetDesiredCapacityCommand, 1);
    expect(h.metric(METRIC.reconcileErrors)).toBe(1);
  });

  it('an operator pause stops all mutating calls until resumed', async () => {
    h = await createHarness({ now: NOW });
    await h.decisions.setMode('web-asg', 'paused', { by: 'alice', reason: 'incident 123' }, NOW - 10);
    await h.drivers.put(cpuAlarm(NOW - 5));
    await h.tick({ targetIds: ['web-asg'] });
    expect(h.mutatingCalls()).toBe(0);
    const [latest, pause] = await h.decisions.list('web-asg');
    expect(pause).toMatchObject({ summary: 'pause by alice: incident 123', status: 'skipped' });
    expect(latest).toMatchObject({
      status: 'skipped',
      mode: 'paused',
      summary: expect.stringContaining('[paused: not applied]'),
    });

    await h.decisions.setMode('web-asg', 'enforce', { by: 'alice', reason: 'resolved' }, NOW + 50);
    h.now.value = NOW + 60;
    await h.tick({ targetIds: ['web-asg'] });
    expect(h.autoScaling).toHaveReceivedCommandTimes(SetDesiredCapacityCommand, 1);
  });

  it('rejects a tick event it cannot read, and unknown target ids, before touching anything', async () => {
    h = await createHarness({ now: NOW });
    await expect(h.tick({ targetIds: 'web-asg' })).rejects.toThrow();
    await expect(h.tick({ targetIds: ['no-such-target'] })).rejects.toThrow(/unknown target\(s\) "no-such-target"/);
    expect(await h.decisions.list('web-asg')).toEqual([]);
  });
});
