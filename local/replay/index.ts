/**
 * `drivetrain replay`: run a policy over recorded driver history or a demand trace before deploying it.
 * The same engine as production (`decide`), in virtual time (a day of minutes replays in well under a
 * second), against a simulated fleet with real warmup delays; reports per target what it would have done.
 */
import { readFileSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  driverTtlSeconds,
  parseConfig,
  type DrivetrainConfig,
  type DriverDeclaration,
} from '../../functions/domain/config';
import { formatDuration } from '../../functions/domain/engine';
import type { Driver, MetricDriver, Target } from '../../functions/domain/model';
import { elasticityMetrics, requiredUnits, type ElasticityMetrics } from '../bench/metrics';
import { demandAt, readDrivers, readTrace, type DemandTrace } from '../bench/trace';
import type { FleetCall } from '../simulator/fleet';
import { simulate, type ReplayDecision, type TimelineSample } from './simulate';
import { isRoutingKind, isRoutingTarget, kindTraits, type TargetKind } from '../../functions/domain/target-kinds';

export type { ReplayDecision, TimelineSample } from './simulate';

/** Day the shipped traces (traces/*.csv, whose times are offsets) start on. */
export const DEFAULT_TRACE_START = '2026-11-27T00:00:00Z';
export const EMBEDDED_CONFIG_PATH = resolve(__dirname, '../../drivetrain.config.yaml');

export interface ReplayOptions {
  /** A config object (validated here) — or configPath; the embedded drivetrain.config.yaml when neither. */
  config?: unknown;
  configPath?: string;
  /** JSON array of canonical drivers, each visible from its observedAt. */
  driversFile?: string;
  drivers?: Driver[];
  /**
   * How many of `drivers` were observed before `from` and carried in because still live then (a history
   * replay's starting set); reported, not replayed differently: each is visible from its observedAt.
   */
  carriedIn?: number;
  /** CSV time_seconds,demand; each row becomes a snapshot of `metricDriver` when its period ends. */
  traceFile?: string;
  trace?: DemandTrace;
  /** Where a trace with offset times starts (epoch seconds or ISO); default 2026-11-27T00:00:00Z. */
  startAt?: number | string;
  /** Metric driver the trace feeds; default: the first metric driver the config declares. */
  metricDriver?: string;
  /** Requests/s one unit serves at its objective, for the elasticity metrics; default: the rule's targetPerUnit. */
  perUnitCapacity?: number;
  /** Only these targets. */
  targets?: string[];
  /** Replay window (epoch seconds); defaults to the trace, or the first observation to one hour after the last. */
  from?: number;
  to?: number;
  /** Tick period; default 60 s (the scheduled tick). */
  stepSeconds?: number;
  /** Virtual seconds per wall-clock second; default unlimited (as fast as the engine goes). */
  speed?: number;
  instanceWarmupSeconds?: number;
  provisionedConcurrencyReadySeconds?: number;
  /** Evaluate shadow/paused targets in their configured mode instead of as if enforced. */
  respectModes?: boolean;
  onProgress?: (step: number, steps: number, t: number) => void;
}

export interface TargetReplayReport {
  targetId: string;
  kind: TargetKind;
  configuredMode: Target['mode'];
  policyVersion: string;
  decisions: ReplayDecision[];
  changes: number;
  scaleUps: number;
  scaleDowns: number;
  failed: number;
  holds: number;
  /** Capacity targets: unit-hours paid for, and their cost when the policy has a unit price. */
  capacityHours?: number;
  cost?: number;
  peak?: number;
  /** With a trace that feeds this target's metric rule. */
  elasticity?: ElasticityMetrics & { perUnitCapacity: number; metricDriver: string };
  timeline: TimelineSample[];
}

export interface ReplayReport {
  configFile: string;
  deployment: string;
  driversFile?: string;
  traceFile?: string;
  recordedDrivers: number;
  /** Of recordedDrivers, those observed before the window and still live at its start (history replays). */
  carriedInDrivers?: number;
  snapshots: number;
  metricDriver?: string;
  from: number;
  to: number;
  stepSeconds: number;
  evaluations: number;
  wallMs: number;
  modesForced: boolean;
  targets: TargetReplayReport[];
  calls: FleetCall[];
}

export class ReplayInputError extends Error {
  override readonly name = 'ReplayInputError';
}

