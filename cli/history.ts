/**
 * `replay --since`: reads what a deployment accepted in a window from its history table (every accepted
 * driver observation, kept for driverHistoryRetention), and the drivers it held live when the window opened,
 * for the local replay to run against a proposed policy.
 */
import { driverMaxLifetimeSeconds, type DriverDeclaration } from '../functions/domain/config';
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

export interface DeploymentHistory {
  /** Oldest first: the drivers carried in (observed before the window), then the window's observations. */
  drivers: Driver[];
  /** How many of them were carried in: observed before the window and still live at its start. */
  carriedIn: number;
}

/**
 * Every target's accepted drivers in the window, one record per observation (a driver for two targets is
 * read under each and kept once), and before them the drivers the deployment held live when the window
 * opened: a campaign announced two days earlier, an alarm in ALARM since an hour before, a freeze. Without
 * them the replay's first decisions would differ from the deployment's. Refuses an empty history and more
 * observations per target than the read cap.
 */
export async function readDeploymentHistory(
  context: Context,
  targets: readonly Target[],
  window: HistoryWindow,
  limit = HISTORY_READ_LIMIT,
): Promise<DeploymentHistory> {
  const table = (await context.tables()).history;
  const declarations = (await context.config()).drivers;
  const byEvent = new Map<string, Driver>();
  const carried = new Set<string>();
  const eventKey = (d: Driver) => `${d.kind}#${d.name}#${d.id}#${d.observedAt}#${d.lineage.eventId}`;
  for (const target of targets) {
    const read = await readTargetHistory(context, table, target.id, window, {
      limit,
      lookbackSeconds: carryInLookbackSeconds(declarations, target.id),
    });
    for (const d of read.carriedIn) carried.add(eventKey(d));
    for (const d of [...read.carriedIn, ...read.inWindow]) byEvent.set(eventKey(d), d);
  }
  if (byEvent.size === 0)
    throw new CommandError(
      `no driver history in ${table} between ${isoSeconds(window.from)} and ${isoSeconds(window.to)}`,
      [
        'history is kept only for drivers accepted since it was deployed, for driverHistoryRetention (0: none)',
        'widen --since, or check the table prefix (--table-prefix) and --profile/--region/--local',
      ],
    );
  return { drivers: [...byEvent.values()].sort((a, b) => a.observedAt - b.observedAt), carriedIn: carried.size };
}

/**
 * How far before the window a driver of this target that is still live at its start can have been observed:
 * the longest lifetime ingest lets a record of one of its declared drivers have (driverMaxLifetimeSeconds),
 * plus the second an alarm's or a snapshot's expiry is rounded up by. 0 when the target has no drivers.
 * Read from the replayed config, which declares the drivers its policies use. Older items than the history's
 * retention (driverHistoryRetention, which only the stack knows) are gone or filtered on retainUntil, so a
 * year-long business lifetime costs at most the retention's worth of items evaluated; what is returned (and
 * held here) is capped by the read limit. Business records' and overrides' lifetimes count from receipt, not
 * from their event time (ingest bounds that only from above): one whose event time predates its receipt can
 * outlive the lookback by that delay, and is then missed.
 */
export function carryInLookbackSeconds(declarations: readonly DriverDeclaration[], targetId: string): number {
  const lifetimes = declarations.filter((d) => d.targets.includes(targetId)).map(driverMaxLifetimeSeconds);
  return lifetimes.length ? Math.max(...lifetimes) + 1 : 0;
}

interface TargetHistory {
  carriedIn: Driver[];
  inWindow: Driver[];
}

/** One target's window and carried-in drivers, at most `limit` observations read for both together. */
async function readTargetHistory(
  context: Context,
  table: string,
  targetId: string,
  window: HistoryWindow,
  options: { limit: number; lookbackSeconds: number },
): Promise<TargetHistory> {
  const { readHistory, readLiveAt } = await import('../functions/adapters/dynamodb/driver-history');
  const doc = context.dynamo();
  const now = context.now();
  const { limit, lookbackSeconds } = options;
  const between = `between ${isoSeconds(window.from)} and ${isoSeconds(window.to)}`;
  const narrow = 'narrow the window (--since/--until) or the targets (--targets)';
  const read = await context.aws(`reading the driver history of ${targetId}`, () =>
    readHistory(doc, table, { targetId, ...window, now, limit }),
  );
  if (read.truncated)
    throw new CommandError(`${targetId} has more than ${limit} driver observations ${between}`, [narrow]);
  if (lookbackSeconds === 0) return { carriedIn: [], inWindow: read.drivers };
  // The same cap covers both reads: what one target makes this process hold stays HISTORY_READ_LIMIT.
  const remaining = limit - read.drivers.length;
  const live = await context.aws(`reading the drivers of ${targetId} live at ${isoSeconds(window.from)}`, () =>
    readLiveAt(doc, table, { targetId, at: window.from, lookbackSeconds, now, limit: remaining }),
  );
  if (live.truncated)
    throw new CommandError(
      `${targetId} has more than ${limit} driver observations to read: ${read.drivers.length} ${between}, and more than ${remaining} since ${isoSeconds(window.from - lookbackSeconds)} that may still be live at its start`,
      [
        narrow,
        `the drivers live at --since are looked for as far back as the longest record lifetime ${targetId}'s declared drivers allow (drivers[].ttlSeconds shortens it)`,
      ],
    );
  return { carriedIn: live.drivers, inWindow: read.drivers };
}
