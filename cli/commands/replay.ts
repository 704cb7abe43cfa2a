/**
 * `drivetrain replay --policy FILE --drivers FILE | --trace FILE`: what a policy would have done over a
 * recorded driver history or a demand trace — the production engine in virtual time against a simulated
 * fleet (local/replay), so a policy change can be judged before it is deployed.
 */
import { ReplayInputError, formatReplayReport, runReplay, type ReplayReport } from '../../local/replay/index';
import { DriversFileError, TraceFormatError } from '../../local/bench/trace';
import { flag, listOption, numberOption, stringOption, type OptionSpecs } from '../args';
import type { Command } from '../command';
import type { Context } from '../context';
import { CommandError, EXIT, UsageError, type ExitCode } from '../errors';
import { historyWindow, readDeploymentHistory } from '../history';

const COMMAND = 'replay';

/** The flags that say what to replay (shared with `report`). */
export const REPLAY_INPUT_OPTIONS = {
  policy: {
    type: 'string',
    short: 'p',
    value: 'FILE',
    description: 'the config with the policies to replay (same as --config)',
  },
  drivers: { type: 'string', value: 'FILE', description: 'recorded drivers: JSON array of canonical driver records' },
  trace: { type: 'string', value: 'FILE', description: 'demand trace: CSV time_seconds,demand' },
  metric: {
    type: 'string',
    value: 'DRIVER',
    description: 'metric driver the trace feeds (default: the first declared)',
  },
  targets: { type: 'string', value: 'A,B', description: 'only these targets' },
  start: {
    type: 'string',
    value: 'TIME',
    description: 'where a trace with relative times starts (ISO or epoch seconds; default 2026-11-27T00:00:00Z)',
  },
  'respect-modes': { type: 'boolean', description: 'evaluate shadow/paused targets in their configured mode' },
} as const satisfies OptionSpecs;

export const replayCommand: Command = {
  name: COMMAND,
  synopsis:
    'replay [--policy FILE] (--drivers FILE | --trace FILE | --since TIME [--until TIME]) [--targets a,b] [--rows N]',
  summary: 'replay recorded drivers or a demand trace against a policy, in virtual time',
  description: [
    'Runs the same decision engine as the Lambdas over the history, tick by tick (every 60 s of virtual',
    'time), against a simulated fleet with instance warmup, and reports per target what it would have done:',
    'every decision, the number of changes, capacity-hours and cost, and — with a trace — the SPEC RG',
    'elasticity metrics. A day of minutes replays in well under a second. Nothing touches AWS.',
    '--drivers: a JSON array of canonical driver records (as stored in the drivers table).',
    '--trace: CSV time_seconds,demand (see traces/README.md); each row becomes a snapshot of the metric',
    'driver (--metric, default the first one the config declares). Both may be given together.',
    "--since TIME [--until TIME]: the deployment's own history — every driver it accepted in the window,",
    'and the drivers it held live when the window opened (observed earlier, not yet expired) — read from',
    'its history table (kept for driverHistoryRetention, 30 days by default; same table and credential',
    'resolution as `decisions`: --table-prefix, --profile, --region, --local).',
    'Targets in shadow or paused mode are evaluated as if enforced unless --respect-modes is given.',
  ].join('\n'),
  options: {
    ...REPLAY_INPUT_OPTIONS,
    since: {
      type: 'string',
      value: 'TIME',
      description: "replay the deployment's recorded drivers since then: a duration back (7d, 2h) or ISO time",
    },
    until: { type: 'string', value: 'TIME', description: 'with --since: end of the window (default now)' },
    rows: {
      type: 'string',
      value: 'N',
      description: 'decisions printed per target before eliding the middle (default 60)',
    },
  },
  positionals: [],
  examples: [
    'drivetrain replay --policy drivetrain.config.yaml --trace traces/flash-sale.csv --drivers traces/flash-sale.drivers.json',
    'drivetrain replay --trace traces/diurnal.csv --targets web-asg --json',
    'drivetrain replay --since 7d --policy proposed.config.yaml --profile prod',
  ],
  async run(context: Context): Promise<ExitCode> {
    const rows = numberOption(context.parsed, 'rows', COMMAND, { integer: true, positive: true });
    const report = await replayFromFlags(context, COMMAND);
    if (context.json) context.outJson(report);
    else context.out(`${formatReplayReport(report, rows !== undefined ? { maxRows: rows } : {})}\n`);
    return report.targets.some((t) => t.failed > 0) ? EXIT.failed : EXIT.ok;
  },
};

/**
 * Runs the replay the flags describe (shared by `replay` and `report`): the config validated first for its
 * located messages, then the production engine over the drivers and/or the trace.
 */
export async function replayFromFlags(context: Context, command: string): Promise<ReplayReport> {
  const { parsed } = context;
  if (stringOption(parsed, 'policy') !== undefined && stringOption(parsed, 'config') !== undefined) {
    throw new UsageError('give --policy or --config, not both (they name the same file)', command);
  }
  const driversFile = stringOption(parsed, 'drivers');
  const traceFile = stringOption(parsed, 'trace');
  const since = stringOption(parsed, 'since') !== undefined;
  if (since && (driversFile !== undefined || traceFile !== undefined))
    throw new UsageError('give --since (the recorded history) or --drivers/--trace, not both', command);
  if (!since && stringOption(parsed, 'until') !== undefined)
    throw new UsageError('--until only makes sense with --since', command);
  if (driversFile === undefined && traceFile === undefined && !since)
    throw new UsageError('give --drivers FILE, --trace FILE, or both (or --since TIME)', command);
  const targets = listOption(parsed, 'targets', command);
  // Validated here first for the located messages (file:line:col); the replay then loads the same file.
  await context.config();
  for (const id of targets ?? []) await context.target(id);
  const window = since ? historyWindow(context, command) : undefined;
  // The proposed policy's targets: history recorded for a target it no longer has is not replayed.
  const history = window
    ? await readDeploymentHistory(context, await historyTargets(context, targets), window)
    : undefined;
  const start = stringOption(parsed, 'start');
  const metric = stringOption(parsed, 'metric');
  try {
    return await context.progress.run('replaying', () =>
      runReplay({
        configPath: context.configFile(),
        ...(driversFile !== undefined ? { driversFile: context.resolvePath(driversFile) } : {}),
        ...(traceFile !== undefined ? { traceFile: context.resolvePath(traceFile) } : {}),
        ...(history && window
          ? { drivers: history.drivers, carriedIn: history.carriedIn, from: window.from, to: window.to }
          : {}),
        ...(targets ? { targets } : {}),
        ...(start !== undefined ? { startAt: /^\d+$/.test(start) ? Number(start) : start } : {}),
        ...(metric !== undefined ? { metricDriver: metric } : {}),
        ...(flag(parsed, 'respect-modes') ? { respectModes: true } : {}),
      }),
    );
  } catch (error) {
    if (error instanceof ReplayInputError || error instanceof DriversFileError || error instanceof TraceFormatError) {
      throw new CommandError(error.message);
    }
    throw error;
  }
}

async function historyTargets(context: Context, ids: string[] | undefined) {
  return ids ? Promise.all(ids.map((id) => context.target(id))) : (await context.config()).targets;
}
