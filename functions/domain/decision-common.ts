/**
 * What the capacity and routing deciders share: rule index, driver screening (target, expiry, rule, newest
 * override), window and time helpers, and the last step of every decision (mode, reasons, summary).
 */
import type {
  Action,
  Allocation,
  ConsideredDriver,
  Decision,
  Driver,
  DriverOutcome,
  OverrideDriver,
  Policy,
  ReasonCode,
  Rule,
  ScheduledOverride,
  Target,
  TargetMode,
  TargetState,
} from './model';
import { routingEndpoints } from './target-kinds';

export type EngineTarget = Pick<Target, 'id' | 'mode' | 'resource' | 'policy'>;

/**
 * Floor on how often an alarm step may repeat. CloudWatch evaluates an alarm at most once a minute, so a
 * step that re-applied on every decision would compound with the number of driver events that happen to
 * arrive in that minute (a burst of five metric snapshots would add the step five times).
 */
export const ALARM_STEP_MIN_REPEAT_SECONDS = 60;

/** Routing weights are written as integers that add up to this (Route 53 accepts 0-255 per record). */
export const ROUTING_WEIGHT_TOTAL = 100;

export interface RuleIndex {
  /** The resource the drain set was built from (a policy object may be shared by several targets). */
  resource: EngineTarget['resource'];
  byDriver: Map<string, { rule: Rule; index: number }>;
  telemetryRules: number;
  drainDrivers: Set<string>;
}

// Memoized per policy object: pure (depends only on the immutable policy and resource), saves work per tick.
const ruleIndexCache = new WeakMap<object, RuleIndex>();

export function indexRules(target: EngineTarget): RuleIndex {
  const cached = ruleIndexCache.get(target.policy);
  if (cached && cached.resource === target.resource) return cached;
  const byDriver = new Map<string, { rule: Rule; index: number }>();
  let telemetryRules = 0;
  target.policy.rules.forEach((rule, index) => {
    if (!byDriver.has(rule.driver)) byDriver.set(rule.driver, { rule, index });
    if (rule.kind === 'alarm' || rule.kind === 'metric') telemetryRules++;
  });
  const drainDrivers = new Set<string>();
  for (const endpoint of routingEndpoints(target.resource) ?? [])
    for (const name of endpoint.drainOn) drainDrivers.add(name);
  const result = { resource: target.resource, byDriver, telemetryRules, drainDrivers };
  ruleIndexCache.set(target.policy, result);
  return result;
}

export function effectiveMode(
  target: Pick<Target, 'mode'>,
  state: Pick<TargetState, 'modeOverride'> | undefined,
): TargetMode {
  return state?.modeOverride?.mode ?? target.mode;
}

/** Expiry is exclusive: a driver expiring at `now` no longer counts (TTL deletion is late; this is not). */
export function isExpired(driver: Pick<Driver, 'expiresAt'>, now: number): boolean {
  return now >= driver.expiresAt;
}

export function staleAfter(rule: Rule | undefined, policy: Policy): number | undefined {
  if (rule && (rule.kind === 'alarm' || rule.kind === 'metric') && rule.staleAfterSeconds !== undefined)
    return rule.staleAfterSeconds;
  // Alarms only emit on state change: their last state holds until the next event, so they are never
  // stale by age unless the rule says so. A telemetry outage shows up as INSUFFICIENT_DATA instead.
  if (rule?.kind === 'alarm') return undefined;
  return policy.fallback.staleAfterSeconds;
}

export interface LiveDriver {
  driver: Driver;
  index: number;
  rule: Rule | undefined;
  ruleIndex: number;
}

export interface Screened {
  /** One entry per input driver, same order. */
  considered: ConsideredDriver[];
  /** Drivers that passed target, expiry and rule checks (overrides excluded). */
  live: LiveDriver[];
  override: { driver: OverrideDriver; index: number } | undefined;
}

export function consider(
  driver: Driver,
  outcome: DriverOutcome,
  rule?: string,
  detail?: string,
  demand?: number,
): ConsideredDriver {
  const entry: ConsideredDriver = { driverId: driver.id, name: driver.name, kind: driver.kind, outcome };
  if (rule !== undefined) entry.rule = rule;
  if (demand !== undefined) entry.demand = demand;
  if (detail !== undefined) entry.detail = detail;
  return entry;
}

export function ruleLabel(rule: Rule, index: number): string {
  return `rules[${index}] ${rule.kind}`;
}

