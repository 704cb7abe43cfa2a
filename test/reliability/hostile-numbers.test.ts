/**
 * Numbers nothing can store (issue 10, violations 6 and 7), through the exported ingest and tick handlers on
 * DynamoDB Local. lib-dynamodb refuses any number beyond Number.MAX_SAFE_INTEGER and DynamoDB refuses a
 * magnitude below 1e-130 ("Number underflow"); either used to escape the handler as a plain Error, so Lambda
 * retried the event into the DLQ — and an ALARM carried by such an event was lost.
 *
 * Required: every numeric input has a documented range enforced at the edge (a counted rejection, never a
 * plain error); an alarm with an unusable datapoint degrades to its state; whatever the engine records is
 * storable, so no single driver can block a target.
 */
import { METRIC } from '../../functions/contracts';
import { PoisonEventError, type IngestSummary } from '../../functions/handlers/ingest';
import type { TickSummary } from '../../functions/handlers/tick';
import { configInput, createHarness, fixture, type Harness } from '../handlers/harness';
import { T0, alarmEvent, cloudWatchTime, demandEvent, metricEvent } from './support';
import type { LooseJson } from '../support/loose-json';

type Json = LooseJson;

/** The genuine CloudWatch example event, its newest datapoint replaced by `datapoint` (written as JSON writes it). */
function alarmWithDatapoint(datapoint: number, at: number): Json {
  const event = alarmEvent({ id: `cpu-${datapoint}`, at, state: 'ALARM' });
  const reason = JSON.parse(fixture<Json>('eventbridge-alarm-single-metric').detail.state.reasonData as string) as Json;
  reason.recentDatapoints = [datapoint];
  event.detail.state.reasonData = JSON.stringify(reason);
  return event;
}

async function outcome(h: Harness, event: Json): Promise<IngestSummary | Error> {
  return (h.ingest(event) as Promise<IngestSummary>).catch((error: unknown) => error as Error);
}

describe('hostile numbers at the edge (violation 6)', () => {
  let h: Harness;
  afterEach(() => h?.close());

  it.each([
    ['2^53 + 2', 2 ** 53 + 2],
    ['1e308', 1e308],
    ['-1e308', -1e308],
    ['1e-131 (below DynamoDB’s 1e-130)', 1e-131],
    ['5e-324 (the smallest double)', 5e-324],
    ['1e16 (beyond the documented ±1e15)', 1e16],
  ])('a metric value of %s is refused with a counted reason, nothing stored, no plain error', async (_label, value) => {
    h = await createHarness({ now: T0 + 5 });
    const result = await outcome(h, metricEvent({ id: `req-${value}`, at: T0, value }));
    expect(result).toBeInstanceOf(PoisonEventError);
    expect((result as PoisonEventError).rejections).toEqual([
      expect.objectContaining({ reason: 'malformed', message: expect.stringContaining('detail.value') }),
    ]);
    expect(h.metric(METRIC.driversRejected, { reason: 'malformed' })).toBe(1);
    expect(await h.drivers.all('web-asg')).toEqual([]);
    expect(h.mutatingCalls()).toBe(0);
  });

  it.each([
    ['a multiplier of 5e-324', { multiplier: 5e-324 }, 'detail.signal.demand'],
    ['an absolute demand of 1e-131', { absolute: 1e-131 }, 'detail.signal.demand'],
  ])('a business event with %s is refused with a counted reason', async (_label, demand, path) => {
    h = await createHarness({ now: T0 + 5 });
    const event = demandEvent({
      id: 'sale',
      at: T0,
      campaign: 'tiny',
      demand,
      windowStart: T0 - 60,
      windowEnd: T0 + 3600,
      targets: ['web-asg'],
    });
    const result = await outcome(h, event);
    expect(result).toBeInstanceOf(PoisonEventError);
    expect((result as PoisonEventError).message).toContain(path);
    expect(h.metric(METRIC.driversRejected, { reason: 'malformed' })).toBe(1);
    expect(await h.drivers.all('web-asg')).toEqual([]);
  });

  it('a business window starting at 5e-324 is read at millisecond precision (0), not sent to DynamoDB as an underflow', async () => {
    h = await createHarness({ now: T0 + 5 });
    const event = demandEvent({
      id: 'sale',
      at: T0,
      campaign: 'since-ever',
      demand: { absolute: 6 },
      windowStart: 5e-324,
      windowEnd: T0 + 3600,
      targets: ['web-asg'],
    });
    const summary = (await h.ingest(event)) as IngestSummary;
    expect(summary).toMatchObject({ accepted: 1, rejected: [] });
    const [stored] = await h.drivers.all('web-asg');
    expect(stored).toMatchObject({ kind: 'business', signal: { windowStart: 0 } });
  });

  it.each([
    ['1.2e16', 1.2e16],
    ['5e-324', 5e-324],
    ['-1e308', -1e308],
  ])(
    'a genuine CloudWatch ALARM whose reasonData datapoint is %s degrades to its state and is acted on',
    async (_label, datapoint) => {
      h = await createHarness({ now: T0 + 2 });
      const summary = await outcome(h, alarmWithDatapoint(datapoint, T0));
      expect(summary).not.toBeInstanceOf(Error);
      expect(summary).toMatchObject({ accepted: 1, rejected: [], failedTargets: [] });
      const [stored] = await h.drivers.all('web-asg');
      expect(stored).toMatchObject({ kind: 'alarm', signal: { state: 'ALARM', alarmName: 'ServerCpuTooHigh' } });
      expect(stored!.signal).not.toHaveProperty('datapoint');
      // cpu-high is +2 urgent: the ALARM was not lost.
      expect(h.aws.group.DesiredCapacity).toBe(6);
    },
  );

  it('the same through a Lambda alarm action (the documented payload, reasonData datapoint 1.2e16)', async () => {
    h = await createHarness({ now: T0 + 2 });
    const payload = fixture<Json>('lambda-alarm-action-metric');
    payload.time = cloudWatchTime(T0);
    payload.alarmData.state.timestamp = cloudWatchTime(T0);
    payload.alarmData.state.reasonData = JSON.stringify({
      version: '1.0',
      statistic: 'Average',
      period: 60,
      recentDatapoints: [1.2e16],
      threshold: 5.0,
    });
    const summary = await outcome(h, payload);
    expect(summary).toMatchObject({ accepted: 1, rejected: [], failedTargets: [] });
    const [stored] = await h.drivers.all('web-asg');
    expect(stored).toMatchObject({ kind: 'alarm', signal: { state: 'ALARM', alarmName: 'lambda-demo-metric-alarm' } });
    expect(stored!.signal).not.toHaveProperty('datapoint');
    expect(h.aws.group.DesiredCapacity).toBe(6);
  });

  it('a datapoint inside the range is kept', async () => {
    h = await createHarness({ now: T0 + 2 });
    await h.ingest(alarmWithDatapoint(99.5, T0));
    const [stored] = await h.drivers.all('web-asg');
    expect(stored).toMatchObject({ signal: { datapoint: 99.5 } });
  });
});

