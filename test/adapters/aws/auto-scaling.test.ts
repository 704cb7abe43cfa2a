import {
  AutoScalingClient,
  type Activity,
  DescribeAutoScalingGroupsCommand,
  type DescribeAutoScalingGroupsCommandOutput,
  DescribeScalingActivitiesCommand,
  SetDesiredCapacityCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { AwsAutoScalingAdapter } from '../../../functions/adapters/aws/auto-scaling';
import { sdkErrors } from '../../unit/executors/sdk-errors';

/** DescribeAutoScalingGroups response as in the Auto Scaling API reference example (launch template group). */
function describeOutput(group: { desired: number; min: number; max: number }): DescribeAutoScalingGroupsCommandOutput {
  return {
    $metadata: { httpStatusCode: 200, requestId: '0b1e7d6c-0000-4000-8000-000000000000' },
    AutoScalingGroups: [
      {
        AutoScalingGroupName: 'web-prod',
        AutoScalingGroupARN:
          'arn:aws:autoscaling:us-east-1:111122223333:autoScalingGroup:930d940e-891e-4781-a11a-7b0acd480f03:autoScalingGroupName/web-prod',
        LaunchTemplate: {
          LaunchTemplateName: 'web-prod',
          LaunchTemplateId: 'lt-0123456789abcdef0',
          Version: '$Default',
        },
        MinSize: group.min,
        MaxSize: group.max,
        DesiredCapacity: group.desired,
        DefaultCooldown: 300,
        AvailabilityZones: ['us-east-1a', 'us-east-1b'],
        LoadBalancerNames: [],
        TargetGroupARNs: ['arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/web-prod/73e2d6bc24d8a067'],
        HealthCheckType: 'ELB',
        HealthCheckGracePeriod: 300,
        Instances: [
          {
            InstanceId: 'i-05b4f7d5be44822a6',
            InstanceType: 't3.micro',
            AvailabilityZone: 'us-east-1a',
            LifecycleState: 'InService',
            HealthStatus: 'Healthy',
            LaunchTemplate: { LaunchTemplateName: 'web-prod', LaunchTemplateId: 'lt-0123456789abcdef0', Version: '1' },
            ProtectedFromScaleIn: false,
          },
        ],
        CreatedTime: new Date('2026-11-01T08:00:00.000Z'),
        SuspendedProcesses: [],
        VPCZoneIdentifier: 'subnet-5ea0c127,subnet-6194ea3b',
        EnabledMetrics: [],
        Tags: [],
        TerminationPolicies: ['Default'],
        NewInstancesProtectedFromScaleIn: false,
        ServiceLinkedRoleARN:
          'arn:aws:iam::111122223333:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling',
      },
    ],
  };
}

describe('AwsAutoScalingAdapter', () => {
  const mock = mockClient(AutoScalingClient);
  const client = new AutoScalingClient({ region: 'us-east-1' });
  const adapter = new AwsAutoScalingAdapter(client);
  beforeEach(() => mock.reset());
  afterAll(() => client.destroy());

  it('describes one group by name', async () => {
    mock.on(DescribeAutoScalingGroupsCommand).resolves(describeOutput({ desired: 4, min: 2, max: 40 }));
    // inService: the one listed instance in LifecycleState InService (what the follow-through counts).
    await expect(adapter.describe('web-prod')).resolves.toEqual({ desired: 4, min: 2, max: 40, inService: 1 });
    expect(mock).toHaveReceivedCommandTimes(DescribeAutoScalingGroupsCommand, 1);
    expect(mock).toHaveReceivedCommandWith(DescribeAutoScalingGroupsCommand, { AutoScalingGroupNames: ['web-prod'] });
  });

  it('returns undefined for an unknown group (the API answers an empty list)', async () => {
    mock.on(DescribeAutoScalingGroupsCommand).resolves({ $metadata: { httpStatusCode: 200 }, AutoScalingGroups: [] });
    await expect(adapter.describe('web-prod')).resolves.toBeUndefined();
  });

  it('sets desired capacity without honouring the cooldown when MinSize stays', async () => {
    mock.on(SetDesiredCapacityCommand).resolves({ $metadata: { httpStatusCode: 200 } });
    await adapter.setCapacity('web-prod', { desired: 12 });
    expect(mock).toHaveReceivedCommandTimes(SetDesiredCapacityCommand, 1);
    expect(mock.commandCalls(SetDesiredCapacityCommand)[0]!.args[0].input).toEqual({
      AutoScalingGroupName: 'web-prod',
      DesiredCapacity: 12,
      HonorCooldown: false,
    });
    expect(mock).not.toHaveReceivedCommand(UpdateAutoScalingGroupCommand);
  });

  it('moves MinSize and DesiredCapacity in one UpdateAutoScalingGroup and never touches MaxSize', async () => {
    mock.on(UpdateAutoScalingGroupCommand).resolves({ $metadata: { httpStatusCode: 200 } });
    await adapter.setCapacity('web-prod', { desired: 12, min: 12 });
    expect(mock).toHaveReceivedCommandTimes(UpdateAutoScalingGroupCommand, 1);
    expect(mock.commandCalls(UpdateAutoScalingGroupCommand)[0]!.args[0].input).toEqual({
      AutoScalingGroupName: 'web-prod',
      MinSize: 12,
      DesiredCapacity: 12,
    });
    expect(mock).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
  });

  it('lets SDK errors through unchanged for the executors to classify', async () => {
    const error = sdkErrors.scalingActivityInProgress();
    mock.on(SetDesiredCapacityCommand).rejects(error);
    await expect(adapter.setCapacity('web-prod', { desired: 12 })).rejects.toBe(error);
  });

  it('refuses a malformed group instead of guessing its size', async () => {
    const output = describeOutput({ desired: 4, min: 2, max: 40 });
    delete output.AutoScalingGroups![0]!.DesiredCapacity;
    mock.on(DescribeAutoScalingGroupsCommand).resolves(output);
    await expect(adapter.describe('web-prod')).rejects.toThrow('without DesiredCapacity/MinSize/MaxSize');
  });
  describe('failedActivities', () => {
    const SINCE = 1_795_766_400;
    const activity = (
      id: string,
      at: number,
      statusCode: Activity['StatusCode'],
      statusMessage?: string,
    ): Activity => ({
      ActivityId: id,
      AutoScalingGroupName: 'web-prod',
      Cause: `At ${new Date(at * 1000).toISOString()} an instance was started in response to a difference between desired and actual capacity`,
      StartTime: new Date(at * 1000),
      StatusCode: statusCode,
      Progress: 100,
      ...(statusMessage ? { StatusMessage: statusMessage } : {}),
    });

    it('pages (NextToken) while the activities are still newer than the window start', async () => {
      // Newest first: a busy group fills the first page of 50 with activities since the apply; the failed
      // launch of the window is on the second page.
      mock
        .on(DescribeScalingActivitiesCommand)
        .resolvesOnce({
          Activities: Array.from({ length: 50 }, (_, i) => activity(`a${i}`, SINCE + 600 - i, 'Successful')),
          NextToken: 'page-2',
        })
        .resolvesOnce({
          Activities: [
            activity('b0', SINCE + 60, 'Failed', 'We currently do not have sufficient m5.large capacity.'),
            activity('b1', SINCE - 60, 'Successful'),
          ],
          NextToken: 'page-3',
        });
      await expect(adapter.failedActivities('web-prod', SINCE)).resolves.toEqual([
        { at: SINCE + 60, cause: 'We currently do not have sufficient m5.large capacity.' },
      ]);
      // The second page reached before the window start: the third is not asked for.
      expect(mock).toHaveReceivedCommandTimes(DescribeScalingActivitiesCommand, 2);
      expect(mock).toHaveReceivedNthCommandWith(2, DescribeScalingActivitiesCommand, {
        AutoScalingGroupName: 'web-prod',
        NextToken: 'page-2',
      });
    });

    it('reads one page when it already reaches before the window start', async () => {
      mock.on(DescribeScalingActivitiesCommand).resolves({
        Activities: [activity('a0', SINCE + 5, 'InProgress'), activity('a1', SINCE - 3600, 'Failed', 'old')],
        NextToken: 'page-2',
      });
      await expect(adapter.failedActivities('web-prod', SINCE)).resolves.toEqual([]);
      expect(mock).toHaveReceivedCommandTimes(DescribeScalingActivitiesCommand, 1);
    });
  });
});
