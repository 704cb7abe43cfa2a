/**
 * CloudWatchMetricHistory (functions/adapters/aws/metric-history.ts) over a mocked CloudWatch client: the
 * request it sends, datapoints placed on the minute grid with gaps, the cache (at most one read per metric
 * every HISTORY_REFRESH_SECONDS), pagination, and failures that leave the metric out instead of throwing.
 */
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  CloudWatchMetricHistory,
  HISTORY_REFRESH_SECONDS,
  HISTORY_STALE_AFTER_SECONDS,
} from '../../../functions/adapters/aws/metric-history';
import { parseConfig } from '../../../functions/domain/config';
import { decide } from '../../../functions/domain/engine';
import { capacityState, metric } from '../../unit/domain/builders';

const NOW = 1_795_766_400 + 30; // 08:00:30Z
const END = NOW - 30;

const config = parseConfig(
  {
    version: 1,
    drivers: [
      {
        name: 'requests',
        kind: 'metric',
        targets: ['web-asg'],
        cloudwatch: {
          namespace: 'AWS/ApplicationELB',
          metricName: 'RequestCount',
          dimensions: [{ name: 'LoadBalancer', value: 'app/web/123' }],
          statistic: 'Sum',
          perSecond: true,
        },
      },
      { name: 'queue', kind: 'metric', targets: ['web-asg'] },
    ],
    targets: [
      {
        id: 'web-asg',
        kind: 'ec2-asg',
        resource: { kind: 'ec2-asg', autoScalingGroupName: 'web-prod' },
        mode: 'enforce',
        allowedSources: ['drivetrain.metrics'],
        policy: {
          version: 'v1',
          bounds: { min: 1, max: 40 },
          rules: [
            { kind: 'metric', driver: 'requests', targetPerUnit: 250 },
            { kind: 'metric', driver: 'queue', targetPerUnit: 10 },
          ],
          fallback: { allocation: 4 },
        },
      },
    ],
  },
  'test.yaml',
);
const target = config.targets[0]!;

function minutes(count: number, perMinute: (i: number) => number, end = END): { Timestamps: Date[]; Values: number[] } {
  const start = end - count * 60;
  return {
    Timestamps: Array.from({ length: count }, (_, i) => new Date((start + i * 60) * 1000)),
    Values: Array.from({ length: count }, (_, i) => perMinute(i)),
  };
}

