/**
 * Decision events and per-target metrics, end to end: the tick handler on DynamoDB Local publishes every
 * recorded decision (after recording it) through the real EventBridge adapter over a mocked SDK client, a
 * publishing failure never fails the reconcile, and the per-target EMF carries exactly the names and
 * dimensions the dashboard reads (both from functions/contracts.ts).
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { EventBridgeDecisionPublisher } from '../../functions/adapters/aws/decision-events';
import type { ReconcileResult } from '../../functions/app/reconcile';
import {
  DECISION_EVENT_SCHEMA_VERSION,
  DECISION_EVENT_SOURCE,
  DEPLOYMENT_DIMENSION,
  DETAIL_TYPES,
  METRIC,
  STATUS_DIMENSION,
  TARGET_DIMENSION,
  TARGET_METRIC,
} from '../../functions/contracts';
import type { TickSummary } from '../../functions/handlers/tick';
import type { DecisionEventDetail, DecisionRecord } from '../../functions/ports';
import { cpuAlarm, createHarness, type Harness } from './harness';

const NOW = 1_795_000_000;
const BUS = 'dt-business-drivers';

describe('decision events and per-target metrics (tick handler on DynamoDB Local)', () => {
  const eventBridge = mockClient(EventBridgeClient);
  const publisher = new EventBridgeDecisionPublisher(
    new EventBridgeClient({ region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' } }),
    BUS,
  );
  let h: Harness;
  afterEach(() => {
    h?.close();
    eventBridge.reset();
  });
  afterAll(() => eventBridge.restore());

  const published = (): Array<PutEventsRequestEntry & { detail: DecisionEventDetail }> =>
    eventBridge
      .commandCalls(PutEventsCommand)
      .flatMap((c) => c.args[0].input.Entries ?? [])
      .map((e) => ({ ...e, detail: JSON.parse(e.Detail!) as DecisionEventDetail }));

  it('publishes the applied decision once it is recorded and settled, as the documented event', async () => {
    h = await createHarness({ now: NOW, decisionEvents: publisher });
    const seenInTable: Array<DecisionRecord | undefined> = [];
    eventBridge.on(PutEventsCommand).callsFake(async (input: { Entries: PutEventsRequestEntry[] }) => {
      for (const e of input.Entries)
        seenInTable.push(await h.decisions.get((JSON.parse(e.Detail!) as DecisionEventDetail).decisionId));
      return { FailedEntryCount: 0, Entries: input.Entries.map((_, i) => ({ EventId: `e-${i}` })) };
    });
    await h.drivers.put(cpuAlarm(NOW - 5));
    const summary = (await h.tick({ targetIds: ['web-asg'] })) as TickSummary;

    const result = summary.reconciled[0] as Extract<ReconcileResult, { outcome: 'recorded' }>;
    expect(result).toMatchObject({ outcome: 'recorded', status: 'applied' });
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    const [event] = published();
    expect(event).toMatchObject({
      EventBusName: BUS,
      Source: DECISION_EVENT_SOURCE,
      DetailType: DETAIL_TYPES.decision,
    });
    expect(event!.detail).toMatchObject({
      schemaVersion: DECISION_EVENT_SCHEMA_VERSION,
      deployment: h.config.name,
      decisionId: result.decisionId,
      targetId: 'web-asg',
      status: 'applied',
      onFallback: false,
      mode: 'enforce',
      summary: result.summary,
      desired: { kind: 'capacity' },
    });
    expect(event!.detail.outcome?.detail).toEqual(expect.any(String));
    // Published after the record was written and marked: the table already holds it as applied.
    expect(seenInTable.map((r) => r?.status)).toEqual(['applied']);
    expect(h.metric(METRIC.decisionEventsPublished)).toBe(1);
  });

  it('one PutEvents per invocation for all its decisions; a steady hold publishes nothing', async () => {
    h = await createHarness({ now: NOW, decisionEvents: publisher });
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_, i) => ({ EventId: `e-${i}` })),
    }));
    await h.drivers.put(cpuAlarm(NOW - 5));
    const first = (await h.tick()) as TickSummary;
    const recorded = first.reconciled.filter((r) => r.outcome === 'recorded');
    expect(recorded.length).toBeGreaterThan(1);
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    expect(
      published()
        .map((e) => e.detail.targetId)
        .sort(),
    ).toEqual(recorded.map((r) => r.targetId).sort());

    eventBridge.resetHistory();
    const again = (await h.tick({ targetIds: ['checkout-fn'] })) as TickSummary;
    expect(again.reconciled[0]).toMatchObject({ outcome: 'unchanged' });
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });

  it('a bus that refuses the events fails no reconcile: the decision is applied, the failure counted', async () => {
    h = await createHarness({ now: NOW, decisionEvents: publisher });
    eventBridge
      .on(PutEventsCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: {} }));
    await h.drivers.put(cpuAlarm(NOW - 5));
    const summary = (await h.tick({ targetIds: ['web-asg'] })) as TickSummary;
    expect(summary.failed).toEqual([]);
    expect(summary.reconciled[0]).toMatchObject({ outcome: 'recorded', status: 'applied' });
    expect((await h.decisions.list('web-asg'))[0]!.status).toBe('applied');
    expect(h.metric(METRIC.decisionEventsFailed)).toBe(1);
    expect(h.metric(METRIC.decisionEventsPublished)).toBe(0);
  });

  it('emits the per-target gauges every reconcile, with exactly the names and dimensions of the contract', async () => {
    h = await createHarness({ now: NOW });
    h.metrics.setDefaultDimensions({ [DEPLOYMENT_DIMENSION]: h.config.name });
    await h.drivers.put(cpuAlarm(NOW - 5));
    await h.tick({ targetIds: ['web-asg'] });
    const perTarget = h.emf.filter((m) => m.dimensions[TARGET_DIMENSION] !== undefined);
    const names = new Set<string>(Object.values(TARGET_METRIC));
    expect(perTarget.every((m) => names.has(m.name))).toBe(true);
    for (const m of perTarget) {
      const expected = ['service', DEPLOYMENT_DIMENSION, TARGET_DIMENSION];
      if (m.name === TARGET_METRIC.decisions) expected.push(STATUS_DIMENSION);
      expect(Object.keys(m.dimensions).sort()).toEqual(expected.sort());
      expect(m.dimensions[DEPLOYMENT_DIMENSION]).toBe(h.config.name);
    }
    const web = { [TARGET_DIMENSION]: 'web-asg' };
    expect(h.metric(TARGET_METRIC.currentAllocation, web)).toBe(4);
    const desired = h.metric(TARGET_METRIC.desiredAllocation, web);
    expect(desired).toBeGreaterThan(4);
    expect(h.metric(TARGET_METRIC.demand, web)).toBeGreaterThanOrEqual(desired);
    expect(h.metric(TARGET_METRIC.staleDrivers, web)).toBe(0);
    expect(h.metric(TARGET_METRIC.decisions, { ...web, [STATUS_DIMENSION]: 'applied' })).toBe(1);

    // Nothing changes on the next tick (a moment later: the step is held), and the gauges are there all the same:
    // a gauge graphs as a line only if it has a datapoint every period.
    h.now.value += 1;
    await h.tick({ targetIds: ['web-asg'] }); // records the hold once, and follows the applied plan to serving
    // The follow-through counted the group's instances (the fake reports DesiredCapacity, no Instances list):
    // TargetServing is emitted as it saw them, so over the plan's life every metric of the contract is emitted
    // — the dashboard (test/cdk/decision-events.test.ts) reads exactly these names, so no widget plots nothing.
    expect(h.metric(TARGET_METRIC.serving, web)).toBe(desired);
    // The verdict is counted by status like the decision it ends, so the widget's settled line has datapoints.
    expect(h.metric(TARGET_METRIC.decisions, { ...web, [STATUS_DIMENSION]: 'settled' })).toBe(1);
    expect(new Set(h.emf.filter((m) => m.dimensions[TARGET_DIMENSION] === 'web-asg').map((m) => m.name))).toEqual(
      names,
    );
    h.emf.length = 0;
    h.now.value += 1;
    const again = (await h.tick({ targetIds: ['web-asg'] })) as TickSummary;
    expect(again.reconciled[0]).toMatchObject({ outcome: 'unchanged' });
    const gauges = h.emf.filter((m) => m.dimensions[TARGET_DIMENSION] === 'web-asg').map((m) => m.name);
    expect(gauges.sort()).toEqual(
      [
        TARGET_METRIC.demand,
        TARGET_METRIC.desiredAllocation,
        TARGET_METRIC.currentAllocation,
        TARGET_METRIC.staleDrivers,
      ].sort(),
    );
  });
});
