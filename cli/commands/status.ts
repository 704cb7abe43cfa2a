/**
 * `drivetrain status [--target ID]`: one line per target, like `kubectl get hpa` — mode, the allocation
 * recorded as current, the last decision's desired allocation, whether it serves (the follow-through), the
 * last decision (age, status, summary), active and stale drivers, the plan in flight and the measured warmup.
 * Read from the deployed tables only (state, decisions, drivers), with the deployed config the tick recorded
 * there (its version is the last line); nothing calls the resources themselves.
 */
import { p90 } from '../../functions/domain/warmup';
import type { Allocation, Target } from '../../functions/domain/model';
import { type TargetKind, targetKind } from '../../functions/domain/target-kinds';
import type { DecisionRecord, StoredTargetState } from '../../functions/ports';
import { formatDuration } from '../../functions/domain/engine';
import { stringOption } from '../args';
import type { Command } from '../command';
import type { Context } from '../context';
import { describeSource } from '../deployed-config';
import { describeDriver, type DriverState } from '../describe';
import { EXIT, type ExitCode } from '../errors';
import { age, relative, renderTable } from '../format';

/** Driver states that count as active or as stale in the DRIVERS column; the rest (unused, ended, scheduled) do not. */
const DRIVER_COLUMN: Partial<Record<DriverState, 'active' | 'stale'>> = {
  live: 'active',
  active: 'active',
  'pre-warm': 'active',
  stale: 'stale',
  expired: 'stale',
  'insufficient-data': 'stale',
};

export interface TargetStatus {
  targetId: string;
  kind: TargetKind;
  mode: Target['mode'];
  current?: Allocation;
  desired?: Allocation;
  /** The follow-through: settled/degraded of the last applied plan, or following one now. */
  serving: string;
  lastDecision?: Pick<DecisionRecord, 'decisionId' | 'at' | 'status' | 'summary'> & {
    serving?: DecisionRecord['serving'];
  };
  drivers: { active: number; stale: number };
  inFlight?: { decisionId: string; since: number };
  /** p90 of the measured times to serve, and how many samples. */
  warmup?: { p90Seconds: number; samples: number };
}

function short(allocation: Allocation | undefined): string {
  if (!allocation) return '-';
  if (allocation.kind === 'capacity')
    return allocation.floor > 0 ? `${allocation.desired} (floor ${allocation.floor})` : `${allocation.desired}`;
  return Object.entries(allocation.weights)
    .map(([id, w]) => `${id}=${w}`)
    .join(' ');
}

function servingOf(state: StoredTargetState | undefined, last: DecisionRecord | undefined, now: number): string {
  if (state?.following) return `warming ${formatDuration(now - state.following.appliedAt)}`;
  if (last?.status === 'settled' && last.serving)
    return `yes${last.serving.timeToServeSeconds === undefined ? '' : ` (${formatDuration(last.serving.timeToServeSeconds)})`}`;
  if (last?.status === 'degraded') return `NO: ${last.serving?.cause ?? 'degraded'}`;
  return '-';
}

async function statusOf(context: Context, target: Target, now: number): Promise<TargetStatus> {
  const decisions = await context.decisionStore();
  const drivers = await context.driverStore();
  const state = await context.aws(`reading the state of ${target.id}`, () => decisions.getState(target.id));
  const last = state?.lastDecisionId
    ? await context.aws(`reading decision ${state.lastDecisionId}`, () => decisions.get(state.lastDecisionId!))
    : undefined;
  const stored = await context.aws(`reading drivers of ${target.id}`, () => drivers.all(target.id));
  const counts = { active: 0, stale: 0 };
  for (const driver of stored) {
    const column = DRIVER_COLUMN[describeDriver(driver, target, now).state];
    if (column) counts[column]++;
  }
  const samples = state?.timeToServe ?? [];
  const warm = p90(samples);
  return {
    targetId: target.id,
    kind: targetKind(target),
    mode: state?.modeOverride?.mode ?? target.mode,
    ...(state?.current ? { current: state.current } : {}),
    ...(last ? { desired: last.desired } : {}),
    serving: servingOf(state, last, now),
    ...(last
      ? {
          lastDecision: {
            decisionId: last.decisionId,
            at: last.at,
            status: last.status,
            summary: last.summary,
            ...(last.serving ? { serving: last.serving } : {}),
          },
        }
      : {}),
    drivers: counts,
    ...(state?.pending ? { inFlight: { decisionId: state.pending.decisionId, since: state.pending.at } } : {}),
    ...(warm === undefined ? {} : { warmup: { p90Seconds: warm, samples: samples.length } }),
  };
}

export const statusCommand: Command = {
  name: 'status',
  synopsis: 'status [--target ID]',
  summary: 'one line per target: mode, current/desired/serving, last decision, drivers, in-flight plan',
  description: [
    'SERVING follows each applied plan until it serves: "warming 2m" (applied, not serving yet), "yes (6m)"',
    '(settled, with its time to serve), "NO: cause" (degraded). WARMUP is the p90 of the measured times to',
    'serve (what `leadTimeSeconds: auto` uses). Run `drivetrain explain DECISION` for one decision.',
  ].join('\n'),
  options: {
    target: { type: 'string', short: 't', value: 'ID', description: 'only this target (default: every target)' },
  },
  positionals: [],
  examples: ['drivetrain status', 'drivetrain status --local --target web-asg', 'drivetrain status --json'],
  async run(context: Context): Promise<ExitCode> {
    const now = context.now();
    const targets = await context.targets(stringOption(context.parsed, 'target'));
    const rows: TargetStatus[] = [];
    for (const target of targets) rows.push(await statusOf(context, target, now));
    if (context.json) {
      context.outJson(rows);
      return EXIT.ok;
    }
    context.out(
      renderTable(
        rows,
        [
          { header: 'TARGET', value: (r) => r.targetId },
          { header: 'MODE', value: (r) => r.mode },
          { header: 'CURRENT', value: (r) => short(r.current) },
          { header: 'DESIRED', value: (r) => short(r.desired) },
          { header: 'SERVING', value: (r) => r.serving },
          {
            header: 'DRIVERS',
            value: (r) => `${r.drivers.active} active${r.drivers.stale ? `, ${r.drivers.stale} stale` : ''}`,
          },
          {
            header: 'IN-FLIGHT',
            value: (r) => (r.inFlight ? `${r.inFlight.decisionId} (${age(now, r.inFlight.since)})` : '-'),
          },
          {
            header: 'WARMUP',
            value: (r) => (r.warmup ? `p90 ${formatDuration(r.warmup.p90Seconds)} of ${r.warmup.samples}` : '-'),
          },
          {
            header: 'LAST DECISION',
            value: (r) =>
              r.lastDecision
                ? `${relative(now, r.lastDecision.at)} ${r.lastDecision.status}: ${r.lastDecision.summary}`
                : 'none yet',
            flexible: true,
          },
        ],
        { maxWidth: context.io.columns, empty: 'no targets' },
      ),
    );
    // Which config these rows were read with: the version the deployment runs (or the local file, until the
    // first tick recorded one). Not in --json: its rows stay the array they were.
    if (context.configSource) context.out(`\nconfig: ${describeSource(context.configSource, now)}\n`);
    return EXIT.ok;
  },
};
