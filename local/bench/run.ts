/**
 * The elasticity benchmark: each shipped trace replayed under (1) Drivetrain — the real engine with the
 * policy in traces/bench.config.yaml and the trace's announced drivers, (2) a model of AWS target tracking,
 * (3) a static schedule; all on the same simulated fleet (same warmup), scored with the SPEC RG metrics.
 */
import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parseConfig, type DrivetrainConfig } from '../../functions/domain/config';
import type { Target } from '../../functions/domain/model';
import { runReplay } from '../replay';
import { VirtualClock } from '../simulator/clock';
import { SimulatedFleet } from '../simulator/fleet';
import { elasticityMetrics, requiredUnits, type ElasticityMetrics, type ElasticitySample } from './metrics';
import { StaticSchedule, TargetTrackingModel, staticScheduleCapacity } from './strategies';
import { loadManifest, type LoadedTrace, type TraceManifest } from './trace';

export const TRACES_DIR = resolve(__dirname, '../../traces');
export const DEFAULT_MANIFEST = resolve(TRACES_DIR, 'manifest.json');
export const DEFAULT_BENCH_CONFIG = resolve(TRACES_DIR, 'bench.config.yaml');

export type StrategyName =
  | 'drivetrain'
  | 'drivetrain-forecast'
  | 'target-tracking'
  | 'static-schedule'
  | 'oracle'
  | 'warmup-bound';

export interface StrategyResult {
  strategy: StrategyName;
  label: string;
  metrics: ElasticityMetrics;
  samples: ElasticitySample[];
  /** Changes of desired capacity (one per API call that moved it, whatever its size). */
  scaleActions: number;
}

export interface GoalCheck {
  goal: string;
  met: boolean;
  detail: string;
}

export interface TraceBenchmark {
  trace: string;
  description: string;
  /** Requests/s one instance serves at its objective: what "demand" in units means. */
  perUnitCapacity: number;
  unitHourlyPrice: number;
  start: number;
  end: number;
  /** Requests/s per step. */
  load: number[];
  /** A business driver announced an event in this trace: the stricter goals apply. */
  announced: boolean;
  origin: 'synthetic' | 'measured';
  results: StrategyResult[];
  goals: GoalCheck[];
}

export interface BenchmarkOptions {
  manifestPath?: string;
  configPath?: string;
  /** Only these trace names. */
  traces?: string[];
}

export async function runBenchmark(options: BenchmarkOptions = {}): Promise<TraceBenchmark[]> {
  const { manifest, traces } = loadManifest(options.manifestPath ?? DEFAULT_MANIFEST);
  const configPath = options.configPath ?? DEFAULT_BENCH_CONFIG;
  const config = parseConfig(parseYaml(readFileSync(configPath, 'utf8')), configPath);
  const selected = options.traces?.length ? traces.filter((t) => options.traces!.includes(t.entry.name)) : traces;
  if (options.traces?.length && selected.length !== options.traces.length) {
    throw new Error(
      `unknown trace(s) ${options.traces.filter((n) => !traces.some((t) => t.entry.name === n)).join(', ')}; shipped: ${traces.map((t) => t.entry.name).join(', ')}`,
    );
  }
  const results: TraceBenchmark[] = [];
  const forecastConfig = withForecast(parseYaml(readFileSync(configPath, 'utf8')), manifest);
  for (const loaded of selected)
    results.push(await benchmarkTrace(loaded, manifest, config, configPath, forecastConfig));
  return results;
}

/**
 * The same policy with its metric rule's forecast enforced (what a user who wants pre-warming writes:
 * `forecast: { mode: enforce }`, every other forecast setting at its default), or undefined when the policy
 * already sets a forecast (then the policy row is that policy).
 */
export function withForecast(raw: unknown, manifest: TraceManifest): unknown {
  const copy = structuredClone(raw) as {
    targets?: Array<{ id?: string; policy?: { rules?: Array<Record<string, unknown>> } }>;
  };
  const rule = copy.targets
    ?.find((t) => t.id === manifest.targetId)
    ?.policy?.rules?.find((r) => r.kind === 'metric' && r.driver === manifest.metricDriver);
  if (!rule || rule.forecast !== undefined) return undefined;
  rule.forecast = { mode: 'enforce' };
  return copy;
}

