import { parseConfig } from '../../functions/domain/config';
import { SimulatedMetricHistory } from '../../local/simulator/metric-history';

const T0 = Date.parse('2026-11-27T08:00:00Z') / 1000;

const config = parseConfig(
  {
    version: 1,
    drivers: [
      {
        name: 'requests',
        kind: 'metric',
        targets: ['web'],
        cloudwatch: { namespace: 'AWS/ApplicationELB', metricName: 'RequestCount', statistic: 'Sum', perSecond: true },
      },
      { name: 'queue', kind: 'metric', targets: ['web'] },
    ],
    targets: [
      {
        id: 'web',
        kind: 'ec2-asg',
        resource: { kind: 'ec2-asg', autoScalingGroupName: 'web' },
        allowedSources: ['drivetrain.metrics'],
        policy: {
          version: 'v1',
          bounds: { min: 1, max: 10 },
          rules: [
            { kind: 'metric', driver: 'requests', targetPerUnit: 100 },
            { kind: 'metric', driver: 'queue', targetPerUnit: 10 },
          ],
          fallback: { allocation: 1 },
        },
      },
    ],
  },
  'inline',
);
const target = config.targets[0]!;

describe('SimulatedMetricHistory (the demo account CloudWatch, behind the metric history port)', () => {
  it('serves the metrics whose declaration names a CloudWatch metric, like the adapter', async () => {
    const history = new SimulatedMetricHistory(config);
    history.record('requests', T0, 100);
    history.record('queue', T0, 5);
    const { histories, failures } = await history.forTarget(target, T0 + 120);
    expect(Object.keys(histories)).toEqual(['requests']);
    expect(failures).toEqual([]);
  });

  it('returns only the periods that have ended by now, gaps as NaN', async () => {
    const history = new SimulatedMetricHistory(config);
    history.record('requests', T0, 100);
    history.record('requests', T0 + 120, 300); // T0 + 60 is missing
    history.record('requests', T0 + 180, 400);
    const at = async (now: number) => Array.from((await history.forTarget(target, now)).histories.requests!.values);
    expect(await at(T0 + 180)).toEqual([100, Number.NaN, 300]);
    expect(await at(T0 + 240)).toEqual([100, Number.NaN, 300, 400]);
    expect(await at(T0 + 30)).toEqual([]);
    expect((await history.forTarget(target, T0 + 240)).histories.requests).toMatchObject({
      start: T0,
      stepSeconds: 60,
    });
  });
});
