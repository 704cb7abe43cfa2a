import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InvalidConfigError, type DrivetrainConfigInput } from '../../functions/domain/config';
import type { AlarmDriver, BusinessDriver, Driver } from '../../functions/domain/model';
import { DriversFileError, parseTraceCsv } from '../../local/bench/trace';
import { formatReplayReport, ReplayInputError, runReplay, type ReplayReport } from '../../local/replay';

const T0 = 1_795_737_600; // 2026-11-27T00:00:00Z
const dir = mkdtempSync(join(tmpdir(), 'replay-'));

const config: DrivetrainConfigInput = {
  version: 1,
  name: 'replay-test',
  drivers: [
    { name: 'requests', kind: 'metric', targets: ['web'] },
    { name: 'cpu-high', kind: 'alarm', alarmNames: ['web-cpu-high'], targets: ['web'] },
    { name: 'sale', kind: 'business', targets: ['web', 'fn'] },
    { name: 'use1-health', kind: 'alarm', alarmNames: ['api-use1-5xx'], targets: ['api'] },
  ],
  targets: [
    {
      id: 'web',
      kind: 'ec2-asg',
      resource: { kind: 'ec2-asg', autoScalingGroupName: 'web-group' },
      mode: 'shadow',
      allowedSources: ['aws.cloudwatch'],
      policy: {
        version: 'web-v1',
        bounds: { min: 2, max: 40 },
        rules: [
          { kind: 'metric', driver: 'requests', targetPerUnit: 100, scaleInTolerance: 0 }, // exact ceil(rps / 100): the expectations below are hand-computed
          { kind: 'alarm', driver: 'cpu-high', step: 2 },
          { kind: 'business', driver: 'sale', baseline: 4, leadTimeSeconds: 600 },
        ],
        stabilization: { scaleUpSeconds: 600, scaleDownSeconds: 300 },
        fallback: { allocation: 5, staleAfterSeconds: 600 },
      },
    },
    {
      id: 'fn',
      kind: 'lambda-provisioned-concurrency',
      resource: { kind: 'lambda-provisioned-concurrency', functionName: 'checkout', qualifier: 'live' },
      mode: 'enforce',
      allowedSources: ['com.acme.marketing'],
      policy: {
        version: 'fn-v1',
        bounds: { min: 0, max: 100 },
        rules: [{ kind: 'business', driver: 'sale', baseline: 10, leadTimeSeconds: 300 }],
        fallback: { allocation: 0 },
      },
    },
    {
      id: 'api',
      kind: 'route53-weighted',
      resource: {
        kind: 'route53-weighted',
        hostedZoneId: 'Z0123456789ABCDEFGHIJ',
        recordName: 'api.example.com',
        recordType: 'CNAME',
        endpoints: [
          { setIdentifier: 'us-east-1', weight: 70, drainOn: ['use1-health'] },
          { setIdentifier: 'eu-west-1', weight: 30 },
        ],
      },
      mode: 'enforce',
      allowedSources: ['aws.cloudwatch'],
      policy: {
        version: 'api-v1',
        bounds: { min: 0, max: 255 },
        fallback: { allocation: 0 },
        routing: { restoreAfterSeconds: 300 },
      },
    },
  ],
};

function sale(observedAt: number, overrides: Partial<BusinessDriver['signal']> = {}): BusinessDriver {
  return {
    id: 'campaign/noon',
    name: 'sale',
    kind: 'business',
    source: 'com.acme.marketing',
    targets: ['web', 'fn'],
    observedAt,
    expiresAt: T0 + 4 * 3600,
    lineage: { eventId: 'evt-1', channel: 'eventbridge', receivedAt: observedAt },
    signal: {
      type: 'demand',
      demand: { multiplier: 5 },
      windowStart: T0 + 7200,
      windowEnd: T0 + 9000,
      ...overrides,
    } as BusinessDriver['signal'],
  };
}