export async function benchmarkTrace(
  loaded: LoadedTrace,
  manifest: TraceManifest,
  config: Readonly<DrivetrainConfig>,
  configPath: string,
  forecastConfig?: unknown,
): Promise<TraceBenchmark> {
  const { trace, drivers, entry } = loaded;
  const target = config.targets.find((t) => t.id === manifest.targetId);
  if (target?.resource.kind !== 'ec2-asg')
    throw new Error(`${configPath} must define the ec2-asg target "${manifest.targetId}" the traces drive`);
  const rule = target.policy.rules.find((r) => r.kind === 'metric' && r.driver === manifest.metricDriver);
  if (rule?.kind !== 'metric')
    throw new Error(`${configPath}: target ${target.id} needs a metric rule on "${manifest.metricDriver}"`);
  const step = trace.stepSeconds;
  const load = trace.points.map((p) => p.demand);
  const demand = load.map((rate) => requiredUnits(rate, manifest.perUnitCapacity));
  const price = manifest.unitHourlyPrice;
  const score = (
    strategy: StrategyName,
    label: string,
    supply: number[],
    billed: number[],
    scaleActions: number,
  ): StrategyResult => {
    const samples = trace.points.map((p, i) => ({
      t: p.t,
      demand: demand[i]!,
      supply: supply[i]!,
      billed: billed[i]!,
    }));
    return { strategy, label, metrics: elasticityMetrics(samples, trace.end, price), samples, scaleActions };
  };

  // (1) Drivetrain: the replay of the real engine (and the same policy with its forecast enforced).
  const replayOf = async (source: { configPath: string } | { config: unknown }) => {
    const replay = await runReplay({
      ...source,
      trace,
      drivers,
      targets: [target.id],
      metricDriver: manifest.metricDriver,
      perUnitCapacity: manifest.perUnitCapacity,
      instanceWarmupSeconds: manifest.instanceWarmupSeconds,
      stepSeconds: step,
    });
    const { timeline, decisions } = replay.targets[0]!;
    const actions = decisions.filter(
      (d) =>
        d.status === 'applied' &&
        d.desired.kind === 'capacity' &&
        d.previous?.kind === 'capacity' &&
        d.desired.desired !== d.previous.desired,
    ).length;
    return { supply: timeline.map((s) => s.supply ?? 0), billed: timeline.map((s) => s.billed ?? 0), actions };
  };
  const own = await replayOf({ configPath });
  const drivetrain = score('drivetrain', `Drivetrain (${target.policy.version})`, own.supply, own.billed, own.actions);
  const forecasting = forecastConfig === undefined ? undefined : await replayOf({ config: forecastConfig });

  // (2) Target tracking and (3) the static schedule, minute by minute on their own fleets.
  const tracking = runBaseline(
    trace.points.map((p) => p.t),
    manifest,
    target,
    (fleet) => {
      const model = new TargetTrackingModel(fleet, { groupName: groupOf(target), targetValue: rule.targetPerUnit });
      return (i) => {
        if (i > 0) model.evaluate(load[i - 1]!);
      };
    },
    requiredUnits(load[0]!, rule.targetPerUnit),
  );
  const results = [drivetrain];
  if (forecasting)
    results.push(
      score(
        'drivetrain-forecast',
        'Drivetrain + forecast (enforce)',
        forecasting.supply,
        forecasting.billed,
        forecasting.actions,
      ),
    );
  results.push(
    score(
      'target-tracking',
      `Target tracking (${rule.targetPerUnit}/instance)`,
      tracking.supply,
      tracking.billed,
      tracking.actions,
    ),
  );
  if (entry.staticSchedule) {
    // Only a trace whose generator knows "last week's profile" has a schedule an operator could have written.
    const scheduleOptions = {
      groupName: groupOf(target),
      schedule: entry.staticSchedule,
      drivers,
      policy: target.policy,
      warmupSeconds: manifest.instanceWarmupSeconds,
    };
    const staticRun = runBaseline(
      trace.points.map((p) => p.t),
      manifest,
      target,
      (fleet) => {
        const model = new StaticSchedule(fleet, scheduleOptions);
        return (i) => void model.evaluate(trace.points[i]!.t);
      },
      staticScheduleCapacity(scheduleOptions, trace.start),
    );
    results.push(score('static-schedule', 'Static schedule', staticRun.supply, staticRun.billed, staticRun.actions));
  }
  // The oracle: exactly the instances the load needs, serving at once (no warmup), within the same bounds
  // every strategy is held to. Nobody can do better; "× oracle" says how far each strategy is from it.
  const { min, max } = target.policy.bounds;
  const oracle = demand.map((units) => Math.min(max, Math.max(min, units)));
  results.push(score('oracle', 'Oracle (needed, at once)', oracle, oracle, changes(oracle)));
  const bound = warmupBound(load, rule.targetPerUnit, manifest.instanceWarmupSeconds / step, min, max);
  results.push(
    score('warmup-bound', 'Bound (at target, warmup ahead)', bound.serving, bound.billed, changes(bound.billed)),
  );
  const announced = drivers.some((d) => d.kind === 'business' && d.signal.type === 'demand');
  return {
    trace: entry.name,
    description: entry.description,
    perUnitCapacity: manifest.perUnitCapacity,
    unitHourlyPrice: price,
    start: trace.start,
    end: trace.end,
    load,
    announced,
    origin: entry.origin,
    results,
    goals: [
      ...checkGoals(results, announced),
      ...(forecasting
        ? checkGoals(results, announced, 'drivetrain-forecast').map((g) => ({ ...g, goal: `forecast: ${g.goal}` }))
        : []),
    ],
  };
}

