/**
 * Pure descriptions of drivers and decisions for operators: what a driver says, whether the policy can still
 * use it (stale, expired but not yet deleted by TTL, outside its window) and plain-English meanings of the
 * engine's outcome and reason codes. No I/O; the commands render these as tables or JSON.
 */
import { leadTimeOf } from '../functions/domain/warmup';
import { formatDuration, isExpired, staleAfter } from '../functions/domain/engine';
import type { Driver, DriverOutcome, ReasonCode, Target } from '../functions/domain/model';
import { isRoutingTarget, routingEndpoints } from '../functions/domain/target-kinds';

export const DRIVER_STATES = [
  'live',
  'stale',
  'expired',
  'insufficient-data',
  'scheduled',
  'pre-warm',
  'active',
  'ended',
  'unused',
] as const;
export type DriverState = (typeof DRIVER_STATES)[number];

export interface DriverView {
  targetId: string;
  state: DriverState;
  /** Why the state is what it is (`seen 25m ago, limit 10m`). */
  stateDetail: string;
  /** What the driver says (`web-prod-cpu-high ALARM`, `×2.5 flash-sale`). */
  signal: string;
  ageSeconds: number;
  /** Negative once expired. */
  expiresInSeconds: number;
}

/** A state needing an operator's attention (shown first and counted in the footer). */
export function needsAttention(state: DriverState): boolean {
  return state === 'stale' || state === 'expired' || state === 'insufficient-data';
}

export function describeSignal(driver: Driver): string {
  switch (driver.kind) {
    case 'alarm':
      return `${driver.signal.alarmName} ${driver.signal.state}${driver.signal.datapoint !== undefined ? ` (${driver.signal.datapoint})` : ''}`;
    case 'metric':
      return `${driver.signal.value}${driver.signal.unit ? ` ${driver.signal.unit}` : ''}`;
    case 'business': {
      const s = driver.signal;
      if (s.type === 'demand') {
        const demand = 'multiplier' in s.demand ? `×${s.demand.multiplier}` : `=${s.demand.absolute}`;
        const lead = s.leadTimeSeconds ? `, lead ${formatDuration(s.leadTimeSeconds)}` : '';
        return `demand ${demand}${s.label ? ` ${s.label}` : ''}${lead}`;
      }
      if (s.type === 'budget') return `budget ≤${s.maxHourlyCost}/h`;
      return 'change freeze';
    }
    case 'override': {
      const s = driver.signal;
      const what =
        s.action === 'pin'
          ? `pin ${s.allocation}`
          : s.action === 'pin-weights'
            ? `pin weights ${Object.entries(s.weights)
                .map(([k, v]) => `${k}=${v}`)
                .join(',')}`
            : 'freeze';
      return `${what} by ${driver.lineage.principal ?? driver.source}: ${driver.reason}`;
    }
  }
}

/**
 * Where the driver stands for this target's policy at `now`, by the engine's own rules (`staleAfter`,
 * `isExpired`) so the CLI never disagrees with what the next decision will do.
 */
export function describeDriver(
  driver: Driver,
  target: Pick<Target, 'id' | 'resource' | 'policy'>,
  now: number,
): DriverView {
  const base = {
    targetId: target.id,
    signal: describeSignal(driver),
    ageSeconds: now - driver.observedAt,
    expiresInSeconds: driver.expiresAt - now,
  };
  const view = (state: DriverState, stateDetail: string): DriverView => ({ ...base, state, stateDetail });
  if (isExpired(driver, now))
    return view(
      'expired',
      `expired ${formatDuration(now - driver.expiresAt)} ago; awaiting TTL deletion, ignored by decisions`,
    );

  const rule = target.policy.rules.find((r) => r.driver === driver.name);
  const drains = routingEndpoints(target.resource)?.some((e) => e.drainOn.includes(driver.name)) ?? false;
  if (!rule && !drains) return view('unused', `no rule of ${target.id}'s policy uses "${driver.name}"`);
  if (rule && rule.kind !== driver.kind)
    return view('unused', `the rule for "${driver.name}" expects a ${rule.kind} driver`);

  if (driver.kind === 'alarm' || driver.kind === 'metric') {
    if (driver.kind === 'alarm' && driver.signal.state === 'INSUFFICIENT_DATA')
      return view('insufficient-data', `${driver.signal.alarmName} has insufficient data`);
    // Routing targets only age drain alarms when their rule says so (the engine does the same).
    const limit = isRoutingTarget(target)
      ? rule?.kind === 'alarm'
        ? rule.staleAfterSeconds
        : undefined
      : staleAfter(rule, target.policy);
    const seen = now - driver.observedAt;
    if (limit !== undefined && seen > limit)
      return view('stale', `seen ${formatDuration(seen)} ago, limit ${formatDuration(limit)}`);
    return view(
      'live',
      limit !== undefined ? `stale in ${formatDuration(limit - seen)}` : 'holds until the next state change',
    );
  }
  if (driver.kind === 'business') {
    const s = driver.signal;
    const lead =
      s.type === 'demand'
        ? Math.max(
            rule?.kind === 'business' ? leadTimeOf(rule.leadTimeSeconds, undefined).seconds : 0,
            s.leadTimeSeconds ?? 0,
          )
        : 0;
    if (now >= s.windowEnd) return view('ended', `window ended ${formatDuration(now - s.windowEnd)} ago`);
    if (now >= s.windowStart) return view('active', `window open, ends in ${formatDuration(s.windowEnd - now)}`);
    if (now >= s.windowStart - lead)
      return view(
        'pre-warm',
        `window opens in ${formatDuration(s.windowStart - now)}; pre-warming (lead ${formatDuration(lead)})`,
      );
    return view(
      'scheduled',
      `window opens in ${formatDuration(s.windowStart - now)}${lead ? `, pre-warm in ${formatDuration(s.windowStart - lead - now)}` : ''}`,
    );
  }
  return view('live', `expires in ${formatDuration(driver.expiresAt - now)}`);
}