export async function runReplay(options: ReplayOptions): Promise<ReplayReport> {
  const started = performance.now();
  const { config, file: configFile } = loadConfig(options);
  const stepSeconds = options.stepSeconds ?? 60;
  const recorded = options.drivers ?? (options.driversFile ? readDrivers(options.driversFile) : []);
  const startAt =
    options.startAt === undefined
      ? Date.parse(DEFAULT_TRACE_START) / 1000
      : typeof options.startAt === 'number'
        ? options.startAt
        : Date.parse(options.startAt) / 1000;
  if (!Number.isFinite(startAt))
    throw new ReplayInputError(`startAt "${String(options.startAt)}" is not epoch seconds or an ISO 8601 time`);
  const trace = options.trace ?? (options.traceFile ? readTrace(options.traceFile, { startAt }) : undefined);
  if (!trace && recorded.length === 0)
    throw new ReplayInputError(
      'nothing to replay: give a drivers file (JSON array of drivers) and/or a trace (CSV time_seconds,demand)',
    );

  let targets: Target[] = [...config.targets];
  if (options.targets?.length) {
    const unknown = options.targets.filter((id) => !config.targets.some((t) => t.id === id));
    if (unknown.length)
      throw new ReplayInputError(
        `unknown target(s) ${unknown.join(', ')}; configured: ${config.targets.map((t) => t.id).join(', ')}`,
      );
    targets = targets.filter((t) => options.targets!.includes(t.id));
  }

  let metricDeclaration: DriverDeclaration | undefined;
  let snapshots: Driver[] = [];
  if (trace) {
    metricDeclaration = options.metricDriver
      ? config.drivers.find((d) => d.name === options.metricDriver)
      : config.drivers.find((d) => d.kind === 'metric');
    if (!metricDeclaration)
      throw new ReplayInputError(
        options.metricDriver
          ? `metric driver "${options.metricDriver}" is not declared in ${configFile}`
          : `${configFile} declares no metric driver for the trace to feed`,
      );
    if (metricDeclaration.kind !== 'metric')
      throw new ReplayInputError(
        `driver "${metricDeclaration.name}" is a ${metricDeclaration.kind} driver; a trace feeds a metric driver`,
      );
    snapshots = traceSnapshots(trace, metricDeclaration);
  }

  const observed = [...recorded.map((d) => d.observedAt), ...(trace ? [trace.start] : [])];
  const from = options.from ?? (trace ? trace.start : Math.min(...observed));
  const lastRecorded = recorded.length
    ? Math.max(...recorded.map((d) => Math.min(d.expiresAt, d.observedAt + 86400)))
    : -Infinity;
  const to = options.to ?? (trace ? trace.end : Math.max(lastRecorded, Math.max(...observed) + 3600));

  const wallStart = performance.now();
  const speed = options.speed;
  const simulation = await simulate({
    targets,
    drivers: [...recorded, ...snapshots],
    from,
    to,
    stepSeconds,
    instanceWarmupSeconds: options.instanceWarmupSeconds,
    provisionedConcurrencyReadySeconds: options.provisionedConcurrencyReadySeconds,
    respectModes: options.respectModes,
    onStep: async (t, step, steps) => {
      options.onProgress?.(step, steps, t);
      if (speed !== undefined && Number.isFinite(speed) && speed > 0) {
        const due = wallStart + ((t - from) / speed) * 1000;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      }
    },
  });

  const reports = simulation.targets.map((sim): TargetReplayReport => {
    const { target } = sim;
    const decisions = sim.decisions;
    let scaleUps = 0;
    let scaleDowns = 0;
    for (const d of decisions.slice(1)) {
      if (d.status !== 'applied' || d.desired.kind !== 'capacity' || d.previous?.kind !== 'capacity') continue;
      if (d.desired.desired > d.previous.desired) scaleUps++;
      else if (d.desired.desired < d.previous.desired) scaleDowns++;
    }
    const report: TargetReplayReport = {
      targetId: target.id,
      kind: target.resource.kind,
      configuredMode: config.targets.find((t) => t.id === target.id)!.mode,
      policyVersion: target.policy.version,
      decisions,
      changes: decisions.length - 1,
      scaleUps,
      scaleDowns,
      failed: decisions.filter((d) => d.status === 'failed').length,
      holds: sim.holds,
      timeline: sim.timeline,
    };
    if (!isRoutingTarget(target)) {
      const samples = sim.timeline.map((s) => ({ t: s.t, demand: 0, supply: s.supply ?? 0, billed: s.billed ?? 0 }));
      const price = target.policy.budget?.unitHourlyPrice;
      const hours = samples.length ? elasticityMetrics(samples, to, price ?? 1).capacityHours : 0;
      report.capacityHours = hours;
      if (price !== undefined) report.cost = hours * price;
      report.peak = Math.max(0, ...sim.timeline.map((s) => s.desired ?? 0));
      const rule =
        metricDeclaration &&
        target.policy.rules.find((r) => r.kind === 'metric' && r.driver === metricDeclaration!.name);
      if (trace && rule?.kind === 'metric' && metricDeclaration) {
        const perUnit = options.perUnitCapacity ?? rule.targetPerUnit;
        for (const s of sim.timeline) {
          s.load = demandAt(trace, s.t);
          s.demand = requiredUnits(s.load, perUnit);
        }
        const elastic = elasticityMetrics(
          sim.timeline.map((s) => ({ t: s.t, demand: s.demand ?? 0, supply: s.supply ?? 0, billed: s.billed ?? 0 })),
          to,
          price ?? 0,
        );
        report.elasticity = { ...elastic, perUnitCapacity: perUnit, metricDriver: metricDeclaration.name };
      }
    }
    return report;
  });

  return {
    configFile,
    deployment: config.name,
    ...(options.driversFile ? { driversFile: options.driversFile } : {}),
    ...(options.traceFile ? { traceFile: options.traceFile } : trace ? { traceFile: trace.name } : {}),
    recordedDrivers: recorded.length,
    ...(options.carriedIn !== undefined ? { carriedInDrivers: options.carriedIn } : {}),
    snapshots: snapshots.length,
    ...(metricDeclaration ? { metricDriver: metricDeclaration.name } : {}),
    from,
    to,
    stepSeconds,
    evaluations: simulation.evaluations,
    wallMs: performance.now() - started,
    modesForced: !options.respectModes,
    targets: reports,
    calls: simulation.calls,
  };
}

