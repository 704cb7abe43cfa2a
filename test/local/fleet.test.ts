import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../functions/domain/config';
import { VirtualClock } from '../../local/simulator/clock';
import { SimulatedAwsError, SimulatedFleet } from '../../local/simulator/fleet';

const T0 = 1_795_737_600;
const record = { hostedZoneId: 'Z0123456789ABCDEFGHIJ', recordName: 'api.example.com', recordType: 'CNAME' };

function setup() {
  const clock = new VirtualClock(T0);
  const fleet = new SimulatedFleet({
    now: clock.now,
    instanceWarmupSeconds: 300,
    provisionedConcurrencyReadySeconds: 180,
  });
  fleet.addAutoScalingGroup('web', { min: 1, max: 5, desired: 2 });
  fleet.addFunction('checkout', 'live');
  fleet.addWeightedRecord(record, { 'us-east-1': 70, 'eu-west-1': 30 });
  return { clock, fleet };
}

describe('SimulatedFleet: Auto Scaling group', () => {
  it('serves new instances only after the warmup, and records the call', async () => {
    const { clock, fleet } = setup();
    await fleet.autoScaling.setCapacity('web', { desired: 4 });
    expect(fleet.groupStatus('web')).toEqual({ desired: 4, min: 1, max: 5, inService: 2, warming: 2 });
    clock.advanceBy(299);
    expect(fleet.groupStatus('web').inService).toBe(2);
    clock.advanceBy(1);
    expect(fleet.groupStatus('web')).toMatchObject({ inService: 4, warming: 0 });
    expect(fleet.calls).toEqual([
      {
        at: T0,
        api: 'SetDesiredCapacity',
        resource: 'web',
        request: { AutoScalingGroupName: 'web', DesiredCapacity: 4 },
      },
    ]);
    await expect(fleet.autoScaling.describe('web')).resolves.toEqual({ desired: 4, min: 1, max: 5, inService: 4 });
  });

  it('moves MinSize with UpdateAutoScalingGroup when a floor is given', async () => {
    const { fleet } = setup();
    await fleet.autoScaling.setCapacity('web', { desired: 4, min: 3 });
    expect(fleet.calls[0]).toMatchObject({
      api: 'UpdateAutoScalingGroup',
      request: { AutoScalingGroupName: 'web', MinSize: 3, DesiredCapacity: 4 },
    });
    await expect(fleet.autoScaling.describe('web')).resolves.toEqual({ desired: 4, min: 3, max: 5, inService: 2 });
  });

  it('terminates warming instances first on scale-in', async () => {
    const { clock, fleet } = setup();
    await fleet.autoScaling.setCapacity('web', { desired: 4 });
    clock.advanceBy(60);
    await fleet.autoScaling.setCapacity('web', { desired: 3 });
    expect(fleet.groupStatus('web')).toMatchObject({ desired: 3, inService: 2, warming: 1 });
  });

  it.each([
    [{ desired: 6 }, /above max value 5/],
    [{ desired: 0 }, /below min value 1/],
    [{ desired: 2, min: 3 }, /below min value 3/],
    [{ desired: 2.5 }, /non-negative integer/],
  ])('refuses %j whole, like the API', async (change, message) => {
    const { fleet } = setup();
    const error = await fleet.autoScaling.setCapacity('web', change).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SimulatedAwsError);
    expect(error).toMatchObject({ name: 'ValidationError', retryable: false, $fault: 'client' });
    expect((error as Error).message).toMatch(message);
    expect(fleet.calls).toEqual([]);
    expect(fleet.groupStatus('web')).toMatchObject({ desired: 2, min: 1 });
  });

  it('reports an unknown group as absent on describe and as a ValidationError on change', async () => {
    const { fleet } = setup();
    await expect(fleet.autoScaling.describe('nope')).resolves.toBeUndefined();
    await expect(fleet.autoScaling.setCapacity('nope', { desired: 1 })).rejects.toMatchObject({
      name: 'ValidationError',
    });
  });
});