/**
 * What each engine outcome means for the driver, in words an on-call engineer can act on. Partial on purpose:
 * the engine's vocabulary grows, and a new code must not break the CLI's build; a test checks every code has
 * a meaning here, and `outcomeMeaning` falls back to the code itself.
 */
export const OUTCOME_MEANING: Partial<Record<DriverOutcome, string>> = {
  won: 'set the allocation',
  used: 'taken into account (it shaped the decision without setting the number alone)',
  stale: 'ignored: telemetry older than the policy allows',
  expired: 'ignored: past its expiry (TTL deletion is late)',
  'out-of-window': 'ignored: its business window is not open (nor in lead time)',
  'lost-precedence': 'lost: an override or a scheduled window outranks demand',
  'lost-to-higher-demand': 'lost: another driver asked for more (combine: max)',
  'lost-to-earlier-rule': 'lost: an earlier rule had demand (combine: priority, or as much under combine: max)',
  'held-by-cooldown': 'won, but the change was held back by stabilization or a change freeze',
  'no-rule': 'ignored: no rule of the policy uses it (or the rule expects another kind)',
  superseded: 'ignored: a newer driver of the same name replaced it',
  'insufficient-data': 'ignored: the alarm has insufficient data',
  'alarm-ok': 'no demand: the alarm is OK',
  'not-for-target': 'ignored: the driver does not name this target',
};

export function outcomeMeaning(outcome: DriverOutcome): string {
  return OUTCOME_MEANING[outcome] ?? outcome;
}

/** Winner first, then what shaped the decision, then what lost, then what was ignored. */
const OUTCOME_ORDER: Partial<Record<DriverOutcome, number>> = {
  won: 0,
  'held-by-cooldown': 1,
  used: 2,
  'lost-precedence': 3,
  'lost-to-higher-demand': 3,
  'lost-to-earlier-rule': 3,
  'alarm-ok': 4,
  stale: 5,
  'insufficient-data': 5,
  'out-of-window': 6,
  superseded: 7,
  expired: 8,
  'no-rule': 9,
  'not-for-target': 10,
};

/** Unknown (newer) outcomes sort with the ignored ones rather than above the winner. */
export function outcomeRank(outcome: DriverOutcome): number {
  return OUTCOME_ORDER[outcome] ?? 9;
}

/** Plain-English reason codes (partial for the same reason as OUTCOME_MEANING; see `reasonMeaning`). */
export const REASON_MEANING: Partial<Record<ReasonCode, string>> = {
  'alarm-step': 'an alarm in ALARM stepped the capacity',
  'target-tracking': 'a metric set the capacity by target tracking',
  'business-window': 'a business demand window is open',
  'business-lead-time': 'pre-warming ahead of a business window',
  forecast: 'pre-warming for the demand the metric forecast predicts',
  'within-noise-band': 'a scale-out inside the metric noise band was not made',
  'stabilized-scale-down': 'scale-in limited to the highest recommendation over the scale-down window',
  'within-scale-in-tolerance': 'a scale-in smaller than the scale-in tolerance was not made',
  'override-pin': 'an operator override pinned the allocation',
  'override-freeze': 'an operator override froze the allocation',
  'scheduled-pin': 'a scheduled override pinned the allocation',
  'scheduled-freeze': 'a scheduled override froze the allocation',
  'business-freeze': 'a change freeze held the change back',
  'fallback-stale-drivers': 'every telemetry driver is stale or missing: fallback allocation',
  'no-demand-hold': 'no driver demanded anything: holding the current allocation',
  'no-demand-fallback': 'no demand and no telemetry to hold it: back to the fallback (resting) allocation',
  'initial-allocation': 'first decision with no demand: fallback allocation',
  'clamped-to-min': 'raised to the policy minimum',
  'clamped-to-max': 'clamped to the policy maximum',
  'step-limited-up': 'scale-out limited by bounds.maxStepUp (per bounds.stepWindowSeconds)',
  'step-limited-down': 'scale-in limited by bounds.maxStepDown (per bounds.stepWindowSeconds)',
  'budget-capped': 'capped by the hourly budget',
  'budget-below-min': 'the budget allows less than the minimum: minimum kept',
  'cooldown-scale-down': 'scale-in held by the scale-down stabilization window',
  'cooldown-scale-up': 'scale-out held by the scale-up stabilization window',
  'endpoint-drained': 'an endpoint was drained by its health alarm',
  'endpoint-restored': 'a drained endpoint was restored',
  'restore-delayed': 'restore of a drained endpoint delayed (hysteresis)',
  'min-share-enforced': 'an endpoint was kept at its minimum share',
  'all-endpoints-drained-fail-open': 'every endpoint was drained: failing open to configured weights',
  'no-change': 'nothing to change',
  'shadow-mode': 'shadow mode: recorded, not applied',
  paused: 'paused: recorded, not applied',
};

export function reasonMeaning(reason: ReasonCode): string {
  return REASON_MEANING[reason] ?? reason;
}