function loadConfig(options: ReplayOptions): { config: Readonly<DrivetrainConfig>; file: string } {
  if (options.config !== undefined) return { config: parseConfig(options.config, '<config>'), file: '<config>' };
  const file = options.configPath ?? EMBEDDED_CONFIG_PATH;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ReplayInputError(`cannot read policy file ${file}: ${(error as Error).message}`, { cause: error });
  }
  let raw: unknown;
  try {
    raw = extname(file) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ReplayInputError(
      `${file} is not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return { config: parseConfig(raw, file), file };
}

/**
 * One metric snapshot per trace row, observed when the row's period ends (a 1-minute CloudWatch datapoint
 * is complete only then), plus one at the start carrying the first row so the policy does not begin blind.
 * All snapshots share the driver id: like the real publisher, each replaces the previous one.
 */
export function traceSnapshots(trace: DemandTrace, declaration: DriverDeclaration): MetricDriver[] {
  const ttl = driverTtlSeconds(declaration);
  const make = (observedAt: number, value: number, index: number): MetricDriver => ({
    id: `replay/${declaration.name}`,
    name: declaration.name,
    kind: 'metric',
    source: 'drivetrain.replay',
    targets: declaration.targets,
    observedAt,
    expiresAt: observedAt + ttl,
    lineage: { eventId: `${trace.name}#${index}`, channel: 'replay', receivedAt: observedAt },
    signal: { value, ...(declaration.unit ? { unit: declaration.unit } : {}) },
  });
  const first = trace.points[0]!;
  return [
    make(trace.start, first.demand, -1),
    ...trace.points.map((p, i) => make(trace.points[i + 1]?.t ?? trace.end, p.demand, i)),
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Text report
// ---------------------------------------------------------------------------------------------------------

export function formatTime(epochSeconds: number): string {
  return new Date(epochSeconds * 1000)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, '');
}

function describeAllocation(decision: ReplayDecision): string {
  const a = decision.desired;
  if (a.kind === 'weights')
    return Object.entries(a.weights)
      .map(([id, w]) => `${id}=${w}`)
      .join(' ');
  return a.floor > 0 ? `${a.desired} (floor ${a.floor})` : `${a.desired}`;
}