describe('SimulatedFleet: provisioned concurrency', () => {
  it('is IN_PROGRESS for minutes, then READY', async () => {
    const { clock, fleet } = setup();
    await expect(fleet.provisionedConcurrency.get('checkout', 'live')).resolves.toBeUndefined();
    await fleet.provisionedConcurrency.put('checkout', 'live', 50);
    await expect(fleet.provisionedConcurrency.get('checkout', 'live')).resolves.toEqual({
      requested: 50,
      allocated: 0,
      status: 'IN_PROGRESS',
    });
    clock.advanceBy(180);
    await expect(fleet.provisionedConcurrency.get('checkout', 'live')).resolves.toEqual({
      requested: 50,
      allocated: 50,
      status: 'READY',
    });
    // Raising it keeps the current allocation serving until the new one is ready.
    await fleet.provisionedConcurrency.put('checkout', 'live', 80);
    await expect(fleet.provisionedConcurrency.get('checkout', 'live')).resolves.toEqual({
      requested: 80,
      allocated: 50,
      status: 'IN_PROGRESS',
    });
    expect(fleet.calls.map((c) => c.request)).toEqual([
      { FunctionName: 'checkout', Qualifier: 'live', ProvisionedConcurrentExecutions: 50 },
      { FunctionName: 'checkout', Qualifier: 'live', ProvisionedConcurrentExecutions: 80 },
    ]);
  });

  it('refuses 0 (delete instead) and deletes idempotently', async () => {
    const { fleet } = setup();
    await expect(fleet.provisionedConcurrency.put('checkout', 'live', 0)).rejects.toMatchObject({
      name: 'ValidationException',
    });
    await fleet.provisionedConcurrency.put('checkout', 'live', 5);
    await fleet.provisionedConcurrency.remove('checkout', 'live');
    await fleet.provisionedConcurrency.remove('checkout', 'live');
    await expect(fleet.provisionedConcurrency.get('checkout', 'live')).resolves.toBeUndefined();
    expect(fleet.calls.map((c) => c.api)).toEqual([
      'PutProvisionedConcurrencyConfig',
      'DeleteProvisionedConcurrencyConfig',
    ]);
  });

  it('does not know functions it was not given', async () => {
    const { fleet } = setup();
    await expect(fleet.provisionedConcurrency.put('other', 'live', 1)).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});

describe('SimulatedFleet: Route 53 weights', () => {
  it('applies at once and sends only the records that change', async () => {
    const { fleet } = setup();
    await fleet.routing.setWeights(record, { 'us-east-1': 0, 'eu-west-1': 30 });
    await expect(fleet.routing.getWeights(record)).resolves.toEqual({ 'us-east-1': 0, 'eu-west-1': 30 });
    expect(fleet.calls).toEqual([
      {
        at: T0,
        api: 'ChangeResourceRecordSets',
        resource: 'Z0123456789ABCDEFGHIJ/api.example.com/CNAME',
        request: {
          HostedZoneId: 'Z0123456789ABCDEFGHIJ',
          Changes: [{ Action: 'UPSERT', SetIdentifier: 'us-east-1', Weight: 0 }],
        },
      },
    ]);
    await fleet.routing.setWeights(record, { 'us-east-1': 0, 'eu-west-1': 30 });
    expect(fleet.calls).toHaveLength(1);
  });

  it.each([
    [{ 'ap-south-1': 10 }, 'InvalidChangeBatch'],
    [{ 'us-east-1': 256 }, 'InvalidInput'],
    [{ 'us-east-1': 1.5 }, 'InvalidInput'],
  ])('refuses %j whole', async (weights, name) => {
    const { fleet } = setup();
    await expect(fleet.routing.setWeights(record, { 'eu-west-1': 100, ...weights })).rejects.toMatchObject({ name });
    await expect(fleet.routing.getWeights(record)).resolves.toEqual({ 'us-east-1': 70, 'eu-west-1': 30 });
  });
});

describe('SimulatedFleet: setup and failure injection', () => {
  it('builds every resource of a config', async () => {
    const file = resolve(__dirname, '../../drivetrain.config.yaml');
    const config = parseConfig(parseYaml(readFileSync(file, 'utf8')), file);
    const clock = new VirtualClock(T0);
    const fleet = SimulatedFleet.fromConfig(config, { now: clock.now, initial: { 'web-asg': 4 } });
    expect(fleet.groupStatus('web-prod')).toEqual({ desired: 4, min: 2, max: 40, inService: 4, warming: 0 });
    await expect(fleet.provisionedConcurrency.get('checkout', 'live')).resolves.toBeUndefined();
    await expect(fleet.routing.getWeights(record)).resolves.toEqual({ 'us-east-1': 70, 'eu-west-1': 30 });
  });

  it('fails the next matching call once', async () => {
    const { fleet } = setup();
    const throttled = new SimulatedAwsError('Throttling', 'Rate exceeded', true);
    fleet.failNext('SetDesiredCapacity', throttled);
    await expect(fleet.autoScaling.setCapacity('web', { desired: 3 })).rejects.toBe(throttled);
    await fleet.autoScaling.setCapacity('web', { desired: 3 });
    expect(fleet.groupStatus('web').desired).toBe(3);
  });

  it('never lets the virtual clock run backwards', () => {
    const clock = new VirtualClock(T0);
    expect(() => clock.advanceTo(T0 - 1)).toThrow(/cannot go back/);
  });
});
