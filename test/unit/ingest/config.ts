/** The deployment config the ingest tests run against: the documented fixtures' alarm names are declared here. */
import { parseConfig, type DrivetrainConfigInput } from '../../../functions/domain/config';

const capacityPolicy = (version: string) => ({
  version,
  bounds: { min: 0, max: 100 },
  fallback: { allocation: 2 },
});

export const ingestConfigInput: DrivetrainConfigInput = {
  version: 1,
  drivers: [
    {
      name: 'cpu-high',
      kind: 'alarm',
      alarmNames: ['ServerCpuTooHigh', 'lambda-demo-metric-alarm'],
      targets: ['web-asg', 'checkout-fn'],
    },
    { name: 'net-high', kind: 'alarm', alarmNames: ['TotalNetworkTrafficTooHigh'], targets: ['web-asg'] },
    { name: 'cpu-anomaly', kind: 'alarm', alarmNames: ['EC2 CPU Utilization Anomaly'], targets: ['web-asg'] },
    {
      name: 'service-health',
      kind: 'alarm',
      alarmNames: ['ServiceAggregatedAlarm', 'CompositeDemo.Main'],
      targets: ['api-routing'],
    },
    { name: 'example-sns', kind: 'alarm', alarmNames: ['EXAMPLE'], targets: ['web-asg'] },
    { name: 'requests', kind: 'metric', unit: 'Count/Second', targets: ['web-asg'] },
    { name: 'queue-depth', kind: 'metric', targets: ['web-asg'] },
    { name: 'flash-sale', kind: 'business', targets: ['web-asg', 'checkout-fn'] },
    { name: 'cost-budget', kind: 'business', targets: ['web-asg'] },
    { name: 'change-freeze', kind: 'business', targets: ['web-asg', 'checkout-fn'] },
    { name: 'short-campaign', kind: 'business', targets: ['web-asg'], ttlSeconds: 14 * 86400 },
    { name: 'ops-override', kind: 'override', targets: ['web-asg', 'checkout-fn', 'api-routing'] },
    { name: 'quick-override', kind: 'override', targets: ['web-asg'], ttlSeconds: 4 * 3600 },
  ],
  targets: [
    {
      id: 'web-asg',
      kind: 'ec2-asg',
      resource: { kind: 'ec2-asg', autoScalingGroupName: 'web-prod' },
      allowedSources: [
        'aws.cloudwatch',
        'drivetrain.metrics',
        'com.acme.marketing',
        'com.acme.finance',
        'com.acme.change',
        'drivetrain.operator',
      ],
      overridePrincipals: ['arn:aws:iam::111122223333:role/oncall-*'],
      policy: capacityPolicy('web-1'),
    },
    {
      id: 'checkout-fn',
      kind: 'lambda-provisioned-concurrency',
      resource: { kind: 'lambda-provisioned-concurrency', functionName: 'checkout', qualifier: 'live' },
      allowedSources: ['com.acme.marketing', 'drivetrain.operator'],
      overridePrincipals: ['arn:aws:iam::111122223333:role/oncall-*'],
      policy: capacityPolicy('checkout-1'),
    },
    {
      id: 'api-routing',
      kind: 'route53-weighted',
      resource: {
        kind: 'route53-weighted',
        hostedZoneId: 'Z0123456789ABCDEFGHIJ',
        recordName: 'api.example.com',
        recordType: 'CNAME',
        endpoints: [
          { setIdentifier: 'us-east-1', weight: 70 },
          { setIdentifier: 'eu-west-1', weight: 30 },
        ],
      },
      allowedSources: ['aws.cloudwatch', 'drivetrain.operator'],
      overridePrincipals: ['arn:aws:iam::111122223333:role/oncall-bob'],
      policy: { version: 'routing-1', bounds: { min: 0, max: 255 }, fallback: { allocation: 0 } },
    },
  ],
};

export const ingestConfig = parseConfig(ingestConfigInput, 'test/unit/ingest/config.ts');

/** Epoch seconds of an ISO timestamp, computed independently of the code under test. */
export function t(iso: string): number {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new Error(`test bug: ${iso} is not ISO`);
  return ms / 1000;
}