function alarm(
  name: string,
  alarmName: string,
  target: string,
  observedAt: number,
  state: 'OK' | 'ALARM',
): AlarmDriver {
  return {
    id: `alarm/${alarmName}`,
    name,
    kind: 'alarm',
    source: 'aws.cloudwatch',
    targets: [target],
    observedAt,
    expiresAt: observedAt + 7 * 86400,
    lineage: { eventId: `${alarmName}@${observedAt}`, channel: 'eventbridge', receivedAt: observedAt },
    signal: { alarmName, state },
  };
}

/** Three hours at a flat 300 rps: 3 units at 100 rps/unit. */
const flatTrace = parseTraceCsv(
  ['time_seconds,demand_rps', ...Array.from({ length: 180 }, (_, i) => `${i * 60},300`)].join('\n'),
  { startAt: T0, name: 'flat' },
);

function writeDrivers(name: string, drivers: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(drivers));
  return path;
}

const target = (report: ReplayReport, id: string) => report.targets.find((t) => t.targetId === id)!;

describe('runReplay over a demand trace and announced drivers', () => {
  let report: ReplayReport;
  beforeAll(async () => {
    report = await runReplay({ config, trace: flatTrace, driversFile: writeDrivers('sale.json', [sale(T0 + 3600)]) });
  });

  it("starts from the policy's answer to the first snapshot", () => {
    expect(report.from).toBe(T0);
    expect(report.to).toBe(T0 + 180 * 60);
    const first = target(report, 'web').decisions[0]!;
    expect(first).toMatchObject({ at: T0, status: 'applied', desired: { kind: 'capacity', desired: 3 } });
  });

  it('pre-warms one lead time before the window, per target, and comes back down after it', () => {
    const web = target(report, 'web').decisions.slice(1);
    expect(web[0]).toMatchObject({
      at: T0 + 7200 - 600,
      status: 'applied',
      desired: { desired: 20, floor: 20 },
      winner: 'sale',
    });
    expect(web[0]!.reasons).toContain('business-lead-time');
    expect(web[1]).toMatchObject({ at: T0 + 9000, desired: { desired: 3, floor: 2 } });
    const fn = target(report, 'fn').decisions.slice(1);
    expect(fn.map((d) => [d.at - T0, d.desired.kind === 'capacity' ? d.desired.desired : -1])).toEqual([
      [6900, 50],
      [9000, 0],
    ]);
  });

  it('evaluates a shadow target as if enforced unless told otherwise', () => {
    expect(report.modesForced).toBe(true);
    expect(target(report, 'web').configuredMode).toBe('shadow');
    expect(
      report.calls.filter((c) => c.resource === 'web-group').map((c) => [c.at - T0, c.api, c.request.DesiredCapacity]),
    ).toEqual([
      [6600, 'UpdateAutoScalingGroup', 20],
      [9000, 'UpdateAutoScalingGroup', 3],
    ]);
  });

  it('measures elasticity against the trace: over-provisioned only while pre-warmed', () => {
    const m = target(report, 'web').elasticity!;
    expect(m.timeshareUnder).toBe(0);
    // 20 serving from 11:50+5 min warmup … 2h30 is 2400 s over-provisioned of 10800 s
    expect(m.timeshareOver).toBeCloseTo((100 * (9000 - 6900)) / 10800, 6);
    expect(target(report, 'web').capacityHours).toBeCloseTo((3 * 6600 + 20 * 2400 + 3 * 1800) / 3600, 6);
    expect(target(report, 'fn').elasticity).toBeUndefined();
  });

  it('formats a readable report', () => {
    const text = formatReplayReport(report);
    expect(text).toContain('Replay of <config> (deployment "replay-test")');
    expect(text).toMatch(/web \(ec2-asg, policy web-v1, configured shadow\): 2 changes \(1 up, 1 down\), 0 failed/);
    expect(text).toMatch(
      /2026-11-27 01:50:00 {2}20 \(floor 20\) {2}applied {2}scale 3→20 \(floor 2→20\): sale \(lead 10m\)/,
    );
    expect(text).toContain('elasticity vs "requests" at 100/unit: θU 0.0%');
  });
});