/** Common first pass: target membership, expiry, rule lookup, the newest override. */
export function screen(target: EngineTarget, drivers: readonly Driver[], now: number, rules: RuleIndex): Screened {
  const considered: ConsideredDriver[] = new Array(drivers.length);
  const live: LiveDriver[] = [];
  let override: Screened['override'];
  let overrides: number[] | undefined;
  for (let i = 0; i < drivers.length; i++) {
    const driver = drivers[i]!;
    if (!driver.targets.includes(target.id)) {
      considered[i] = consider(driver, 'not-for-target', undefined, `targets ${driver.targets.join(', ')}`);
      continue;
    }
    if (isExpired(driver, now)) {
      considered[i] = consider(driver, 'expired', undefined, `expired ${formatDuration(now - driver.expiresAt)} ago`);
      continue;
    }
    const entry = rules.byDriver.get(driver.name);
    if (!entry && !(driver.kind === 'alarm' && rules.drainDrivers.has(driver.name))) {
      considered[i] = consider(driver, 'no-rule', undefined, 'no rule of the policy refers to this driver');
      continue;
    }
    if (entry && entry.rule.kind !== driver.kind) {
      considered[i] = consider(
        driver,
        'no-rule',
        undefined,
        `rule for "${driver.name}" expects a ${entry.rule.kind} driver`,
      );
      continue;
    }
    if (driver.kind === 'override') {
      // The newest override wins; ties broken by id so the result never depends on input order.
      overrides ??= [];
      overrides.push(i);
      if (!override || isNewer(driver, override.driver)) override = { driver, index: i };
      continue;
    }
    live.push({ driver, index: i, rule: entry?.rule, ruleIndex: entry?.index ?? -1 });
  }
  if (overrides && override) {
    for (const i of overrides) {
      if (i === override.index) continue;
      const driver = drivers[i] as OverrideDriver;
      considered[i] = consider(
        driver,
        'superseded',
        overrideRuleLabel(rules, driver),
        `superseded by newer override ${override.driver.id}`,
      );
    }
  }
  return { considered, live, override };
}

export function overrideRuleLabel(rules: RuleIndex, driver: OverrideDriver): string {
  // screen() only lets an override through when a rule of kind override names it.
  const entry = rules.byDriver.get(driver.name)!;
  return ruleLabel(entry.rule, entry.index);
}

/** Total order on observations: newer first, then by id, so "the newest" never depends on input order. */
export function isNewer(a: Driver, b: Driver): boolean {
  return a.observedAt > b.observedAt || (a.observedAt === b.observedAt && a.id > b.id);
}

export function activeSchedule(policy: Policy, now: number): ScheduledOverride | undefined {
  // The validator rejects overlapping windows; should a config slip through, the earliest-listed one wins.
  for (const entry of policy.schedule) if (entry.start <= now && now < entry.end) return entry;
  return undefined;
}

export function inWindow(signal: { windowStart: number; windowEnd: number }, now: number, leadSeconds = 0): boolean {
  return signal.windowStart - leadSeconds <= now && now < signal.windowEnd;
}

export function finish(
  target: EngineTarget,
  state: TargetState | undefined,
  now: number,
  current: Allocation | undefined,
  desired: Allocation,
  actions: Action[],
  reasons: ReasonCode[],
  summary: string,
  winner: string | undefined,
  considered: ConsideredDriver[],
): Decision {
  const mode = effectiveMode(target, state);
  if (mode === 'shadow') {
    reasons.push('shadow-mode');
    if (actions.length) summary += ' [shadow: not applied]';
  } else if (mode === 'paused') {
    reasons.push('paused');
    if (actions.length) summary += ' [paused: not applied]';
  }
  const decision: Decision = {
    targetId: target.id,
    targetKind: target.resource.kind,
    at: now,
    policyVersion: target.policy.version,
    mode,
    desired,
    actions,
    apply: mode === 'enforce' && actions.length > 0,
    reasons: dedupe(reasons),
    summary,
    considered,
  };
  if (current) decision.current = current;
  if (winner) decision.winner = winner;
  return decision;
}

export function dedupe(reasons: ReasonCode[]): ReasonCode[] {
  if (reasons.length < 2) return reasons;
  const unique = new Set(reasons);
  return unique.size === reasons.length ? reasons : [...unique];
}

export function signed(n: number): string {
  return n >= 0 ? `+${n}` : `${n}`;
}

/**
 * A wall-clock instant (UTC) for summaries. Summaries carry "until 14:05:00Z" rather than a countdown so a
 * decision held for ten ticks reads the same each time and is recorded once, not ten times.
 */
export function clockTime(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'later';
  const iso = new Date(Math.round(seconds) * 1000).toISOString();
  return `${iso.slice(11, 19)}Z`;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return s % 60 === 0 ? `${s / 60}m` : `${Math.floor(s / 60)}m${s % 60}s`;
  if (s < 86400) {
    const m = Math.floor((s % 3600) / 60);
    return m === 0 ? `${Math.floor(s / 3600)}h` : `${Math.floor(s / 3600)}h${m}m`;
  }
  const h = Math.floor((s % 86400) / 3600);
  return h === 0 ? `${Math.floor(s / 86400)}d` : `${Math.floor(s / 86400)}d${h}h`;
}

export function windowDetail(signal: { windowStart: number; windowEnd: number }, now: number, lead: number): string {
  if (now >= signal.windowEnd) return `window ended ${formatDuration(now - signal.windowEnd)} ago`;
  return `window opens in ${formatDuration(signal.windowStart - now)}${lead ? `, pre-warm starts in ${formatDuration(signal.windowStart - lead - now)}` : ''}`;
}