describe('whatever the engine records is storable (violation 7)', () => {
  let h: Harness;
  afterEach(() => h?.close());

  /** The harness deployment with a fine-grained metric rule: a legal snapshot can ask for 1e18 units. */
  function fineGrainedConfig() {
    const input = configInput();
    const web = input.targets.find((t) => t.id === 'web-asg')!;
    web.policy.rules = web.policy.rules!.map((rule) =>
      rule.kind === 'metric' ? { ...rule, targetPerUnit: 0.001 } : rule,
    );
    return input;
  }

  it('a snapshot whose demand no store can hold is saturated with a note; the target is decided and an ALARM still acts', async () => {
    h = await createHarness({ config: fineGrainedConfig(), now: T0 + 2 });
    const first = (await h.ingest(metricEvent({ id: 'req-huge', at: T0, value: 1e15 }))) as IngestSummary;
    expect(first.failedTargets).toEqual([]);
    expect(first.reconciled).toEqual([expect.objectContaining({ outcome: 'recorded', status: 'applied' })]);
    expect(h.aws.group.DesiredCapacity).toBe(40); // bounds.max

    const [decision] = await h.decisions.list('web-asg', { limit: 1 });
    const considered = decision!.considered.find((c) => c.driverId === 'metric:requests')!;
    expect(Number.isSafeInteger(considered.demand)).toBe(true);
    expect(considered.detail).toMatch(/saturated/);

    // Every tick for the hour the snapshot lives still decides (and records) without an error.
    for (let minute = 1; minute <= 5; minute++) {
      h.now.value = T0 + 2 + 60 * minute;
      const tick = (await h.tick({ targetIds: ['web-asg'] })) as TickSummary;
      expect(tick.failed).toEqual([]);
    }
    // An urgent ALARM in between is decided too (the group is at max: it is held there, not blocked).
    h.now.value += 10;
    const alarm = (await h.ingest(alarmEvent({ id: 'cpu-1', at: h.now.value - 1, state: 'ALARM' }))) as IngestSummary;
    expect(alarm.failedTargets).toEqual([]);
    expect(alarm.accepted).toBe(1);
  });
});
