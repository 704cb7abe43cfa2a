/**
 * Outcome follow-through through the real reconcile service, the DynamoDB stores on DynamoDB Local and the
 * executors over the simulated fleet (instances serve after their warmup, launches can be made to fail):
 * applied → settled with its time to serve (kept on the state), applied → degraded with the launch's cause,
 * nothing re-observed once settled, and no regression by a late or concurrent follow-through.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDecisionStore, DynamoDriverStore } from '../../functions/adapters/dynamodb';
import { decisionEventDetail } from '../../functions/app/decision-events';
import { reconcileTarget, type ReconcileDeps } from '../../functions/app/reconcile';
import type { TargetKind } from '../../functions/domain/model';
import { createExecutors } from '../../functions/executors';
import type { AllocationExecutor, DecisionRecord, DecisionStatus } from '../../functions/ports';
import { SimulatedFleet } from '../../local/simulator/fleet';
import { T0, capacityTarget, demand } from '../unit/domain/builders';
import { createTestTables, type LocalTables } from '../support/dynamodb';

const WARMUP = 300;
const target = capacityTarget({ rules: [{ kind: 'business', driver: 'flash-sale', baseline: 4 }] });

describe('follow-through: applied → settled | degraded', () => {
  let local: LocalTables;
  let now: number;
  let fleet: SimulatedFleet;
  let deps: ReconcileDeps;
  let serveCalls: number;

  beforeAll(async () => {
    local = await createTestTables();
  });
  afterAll(() => local.client.destroy());

  beforeEach(async () => {
    now = T0;
    fleet = new SimulatedFleet({ now: () => now, instanceWarmupSeconds: WARMUP });
    fleet.addAutoScalingGroup('web-prod', { min: 2, max: 40, desired: 4 });
    serveCalls = 0;
    const real = createExecutors(
      {
        autoScaling: fleet.autoScaling,
        provisionedConcurrency: fleet.provisionedConcurrency,
        weightedRouting: fleet.routing,
        applicationAutoScaling: fleet.applicationAutoScaling,
      },
      { retry: { sleep: async () => undefined, random: () => 0.5 }, route53Limiter: { take: async () => 0 } },
    );
    const counted = (e: AllocationExecutor): AllocationExecutor => ({
      ...e,
      observeServing: (t, f) => {
        serveCalls++;
        return e.observeServing(t, f);
      },
    });
    const executors = Object.fromEntries(Object.entries(real).map(([kind, e]) => [kind, counted(e)])) as Record<
      TargetKind,
      AllocationExecutor
    >;
    const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
    // A fresh target id per test: the tables are shared by the file.
    const id = expect.getState().currentTestName!.length.toString(36);
    deps = {
      drivers: new DynamoDriverStore(local.doc, local.names.drivers),
      decisions: new DynamoDecisionStore(local.doc, {
        decisionsTable: local.names.decisions,
        stateTable: local.names.state,
        retentionDays: 30,
      }),
      executors,
      clock: () => now,
      logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: 'test', serviceName: 'test', logger: quiet }),
      claim: { owner: `owner-${id}`, leaseSeconds: () => undefined },
    };
  });

  async function saleFor(targetId: string) {
    const sale = demand('flash-sale', { multiplier: 3 }, T0 - 60, T0 + 7200, { id: `sale-${targetId}` });
    await deps.drivers.put({ ...sale, targets: [targetId] });
  }

  test('a scale-out settles once its instances are InService, with the time to serve kept on the state', async () => {
    const t = { ...target, id: 'settles' };
    await saleFor(t.id);
    const first = await reconcileTarget(deps, t, now, 'tick');
    expect(first).toMatchObject({ outcome: 'recorded', status: 'applied' });
    const id = (first as { decisionId: string }).decisionId;
    expect((await deps.decisions.getState(t.id))?.following).toMatchObject({ decisionId: id, scaleOut: true });

    now = T0 + 120; // still warming: nothing written
    await reconcileTarget(deps, t, now, 'tick');
    expect((await deps.decisions.get(id))?.status).toBe('applied');

    now = T0 + WARMUP + 60;
    await reconcileTarget(deps, t, now, 'tick');
    const settled = await deps.decisions.get(id);
    expect(settled).toMatchObject({
      status: 'settled',
      serving: { timeToServeSeconds: WARMUP + 60, detail: 'serving after 6m: 12 of 12 instances InService' },
    });
    const state = await deps.decisions.getState(t.id);
    expect(state?.following).toBeUndefined();
    expect(state?.timeToServe).toEqual([WARMUP + 60]);

    // Settled is never observed again.
    const calls = serveCalls;
    now += 60;
    await reconcileTarget(deps, t, now, 'tick');
    expect(serveCalls).toBe(calls);
  });

  test('a failed launch degrades the decision with the scaling activity cause; no warmup sample is kept', async () => {
    const t = { ...target, id: 'degrades' };
    fleet.failLaunches('web-prod', 2, 'We currently do not have sufficient m5.large capacity in us-east-1a.');
    await saleFor(t.id);
    const first = await reconcileTarget(deps, t, now, 'tick');
    const id = (first as { decisionId: string }).decisionId;
    now = T0 + 60;
    await reconcileTarget(deps, t, now, 'tick');
    const degraded = await deps.decisions.get(id);
    expect(degraded).toMatchObject({
      status: 'degraded',
      serving: {
        cause:
          'launch failed (4 of 12 instances InService): We currently do not have sufficient m5.large capacity in us-east-1a.',
      },
    });
    const state = await deps.decisions.getState(t.id);
    expect(state?.following).toBeUndefined();
    expect(state?.timeToServe).toBeUndefined();
  });

  test('the verdict is published as a decision event (applied, then degraded with its cause)', async () => {
    const t = { ...target, id: 'publishes' };
    const published: Array<{ decisionId: string; status: string; cause?: string }> = [];
    const sink = {
      add: (record: DecisionRecord, status: DecisionStatus) => {
        const detail = decisionEventDetail('dt-test', record, status);
        published.push({
          decisionId: detail.decisionId,
          status: detail.status,
          ...(detail.serving?.cause ? { cause: detail.serving.cause } : {}),
        });
      },
      flush: async () => undefined,
    };
    fleet.failLaunches('web-prod', 1, 'InsufficientInstanceCapacity');
    await saleFor(t.id);
    const first = await reconcileTarget({ ...deps, decisionEvents: sink }, t, now, 'tick');
    const id = (first as { decisionId: string }).decisionId;
    now = T0 + 60;
    await reconcileTarget({ ...deps, decisionEvents: sink }, t, now, 'tick');
    expect(published.filter((e) => e.decisionId === id)).toEqual([
      { decisionId: id, status: 'applied' },
      { decisionId: id, status: 'degraded', cause: expect.stringContaining('InsufficientInstanceCapacity') },
    ]);
  });

  test('a follow-through that lost the race changes nothing (the status never regresses)', async () => {
    const t = { ...target, id: 'race' };
    await saleFor(t.id);
    await reconcileTarget(deps, t, now, 'tick');
    const following = (await deps.decisions.getState(t.id))!.following!;
    now = T0 + WARMUP;
    await expect(
      deps.decisions.markServing(t.id, following, 'settled', { at: now, detail: 'x', timeToServeSeconds: WARMUP }, [
        WARMUP,
      ]),
    ).resolves.toBe('marked');
    // A concurrent reconcile that read the same `following` and judged it degraded comes second.
    await expect(
      deps.decisions.markServing(t.id, following, 'degraded', { at: now + 1, detail: 'y', cause: 'late' }),
    ).resolves.toBe('claim-lost');
    expect((await deps.decisions.get(following.decisionId))?.status).toBe('settled');
    expect((await deps.decisions.getState(t.id))?.timeToServe).toEqual([WARMUP]);
  });
});
