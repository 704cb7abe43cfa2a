/**
 * `validate --replay`: runs the policy over the driver traces shipped in traces/ (manifest.json) with the
 * local replay (same engine as production, virtual time, simulated fleet) and turns each report into a
 * verdict. A policy fails the check when a replayed decision fails or leaves its bounds; how well it tracked
 * demand is reported, not judged, because what is "good enough" is the operator's call.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DrivetrainConfig } from '../functions/domain/config';
import { loadManifest } from '../local/bench/trace';
import { ReplayInputError, formatReplayReport, runReplay, type ReplayReport } from '../local/replay/index';
import { CommandError } from './errors';
import { renderTable } from './format';
import { isRoutingKind, isRoutingTarget } from '../functions/domain/target-kinds';

/** The repository's traces/ (next to cli/), where the benchmark traces ship. */
export const SHIPPED_TRACES_DIR = resolve(__dirname, '..', 'traces');

export interface TraceVerdict {
  trace: string;
  /** Why the trace could not be replayed against this config (e.g. no metric driver to feed). */
  skipped?: string;
  problems: string[];
  report?: ReplayReport;
}

export interface ReplayOutcome {
  ok: boolean;
  verdicts: TraceVerdict[];
  /** Human report: one row per trace and target, problems listed after. */
  text: string;
  /** Full per-trace reports (formatReplayReport), for --verbose. */
  details: string;
  json: unknown;
}

/** What the check holds a replayed policy to: every decision applied, every allocation within bounds. */
export function replayProblems(report: ReplayReport, config: DrivetrainConfig): string[] {
  const problems: string[] = [];
  for (const target of report.targets) {
    const configured = config.targets.find((t) => t.id === target.targetId);
    if (target.failed > 0)
      problems.push(`${target.targetId}: ${target.failed} replayed decision${target.failed === 1 ? '' : 's'} failed`);
    if (!configured || isRoutingTarget(configured)) continue;
    const { min, max } = configured.policy.bounds;
    const outside = target.decisions.filter(
      (d) => d.desired.kind === 'capacity' && (d.desired.desired < min || d.desired.desired > max),
    );
    if (outside.length) {
      const first = outside[0]!;
      problems.push(
        `${target.targetId}: ${outside.length} decision${outside.length === 1 ? '' : 's'} outside bounds ${min}..${max} (first: "${first.summary}")`,
      );
    }
  }
  return problems;
}

export async function runPolicyReplay(
  config: DrivetrainConfig,
  configPath: string,
  dir: string,
  displayDir = dir,
): Promise<ReplayOutcome> {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath))
    throw new CommandError(`no trace manifest at ${manifestPath}`, [
      'pass --traces DIR with a manifest.json (see traces/ in the repository)',
    ]);
  let loaded: ReturnType<typeof loadManifest>;
  try {
    loaded = loadManifest(manifestPath);
  } catch (error) {
    throw new CommandError(`cannot read the traces in ${dir}: ${(error as Error).message}`, [], { cause: error });
  }
  const { manifest } = loaded;
  const verdicts: TraceVerdict[] = [];
  for (const { entry, trace, drivers } of loaded.traces) {
    try {
      const report = await runReplay({
        configPath,
        trace,
        drivers,
        metricDriver: manifest.metricDriver,
        perUnitCapacity: manifest.perUnitCapacity,
        instanceWarmupSeconds: manifest.instanceWarmupSeconds,
      });
      verdicts.push({ trace: entry.name, problems: replayProblems(report, config), report });
    } catch (error) {
      // A config without the metric driver the traces feed cannot be replayed on them: that is a fact
      // about the traces, not a defect of the policy.
      if (error instanceof ReplayInputError) verdicts.push({ trace: entry.name, skipped: error.message, problems: [] });
      else throw error;
    }
  }
  const ok = verdicts.every((v) => v.problems.length === 0);
  return {
    ok,
    verdicts,
    text: summarize(verdicts, displayDir),
    details: `${verdicts
      .filter((v) => v.report)
      .map((v) => formatReplayReport(v.report!, { maxRows: 20 }))
      .join('\n\n')}\n`,
    json: verdicts.map(toJson),
  };
}

function summarize(verdicts: TraceVerdict[], dir: string): string {
  const rows = verdicts.flatMap((v) =>
    v.report
      ? v.report.targets.map((t) => ({
          trace: v.trace,
          target: t,
          problems: v.problems.filter((p) => p.startsWith(`${t.targetId}:`)).length,
        }))
      : [],
  );
  const lines = [`Replay of the traces in ${dir}:`, ''];
  lines.push(
    renderTable(
      rows,
      [
        { header: 'TRACE', value: (r) => r.trace },
        { header: 'TARGET', value: (r) => r.target.targetId },
        {
          header: 'CHANGES',
          value: (r) =>
            isRoutingKind(r.target.kind)
              ? r.target.changes
              : `${r.target.changes} (${r.target.scaleUps}↑ ${r.target.scaleDowns}↓)`,
          align: 'right',
        },
        { header: 'FAILED', value: (r) => r.target.failed, align: 'right' },
        { header: 'PEAK', value: (r) => r.target.peak, align: 'right' },
        {
          header: 'COST',
          value: (r) => (r.target.cost !== undefined ? `$${r.target.cost.toFixed(2)}` : undefined),
          align: 'right',
        },
        {
          header: 'UNDER-PROVISIONED',
          value: (r) =>
            r.target.elasticity ? `${r.target.elasticity.timeshareUnder.toFixed(1)}% of the time` : undefined,
        },
        { header: 'VERDICT', value: (r) => (r.problems ? 'FAIL' : 'ok') },
      ],
      { empty: '(no trace could be replayed)' },
    ).trimEnd(),
  );
  for (const v of verdicts) {
    if (v.skipped) lines.push(`${v.trace}: skipped: ${v.skipped}`);
    for (const p of v.problems) lines.push(`${v.trace}: ${p}`);
  }
  const failed = verdicts.filter((v) => v.problems.length).length;
  lines.push(
    '',
    failed
      ? `✗ replay: ${failed} trace${failed === 1 ? '' : 's'} with problems`
      : `✓ replay: ${verdicts.filter((v) => v.report).length} trace(s) replayed without problems`,
  );
  return `${lines.join('\n')}\n`;
}

function toJson(v: TraceVerdict): unknown {
  return {
    trace: v.trace,
    ...(v.skipped ? { skipped: v.skipped } : {}),
    problems: v.problems,
    targets: v.report?.targets.map((t) => ({
      targetId: t.targetId,
      changes: t.changes,
      scaleUps: t.scaleUps,
      scaleDowns: t.scaleDowns,
      failed: t.failed,
      peak: t.peak,
      cost: t.cost,
      elasticity: t.elasticity,
    })),
  };
}
