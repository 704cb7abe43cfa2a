import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import {
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import 'aws-sdk-client-mock-jest';
import { METRIC } from '../../functions/contracts';
import { PoisonEventError, type IngestSummary } from '../../functions/handlers/ingest';
import type { Driver } from '../../functions/domain/model';
import { PERMANENT_FAILURE_RETRY_SECONDS } from '../../functions/app/reconcile';
import { SCHEDULED_EVENT, configInput, createHarness, fixture, t, type Harness } from './harness';
import { viaOperatorEndpoint } from '../reliability/support';
import type { LooseJson } from '../support/loose-json';

const ALARM_AT = t('2019-10-02T17:04:40Z');

async function count(h: Harness, table: 'drivers' | 'decisions' | 'state' | 'idempotency'): Promise<number> {
  const { Items } = await h.local.doc.send(new ScanCommand({ TableName: h.local.names[table] }));
  return Items?.length ?? 0;
}

describe('ingest handler, end to end on DynamoDB Local', () => {
  let h: Harness;
  afterEach(() => h?.close());

  it('alarm event → driver stored with TTL → decision recorded → SetDesiredCapacity → decision applied', async () => {
    h = await createHarness({ now: ALARM_AT + 2 });
    const summary = (await h.ingest(fixture('eventbridge-alarm-single-metric'))) as IngestSummary;

    expect(summary).toMatchObject({
      channel: 'eventbridge',
      eventIds: ['c4c1c1c9-6542-e61b-6ef0-8c4d36933a92'],
      accepted: 1,
      failedTargets: [],
    });
    const [driver] = await h.drivers.live('web-asg', h.now.value);
    expect(driver).toMatchObject({
      kind: 'alarm',
      name: 'cpu-high',
      signal: { alarmName: 'ServerCpuTooHigh', state: 'ALARM' },
      lineage: { eventId: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92' },
    });
    expect(driver!.expiresAt).toBeGreaterThan(h.now.value);

    expect(h.autoScaling).toHaveReceivedCommandTimes(SetDesiredCapacityCommand, 1);
    expect(h.autoScaling).toHaveReceivedCommandWith(SetDesiredCapacityCommand, {
      AutoScalingGroupName: 'web-prod',
      DesiredCapacity: 6,
      HonorCooldown: false,
    });
    expect(h.autoScaling).not.toHaveReceivedCommand(UpdateAutoScalingGroupCommand);

    const [decision] = await h.decisions.list('web-asg');
    expect(decision).toMatchObject({
      status: 'applied',
      summary: 'scale 4→6: cpu-high',
      current: { kind: 'capacity', desired: 4, floor: 2 },
      desired: { kind: 'capacity', desired: 6, floor: 2 },
      outcome: { detail: 'SetDesiredCapacity web-prod 4→6' },
    });
    const state = await h.decisions.getState('web-asg');
    expect(state).toMatchObject({ current: { desired: 6 }, lastScaleUpAt: h.now.value });
    expect(state?.pending).toBeUndefined();
    expect(summary.reconciled).toEqual([
      {
        targetId: 'web-asg',
        outcome: 'recorded',
        decisionId: decision!.decisionId,
        status: 'applied',
        summary: 'scale 4→6: cpu-high',
      },
    ]);

    expect(h.metric(METRIC.driversAccepted)).toBe(1);
    expect(h.metric(METRIC.decisionsRecorded)).toBe(1);
    expect(h.metric(METRIC.actionsApplied)).toBe(1);
    expect(h.emf.some((m) => m.name === METRIC.decisionLatency && m.value >= 0)).toBe(true);
  });

  describe('every way a driver arrives is stored and decided on', () => {
    const cases: Array<{ name: string; at: string; target: string; driver: Partial<Driver> & { name: string } }> = [
      {
        name: 'eventbridge-alarm-single-metric',
        at: '2019-10-02T17:04:45Z',
        target: 'web-asg',
        driver: { kind: 'alarm', name: 'cpu-high' },
      },
      {
        name: 'eventbridge-alarm-metric-math',
        at: '2019-10-02T17:20:50Z',
        target: 'web-asg',
        driver: { kind: 'alarm', name: 'net-high' },
      },
      {
        name: 'eventbridge-alarm-anomaly-detection',
        at: '2019-10-03T16:00:10Z',
        target: 'web-asg',
        driver: { kind: 'alarm', name: 'cpu-anomaly' },
      },
      {
        name: 'lambda-alarm-action-metric',
        at: '2023-08-04T12:36:20Z',
        target: 'web-asg',
        driver: { kind: 'alarm', name: 'cpu-high' },
      },
      {
        name: 'lambda-alarm-action-composite',
        at: '2023-08-04T12:56:50Z',
        target: 'api-routing',
        driver: { kind: 'alarm', name: 'service-health' },
      },
      {
        name: 'sns-alarm-single-metric',
        at: '2015-06-03T17:43:30Z',
        target: 'web-asg',
        driver: { kind: 'alarm', name: 'cpu-high' },
      },
      {
        name: 'sns-alarm-multiple-metrics',
        at: '2015-06-03T17:43:30Z',
        target: 'web-asg',
        driver: { kind: 'alarm', name: 'cpu-high' },
      },
      {
        name: 'metric-snapshot',
        at: '2026-11-20T09:00:10Z',
        target: 'web-asg',
        driver: { kind: 'metric', name: 'requests' },
      },
      {
        name: 'business-driver-demand',
        at: '2026-11-20T09:00:10Z',
        target: 'checkout-fn',
        driver: { kind: 'business', name: 'flash-sale' },
      },
      {
        name: 'business-driver-budget',
        at: '2026-11-20T09:00:10Z',
        target: 'web-asg',
        driver: { kind: 'business', name: 'cost-budget' },
      },
      {
        name: 'business-driver-freeze',
        at: '2026-11-20T09:00:10Z',
        target: 'web-asg',
        driver: { kind: 'business', name: 'change-freeze' },
      },
      // Overrides: the operator endpoint, with the fixture's `principal` as the caller Lambda verified.
      {
        name: 'override-pin',
        at: '2026-11-20T09:00:10Z',
        target: 'web-asg',
        driver: { kind: 'override', name: 'ops-override' },
      },
      {
        name: 'override-freeze',
        at: '2026-11-20T09:00:10Z',
        target: 'checkout-fn',
        driver: { kind: 'override', name: 'ops-override' },
      },
      {
        name: 'override-pin-weights',
        at: '2026-11-20T09:00:10Z',
        target: 'api-routing',
        driver: { kind: 'override', name: 'ops-override' },
      },
    ];

    it.each(cases)('$name → $driver.kind driver for $target', async ({ name, at, target, driver }) => {
      h = await createHarness({ now: t(at) });
      const event = fixture(name);
      const summary =
        driver.kind === 'override' ? await viaOperatorEndpoint(h, event) : ((await h.ingest(event)) as IngestSummary);
      expect(summary.accepted).toBeGreaterThanOrEqual(1);
      expect(summary.failedTargets).toEqual([]);
      expect(await h.drivers.live(target, h.now.value)).toEqual(
        expect.arrayContaining([expect.objectContaining(driver)]),
      );
      // The affected target was decided on (recorded, or unchanged only if an identical record exists).
      expect(summary.reconciled).toEqual(
        expect.arrayContaining([expect.objectContaining({ targetId: target, outcome: 'recorded' })]),
      );
      expect((await h.decisions.list(target)).length).toBeGreaterThanOrEqual(1);
    });
  });

  it('a composite alarm whose actions are suppressed drains nothing (counted as alarm-suppressed)', async () => {
    h = await createHarness({ now: t('2022-07-22T15:57:50Z') });
    const summary = (await h.ingest(fixture('eventbridge-alarm-composite'))) as IngestSummary;
    expect(summary.rejected).toEqual([expect.objectContaining({ reason: 'alarm-suppressed' })]);
    expect(h.metric(METRIC.driversRejected, { reason: 'alarm-suppressed' })).toBe(1);
    expect(h.route53).not.toHaveReceivedCommand(ChangeResourceRecordSetsCommand);
    expect(await h.decisions.list('api-routing')).toEqual([]);
  });

  it('a composite alarm in ALARM (not suppressed) drains its endpoint with one Route 53 change batch', async () => {
    h = await createHarness({ now: t('2022-07-22T15:57:50Z') });
    const composite = fixture<LooseJson>('eventbridge-alarm-composite');
    delete composite.detail.state.actionsSuppressedBy;
    delete composite.detail.state.actionsSuppressedReason;
    await h.ingest(composite);
    expect(h.route53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 1);
    expect(h.aws.weights['us-east-1']).toBe(0);
    expect(h.aws.weights['eu-west-1']).toBe(100);
    const [decision] = await h.decisions.list('api-routing');
    expect(decision).toMatchObject({ status: 'applied', actions: [{ type: 'set-weights' }] });
  });

  it('duplicate delivery of the same event produces one action', async () => {
    h = await createHarness({ now: ALARM_AT + 2 });
    const event = fixture('eventbridge-alarm-single-metric');
    const first = await h.ingest(event);
    h.now.value += 30; // EventBridge redelivers the same event id a little later
    const second = await h.ingest(structuredClone(event));
    expect(second).toEqual(first);
    expect(h.autoScaling).toHaveReceivedCommandTimes(SetDesiredCapacityCommand, 1);
    expect(await h.decisions.list('web-asg')).toHaveLength(1);
    expect(await count(h, 'idempotency')).toBe(1);
  });

  it('duplicate delivery without the idempotency table is still one action (driver store dedupes)', async () => {
    h = await createHarness({ now: ALARM_AT + 2 });
    const plain = h.handlers({ idempotency: false });
    const event = fixture('eventbridge-alarm-single-metric');
    await plain.ingest(event);
    h.now.value += 30;
    const second = (await plain.ingest(event)) as IngestSummary;
    expect(second).toMatchObject({ accepted: 0, duplicates: 1 });
    expect(h.autoScaling).toHaveReceivedCommandTimes(SetDesiredCapacityCommand, 1);
    // The re-decision holds (the alarm's next step waits for the scale-up cooldown): no second action.
    const [latest, first] = await h.decisions.list('web-asg');
    // Applied, then followed through by the re-decision's reconcile: the group serves it.
    expect(first).toMatchObject({ status: 'settled', summary: 'scale 4→6: cpu-high' });
    expect(latest).toMatchObject({ status: 'skipped', actions: [] });
  });

  it('an executor throttled twice then succeeding leaves exactly one applied record', async () => {
    h = await createHarness({ now: ALARM_AT + 2 });
    const throttle = () =>
      Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } });
    let calls = 0;
    h.autoScaling.on(SetDesiredCapacityCommand).callsFake((input: { DesiredCapacity: number }) => {
      calls++;
      if (calls <= 2) throw throttle();
      h.aws.group.DesiredCapacity = input.DesiredCapacity;
      return {};
    });
    await h.ingest(fixture('eventbridge-alarm-single-metric'));
    expect(calls).toBe(3);
    const records = await h.decisions.list('web-asg');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      status: 'applied',
      outcome: { detail: 'SetDesiredCapacity web-prod 4→6 (attempt 3)' },
    });
    expect(h.aws.group.DesiredCapacity).toBe(6);
    expect(h.metric(METRIC.actionsApplied)).toBe(1);
    expect(h.metric(METRIC.actionsFailed)).toBe(0);
  });

  it('a permanent executor error marks the decision failed with the classified error and leaves the allocation', async () => {
    h = await createHarness({ now: ALARM_AT + 2 });
    h.autoScaling.on(SetDesiredCapacityCommand).rejects(
      Object.assign(new Error('User is not authorized to perform autoscaling:SetDesiredCapacity'), {
        name: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const summary = (await h.ingest(fixture('eventbridge-alarm-single-metric'))) as IngestSummary;
    expect(summary.reconciled[0]).toMatchObject({ status: 'failed' });
    const [record] = await h.decisions.list('web-asg');
    expect(record).toMatchObject({ status: 'failed', outcome: { error: { retryable: false } } });
    expect(record!.outcome!.error!.message).toMatch(/AccessDenied/);
    const state = await h.decisions.getState('web-asg');
    expect(state?.pending).toBeUndefined();
    expect(state?.current).toBeUndefined();
    expect(h.metric(METRIC.actionsFailed)).toBe(1);
  });

  it('a plan that failed permanently is not retried every tick, only after the back-off (or when the plan changes)', async () => {
    h = await createHarness({ now: ALARM_AT + 2 });
    h.autoScaling.on(SetDesiredCapacityCommand).rejects(
      Object.assign(new Error('User is not authorized to perform autoscaling:SetDesiredCapacity'), {
        name: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    await h.ingest(fixture('eventbridge-alarm-single-metric'));
    expect(h.autoScaling).toHaveReceivedCommandTimes(SetDesiredCapacityCommand, 1);

    for (let minute = 1; minute <= 3; minute++) {
      h.now.value = ALARM_AT + 2 + minute * 60;
      await h.tick(SCHEDULED_EVENT);
    }
    expect(h.autoScaling).toHaveReceivedCommandTimes(SetDesiredCapacityCommand, 1);
    expect((await h.decisions.list('web-asg')).map((d) => d.status)).toEqual(['failed']);

    // Someone fixed the role: after the back-off the same plan is tried again and goes through.
    h.autoScaling.on(SetDesiredCapacityCommand).resolves({});
    h.now.value = ALARM_AT + 2 + PERMANENT_FAILURE_RETRY_SECONDS;
    await h.tick(SCHEDULED_EVENT);
    expect(h.autoScaling).toHaveReceivedCommandTimes(SetDesiredCapacityCommand, 2);
    expect((await h.decisions.list('web-asg')).map((d) => d.status)).toEqual(['applied', 'failed']);
  });

  it('an out-of-order alarm event is ignored: the newer state stays and nothing is scaled', async () => {
    h = await createHarness({ now: ALARM_AT + 120 });
    const newer = fixture<{
      id: string;
      time: string;
      detail: { state: Record<string, unknown>; previousState: Record<string, unknown> };
    }>('eventbridge-alarm-single-metric');
    newer.id = 'newer-ok-event';
    newer.time = '2019-10-02T17:06:40Z';
    newer.detail.previousState = { ...newer.detail.state };
    newer.detail.state = {
      value: 'OK',
      reason: 'Threshold Crossed: back to normal',
      timestamp: '2019-10-02T17:06:40.000+0000',
    };
    await h.ingest(newer);
    const older = fixture('eventbridge-alarm-single-metric'); // ALARM at 17:04:40, delivered late
    const summary = (await h.ingest(older)) as IngestSummary;

    expect(summary).toMatchObject({ accepted: 0, outOfOrder: 1, reconciled: [] });
    const [driver] = await h.drivers.live('web-asg', h.now.value);
    expect(driver).toMatchObject({ kind: 'alarm', signal: { state: 'OK' } });
    expect(h.mutatingCalls()).toBe(0);
    expect(h.metric(METRIC.driversOutOfOrder)).toBe(1);
  });

  it('a shadow target records `shadow` and never sends a mutating command', async () => {
    h = await createHarness({ now: ALARM_AT + 2, config: configInput({ webMode: 'shadow' }) });
    await h.ingest(fixture('eventbridge-alarm-single-metric'));
    const [decision] = await h.decisions.list('web-asg');
    expect(decision).toMatchObject({
      status: 'shadow',
      mode: 'shadow',
      apply: false,
      desired: { desired: 6 },
      summary: 'scale 4→6: cpu-high [shadow: not applied]',
    });
    expect(h.autoScaling).toHaveReceivedCommand(DescribeAutoScalingGroupsCommand);
    expect(h.mutatingCalls()).toBe(0);
    // Same verdict on the next tick: not rewritten.
    h.now.value += 60;
    await h.tick();
    expect(await h.decisions.list('web-asg')).toHaveLength(1);
    expect(h.mutatingCalls()).toBe(0);
  });

  it('a driver from a source the target does not allow is rejected, counted by reason, and nothing is written', async () => {
    h = await createHarness({ now: t('2026-11-20T09:00:10Z') });
    const event = fixture<{ source: string }>('metric-snapshot');
    event.source = 'com.example.untrusted';
    const summary = (await h.ingest(event)) as IngestSummary;
    expect(summary).toMatchObject({ accepted: 0, reconciled: [] });
    expect(summary.rejected).toEqual([expect.objectContaining({ reason: 'source-not-allowed', targetId: 'web-asg' })]);
    expect(h.metric(METRIC.driversRejected, { reason: 'source-not-allowed' })).toBe(1);
    // The dashboard reads DriversRejected by `service` alone (lib/observability.ts); the per-reason count has
    // the dimension set [service, reason], a different CloudWatch metric, so the total is emitted as well.
    const total = h.emf.filter(
      (m) => m.name === METRIC.driversRejected && Object.keys(m.dimensions).join() === 'service',
    );
    expect(total.reduce((sum, m) => sum + m.value, 0)).toBe(1);
    for (const table of ['drivers', 'decisions', 'state', 'idempotency'] as const)
      expect(await count(h, table)).toBe(0);
    expect(h.mutatingCalls()).toBe(0);
  });

  it.each([
    ['an event that is not a driver event at all', () => ({ hello: 'world' })],
    ['an EventBridge event of an unsupported detail-type', () => fixture('eventbridge-ec2-instance-state-change')],
    [
      'an alarm state change without its state',
      () => {
        const event = fixture<{ detail: Record<string, unknown> }>('eventbridge-alarm-single-metric');
        delete event.detail.state;
        return event;
      },
    ],
    ['an SNS batch with one good and two bad records', () => fixture('variant-sns-batch-one-good-two-bad')],
  ])('poison: %s throws PoisonEventError and writes nothing', async (_label, event) => {
    h = await createHarness({ now: t('2015-06-03T17:43:30Z') });
    const warn = jest.spyOn(h.logger, 'error');
    await expect(h.ingest(event())).rejects.toBeInstanceOf(PoisonEventError);
    for (const table of ['drivers', 'decisions', 'state', 'idempotency'] as const)
      expect(await count(h, table)).toBe(0);
    expect(h.mutatingCalls()).toBe(0);
    expect(h.metric(METRIC.poisonEvents)).toBe(1);
    expect(warn).toHaveBeenCalledWith('poison event', expect.objectContaining({ error: expect.any(PoisonEventError) }));
  });
});

describe('driver history, written by the ingest handler on DynamoDB Local', () => {
  let h: Harness;
  afterEach(() => h?.close());
  const RETENTION = 30 * 86_400;

  async function historyItems(target: string): Promise<Array<Record<string, unknown>>> {
    const { Items } = await h.local.doc.send(new ScanCommand({ TableName: h.local.names.history }));
    return (Items ?? []).filter((i) => i.targetId === target);
  }

  it('keeps every accepted alarm, metric and business driver, retained from its receipt', async () => {
    h = await createHarness({ now: ALARM_AT + 2, historyRetentionSeconds: RETENTION });
    expect(((await h.ingest(fixture('eventbridge-alarm-single-metric'))) as IngestSummary).accepted).toBe(1);
    h.now.value = t('2026-11-20T09:00:10Z');
    for (const name of ['metric-snapshot', 'business-driver-budget'])
      expect(((await h.ingest(fixture(name))) as IngestSummary).accepted).toBe(1);
    const items = await historyItems('web-asg');
    expect(items.map((i) => (i.driver as Driver).kind).sort()).toEqual(['alarm', 'business', 'metric']);
    for (const item of items) {
      const driver = item.driver as Driver;
      expect(item.retainUntil).toBe(driver.lineage.receivedAt + RETENTION);
      expect(item.historyKey).toBe(
        `${new Date(driver.observedAt * 1000).toISOString()}#${driver.kind}#${driver.name}#${driver.id}#${driver.lineage.eventId}`,
      );
    }
  });

  it('keeps none when the deployment keeps no history (driverHistoryRetention 0)', async () => {
    h = await createHarness({ now: t('2026-11-20T09:00:10Z') });
    expect(((await h.ingest(fixture('metric-snapshot'))) as IngestSummary).accepted).toBe(1);
    expect(await historyItems('web-asg')).toEqual([]);
  });
});
