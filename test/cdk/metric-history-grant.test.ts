/**
 * The metric history grant (lib/drivetrain.ts grantMetricHistory): cloudwatch:GetMetricData, and nothing
 * more, only when a metric driver declares its CloudWatch metric.
 */
import { resourcesOf, fixtureConfig, synthStack } from './support';

function getMetricDataStatements(config = fixtureConfig()): unknown[] {
  const { template } = synthStack({ config });
  return Object.values(resourcesOf(template, 'AWS::IAM::Policy')).flatMap((policy) => {
    const document = policy.Properties.PolicyDocument as {
      Statement: Array<{ Action: string | string[]; Resource: unknown; Sid?: string }>;
    };
    return document.Statement.filter((s) => [s.Action].flat().some((a) => a.startsWith('cloudwatch:')));
  });
}

describe('metric history grant', () => {
  it('is absent when no metric driver declares a CloudWatch metric', () => {
    const config = fixtureConfig();
    for (const d of config.drivers) delete d.cloudwatch;
    expect(getMetricDataStatements(config)).toEqual([]);
  });

  it('grants cloudwatch:GetMetricData only, to each function that decides when deployed (ingest, shard worker, operator endpoint)', () => {
    const config = fixtureConfig();
    const driver = config.drivers.find((d) => d.kind === 'metric');
    if (!driver) throw new Error('the fixture config declares a metric driver');
    driver.cloudwatch = {
      namespace: 'AWS/ApplicationELB',
      metricName: 'RequestCount',
      dimensions: [],
      statistic: 'Sum',
      perSecond: true,
    };
    expect(getMetricDataStatements(config)).toEqual([
      { Sid: 'ReadMetricHistory', Effect: 'Allow', Action: 'cloudwatch:GetMetricData', Resource: '*' },
      { Sid: 'ReadMetricHistory', Effect: 'Allow', Action: 'cloudwatch:GetMetricData', Resource: '*' },
      { Sid: 'ReadMetricHistory', Effect: 'Allow', Action: 'cloudwatch:GetMetricData', Resource: '*' },
    ]);
  });
});