describe('CloudWatchMetricHistory', () => {
  const cw = mockClient(CloudWatchClient);
  beforeEach(() => cw.reset());

  it('reads two hours of 1-minute datapoints of the declared metric, as a per-second rate on the minute grid', async () => {
    const data = minutes(120, (i) => 60 * (1000 + i));
    // one minute CloudWatch has no datapoint for
    data.Timestamps.splice(100, 1);
    data.Values.splice(100, 1);
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'history', ...data, StatusCode: 'Complete' }] });
    const port = new CloudWatchMetricHistory(new CloudWatchClient({}), config);
    const { histories, failures } = await port.forTarget(target, NOW);
    expect(failures).toEqual([]);
    expect(Object.keys(histories)).toEqual(['requests']); // "queue" declares no CloudWatch metric
    const history = histories.requests!;
    expect(history).toMatchObject({ start: END - 7200, stepSeconds: 60 });
    expect(history.values).toHaveLength(120);
    expect(history.values[0]).toBe(1000);
    expect(history.values[119]).toBe(1119);
    expect(Number.isNaN(history.values[100]!)).toBe(true);
    expect(cw).toHaveReceivedCommandWith(GetMetricDataCommand, {
      StartTime: new Date((END - 7200) * 1000),
      EndTime: new Date(END * 1000),
      ScanBy: 'TimestampAscending',
      MetricDataQueries: [
        {
          Id: 'history',
          ReturnData: true,
          MetricStat: {
            Metric: {
              Namespace: 'AWS/ApplicationELB',
              MetricName: 'RequestCount',
              Dimensions: [{ Name: 'LoadBalancer', Value: 'app/web/123' }],
            },
            Period: 60,
            Stat: 'Sum',
          },
        },
      ],
    });
  });

  it('reads each metric at most once per refresh interval, however many decisions ask', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'history', ...minutes(120, () => 60_000) }] });
    const port = new CloudWatchMetricHistory(new CloudWatchClient({}), config);
    await Promise.all([port.forTarget(target, NOW), port.forTarget(target, NOW)]);
    await port.forTarget(target, NOW + HISTORY_REFRESH_SECONDS - 1);
    expect(cw).toHaveReceivedCommandTimes(GetMetricDataCommand, 1);
    await port.forTarget(target, NOW + HISTORY_REFRESH_SECONDS);
    expect(cw).toHaveReceivedCommandTimes(GetMetricDataCommand, 2);
  });

  it('follows NextToken and asks for more than a week when the rule forecasts', async () => {
    const forecasting = {
      ...target,
      policy: {
        ...target.policy,
        rules: [
          {
            kind: 'metric' as const,
            driver: 'requests',
            targetPerUnit: 250,
            scaleInTolerance: 0.1,
            forecast: { mode: 'shadow' as const, leadTimeSeconds: 600 },
          },
        ],
      },
    };
    cw.on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [{ Id: 'history', ...minutes(60, () => 600, END - 60 * 60) }],
        NextToken: 'page-2',
      })
      .resolvesOnce({ MetricDataResults: [{ Id: 'history', ...minutes(60, () => 1200) }] });
    const port = new CloudWatchMetricHistory(new CloudWatchClient({}), config);
    const { histories } = await port.forTarget(forecasting, NOW);
    const history = histories.requests!;
    expect(END - history.start).toBeGreaterThanOrEqual(7 * 86_400 + 3600); // the 7-day season and the hour its band is measured on
    expect(history.values[history.values.length - 1]).toBe(20);
    expect(history.values[history.values.length - 61]).toBe(10);
    expect(cw).toHaveReceivedNthCommandWith(2, GetMetricDataCommand, { NextToken: 'page-2' });
  });

  it('a failed read leaves the metric out (or keeps a recent cache) and reports it; it never throws', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'Throttling',
      $metadata: { httpStatusCode: 400 },
    });
    cw.on(GetMetricDataCommand).rejectsOnce(throttled);
    const port = new CloudWatchMetricHistory(new CloudWatchClient({}), config);
    const cold = await port.forTarget(target, NOW);
    expect(cold.histories).toEqual({});
    expect(cold.failures).toEqual([
      { driver: 'requests', error: expect.stringContaining('Throttling'), retryable: true },
    ]);

    cw.reset();
    cw.on(GetMetricDataCommand)
      .resolvesOnce({ MetricDataResults: [{ Id: 'history', ...minutes(120, () => 60_000) }] })
      .rejects(throttled);
    const warm = new CloudWatchMetricHistory(new CloudWatchClient({}), config);
    await warm.forTarget(target, NOW);
    const soon = await warm.forTarget(target, NOW + HISTORY_REFRESH_SECONDS);
    expect(soon.histories.requests).toBeDefined();
    const late = await warm.forTarget(target, NOW + HISTORY_STALE_AFTER_SECONDS);
    expect(late.histories.requests).toBeUndefined();
  });

  it('a result CloudWatch marks InternalError is a retryable failure, not a history of gaps', async () => {
    // StatusCode InternalError: the datapoints are incomplete (here, none); GetMetricData still answers 200.
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'history', Timestamps: [], Values: [], StatusCode: 'InternalError' }],
    });
    const port = new CloudWatchMetricHistory(new CloudWatchClient({}), config);
    const { histories, failures } = await port.forTarget(target, NOW);
    expect(histories).toEqual({});
    expect(failures).toEqual([
      { driver: 'requests', error: expect.stringContaining('InternalError'), retryable: true },
    ]);
    // Not cached: the next decision asks again instead of reusing the empty read for five minutes.
    await port.forTarget(target, NOW + 1);
    expect(cw).toHaveReceivedCommandTimes(GetMetricDataCommand, 2);
  });

  it('a result CloudWatch marks Forbidden is a permanent failure that carries its message', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        {
          Id: 'history',
          StatusCode: 'Forbidden',
          Messages: [{ Code: 'Forbidden', Value: 'Authentication too complex to retrieve cross region data' }],
        },
      ],
    });
    const port = new CloudWatchMetricHistory(new CloudWatchClient({}), config);
    const { histories, failures } = await port.forTarget(target, NOW);
    expect(histories).toEqual({});
    expect(failures).toEqual([
      {
        driver: 'requests',
        error: expect.stringContaining('Authentication too complex to retrieve cross region data'),
        retryable: false,
      },
    ]);
  });

  it('PartialData pages are followed to the end; a NextToken that never ends is given up on', async () => {
    cw.on(GetMetricDataCommand).callsFake(() => ({
      MetricDataResults: [{ Id: 'history', Timestamps: [], Values: [], StatusCode: 'PartialData' }],
      NextToken: 'again',
    }));
    const port = new CloudWatchMetricHistory(new CloudWatchClient({}), config);
    const { histories, failures } = await port.forTarget(target, NOW);
    expect(histories).toEqual({});
    expect(failures).toEqual([{ driver: 'requests', error: expect.stringContaining('NextToken'), retryable: false }]);
    expect(cw.commandCalls(GetMetricDataCommand).length).toBeLessThanOrEqual(20);
  });

  it('the history it returns is what the engine stabilizes on', async () => {
    // 1000 rps for two hours with one busy minute 3 minutes ago: a scale-in to 4 is held at what that minute needs.
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'history', ...minutes(120, (i) => 60 * (i === 117 ? 1400 : 1000)) }],
    });
    const port = new CloudWatchMetricHistory(new CloudWatchClient({}), config);
    const { histories } = await port.forTarget(target, NOW);
    const snapshot = metric('requests', 1000, { id: 'req', at: END, targets: ['web-asg'] });
    const decision = decide(target, [snapshot], capacityState(8, { lastChangeAt: NOW - 30 }), NOW, {
      history: histories,
    });
    expect(decision.reasons).toContain('stabilized-scale-down');
    expect(decision.desired).toMatchObject({ desired: 7 });
  });
});
