/**
 * What the report shades and the cost chart's cap, derived from what a run recorded: alarm episodes from
 * the alarm drivers (their state changes) or, for a deployment read from its decisions table, from the
 * drivers each decision considered; the budget in force from the policy and the budget drivers. Pure.
 */
import { inWindow, isExpired } from '../../functions/domain/decision-common';
import type { Decision, Driver, DriverOutcome, Policy } from '../../functions/domain/model';
import type { ChartBand } from './svg';

/** Outcomes of an alarm driver that mean "not in ALARM" (or not known to be): they end an episode. */
const NOT_IN_ALARM = new Set<DriverOutcome>([
  'alarm-ok',
  'insufficient-data',
  'stale',
  'expired',
  'not-for-target',
  'no-rule',
]);

function episodeBand(name: string, from: number, to: number): ChartBand {
  return { from, to, label: `${name} ALARM`, kind: 'alarm' };
}

/**
 * ALARM episodes of the alarm drivers of a target: from an ALARM observation to the next observation of
 * the same alarm that is not ALARM, its expiry, or `end`. Observations are taken in time order.
 */
export function alarmEpisodes(drivers: readonly Driver[], targetId: string, end: number): ChartBand[] {
  const byAlarm = new Map<string, Array<{ at: number; alarm: boolean; expiresAt: number }>>();
  for (const d of drivers) {
    if (d.kind !== 'alarm' || !d.targets.includes(targetId)) continue;
    const list = byAlarm.get(d.signal.alarmName) ?? [];
    list.push({ at: d.observedAt, alarm: d.signal.state === 'ALARM', expiresAt: d.expiresAt });
    byAlarm.set(d.signal.alarmName, list);
  }
  const bands: ChartBand[] = [];
  for (const [name, list] of byAlarm) {
    list.sort((a, b) => a.at - b.at);
    let open: { at: number; expiresAt: number } | undefined;
    for (const o of list) {
      if (open && (!o.alarm || o.at >= open.expiresAt)) {
        bands.push(episodeBand(name, open.at, Math.min(o.at, open.expiresAt)));
        open = undefined;
      }
      if (o.alarm && !open) open = o;
      else if (o.alarm && open) open = { at: open.at, expiresAt: o.expiresAt };
    }
    if (open) bands.push(episodeBand(name, open.at, Math.min(end, open.expiresAt)));
  }
  return bands.sort((a, b) => a.from - b.from);
}

/**
 * ALARM episodes as the decisions saw them (a deployment's decisions table stores the drivers each decision
 * considered, not their history): an episode runs from the first decision that considered the alarm in
 * ALARM to the first later one that did not. Coarser than the drivers' own history (decisions are recorded
 * when something changes), never wrong about what the engine acted on.
 */
export function alarmEpisodesFromDecisions(decisions: readonly Decision[], end: number): ChartBand[] {
  const open = new Map<string, number>();
  const bands: ChartBand[] = [];
  for (const d of [...decisions].sort((a, b) => a.at - b.at)) {
    const seen = new Set<string>();
    for (const c of d.considered) {
      if (c.kind !== 'alarm') continue;
      seen.add(c.name);
      const inAlarm = !NOT_IN_ALARM.has(c.outcome);
      const since = open.get(c.name);
      if (inAlarm && since === undefined) open.set(c.name, d.at);
      if (!inAlarm && since !== undefined) {
        bands.push(episodeBand(c.name, since, d.at));
        open.delete(c.name);
      }
    }
  }
  for (const [name, since] of open) bands.push(episodeBand(name, since, end));
  return bands.sort((a, b) => a.from - b.from);
}

/**
 * The hourly budget in force for a target at `t`: the policy's cap, tightened by any budget driver that is
 * observed, unexpired and in its window — the same rule the engine applies (a budget driver only lowers it).
 */
export function budgetInForce(
  policy: Pick<Policy, 'budget'>,
  drivers: readonly Driver[],
  targetId: string,
  t: number,
): number | undefined {
  if (!policy.budget) return undefined;
  let cap = policy.budget.maxHourlyCost;
  for (const d of drivers) {
    if (d.kind !== 'business' || d.signal.type !== 'budget' || !d.targets.includes(targetId)) continue;
    if (d.observedAt > t || isExpired(d, t) || !inWindow(d.signal, t)) continue;
    cap = Math.min(cap, d.signal.maxHourlyCost);
  }
  return cap;
}

/**
 * Business drivers of a target as shaded bands: budget windows (clipped to when the budget was known: it
 * binds only from then) and demand windows (a sale, a campaign: shaded as announced).
 */
export function businessBands(drivers: readonly Driver[], targetId: string): ChartBand[] {
  return drivers.flatMap((d): ChartBand[] => {
    if (d.kind !== 'business' || !d.targets.includes(targetId)) return [];
    const { signal } = d;
    if (signal.type === 'budget')
      return [
        {
          from: Math.max(signal.windowStart, d.observedAt),
          to: Math.min(signal.windowEnd, d.expiresAt),
          label: signal.label ?? `budget ${signal.maxHourlyCost}/h`,
          kind: 'budget',
        },
      ];
    if (signal.type === 'demand')
      return [{ from: signal.windowStart, to: signal.windowEnd, label: signal.label ?? d.name, kind: 'window' }];
    return [];
  });
}
