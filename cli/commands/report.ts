/**
 * `drivetrain report`: the self-contained HTML report (charts of allocation, demand and cost with every
 * decision marked, alarm episodes and budgets shaded, the decision table with ids for `explain`) of a
 * replay, or of a window of a real deployment read from its tables. Prints the path of the file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Driver } from '../../functions/domain/model';
import { readDrivers } from '../../local/bench/trace';
import type { ReplayReport } from '../../local/replay/index';
import { reportFromReplay, writeReport, type ReportData } from '../../local/report/index';
import { reportFromDeployment, storeHistorySource } from '../../local/report/deployment';
import { stringOption } from '../args';
import type { Command } from '../command';
import type { Context } from '../context';
import { CommandError, EXIT, UsageError, type ExitCode } from '../errors';
import { parsePast } from '../time';
import { REPLAY_INPUT_OPTIONS, replayFromFlags } from './replay';

const COMMAND = 'report';
const REPLAY_INPUTS = ['trace', 'drivers', 'metric', 'start', 'targets', 'respect-modes'] as const;

export const reportCommand: Command = {
  name: COMMAND,
  synopsis: 'report (--replay FILE | --trace FILE | --drivers FILE | --since TIME) [--target ID] [--out FILE]',
  summary: 'write the HTML report of a replay or of a window of a deployment',
  description: [
    'Writes one self-contained HTML file (no scripts, nothing fetched) and prints its path:',
    'allocation and demand per target with every decision marked, alarm episodes and budgets shaded, the',
    'hourly cost (allocation × unit price) against the budget in force, Route 53 weights, and the decision',
    'table with the decision ids `drivetrain explain` takes (holds behind a toggle).',
    '--replay FILE: the JSON of `drivetrain replay --json`. --trace/--drivers: replay them now (same flags',
    'as `drivetrain replay`). --since TIME [--until TIME]: read the deployment tables (as `decisions`).',
  ].join('\n'),
  options: {
    replay: { type: 'string', value: 'FILE', description: 'a saved replay: the output of `drivetrain replay --json`' },
    ...REPLAY_INPUT_OPTIONS,
    since: {
      type: 'string',
      short: 's',
      value: 'TIME',
      description: 'report a window of the deployment from then: a duration back (6h) or ISO time',
    },
    until: { type: 'string', value: 'TIME', description: 'with --since: end of the window (default now)' },
    target: { type: 'string', short: 't', value: 'ID', description: 'with --since: only this target' },
    out: {
      type: 'string',
      short: 'o',
      value: 'FILE',
      description: 'where to write the report (default reports/<kind>-<time>.html)',
    },
  },
  positionals: [],
  examples: [
    'drivetrain report --trace traces/flash-sale.csv --drivers traces/flash-sale.drivers.json',
    'drivetrain replay --trace traces/diurnal.csv --json > replay.json && drivetrain report --replay replay.json',
    'drivetrain report --since 6h --target web-asg --profile prod',
    'drivetrain report --local --since 2h',
  ],
  async run(context: Context): Promise<ExitCode> {
    const { parsed } = context;
    const saved = stringOption(parsed, 'replay');
    const replaying = REPLAY_INPUTS.some((name) => parsed.values[name] !== undefined);
    const since = stringOption(parsed, 'since');
    const sources = [saved !== undefined, replaying, since !== undefined].filter(Boolean).length;
    if (sources !== 1)
      throw new UsageError('give exactly one of --replay FILE, --trace/--drivers (a replay now), or --since', COMMAND);
    for (const name of ['until', 'target'] as const)
      if (parsed.values[name] !== undefined && since === undefined)
        throw new UsageError(`--${name} only makes sense with --since`, COMMAND);
    const now = context.now();
    const data =
      since !== undefined
        ? await deploymentReport(context, since, now)
        : saved !== undefined
          ? await savedReplayReport(context, saved, now)
          : await replayReport(context, now);
    const kind = since !== undefined ? 'deployment' : 'replay';
    const out = stringOption(parsed, 'out');
    const path = writeReport(
      out !== undefined ? context.resolvePath(out) : resolve(context.io.cwd, 'reports', `${kind}-${stamp(now)}.html`),
      data,
    );
    if (context.json) context.outJson({ path, decisions: data.decisions.length });
    else context.out(`${context.displayPath(path)}\n`);
    return EXIT.ok;
  },
};

function stamp(t: number): string {
  return new Date(t * 1000).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

async function replayReport(context: Context, now: number): Promise<ReportData> {
  const replay = await replayFromFlags(context, COMMAND);
  const driversFile = stringOption(context.parsed, 'drivers');
  const drivers = driversFile !== undefined ? readDrivers(context.resolvePath(driversFile)) : [];
  return reportFromReplay(replay, now, { config: await context.config(), drivers });
}

async function savedReplayReport(context: Context, file: string, now: number): Promise<ReportData> {
  const path = context.resolvePath(file);
  let replay: ReplayReport;
  try {
    replay = JSON.parse(readFileSync(path, 'utf8')) as ReplayReport;
  } catch (error) {
    throw new CommandError(`cannot read ${context.displayPath(path)}: ${(error as Error).message}`, [], {
      cause: error,
    });
  }
  if (!Array.isArray(replay.targets) || typeof replay.from !== 'number' || typeof replay.to !== 'number')
    throw new CommandError(`${context.displayPath(path)} is not the JSON of \`drivetrain replay --json\``);
  // The recorded drivers it replayed, when the file is still there: alarm episodes and budget windows.
  const drivers: Driver[] = replay.driversFile && existsSync(replay.driversFile) ? readDrivers(replay.driversFile) : [];
  const configFile = stringOption(context.parsed, 'policy') ?? stringOption(context.parsed, 'config');
  const config = configFile !== undefined || existsSync(context.configFile()) ? await context.config() : undefined;
  return reportFromReplay(replay, now, { ...(config ? { config } : {}), drivers });
}

async function deploymentReport(context: Context, sinceText: string, now: number): Promise<ReportData> {
  const from = parsePast('--since', sinceText, now, COMMAND);
  const untilText = stringOption(context.parsed, 'until');
  const to = untilText === undefined ? now : parsePast('--until', untilText, now, COMMAND);
  if (to <= from) throw new UsageError('--until must be after --since', COMMAND);
  const config = await context.config();
  const targets = await context.targets(stringOption(context.parsed, 'target'));
  const source = storeHistorySource(await context.decisionStore(), await context.driverStore());
  return context.aws('reading the decisions table', () =>
    reportFromDeployment(config, targets, source, { from, to }, now),
  );
}