describe('runReplay never looks ahead', () => {
  it('acts on an announcement when it arrives, even between ticks', async () => {
    const report = await runReplay({ config, trace: flatTrace, drivers: [sale(T0 + 7000)], targets: ['web'] });
    const prewarm = target(report, 'web').decisions[1]!;
    expect(prewarm.at).toBe(T0 + 7000);
    expect(prewarm.summary).toMatch(/^scale 3→20/);
  });

  it('keeps the newest observation of a driver and ignores a late, older one', async () => {
    const revised = { ...sale(T0 + 3000), signal: { ...sale(0).signal, demand: { multiplier: 8 } } } as BusinessDriver;
    const stale = { ...sale(T0 + 2000), lineage: { ...sale(0).lineage, receivedAt: T0 + 5000 } };
    const report = await runReplay({ config, trace: flatTrace, drivers: [revised, stale], targets: ['web'] });
    expect(target(report, 'web').decisions[1]!.desired).toMatchObject({ desired: 32 });
  });
});

describe('runReplay over recorded alarms', () => {
  const drivers: Driver[] = [
    alarm('cpu-high', 'web-cpu-high', 'web', T0, 'OK'),
    alarm('use1-health', 'api-use1-5xx', 'api', T0, 'OK'),
    alarm('use1-health', 'api-use1-5xx', 'api', T0 + 300, 'ALARM'),
    alarm('cpu-high', 'web-cpu-high', 'web', T0 + 600, 'ALARM'),
    alarm('use1-health', 'api-use1-5xx', 'api', T0 + 900, 'OK'),
    alarm('cpu-high', 'web-cpu-high', 'web', T0 + 1200, 'OK'),
  ];

  it('drains and restores a region and steps capacity on an alarm', async () => {
    const report = await runReplay({ config, drivers, to: T0 + 3600 });
    const api = target(report, 'api').decisions;
    expect(api.slice(1).map((d) => [d.at - T0, d.desired])).toEqual([
      [300, { kind: 'weights', weights: { 'us-east-1': 0, 'eu-west-1': 100 } }],
      // restored once the alarm has been quiet for restoreAfterSeconds (OK at 900 + 300)
      [1200, { kind: 'weights', weights: { 'us-east-1': 70, 'eu-west-1': 30 } }],
    ]);
    expect(target(report, 'api').timeline.find((s) => s.t === T0 + 600)!.weights).toEqual({
      'us-east-1': 0,
      'eu-west-1': 100,
    });
    const web = target(report, 'web').decisions;
    expect(web[0]).toMatchObject({ at: T0, desired: { desired: 5 } });
    expect(web[1]).toMatchObject({
      at: T0 + 600,
      desired: { desired: 7 },
      reasons: expect.arrayContaining(['alarm-step']),
    });
  });

  it('with respectModes, records what a shadow target would do and never touches it', async () => {
    const report = await runReplay({ config, drivers, to: T0 + 3600, respectModes: true });
    const web = target(report, 'web').decisions.slice(1);
    expect(web.length).toBeGreaterThan(0);
    expect(new Set(web.map((d) => d.status))).toEqual(new Set(['shadow']));
    expect(report.calls.filter((c) => c.resource === 'web-group')).toEqual([]);
  });
});