/**
 * The least any strategy can bill that holds the policy's target and is never under-provisioned, knowing the
 * future: an instance that serves at s was ordered at s - warmup, so at t it pays for the most instances any
 * minute of the next warmup needs at target. Not a strategy, a floor under every real one: how far "× oracle"
 * can fall with this target and this warmup (the oracle itself runs at 100 % and needs no warmup).
 */
export function warmupBound(
  load: readonly number[],
  targetPerUnit: number,
  warmupSteps: number,
  min: number,
  max: number,
): { serving: number[]; billed: number[] } {
  const serving = load.map((rate) => Math.min(max, Math.max(min, requiredUnits(rate, targetPerUnit))));
  const ahead = Math.ceil(warmupSteps - 1e-9);
  const billed = serving.map((_, i) => Math.max(...serving.slice(i, i + ahead + 1)));
  return { serving, billed };
}

function groupOf(target: Target): string {
  if (target.resource.kind !== 'ec2-asg') throw new TypeError(`${target.id} is not an Auto Scaling group`);
  return target.resource.autoScalingGroupName;
}

/** Runs a baseline minute by minute: act at t, then sample what serves during [t, t+step). */
function runBaseline(
  times: number[],
  manifest: TraceManifest,
  target: Target,
  strategy: (fleet: SimulatedFleet) => (index: number) => void,
  initial: number,
): { supply: number[]; billed: number[]; actions: number } {
  const clock = new VirtualClock(times[0]!);
  const fleet = new SimulatedFleet({ now: clock.now, instanceWarmupSeconds: manifest.instanceWarmupSeconds });
  const { min, max } = target.policy.bounds;
  fleet.addAutoScalingGroup(groupOf(target), { min, max, desired: Math.min(max, Math.max(min, initial)) });
  const act = strategy(fleet);
  const supply: number[] = [];
  const billed: number[] = [];
  times.forEach((t, i) => {
    clock.advanceTo(t);
    act(i);
    const status = fleet.groupStatus(groupOf(target));
    supply.push(status.inService);
    billed.push(status.desired);
  });
  // A baseline acts at most once per step, so each change of its desired capacity is one scale action.
  return { supply, billed, actions: changes([Math.min(max, Math.max(min, initial)), ...billed]) };
}

/** Number of steps at which the value differs from the step before. */
export function changes(values: readonly number[]): number {
  let count = 0;
  for (let i = 1; i < values.length; i++) if (values[i] !== values[i - 1]) count++;
  return count;
}

/**
 * The goals, the same on every trace (issue 12), each against target tracking (TT) and the oracle:
 *  - scale actions ≤ TT's;
 *  - under-provisioned time (τU) ≤ 0.5 × TT's on reactive traces, ≤ 0.2 × TT's where an event was announced;
 *  - instance-hours ≤ 1.0 × TT's (≤ 1.05 × with an announcement: pre-warming costs a little) and ≤ 1.3 × the oracle's.
 */
