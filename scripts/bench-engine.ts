/**
 * Micro-benchmark of the decision engine: evaluations per second of `decide` for a realistic capacity
 * policy fed 20 drivers of every kind (alarms, metric snapshots, business windows, budget, freeze, overrides,
 * plus the expired and foreign records a real driver table read returns) and 8 days of metric history (a
 * seasonal forecast in enforce mode, the noise band and the scale-down stabilization all run).
 *
 *   npm run bench:engine                      # ~2.5 s measured after a warm-up
 *   npm run bench:engine -- --min 100000      # exit 1 below 100k evaluations/s (CI gate)
 *   npm run bench:engine -- --seconds 5 --json
 *
 * Each evaluation advances the clock and varies the current allocation so the work is what a reconcile
 * tick really does (windows open and close, cooldowns start and end), not one cached answer.
 */
import { parseArgs } from 'node:util';
import { decide, type EngineTarget } from '../functions/domain/engine';
import { driverSchema, targetSchema, type Driver, type DriverKind, type TargetState } from '../functions/domain/model';

const { values: args } = parseArgs({
  options: {
    min: { type: 'string' },
    seconds: { type: 'string', default: '2.5' },
    warmup: { type: 'string', default: '0.5' },
    json: { type: 'boolean', default: false },
  },
});

function positiveNumber(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`--${name} must be a positive number, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return value;
}

const minRate = positiveNumber('min', args.min);
const measureSeconds = positiveNumber('seconds', args.seconds)!;
const warmupSeconds = positiveNumber('warmup', args.warmup)!;

const T0 = 1_795_766_400; // 2026-11-27T08:00:00Z

const target: EngineTarget = targetSchema.parse({
  id: 'web-asg',
  resource: { kind: 'ec2-asg', autoScalingGroupName: 'web-prod' },
  mode: 'enforce',
  allowedSources: [
    'aws.cloudwatch',
    'drivetrain.metrics',
    'com.acme.marketing',
    'com.acme.finance',
    'drivetrain.operator',
  ],
  policy: {
    version: 'web-2026-11-23',
    bounds: { min: 2, max: 60, maxStepUp: 12, maxStepDown: 4 },
    rules: [
      { kind: 'alarm', driver: 'cpu-high', step: 2, urgent: true },
      { kind: 'alarm', driver: 'cpu-low', step: -1 },
      { kind: 'alarm', driver: 'latency-high', step: 3, staleAfterSeconds: 1800 },
      { kind: 'metric', driver: 'requests', targetPerUnit: 250, forecast: { mode: 'enforce', leadTimeSeconds: 600 } },
      { kind: 'metric', driver: 'queue-depth', targetPerUnit: 100, staleAfterSeconds: 300 },
      { kind: 'business', driver: 'flash-sale', baseline: 4, leadTimeSeconds: 900 },
      { kind: 'business', driver: 'forecast' },
      { kind: 'business', driver: 'cost-budget' },
      { kind: 'business', driver: 'change-freeze' },
      { kind: 'override', driver: 'ops-override' },
    ],
    combine: 'max',
    stabilization: { scaleUpSeconds: 120, scaleDownSeconds: 600 },
    budget: { unitHourlyPrice: 0.0832, maxHourlyCost: 4.5 },
    fallback: { allocation: 6, staleAfterSeconds: 600 },
    schedule: [
      {
        name: 'black-friday-floor',
        start: T0 + 86_400,
        end: T0 + 2 * 86_400,
        action: 'pin',
        allocation: 30,
        reason: 'BF',
      },
    ],
  },
});

let seq = 0;
function driver(
  kind: DriverKind,
  name: string,
  signal: unknown,
  observedAt: number,
  ttl: number,
  extra: Record<string, unknown> = {},
): Driver {
  seq++;
  return driverSchema.parse({
    id: `${name}#${seq}`,
    name,
    kind,
    source:
      kind === 'alarm'
        ? 'aws.cloudwatch'
        : kind === 'metric'
          ? 'drivetrain.metrics'
          : kind === 'override'
            ? 'drivetrain.operator'
            : 'com.acme.marketing',
    targets: ['web-asg'],
    observedAt,
    expiresAt: observedAt + ttl,
    lineage: { eventId: `evt-${seq}`, channel: 'eventbridge', receivedAt: observedAt + 1 },
    signal,
    ...extra,
  });
}