export function formatMetrics(m: ElasticityMetrics): string {
  const pct = (n: number) => `${n.toFixed(1)}%`;
  return `θU ${pct(m.accuracyUnder)}  θO ${pct(m.accuracyOver)}  τU ${pct(m.timeshareUnder)}  τO ${pct(m.timeshareOver)}  υ ${pct(m.instability)}  j ${m.jitter >= 0 ? '+' : ''}${m.jitter.toFixed(2)}/h`;
}

export function formatReplayReport(report: ReplayReport, options: { maxRows?: number } = {}): string {
  const maxRows = options.maxRows ?? 60;
  const lines: string[] = [];
  const sources = [
    report.driversFile
      ? `drivers ${report.driversFile} (${report.recordedDrivers})`
      : report.recordedDrivers
        ? `${report.recordedDrivers} recorded drivers`
        : undefined,
    report.traceFile
      ? `trace ${report.traceFile} (${report.snapshots} snapshots of "${report.metricDriver}")`
      : undefined,
  ].filter(Boolean);
  lines.push(
    `Replay of ${basename(report.configFile)} (deployment "${report.deployment}") over ${sources.join(' + ')}`,
  );
  lines.push(
    `  ${formatTime(report.from)} → ${formatTime(report.to)} UTC: ${formatDuration(report.to - report.from)} of virtual time in ${Math.round(report.wallMs)} ms, ` +
      `${report.evaluations} evaluations (tick ${formatDuration(report.stepSeconds)})${report.modesForced ? '; every target evaluated as enforced' : ''}`,
  );
  // Said even when 0: a history replay that starts from nothing live is worth knowing about too.
  if (report.carriedInDrivers !== undefined)
    lines.push(
      `  ${report.carriedInDrivers} driver${report.carriedInDrivers === 1 ? '' : 's'} carried in from before the window (observed earlier, still live at its start)`,
    );
  for (const target of report.targets) {
    lines.push('');
    const unit = kindTraits(target.kind).unit.hours;
    const money = target.cost !== undefined ? ` ≈ $${target.cost.toFixed(2)}` : '';
    const capacity =
      target.capacityHours !== undefined
        ? `; ${target.capacityHours.toFixed(1)} ${unit}${money}, peak ${target.peak}`
        : '';
    lines.push(
      `${target.targetId} (${target.kind}, policy ${target.policyVersion}${target.configuredMode !== 'enforce' ? `, configured ${target.configuredMode}` : ''}): ` +
        `${target.changes} change${target.changes === 1 ? '' : 's'}${!isRoutingKind(target.kind) ? ` (${target.scaleUps} up, ${target.scaleDowns} down)` : ''}, ${target.failed} failed, ${target.holds} holds${capacity}`,
    );
    const rows = target.decisions.map((d) => [
      formatTime(d.at),
      describeAllocation(d),
      d.status,
      d.summary + (d.error ? ` — ${d.error}` : ''),
    ]);
    // The last ten rows (the end of the story), fewer when --rows leaves no room for a head before them.
    const tail = Math.min(10, Math.floor(maxRows / 2));
    const shown = rows.length > maxRows ? [...rows.slice(0, maxRows - tail), ...rows.slice(rows.length - tail)] : rows;
    lines.push(
      ...alignedTable(
        ['time (UTC)', 'allocation', 'status', 'summary'],
        shown,
        rows.length > maxRows ? { at: maxRows - tail, note: `… ${rows.length - maxRows} more …` } : undefined,
      ).map((l) => `  ${l}`),
    );
    if (target.elasticity) {
      lines.push(
        `  elasticity vs "${target.elasticity.metricDriver}" at ${target.elasticity.perUnitCapacity}/unit: ${formatMetrics(target.elasticity)}`,
      );
    }
  }
  return lines.join('\n');
}

/** Left-aligned columns; the last column is never padded (summaries are long). */
export function alignedTable(header: string[], rows: string[][], gap?: { at: number; note: string }): string[] {
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (i < header.length - 1 ? (r[i] ?? '').length : 0))),
  );
  const format = (cells: string[]) =>
    cells
      .map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i]!) : c))
      .join('  ')
      .trimEnd();
  const out = [format(header), format(widths.map((w) => '─'.repeat(w)))];
  rows.forEach((row, i) => {
    if (gap && i === gap.at) out.push(gap.note);
    out.push(format(row));
  });
  // A gap after the last row: the table shows only its head.
  if (gap && gap.at >= rows.length) out.push(gap.note);
  return out;
}