describe('runReplay inputs', () => {
  it('replays the shipped flash sale with the embedded config: pre-warm only after the 09:00 announcement', async () => {
    const traces = resolve(__dirname, '../../traces');
    const report = await runReplay({
      traceFile: join(traces, 'flash-sale.csv'),
      driversFile: join(traces, 'flash-sale.drivers.json'),
      targets: ['web-asg'],
    });
    const prewarm = target(report, 'web-asg').decisions.filter((d) => d.reasons.includes('business-lead-time'));
    expect(prewarm.length).toBeGreaterThan(0);
    for (const d of prewarm) {
      expect(d.at).toBeGreaterThanOrEqual(T0 + 9 * 3600);
      expect(d.at).toBeLessThan(T0 + 12 * 3600);
    }
    expect(target(report, 'web-asg').elasticity?.metricDriver).toBe('requests');
  });

  it('paces virtual time when given a speed', async () => {
    const short = parseTraceCsv(['time,demand', ...Array.from({ length: 6 }, (_, i) => `${i * 60},300`)].join('\n'), {
      startAt: T0,
    });
    const report = await runReplay({ config, trace: short, targets: ['web'], speed: 3600 });
    // 6 minutes at an hour per second: 0.1 s of wall time
    expect(report.wallMs).toBeGreaterThanOrEqual(80);
  });

  it.each([
    ['nothing to replay', {}, ReplayInputError, /nothing to replay/],
    [
      'an unknown target',
      { trace: flatTrace, targets: ['nope'] },
      ReplayInputError,
      /unknown target\(s\) nope; configured: web, fn, api/,
    ],
    [
      'an undeclared metric driver',
      { trace: flatTrace, metricDriver: 'latency' },
      ReplayInputError,
      /metric driver "latency" is not declared/,
    ],
    [
      'a trace for a non-metric driver',
      { trace: flatTrace, metricDriver: 'sale' },
      ReplayInputError,
      /is a business driver/,
    ],
  ])('refuses %s', async (_name, options, type, message) => {
    const error = await runReplay({ config, ...options }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(type);
    expect((error as Error).message).toMatch(message);
  });

  it('names the bad entry of a drivers file', async () => {
    const file = writeDrivers('bad.json', [sale(T0), { ...sale(T0), expiresAt: T0 - 1 }]);
    const error = await runReplay({ config, driversFile: file }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DriversFileError);
    expect((error as Error).message).toContain('[1].expiresAt: must be after observedAt');
  });

  it('validates the policy file with the config schema', async () => {
    const file = join(dir, 'bad.config.yaml');
    writeFileSync(file, 'version: 1\ntargets: []\n');
    const error = await runReplay({ configPath: file, trace: flatTrace }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as Error).message).toContain(`${file}: targets`);
    await expect(runReplay({ configPath: join(dir, 'missing.yaml'), trace: flatTrace })).rejects.toThrow(
      /cannot read policy file/,
    );
  });
});

describe('runReplay of an alb-weighted target', () => {
  const RULE =
    'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';
  const tg = (name: string) =>
    `arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/${name}/6d0ecf831eec9f09`;
  const albConfig: DrivetrainConfigInput = {
    version: 1,
    name: 'replay-alb',
    drivers: [{ name: 'blue-5xx', kind: 'alarm', alarmNames: ['web-blue-5xx'], targets: ['alb'] }],
    targets: [
      {
        id: 'alb',
        resource: {
          kind: 'alb-weighted',
          listenerRuleArn: RULE,
          targetGroups: [
            { arn: tg('blue'), weight: 80, drainOn: ['blue-5xx'] },
            { arn: tg('green'), weight: 20 },
          ],
        },
        mode: 'enforce',
        allowedSources: ['aws.cloudwatch'],
        policy: {
          version: 'alb-v1',
          bounds: { min: 0, max: 255 },
          fallback: { allocation: 0 },
          routing: { restoreAfterSeconds: 300 },
        },
      },
    ],
  };

  it('drains and restores a target group by name, with the same semantics as Route 53 weights', async () => {
    const drivers: Driver[] = [
      alarm('blue-5xx', 'web-blue-5xx', 'alb', T0, 'OK'),
      alarm('blue-5xx', 'web-blue-5xx', 'alb', T0 + 300, 'ALARM'),
      alarm('blue-5xx', 'web-blue-5xx', 'alb', T0 + 900, 'OK'),
    ];
    const report = await runReplay({ config: albConfig, drivers, to: T0 + 3600 });
    const alb = report.targets.find((t) => t.targetId === 'alb')!;
    expect(alb.kind).toBe('alb-weighted');
    expect(alb.failed).toBe(0);
    expect(alb.decisions.slice(1).map((d) => [d.at - T0, d.desired])).toEqual([
      [300, { kind: 'weights', weights: { blue: 0, green: 100 } }],
      [1200, { kind: 'weights', weights: { blue: 80, green: 20 } }],
    ]);
    expect(alb.timeline.find((s) => s.t === T0 + 600)!.weights).toEqual({ blue: 0, green: 100 });
  });
});