const alarm = (name: string, alarmName: string, state: string, at: number) =>
  driver('alarm', name, { alarmName, state, previousState: state === 'ALARM' ? 'OK' : 'ALARM' }, at, 7 * 86_400);
const metric = (name: string, value: number, at: number) =>
  driver('metric', name, { value, unit: 'Count/Second' }, at, 3600);
const business = (name: string, signal: unknown, at: number) => driver('business', name, signal, at, 30 * 86_400);

const drivers: Driver[] = [
  alarm('cpu-high', 'web-prod-cpu-high-a', 'ALARM', T0 - 200),
  alarm('cpu-high', 'web-prod-cpu-high-b', 'OK', T0 - 3000),
  alarm('cpu-low', 'web-prod-cpu-low', 'OK', T0 - 5000),
  alarm('latency-high', 'web-prod-p99', 'INSUFFICIENT_DATA', T0 - 100),
  alarm('latency-high', 'web-prod-p99-eu', 'ALARM', T0 - 4000),
  metric('requests', 2100, T0 - 120),
  metric('requests', 2350, T0 - 60),
  metric('requests', 2600, T0 - 5),
  metric('queue-depth', 900, T0 - 30),
  metric('queue-depth', 1200, T0 - 700),
  business(
    'flash-sale',
    {
      type: 'demand',
      label: 'flash-sale',
      demand: { multiplier: 3 },
      windowStart: T0 + 600,
      windowEnd: T0 + 4200,
      leadTimeSeconds: 900,
    },
    T0 - 86_400,
  ),
  business(
    'flash-sale',
    { type: 'demand', label: 'newsletter', demand: { absolute: 9 }, windowStart: T0 + 7200, windowEnd: T0 + 9000 },
    T0 - 3600,
  ),
  business(
    'forecast',
    { type: 'demand', label: 'forecast', demand: { absolute: 14 }, windowStart: T0 - 1800, windowEnd: T0 + 1800 },
    T0 - 7200,
  ),
  business(
    'cost-budget',
    { type: 'budget', maxHourlyCost: 3.2, windowStart: T0 - 86_400, windowEnd: T0 + 86_400 },
    T0 - 86_400,
  ),
  business('change-freeze', { type: 'freeze', windowStart: T0 + 3 * 3600, windowEnd: T0 + 5 * 3600 }, T0 - 86_400),
  driver('override', 'ops-override', { action: 'pin', allocation: 20 }, T0 - 7200, 3600, {
    reason: 'load test (expired)',
  }),
  driver('override', 'ops-override', { action: 'freeze' }, T0 - 30, 1800, {
    reason: 'incident INC-4711: hold capacity',
    lineage: {
      eventId: 'evt-ovr',
      channel: 'api',
      receivedAt: T0 - 29,
      principal: 'arn:aws:sts::111122223333:assumed-role/oncall-sre/alice',
    },
  }),
  alarm('cpu-high', 'web-prod-cpu-high-c', 'ALARM', T0 - 8 * 86_400), // past its TTL, not yet deleted
  driver('metric', 'requests', { value: 10, unit: 'Count/Second' }, T0 - 30, 3600, { targets: ['checkout-fn'] }),
  metric('unknown-metric', 42, T0 - 10),
];
if (drivers.length !== 20) throw new Error(`benchmark expects 20 drivers, built ${drivers.length}`);