export function checkGoals(
  results: StrategyResult[],
  announced: boolean,
  subject: StrategyName = 'drivetrain',
): GoalCheck[] {
  const byName = (name: StrategyName) => results.find((r) => r.strategy === name);
  const dt = byName(subject)!;
  const tt = byName('target-tracking')!;
  const oracle = byName('oracle');
  const underLimit = announced ? 0.2 : 0.5;
  const costLimit = announced ? 1.05 : 1.0;
  const ratio = (a: number, b: number) => (b === 0 ? (a === 0 ? 1 : Infinity) : a / b);
  const eps = 1e-9;
  const goals: GoalCheck[] = [
    {
      goal: 'scale actions ≤ target tracking',
      met: dt.scaleActions <= tt.scaleActions,
      detail: `${dt.scaleActions} vs ${tt.scaleActions}`,
    },
    {
      goal: `τU ≤ ${underLimit} × target tracking`,
      met: dt.metrics.timeshareUnder <= tt.metrics.timeshareUnder * underLimit + eps,
      detail: `${dt.metrics.timeshareUnder.toFixed(2)}% vs ${tt.metrics.timeshareUnder.toFixed(2)}% (${ratio(dt.metrics.timeshareUnder, tt.metrics.timeshareUnder).toFixed(2)}×)`,
    },
    {
      goal: `instance-hours ≤ ${costLimit.toFixed(2)} × target tracking`,
      met: dt.metrics.capacityHours <= tt.metrics.capacityHours * costLimit + eps,
      detail: `${dt.metrics.capacityHours.toFixed(1)} vs ${tt.metrics.capacityHours.toFixed(1)} (${ratio(dt.metrics.capacityHours, tt.metrics.capacityHours).toFixed(3)}×)`,
    },
  ];
  if (oracle) {
    const r = ratio(dt.metrics.capacityHours, oracle.metrics.capacityHours);
    goals.push({
      goal: 'instance-hours ≤ 1.3 × oracle',
      met: r <= 1.3 + eps,
      detail: `${dt.metrics.capacityHours.toFixed(1)} vs ${oracle.metrics.capacityHours.toFixed(1)} (${r.toFixed(2)}×)`,
    });
  }
  return goals;
}

const COLUMNS: Array<{
  header: string;
  value: (m: ElasticityMetrics, r: StrategyResult, oracle: ElasticityMetrics | undefined) => string;
}> = [
  { header: 'actions', value: (_m, r) => String(r.scaleActions) },
  { header: 'θU %', value: (m) => m.accuracyUnder.toFixed(2) },
  { header: 'θO %', value: (m) => m.accuracyOver.toFixed(1) },
  { header: 'τU %', value: (m) => m.timeshareUnder.toFixed(2) },
  { header: 'τO %', value: (m) => m.timeshareOver.toFixed(1) },
  { header: 'υ %', value: (m) => m.instability.toFixed(1) },
  { header: 'jitter /h', value: (m) => (m.jitter >= 0 ? '+' : '') + m.jitter.toFixed(2) },
  { header: 'adapt.', value: (m) => String(m.supplyAdaptations) },
  { header: 'inst-h', value: (m) => m.capacityHours.toFixed(1) },
  { header: 'cost $', value: (m) => m.cost.toFixed(2) },
  {
    header: '× oracle',
    value: (m, _r, oracle) =>
      oracle && oracle.capacityHours > 0 ? (m.capacityHours / oracle.capacityHours).toFixed(2) : '-',
  },
];

export function formatBenchmark(bench: TraceBenchmark): string {
  const labelWidth = Math.max(...bench.results.map((r) => r.label.length), 'strategy'.length);
  const oracle = bench.results.find((r) => r.strategy === 'oracle')?.metrics;
  const cell = (c: (typeof COLUMNS)[number], r: StrategyResult) => c.value(r.metrics, r, oracle);
  const widths = COLUMNS.map((c) => Math.max(c.header.length, ...bench.results.map((r) => cell(c, r).length)));
  const row = (label: string, cells: string[]) =>
    [label.padEnd(labelWidth), ...cells.map((c, i) => c.padStart(widths[i]!))].join('  ');
  const lines = [
    `${bench.trace} (${bench.origin}${bench.announced ? ', event announced' : ', reactive'}): ${bench.description}`,
    row(
      'strategy',
      COLUMNS.map((c) => c.header),
    ),
    row(
      '─'.repeat(labelWidth),
      widths.map((w) => '─'.repeat(w)),
    ),
    ...bench.results.map((r) =>
      row(
        r.label,
        COLUMNS.map((c) => cell(c, r)),
      ),
    ),
  ];
  const demandAdaptations = bench.results[0]!.metrics.demandAdaptations;
  lines.push(
    `(demand adapted ${demandAdaptations} units over ${(bench.results[0]!.metrics.durationSeconds / 3600).toFixed(0)} h)`,
  );
  for (const goal of bench.goals)
    lines.push(`${bench.trace}: goal ${goal.met ? 'MET    ' : 'NOT MET'} ${goal.goal}: ${goal.detail}`);
  return lines.join('\n');
}
