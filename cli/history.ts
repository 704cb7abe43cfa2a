/**
 * `replay --since`: reads what a deployment accepted in a window from its history table (every accepted
 * driver observation, kept for driverHistoryRetention), for the local replay to run against a proposed policy.
 */
import type { Driver, Target } from '../functions/domain/model';
import { stringOption } from './args';
import type { Context } from './context';
import { CommandError, UsageError } from './errors';
import { isoSeconds } from './format';
import { parsePast } from './time';

/** Observations read per target at most: a day of one-minute metric snapshots of a dozen drivers, twice over. */
export const HISTORY_READ_LIMIT = 50_000;

export interface HistoryWindow {
  from: number;
  to: number;
}

export function historyWindow(context: Context, command: string): HistoryWindow {
  const now = context.now();
  const from = parsePast('--since', stringOption(context.parsed, 'since')!, now, command);
  const untilText = stringOption(context.parsed, 'until');
  const to = untilText === undefined ? now : parsePast('--until', untilText, now, command);
  if (to <= from) throw new UsageError('--until must be after --since', command);
  return { from, to };
}

/**
 * Every target's accepted drivers in the window, one record per observation (a driver for two targets is
 * read under each and kept once). Refuses an empty window and a window larger than the read cap.
 */
export async function readDeploymentHistory(
  context: Context,
  targets: readonly Target[],
  window: HistoryWindow,
  limit = HISTORY_READ_LIMIT,
): Promise<Driver[]> {
  const { readHistory } = await import('../functions/adapters/dynamodb/driver-history');
  const table = (await context.tables()).history;
  const doc = context.dynamo();
  const now = context.now();
  const byEvent = new Map<string, Driver>();
  for (const target of targets) {
    const read = await context.aws(`reading the driver history of ${target.id}`, () =>
      readHistory(doc, table, { targetId: target.id, ...window, now, limit }),
    );
    if (read.truncated)
      throw new CommandError(
        `${target.id} has more than ${limit} driver observations between ${isoSeconds(window.from)} and ${isoSeconds(window.to)}`,
        ['narrow the window (--since/--until) or the targets (--targets)'],
      );
    for (const d of read.drivers) byEvent.set(`${d.kind}#${d.name}#${d.id}#${d.observedAt}#${d.lineage.eventId}`, d);
  }
  if (byEvent.size === 0)
    throw new CommandError(
      `no driver history in ${table} between ${isoSeconds(window.from)} and ${isoSeconds(window.to)}`,
      [
        'history is kept only for drivers accepted since it was deployed, for driverHistoryRetention (0: none)',
        'widen --since, or check the table prefix (--table-prefix) and --profile/--region/--local',
      ],
    );
  return [...byEvent.values()].sort((a, b) => a.observedAt - b.observedAt);
}