// History included: a week and a day of 1-minute requests (seasonal forecast, dead band, stabilization) and a
// day of queue depth, as the reconcile passes them from its CloudWatch cache. Covers every clock below.
const minutes = (days: number) => Math.ceil((days * 86_400 + 2 * 3600) / 60);
const series = (days: number, base: number) => ({
  start: T0 - days * 86_400,
  stepSeconds: 60,
  values: Float64Array.from(
    { length: minutes(days) },
    (_, i) => base * (1 + 0.5 * Math.sin((2 * Math.PI * i) / 1440)) * (1 + 0.05 * Math.sin(i * 7.3)),
  ),
});
const history = { requests: series(8, 2000), 'queue-depth': series(1, 900) };
const HISTORY_INPUT = process.env.BENCH_NO_HISTORY ? undefined : { history };

// A handful of states (and clocks) cycled through so branches vary: before the first decision, inside and
// outside both stabilization windows, at different allocations.
const states: (TargetState | undefined)[] = [
  undefined,
  {
    targetId: 'web-asg',
    version: 7,
    current: { kind: 'capacity', desired: 10, floor: 2 },
    lastChangeAt: T0 - 900,
    lastScaleUpAt: T0 - 900,
  },
  {
    targetId: 'web-asg',
    version: 8,
    current: { kind: 'capacity', desired: 24, floor: 12 },
    lastChangeAt: T0 - 60,
    lastScaleUpAt: T0 - 60,
  },
  {
    targetId: 'web-asg',
    version: 9,
    current: { kind: 'capacity', desired: 4, floor: 2 },
    lastChangeAt: T0 - 4000,
    lastScaleDownAt: T0 - 4000,
  },
];
// Clocks spanning before the override expires and after: the freeze override is live for the first 30 minutes.
const clocks = [T0, T0 + 300, T0 + 1500, T0 + 2400, T0 + 5400];

function run(deadlineNs: bigint): { evaluations: number; elapsedNs: bigint; checksum: number } {
  const start = process.hrtime.bigint();
  let evaluations = 0;
  let checksum = 0;
  let now = start;
  do {
    // Check the clock every 1024 evaluations: hrtime itself costs ~50 ns, which would skew the result.
    for (let i = 0; i < 1024; i++) {
      const k = evaluations + i;
      const decision = decide(target, drivers, states[k & 3], clocks[k % 5]! + (k & 63), HISTORY_INPUT);
      // Consume the result so the JIT cannot drop the call.
      checksum += decision.desired.kind === 'capacity' ? decision.desired.desired : 0;
      checksum += decision.considered.length + decision.summary.length;
    }
    evaluations += 1024;
    now = process.hrtime.bigint();
  } while (now < deadlineNs);
  return { evaluations, elapsedNs: now - start, checksum };
}

const toNs = (seconds: number) => BigInt(Math.round(seconds * 1e9));
run(process.hrtime.bigint() + toNs(warmupSeconds));
const { evaluations, elapsedNs, checksum } = run(process.hrtime.bigint() + toNs(measureSeconds));
const perSecond = Math.round(evaluations / (Number(elapsedNs) / 1e9));
const nsPerEvaluation = Math.round(Number(elapsedNs) / evaluations);

// After the freeze override has expired, so the sample shows demand drivers competing.
const sample = decide(target, drivers, states[1], clocks[3]!, HISTORY_INPUT);
if (args.json) {
  console.log(
    JSON.stringify({
      evaluationsPerSecond: perSecond,
      nsPerEvaluation,
      evaluations,
      drivers: drivers.length,
      node: process.version,
      checksum,
    }),
  );
} else {
  console.log(
    `decide(): ${drivers.length} drivers, ${target.policy.rules.length} rules, policy ${target.policy.version}`,
  );
  console.log(`  sample: ${sample.summary}`);
  console.log(
    `  ${perSecond.toLocaleString('en-US')} evaluations/s  (${nsPerEvaluation} ns/evaluation, ${evaluations.toLocaleString('en-US')} in ${(Number(elapsedNs) / 1e9).toFixed(2)} s, node ${process.version})`,
  );
}
if (minRate !== undefined && perSecond < minRate) {
  console.error(
    `FAIL: ${perSecond.toLocaleString('en-US')} evaluations/s is below --min ${minRate.toLocaleString('en-US')}`,
  );
  process.exit(1);
}
