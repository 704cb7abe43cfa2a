/**
 * The executors that coexist with a resource's own scaling — a floor-managed Auto Scaling group (MinSize only)
 * and an Application Auto Scaling scalable target (MinCapacity only) — on the real AWS adapters, with the SDK
 * mocked at the client boundary: the exact requests, throttling, a vanished resource, a write that timed out
 * after it landed, and the coexistence reads.
 */
import {
  ApplicationAutoScalingClient,
  ApplicationAutoScalingServiceException,
  ConcurrentUpdateException,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  DescribeScheduledActionsCommand as DescribeAasScheduledActionsCommand,
  ObjectNotFoundException,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribePoliciesCommand,
  DescribeScheduledActionsCommand,
  SetDesiredCapacityCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { AwsApplicationAutoScalingAdapter, AwsAutoScalingAdapter } from '../../../functions/adapters/aws';
import { createApplicationAutoScalingExecutor } from '../../../functions/executors/application-auto-scaling';
import { createAutoScalingExecutor } from '../../../functions/executors/auto-scaling';
import { asgTarget, FakeClock, instantRetry, scalableTarget } from '../../unit/executors/fakes';
import { sdkErrors } from '../../unit/executors/sdk-errors';

const meta = { httpStatusCode: 400, requestId: 'r-1', attempts: 1, totalRetryDelay: 0 };
const aasThrottling = () =>
  new ApplicationAutoScalingServiceException({
    name: 'ThrottlingException',
    $fault: 'client',
    $metadata: meta,
    message: 'Rate exceeded',
  });
const REF = {
  ServiceNamespace: 'ecs',
  ResourceId: 'service/web/orders',
  ScalableDimension: 'ecs:service:DesiredCount',
} as const;
const registered = (min: number, max = 40) => ({
  ScalableTargets: [
    { ...REF, MinCapacity: min, MaxCapacity: max, RoleARN: 'arn:aws:iam::1:role/x', CreationTime: new Date(0) },
  ],
});
const floorSet = (floor: number) => ({ type: 'set-capacity' as const, desired: floor, floor });

describe('application-auto-scaling executor over the SDK', () => {
  const aas = mockClient(ApplicationAutoScalingClient);
  const client = new ApplicationAutoScalingClient({ region: 'us-east-1' });
  const executor = () =>
    createApplicationAutoScalingExecutor(new AwsApplicationAutoScalingAdapter(client), instantRetry(new FakeClock()));
  beforeEach(() => aas.reset());
  afterAll(() => client.destroy());

  it('observes MinCapacity as the allocation Drivetrain owns', async () => {
    aas.on(DescribeScalableTargetsCommand).resolves(registered(3));
    await expect(executor().observe(scalableTarget())).resolves.toEqual({ kind: 'capacity', desired: 3, floor: 3 });
    expect(aas).toHaveReceivedCommandWith(DescribeScalableTargetsCommand, {
      ServiceNamespace: 'ecs',
      ResourceIds: ['service/web/orders'],
      ScalableDimension: 'ecs:service:DesiredCount',
    });
  });

  it('raises MinCapacity with a RegisterScalableTarget that names nothing else (MaxCapacity and policies stay)', async () => {
    aas.on(DescribeScalableTargetsCommand).resolves(registered(2));
    aas.on(RegisterScalableTargetCommand).resolves({ ScalableTargetARN: 'arn:x' });
    await expect(executor().apply(scalableTarget(), floorSet(8), 'orders-ecs:1#0')).resolves.toEqual({
      status: 'applied',
      detail:
        'RegisterScalableTarget ecs service/web/orders ecs:service:DesiredCount MinCapacity 2→8 (MaxCapacity 40 kept)',
    });
    const calls = aas.commandCalls(RegisterScalableTargetCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({ ...REF, MinCapacity: 8 });
  });

  it('writes nothing when MinCapacity is already in place', async () => {
    aas.on(DescribeScalableTargetsCommand).resolves(registered(8));
    await expect(executor().apply(scalableTarget(), floorSet(8), 'orders-ecs:1#0')).resolves.toMatchObject({
      status: 'unchanged',
    });
    expect(aas).not.toHaveReceivedCommand(RegisterScalableTargetCommand);
  });

  it('throttled (and a concurrent update) is retried, re-reading each time', async () => {
    aas.on(DescribeScalableTargetsCommand).resolves(registered(2));
    aas
      .on(RegisterScalableTargetCommand)
      .rejectsOnce(aasThrottling())
      .rejectsOnce(new ConcurrentUpdateException({ $metadata: meta, message: 'Concurrent updates' }))
      .resolves({});
    await expect(executor().apply(scalableTarget(), floorSet(6), 'orders-ecs:1#0')).resolves.toMatchObject({
      status: 'applied',
      detail: expect.stringContaining('(attempt 3)'),
    });
    expect(aas).toHaveReceivedCommandTimes(DescribeScalableTargetsCommand, 3);
  });

  it('a target that vanished (deregistered, or the service deleted) fails permanently, without a write', async () => {
    aas.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
    await expect(executor().apply(scalableTarget(), floorSet(6), 'orders-ecs:1#0')).rejects.toMatchObject({
      retryable: false,
      code: 'ResourceNotFound',
    });
    expect(aas).not.toHaveReceivedCommand(RegisterScalableTargetCommand);
  });

  it('a target deregistered between the read and the write fails permanently (ObjectNotFoundException)', async () => {
    aas.on(DescribeScalableTargetsCommand).resolves(registered(2));
    aas
      .on(RegisterScalableTargetCommand)
      .rejects(new ObjectNotFoundException({ $metadata: meta, message: 'No scalable target found' }));
    await expect(executor().apply(scalableTarget(), floorSet(6), 'orders-ecs:1#0')).rejects.toMatchObject({
      retryable: false,
      code: 'ObjectNotFoundException',
    });
    expect(aas).toHaveReceivedCommandTimes(RegisterScalableTargetCommand, 1);
  });

  it('a floor above MaxCapacity is refused before any write: Drivetrain never raises MaxCapacity', async () => {
    aas.on(DescribeScalableTargetsCommand).resolves(registered(2, 10));
    await expect(executor().apply(scalableTarget(), floorSet(12), 'orders-ecs:1#0')).rejects.toMatchObject({
      retryable: false,
      code: 'DesiredAboveMaxSize',
    });
    expect(aas).not.toHaveReceivedCommand(RegisterScalableTargetCommand);
  });

  it('a write that timed out after it landed is found in place on the next attempt (applied once)', async () => {
    let min = 2;
    aas.on(DescribeScalableTargetsCommand).callsFake(() => registered(min));
    aas.on(RegisterScalableTargetCommand).callsFakeOnce((input: { MinCapacity: number }) => {
      min = input.MinCapacity;
      throw Object.assign(new Error('Request timed out'), { name: 'TimeoutError' });
    });
    await expect(executor().apply(scalableTarget(), floorSet(9), 'orders-ecs:1#0')).resolves.toMatchObject({
      status: 'applied',
      detail: expect.stringContaining('in place on attempt 2'),
    });
    expect(aas).toHaveReceivedCommandTimes(RegisterScalableTargetCommand, 1);
  });

  it('reads the target own scaling policies and scheduled actions', async () => {
    aas.on(DescribeScalingPoliciesCommand).resolves({
      ScalingPolicies: [
        {
          PolicyName: 'cpu50',
          PolicyARN: 'arn:p',
          PolicyType: 'TargetTrackingScaling',
          ...REF,
          CreationTime: new Date(0),
        },
      ],
    });
    aas.on(DescribeAasScheduledActionsCommand).resolves({ ScheduledActions: [] });
    await expect(
      new AwsApplicationAutoScalingAdapter(client).ownScaling({
        serviceNamespace: 'ecs',
        resourceId: 'service/web/orders',
        scalableDimension: 'ecs:service:DesiredCount',
      }),
    ).resolves.toEqual({ policies: ['cpu50'], scheduledActions: [] });
    expect(aas).toHaveReceivedCommandWith(DescribeScalingPoliciesCommand, REF);
  });
});

describe('floor-managed ec2-asg executor over the SDK', () => {
  const asg = mockClient(AutoScalingClient);
  const client = new AutoScalingClient({ region: 'us-east-1' });
  const executor = () => createAutoScalingExecutor(new AwsAutoScalingAdapter(client), instantRetry(new FakeClock()));
  const floorManaged = () =>
    asgTarget({ resource: { kind: 'ec2-asg', autoScalingGroupName: 'web-prod', manage: 'floor' } });
  const group = (desired: number, min: number, max = 40) => ({
    AutoScalingGroups: [
      {
        AutoScalingGroupName: 'web-prod',
        MinSize: min,
        MaxSize: max,
        DesiredCapacity: desired,
        DefaultCooldown: 300,
        AvailabilityZones: ['us-east-1a'],
        HealthCheckType: 'EC2',
        CreatedTime: new Date(0),
      },
    ],
  });
  beforeEach(() => asg.reset());
  afterAll(() => client.destroy());

  it('observes MinSize only: the group policies own DesiredCapacity', async () => {
    asg.on(DescribeAutoScalingGroupsCommand).resolves(group(17, 3));
    await expect(executor().observe(floorManaged())).resolves.toEqual({ kind: 'capacity', desired: 3, floor: 3 });
  });

  it('raises MinSize alone (no DesiredCapacity in the request, never SetDesiredCapacity)', async () => {
    asg.on(DescribeAutoScalingGroupsCommand).resolves(group(5, 2));
    asg.on(UpdateAutoScalingGroupCommand).resolves({});
    await expect(executor().apply(floorManaged(), floorSet(10), 'web-asg:1#0')).resolves.toEqual({
      status: 'applied',
      detail:
        'UpdateAutoScalingGroup web-prod MinSize 2→10 (DesiredCapacity left to the group; the group raises DesiredCapacity 5→10 itself)',
    });
    expect(asg.commandCalls(UpdateAutoScalingGroupCommand)[0]!.args[0].input).toEqual({
      AutoScalingGroupName: 'web-prod',
      MinSize: 10,
    });
    expect(asg).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
  });

  it('lowers MinSize alone, leaving desired to the group policies', async () => {
    asg.on(DescribeAutoScalingGroupsCommand).resolves(group(12, 10));
    asg.on(UpdateAutoScalingGroupCommand).resolves({});
    await expect(executor().apply(floorManaged(), floorSet(2), 'web-asg:2#0')).resolves.toMatchObject({
      status: 'applied',
      detail: 'UpdateAutoScalingGroup web-prod MinSize 10→2 (DesiredCapacity left to the group)',
    });
    expect(asg).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
  });

  it('throttled twice, then the MinSize update lands', async () => {
    asg.on(DescribeAutoScalingGroupsCommand).resolves(group(5, 2));
    asg
      .on(UpdateAutoScalingGroupCommand)
      .rejectsOnce(sdkErrors.autoScalingThrottling())
      .rejectsOnce(sdkErrors.autoScalingThrottling())
      .resolves({});
    await expect(executor().apply(floorManaged(), floorSet(6), 'web-asg:3#0')).resolves.toMatchObject({
      status: 'applied',
      detail: expect.stringContaining('(attempt 3)'),
    });
    expect(asg).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
  });

  it('a group that vanished fails permanently without a write', async () => {
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
    await expect(executor().apply(floorManaged(), floorSet(6), 'web-asg:4#0')).rejects.toMatchObject({
      retryable: false,
      code: 'ResourceNotFound',
    });
    expect(asg).not.toHaveReceivedCommand(UpdateAutoScalingGroupCommand);
  });

  it('a floor above MaxSize is refused before any write', async () => {
    asg.on(DescribeAutoScalingGroupsCommand).resolves(group(5, 2, 8));
    await expect(executor().apply(floorManaged(), floorSet(9), 'web-asg:5#0')).rejects.toMatchObject({
      retryable: false,
      code: 'DesiredAboveMaxSize',
    });
    expect(asg).not.toHaveReceivedCommand(UpdateAutoScalingGroupCommand);
  });

  it('reads the group own scaling policies and scheduled actions', async () => {
    asg.on(DescribePoliciesCommand).resolves({
      ScalingPolicies: [{ PolicyName: 'cpu50', PolicyType: 'TargetTrackingScaling', AutoScalingGroupName: 'web-prod' }],
    });
    asg.on(DescribeScheduledActionsCommand).resolves({
      ScheduledUpdateGroupActions: [{ ScheduledActionName: 'nightly', AutoScalingGroupName: 'web-prod' }],
    });
    await expect(new AwsAutoScalingAdapter(client).ownScaling('web-prod')).resolves.toEqual({
      policies: ['cpu50'],
      scheduledActions: ['nightly'],
    });
  });
});
