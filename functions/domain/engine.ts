/**
 * The decision engine: a pure, deterministic function of (target with its policy, drivers, state, now).
 * No clock, no I/O, no randomness — the same inputs always give the same decision, which is what makes
 * shadow mode, replay and the audit trail trustworthy.
 *
 * Precedence, highest first:
 *   1. guardrails  — bounds, step limits, budget cap (money), minimum routing shares
 *   2. overrides   — a live override driver (pin/freeze, always with an expiry), then the policy's schedule
 *   3. demand      — alarm steps, target tracking, business windows (with lead time), fallback when
 *                    telemetry is stale; combined by max (or rule order when the policy says `priority`)
 * Stabilization sits between demand and guardrails: it may hold a change back, never push past a guardrail.
 */
import type {
  Action,
  Allocation,
  BusinessDriver,
  CapacityAllocation,
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

export type EngineTarget = Pick<Target, 'id' | 'kind' | 'mode' | 'resource' | 'policy'>;

interface Candidate {
  demand: number;
  /** Driver name for the summary. */
  label: string;
  detail: string;
  driverIndex: number | undefined;
  ruleIndex: number;
  reason: ReasonCode;
  /** Urgent demand is not held by the scale-up stabilization window. */
  urgent: boolean;
}

interface RuleIndex {
  byDriver: Map<string, { rule: Rule; index: number }>;
  telemetryRules: number;
  drainDrivers: Set<string>;
}

// Memoized per policy object: pure (depends only on the immutable policy), saves work on every tick.
const ruleIndexCache = new WeakMap<object, RuleIndex>();

function indexRules(target: EngineTarget): RuleIndex {
  const cached = ruleIndexCache.get(target.policy);
  if (cached) return cached;
  const byDriver = new Map<string, { rule: Rule; index: number }>();
  let telemetryRules = 0;
  target.policy.rules.forEach((rule, index) => {
    if (!byDriver.has(rule.driver)) byDriver.set(rule.driver, { rule, index });
    if (rule.kind === 'alarm' || rule.kind === 'metric') telemetryRules++;
  });
  const drainDrivers = new Set<string>();
  if (target.resource.kind === 'route53-weighted') {
    for (const endpoint of target.resource.endpoints) for (const name of endpoint.drainOn) drainDrivers.add(name);
  }
  const result = { byDriver, telemetryRules, drainDrivers };
  ruleIndexCache.set(target.policy, result);
  return result;
}

export function effectiveMode(target: Pick<Target, 'mode'>, state: Pick<TargetState, 'modeOverride'> | undefined): TargetMode {
  return state?.modeOverride?.mode ?? target.mode;
}

export function isExpired(driver: Pick<Driver, 'expiresAt'>, now: number): boolean {
  return now >= driver.expiresAt;
}

export function staleAfter(rule: Rule | undefined, policy: Policy): number | undefined {
  if (rule && (rule.kind === 'alarm' || rule.kind === 'metric') && rule.staleAfterSeconds !== undefined) return rule.staleAfterSeconds;
  // Alarms only emit on state change: their last state holds until the next event, so they are never
  // stale by age unless the rule says so. A telemetry outage shows up as INSUFFICIENT_DATA instead.
  if (rule?.kind === 'alarm') return undefined;
  return policy.fallback.staleAfterSeconds;
}

export function decide(target: EngineTarget, drivers: readonly Driver[], state: TargetState | undefined, now: number): Decision {
  return target.kind === 'route53-weighted' ? decideRouting(target, drivers, state, now) : decideCapacity(target, drivers, state, now);
}

// ---------------------------------------------------------------------------------------------------------
// Shared driver screening
// ---------------------------------------------------------------------------------------------------------

interface Screened {
  considered: ConsideredDriver[];
  /** Indices (into `drivers`) that passed expiry/target checks, with their rule. */
  live: Array<{ driver: Driver; index: number; rule: Rule | undefined; ruleIndex: number }>;
  override: { driver: OverrideDriver; index: number } | undefined;
}

function consider(driver: Driver, outcome: DriverOutcome, extra?: Partial<ConsideredDriver>): ConsideredDriver {
  return { driverId: driver.id, name: driver.name, kind: driver.kind, outcome, ...extra };
}

function ruleLabel(rule: Rule, index: number): string {
  return `rules[${index}] ${rule.kind}`;
}

/** Common first pass: target membership, expiry, rule lookup, the newest override. */
function screen(target: EngineTarget, drivers: readonly Driver[], now: number, rules: RuleIndex): Screened {
  const considered: ConsideredDriver[] = new Array(drivers.length);
  const live: Screened['live'] = [];
  let override: Screened['override'];
  for (let i = 0; i < drivers.length; i++) {
    const driver = drivers[i]!;
    if (!driver.targets.includes(target.id)) {
      considered[i] = consider(driver, 'not-for-target');
      continue;
    }
    if (isExpired(driver, now)) {
      considered[i] = consider(driver, 'expired', { detail: `expired ${formatDuration(now - driver.expiresAt)} ago` });
      continue;
    }
    const entry = rules.byDriver.get(driver.name);
    if (!entry && !(driver.kind === 'alarm' && rules.drainDrivers.has(driver.name))) {
      considered[i] = consider(driver, 'no-rule', { detail: 'no rule of the policy refers to this driver' });
      continue;
    }
    if (entry && entry.rule.kind !== driver.kind) {
      considered[i] = consider(driver, 'no-rule', { detail: `rule for "${driver.name}" expects a ${entry.rule.kind} driver` });
      continue;
    }
    if (driver.kind === 'override') {
      // The newest override wins; ties broken by id so the result never depends on input order.
      if (!override || isNewer(driver, override.driver)) {
        if (override) considered[override.index] = consider(override.driver, 'superseded', { detail: `superseded by ${driver.id}` });
        override = { driver, index: i };
      } else {
        considered[i] = consider(driver, 'superseded', { detail: `superseded by ${override.driver.id}` });
      }
      continue;
    }
    live.push({ driver, index: i, rule: entry?.rule, ruleIndex: entry?.index ?? -1 });
  }
  return { considered, live, override };
}

function isNewer(a: Driver, b: Driver): boolean {
  return a.observedAt > b.observedAt || (a.observedAt === b.observedAt && a.id > b.id);
}

function activeSchedule(policy: Policy, now: number): ScheduledOverride | undefined {
  for (const entry of policy.schedule) if (entry.start <= now && now < entry.end) return entry;
  return undefined;
}

function inWindow(signal: { windowStart: number; windowEnd: number }, now: number, leadSeconds = 0): boolean {
  return signal.windowStart - leadSeconds <= now && now < signal.windowEnd;
}

// ---------------------------------------------------------------------------------------------------------
// Capacity targets (EC2 Auto Scaling groups, Lambda provisioned concurrency)
// ---------------------------------------------------------------------------------------------------------

function decideCapacity(target: EngineTarget, drivers: readonly Driver[], state: TargetState | undefined, now: number): Decision {
  const { policy } = target;
  const { bounds } = policy;
  const rules = indexRules(target);
  const { considered, live, override } = screen(target, drivers, now, rules);
  const reasons: ReasonCode[] = [];
  const notes: string[] = [];
  const current = state?.current?.kind === 'capacity' ? state.current : undefined;
  const currentDesired = current?.desired;

  const candidates: Candidate[] = [];
  let freshTelemetry = 0;
  let businessFreeze: BusinessDriver | undefined;
  let budgetCap = policy.budget?.maxHourlyCost;
  let budgetSource: string | undefined;
  const businessFloorCandidates: number[] = [];
  // Metric snapshots of one driver supersede each other; keep the newest per name.
  const newestMetric = new Map<string, number>();
  for (let k = 0; k < live.length; k++) {
    const { driver } = live[k]!;
    if (driver.kind !== 'metric') continue;
    const seen = newestMetric.get(driver.name);
    if (seen === undefined || isNewer(driver, live[seen]!.driver)) newestMetric.set(driver.name, k);
  }

  for (let k = 0; k < live.length; k++) {
    const { driver, index, rule, ruleIndex } = live[k]!;
    if (!rule) continue; // drain-only drivers do not exist on capacity targets; screened already
    const label = ruleLabel(rule, ruleIndex);
    switch (driver.kind) {
      case 'alarm': {
        if (rule.kind !== 'alarm') break;
        const limit = staleAfter(rule, policy);
        if (driver.signal.state === 'INSUFFICIENT_DATA') {
          considered[index] = consider(driver, 'insufficient-data', { rule: label, detail: `${driver.signal.alarmName} has insufficient data` });
        } else if (limit !== undefined && now - driver.observedAt > limit) {
          considered[index] = consider(driver, 'stale', { rule: label, detail: `last seen ${formatDuration(now - driver.observedAt)} ago (limit ${formatDuration(limit)})` });
        } else {
          freshTelemetry++;
          if (driver.signal.state === 'OK') {
            considered[index] = consider(driver, 'alarm-ok', { rule: label, detail: `${driver.signal.alarmName} is OK` });
          } else {
            const base = currentDesired ?? policy.fallback.allocation;
            const demand = Math.max(0, base + rule.step);
            considered[index] = consider(driver, 'used', { rule: label, demand, detail: `${driver.signal.alarmName} in ALARM: ${signed(rule.step)}` });
            candidates.push({ demand, label: driver.name, detail: '', driverIndex: index, ruleIndex, reason: 'alarm-step', urgent: rule.urgent && rule.step > 0 });
          }
        }
        break;
      }
      case 'metric': {
        if (rule.kind !== 'metric') break;
        if (newestMetric.get(driver.name) !== k) {
          considered[index] = consider(driver, 'superseded', { rule: label, detail: 'a newer snapshot of this metric exists' });
          break;
        }
        const limit = staleAfter(rule, policy)!;
        if (now - driver.observedAt > limit) {
          considered[index] = consider(driver, 'stale', { rule: label, detail: `last seen ${formatDuration(now - driver.observedAt)} ago (limit ${formatDuration(limit)})` });
          break;
        }
        freshTelemetry++;
        const demand = Math.max(0, Math.ceil(driver.signal.value / rule.targetPerUnit - 1e-9));
        considered[index] = consider(driver, 'used', { rule: label, demand, detail: `${driver.signal.value} / ${rule.targetPerUnit} per unit` });
        candidates.push({ demand, label: driver.name, detail: '', driverIndex: index, ruleIndex, reason: 'target-tracking', urgent: false });
        break;
      }
      case 'business': {
        if (rule.kind !== 'business') break;
        const signal = driver.signal;
        if (signal.type === 'demand') {
          const lead = Math.max(rule.leadTimeSeconds, signal.leadTimeSeconds ?? 0);
          if (!inWindow(signal, now, lead)) {
            considered[index] = consider(driver, 'out-of-window', { rule: label, detail: windowDetail(signal, now, lead) });
            break;
          }
          const baseline = rule.baseline ?? bounds.min;
          const demand = 'absolute' in signal.demand ? Math.ceil(signal.demand.absolute - 1e-9) : Math.ceil(baseline * signal.demand.multiplier - 1e-9);
          const early = now < signal.windowStart;
          const detail = early ? ` (lead ${formatDuration(lead)})` : '';
          considered[index] = consider(driver, 'used', { rule: label, demand, detail: early ? `pre-warm: window opens in ${formatDuration(signal.windowStart - now)}` : 'window open' });
          // Planned demand is never held back by the scale-up window: being late defeats the pre-warm.
          candidates.push({ demand, label: driver.name, detail, driverIndex: index, ruleIndex, reason: early ? 'business-lead-time' : 'business-window', urgent: true });
          businessFloorCandidates.push(demand);
        } else if (signal.type === 'budget') {
          if (!inWindow(signal, now)) {
            considered[index] = consider(driver, 'out-of-window', { rule: label, detail: windowDetail(signal, now, 0) });
          } else if (!policy.budget) {
            considered[index] = consider(driver, 'no-rule', { rule: label, detail: 'policy has no budget.unitHourlyPrice to convert money into capacity' });
          } else {
            considered[index] = consider(driver, 'used', { rule: label, detail: `budget ${signal.maxHourlyCost}/h` });
            if (budgetCap === undefined || signal.maxHourlyCost < budgetCap) {
              budgetCap = signal.maxHourlyCost;
              budgetSource = driver.name;
            }
          }
        } else if (!inWindow(signal, now)) {
          considered[index] = consider(driver, 'out-of-window', { rule: label, detail: windowDetail(signal, now, 0) });
        } else {
          considered[index] = consider(driver, 'used', { rule: label, detail: 'change freeze: no scale-in, only urgent scale-out' });
          if (!businessFreeze || isNewer(driver, businessFreeze)) businessFreeze = driver;
        }
        break;
      }
      default:
        break;
    }
  }

  // Fallback: telemetry rules exist but none has a fresh driver — the policy is flying blind.
  if (rules.telemetryRules > 0 && freshTelemetry === 0) {
    candidates.push({ demand: policy.fallback.allocation, label: 'fallback', detail: ' (drivers stale)', driverIndex: undefined, ruleIndex: Number.MAX_SAFE_INTEGER, reason: 'fallback-stale-drivers', urgent: false });
  }

  // ---- precedence: override driver > scheduled override > demand
  let proposed: number;
  let winner: Candidate | undefined;
  let overrideLabel: string | undefined;
  let exemptFromStabilization = false;
  const schedule = override ? undefined : activeSchedule(policy, now);
  if (override) {
    const signal = override.driver.signal;
    overrideLabel = `override ${override.driver.name} by ${override.driver.lineage.principal ?? override.driver.source}`;
    if (signal.action === 'pin') {
      proposed = signal.allocation;
      reasons.push('override-pin');
    } else {
      proposed = currentDesired ?? policy.fallback.allocation;
      reasons.push('override-freeze');
      if (signal.action === 'pin-weights') notes.push('pin-weights does not apply to a capacity target; treated as freeze');
    }
    considered[override.index] = consider(override.driver, 'won', { demand: proposed, detail: `${signal.action}: ${override.driver.reason} (expires in ${formatDuration(override.driver.expiresAt - now)})` });
    exemptFromStabilization = true;
  } else if (schedule) {
    overrideLabel = `schedule ${schedule.name}`;
    if (schedule.action === 'pin') {
      proposed = schedule.allocation ?? currentDesired ?? policy.fallback.allocation;
      reasons.push('scheduled-pin');
    } else {
      proposed = currentDesired ?? policy.fallback.allocation;
      reasons.push('scheduled-freeze');
    }
    exemptFromStabilization = true;
  } else {
    winner = pickWinner(candidates, policy.combine);
    if (winner) {
      proposed = winner.demand;
      reasons.push(winner.reason);
    } else if (currentDesired !== undefined) {
      proposed = currentDesired;
      reasons.push('no-demand-hold');
    } else {
      proposed = policy.fallback.allocation;
      reasons.push('initial-allocation');
    }
  }

  // Mark every demand that did not win, with the reason it lost.
  for (const candidate of candidates) {
    if (candidate === winner || candidate.driverIndex === undefined) continue;
    const entry = considered[candidate.driverIndex]!;
    const outcome: DriverOutcome = overrideLabel ? 'lost-precedence' : policy.combine === 'priority' ? 'lost-to-earlier-rule' : 'lost-to-higher-demand';
    considered[candidate.driverIndex] = { ...entry, outcome };
  }
  if (winner?.driverIndex !== undefined) considered[winner.driverIndex] = { ...considered[winner.driverIndex]!, outcome: 'won' };

  // ---- stabilization (may hold a change back; never overrides a guardrail)
  let desired = proposed;
  if (currentDesired !== undefined && !exemptFromStabilization) {
    if (desired < currentDesired) {
      const since = state?.lastChangeAt === undefined ? Infinity : now - state.lastChangeAt;
      if (businessFreeze) {
        desired = currentDesired;
        reasons.push('business-freeze');
        notes.push(`scale-in held by change freeze ${businessFreeze.name}`);
        holdWinner(considered, winner);
      } else if (since < policy.stabilization.scaleDownSeconds) {
        desired = currentDesired;
        reasons.push('cooldown-scale-down');
        notes.push(`scale-in held by cooldown (${formatDuration(policy.stabilization.scaleDownSeconds - since)} left)`);
        holdWinner(considered, winner);
      }
    } else if (desired > currentDesired) {
      const since = state?.lastScaleUpAt === undefined ? Infinity : now - state.lastScaleUpAt;
      const urgent = winner?.urgent ?? false;
      if (businessFreeze && !urgent) {
        desired = currentDesired;
        reasons.push('business-freeze');
        notes.push(`scale-out held by change freeze ${businessFreeze.name}`);
        holdWinner(considered, winner);
      } else if (!urgent && since < policy.stabilization.scaleUpSeconds) {
        desired = currentDesired;
        reasons.push('cooldown-scale-up');
        notes.push(`scale-out held by cooldown (${formatDuration(policy.stabilization.scaleUpSeconds - since)} left)`);
        holdWinner(considered, winner);
      }
    }
  }

  // ---- guardrails: step limits, then bounds, then budget (bounds.min is the one thing budget cannot cut)
  if (currentDesired !== undefined) {
    if (bounds.maxStepUp !== undefined && desired > currentDesired + bounds.maxStepUp) {
      desired = currentDesired + bounds.maxStepUp;
      reasons.push('step-limited-up');
      notes.push(`step-limited to ${signed(bounds.maxStepUp)}`);
    } else if (bounds.maxStepDown !== undefined && desired < currentDesired - bounds.maxStepDown) {
      desired = currentDesired - bounds.maxStepDown;
      reasons.push('step-limited-down');
      notes.push(`step-limited to ${signed(-bounds.maxStepDown)}`);
    }
  }
  desired = clampToBounds(desired, policy, reasons, notes);
  const cap = budgetCapacity(policy, budgetCap);
  if (cap !== undefined && desired > cap) {
    if (cap >= bounds.min) {
      desired = cap;
      reasons.push('budget-capped');
      notes.push(`capped by ${budgetSource ? `budget ${budgetSource}` : 'budget'} at ${cap}`);
    } else {
      desired = bounds.min;
      reasons.push('budget-capped', 'budget-below-min');
      notes.push(`budget allows ${cap} but min is ${bounds.min}: kept ${bounds.min}`);
    }
  }

  // ---- pre-warm floor (ASG MinSize): planned demand must not be scaled in by the group's own policies.
  let floor = bounds.min;
  if (target.kind === 'ec2-asg' && businessFloorCandidates.length > 0 && !overrideLabel) {
    floor = Math.min(desired, Math.max(bounds.min, ...businessFloorCandidates));
  }
  floor = Math.min(floor, desired);

  const desiredAllocation: CapacityAllocation = { kind: 'capacity', desired, floor };
  const changed = !current || current.desired !== desired || current.floor !== floor;
  const actions: Action[] = changed ? [{ type: 'set-capacity', desired, floor }] : [];
  if (!changed) reasons.push('no-change');

  const summary = capacitySummary(currentDesired, desired, floor, current?.floor, winner, candidates, overrideLabel, notes);
  return finish(target, state, now, current, desiredAllocation, actions, reasons, summary, winner?.label ?? overrideLabel, considered);
}

function holdWinner(considered: ConsideredDriver[], winner: Candidate | undefined): void {
  if (winner?.driverIndex === undefined) return;
  considered[winner.driverIndex] = { ...considered[winner.driverIndex]!, outcome: 'held-by-cooldown' };
}

function pickWinner(candidates: Candidate[], combine: Policy['combine']): Candidate | undefined {
  let best: Candidate | undefined;
  for (const c of candidates) {
    if (!best) best = c;
    else if (combine === 'max') {
      if (c.demand > best.demand || (c.demand === best.demand && c.ruleIndex < best.ruleIndex)) best = c;
    } else if (c.ruleIndex < best.ruleIndex || (c.ruleIndex === best.ruleIndex && c.demand > best.demand)) {
      best = c;
    }
  }
  return best;
}

function clampToBounds(value: number, policy: Policy, reasons: ReasonCode[], notes: string[]): number {
  if (value < policy.bounds.min) {
    reasons.push('clamped-to-min');
    notes.push(`raised to min ${policy.bounds.min}`);
    return policy.bounds.min;
  }
  if (value > policy.bounds.max) {
    reasons.push('clamped-to-max');
    notes.push(`clamped to max ${policy.bounds.max}`);
    return policy.bounds.max;
  }
  return value;
}

/** Largest capacity whose hourly cost stays within the cap. */
export function budgetCapacity(policy: Policy, maxHourlyCost: number | undefined): number | undefined {
  if (!policy.budget || maxHourlyCost === undefined) return undefined;
  // The epsilon absorbs float error (0.3 / 0.1 = 2.9999999999999996) without ever exceeding the cap by a cent.
  return Math.floor(maxHourlyCost / policy.budget.unitHourlyPrice + 1e-9);
}

function capacitySummary(
  from: number | undefined,
  to: number,
  floor: number,
  fromFloor: number | undefined,
  winner: Candidate | undefined,
  candidates: Candidate[],
  overrideLabel: string | undefined,
  notes: string[],
): string {
  const head = from === undefined ? `set ${to}` : from === to ? `hold ${to}` : `scale ${from}→${to}`;
  const floorPart = fromFloor !== undefined && fromFloor !== floor ? ` (floor ${fromFloor}→${floor})` : from === undefined ? ` (floor ${floor})` : '';
  let why: string;
  if (overrideLabel) {
    why = overrideLabel;
    const beaten = uniqueLabels(candidates, undefined);
    if (beaten.length) why += ` outranks ${beaten.join(', ')}`;
  } else if (winner) {
    why = `${winner.label}${winner.detail}`;
    const beaten = uniqueLabels(candidates, winner);
    if (beaten.length) why += ` outranks ${beaten.join(', ')}`;
  } else {
    why = 'no driver demands a change';
  }
  return [`${head}${floorPart}: ${why}`, ...notes].join('; ');
}

function uniqueLabels(candidates: Candidate[], winner: Candidate | undefined): string[] {
  const labels: string[] = [];
  for (const c of candidates) {
    if (c === winner || (winner && c.label === winner.label) || labels.includes(c.label)) continue;
    labels.push(c.label);
    if (labels.length === 3) {
      const rest = new Set(candidates.map((x) => x.label)).size - 4;
      if (rest > 0) labels.push(`${rest} more`);
      break;
    }
  }
  return labels;
}

// ---------------------------------------------------------------------------------------------------------
// Routing targets (Route 53 weighted records)
// ---------------------------------------------------------------------------------------------------------

function decideRouting(target: EngineTarget, drivers: readonly Driver[], state: TargetState | undefined, now: number): Decision {
  if (target.resource.kind !== 'route53-weighted') throw new TypeError(`target ${target.id} is not a routing target`);
  const { policy } = target;
  const endpoints = target.resource.endpoints;
  const rules = indexRules(target);
  const { considered, live, override } = screen(target, drivers, now, rules);
  const reasons: ReasonCode[] = [];
  const notes: string[] = [];
  const current = state?.current?.kind === 'weights' ? state.current : undefined;

  // Which drain alarms are firing right now.
  const firing = new Set<string>();
  let freshDrainDrivers = 0;
  for (const { driver, index, rule, ruleIndex } of live) {
    if (driver.kind !== 'alarm' || !rules.drainDrivers.has(driver.name)) continue;
    const label = rule ? ruleLabel(rule, ruleIndex) : 'endpoints[].drainOn';
    const limit = rule?.kind === 'alarm' ? rule.staleAfterSeconds : undefined;
    if (driver.signal.state === 'INSUFFICIENT_DATA') {
      considered[index] = consider(driver, 'insufficient-data', { rule: label, detail: `${driver.signal.alarmName} has insufficient data` });
    } else if (limit !== undefined && now - driver.observedAt > limit) {
      considered[index] = consider(driver, 'stale', { rule: label, detail: `last seen ${formatDuration(now - driver.observedAt)} ago` });
    } else {
      freshDrainDrivers++;
      if (driver.signal.state === 'ALARM') {
        firing.add(driver.name);
        considered[index] = consider(driver, 'used', { rule: label, detail: `${driver.signal.alarmName} in ALARM: drains ${drainedBy(endpoints, driver.name).join(', ')}` });
      } else {
        considered[index] = consider(driver, 'alarm-ok', { rule: label, detail: `${driver.signal.alarmName} is OK` });
      }
    }
  }
  for (const { driver, index } of live) {
    if (considered[index] === undefined) considered[index] = consider(driver, 'no-rule', { detail: 'routing targets use drain alarms and overrides only' });
  }
  if (rules.drainDrivers.size > 0 && freshDrainDrivers === 0) {
    reasons.push('fallback-stale-drivers');
    notes.push('no fresh drain alarm: configured weights');
  }

  const base: Record<string, number> = {};
  for (const e of endpoints) base[e.setIdentifier] = e.weight;
  let requested = base;
  let overrideLabel: string | undefined;
  let frozen = false;
  const schedule = override ? undefined : activeSchedule(policy, now);
  if (override) {
    const signal = override.driver.signal;
    overrideLabel = `override ${override.driver.name} by ${override.driver.lineage.principal ?? override.driver.source}`;
    if (signal.action === 'pin-weights') {
      requested = { ...base };
      for (const [id, w] of Object.entries(signal.weights)) if (id in base) requested[id] = w;
      reasons.push('override-pin');
    } else {
      frozen = true;
      reasons.push('override-freeze');
      if (signal.action === 'pin') notes.push('pin of a count does not apply to a routing target; treated as freeze');
    }
    considered[override.index] = consider(override.driver, 'won', { detail: `${signal.action}: ${override.driver.reason}` });
  } else if (schedule) {
    overrideLabel = `schedule ${schedule.name}`;
    frozen = true;
    reasons.push(schedule.action === 'pin' ? 'scheduled-pin' : 'scheduled-freeze');
  }

  let weights: Record<string, number>;
  const drained: string[] = [];
  const restored: string[] = [];
  if (frozen && current) {
    weights = { ...current.weights };
  } else {
    const isDrained = new Map<string, boolean>();
    for (const e of endpoints) {
      let drain = e.drainOn.some((name) => firing.has(name));
      const wasDrained = current !== undefined && current.weights[e.setIdentifier] === 0 && e.weight > 0;
      if (!drain && wasDrained && !overrideLabel) {
        const since = state?.lastChangeAt === undefined ? Infinity : now - state.lastChangeAt;
        if (since < policy.routing.restoreAfterSeconds) {
          drain = true;
          reasons.push('restore-delayed');
          notes.push(`${e.setIdentifier} stays drained ${formatDuration(policy.routing.restoreAfterSeconds - since)} more`);
        } else {
          restored.push(e.setIdentifier);
        }
      }
      if (drain) drained.push(e.setIdentifier);
      isDrained.set(e.setIdentifier, drain);
    }
    if (drained.length === endpoints.length) {
      // Draining everything would black-hole traffic; Route 53 treats all-zero weights as equal anyway.
      reasons.push('all-endpoints-drained-fail-open');
      notes.push('every endpoint is drained: failing open to configured weights');
      drained.length = 0;
      weights = shareWeights(endpoints, requested, new Map(), reasons);
    } else {
      if (drained.length) reasons.push('endpoint-drained');
      if (restored.length) reasons.push('endpoint-restored');
      weights = shareWeights(endpoints, requested, isDrained, reasons);
    }
  }

  const desired: Allocation = { kind: 'weights', weights };
  const changed = !current || !sameWeights(current.weights, weights);
  const actions: Action[] = changed ? [{ type: 'set-weights', weights }] : [];
  if (!changed) reasons.push('no-change');
  const head = changed ? `route ${describeWeights(current?.weights, weights)}` : `hold ${describeWeights(undefined, weights)}`;
  let why = overrideLabel ?? (drained.length ? `${[...firing].join(', ')} in ALARM drained ${drained.join(', ')}` : restored.length ? `restored ${restored.join(', ')}` : 'configured weights');
  if (overrideLabel && firing.size) why += ` outranks ${[...firing].join(', ')}`;
  const summary = [`${head}: ${why}`, ...notes].join('; ');
  return finish(target, state, now, current, desired, actions, reasons, summary, overrideLabel ?? [...firing][0], considered);
}

function drainedBy(endpoints: readonly { setIdentifier: string; drainOn: string[] }[], name: string): string[] {
  return endpoints.filter((e) => e.drainOn.includes(name)).map((e) => e.setIdentifier);
}

/**
 * Integer weights summing to 100: drained endpoints get 0, every other endpoint at least its minimum share,
 * the rest in proportion to the requested weights (equal split if they are all 0).
 */
export function shareWeights(
  endpoints: readonly { setIdentifier: string; minShare: number }[],
  requested: Record<string, number>,
  drained: Map<string, boolean>,
  reasons: ReasonCode[],
): Record<string, number> {
  const open = endpoints.filter((e) => !drained.get(e.setIdentifier));
  const result: Record<string, number> = {};
  for (const e of endpoints) result[e.setIdentifier] = 0;
  if (open.length === 0) return result;
  let total = open.reduce((sum, e) => sum + (requested[e.setIdentifier] ?? 0), 0);
  const weightOf = (id: string) => (total === 0 ? 1 : (requested[id] ?? 0));
  if (total === 0) total = open.length;
  // Water-filling: pin endpoints below their minimum to it, share the remainder among the rest.
  const share = new Map<string, number>();
  let pinned = new Set<string>();
  for (let round = 0; round <= open.length; round++) {
    const free = open.filter((e) => !pinned.has(e.setIdentifier));
    const pinnedShare = open.filter((e) => pinned.has(e.setIdentifier)).reduce((s, e) => s + e.minShare, 0);
    const freeWeight = free.reduce((s, e) => s + weightOf(e.setIdentifier), 0);
    const remaining = Math.max(0, 1 - pinnedShare);
    let changed = false;
    const next = new Set(pinned);
    for (const e of open) {
      const s = pinned.has(e.setIdentifier) ? e.minShare : freeWeight === 0 ? remaining / free.length : (remaining * weightOf(e.setIdentifier)) / freeWeight;
      share.set(e.setIdentifier, s);
      if (!pinned.has(e.setIdentifier) && s < e.minShare - 1e-12) {
        next.add(e.setIdentifier);
        changed = true;
      }
    }
    if (!changed) break;
    pinned = next;
  }
  if (pinned.size > 0) reasons.push('min-share-enforced');
  // Largest remainder rounding to 100, then lift any endpoint rounding left below its minimum.
  const raw = open.map((e) => ({ id: e.setIdentifier, min: e.minShare, exact: share.get(e.setIdentifier)! * 100 }));
  let assigned = 0;
  for (const r of raw) {
    result[r.id] = Math.floor(r.exact + 1e-9);
    assigned += result[r.id]!;
  }
  const byRemainder = [...raw].sort((a, b) => b.exact - Math.floor(b.exact + 1e-9) - (a.exact - Math.floor(a.exact + 1e-9)) || (a.id < b.id ? -1 : 1));
  for (let i = 0; assigned < 100 && byRemainder.length > 0; i = (i + 1) % byRemainder.length) {
    result[byRemainder[i]!.id]! += 1;
    assigned++;
  }
  for (const r of raw) {
    const needed = Math.ceil(r.min * 100 - 1e-9);
    while (result[r.id]! < needed) {
      const donor = raw
        .filter((d) => d.id !== r.id && result[d.id]! > Math.ceil(d.min * 100 - 1e-9))
        .sort((a, b) => result[b.id]! - result[a.id]! || (a.id < b.id ? -1 : 1))[0];
      if (!donor) break;
      result[donor.id]! -= 1;
      result[r.id]! += 1;
    }
  }
  return result;
}

function sameWeights(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = Object.keys(b);
  if (Object.keys(a).length !== keys.length) return false;
  return keys.every((k) => a[k] === b[k]);
}

function describeWeights(from: Record<string, number> | undefined, to: Record<string, number>): string {
  return Object.keys(to)
    .map((id) => (from && from[id] !== to[id] ? `${id} ${from[id] ?? '-'}→${to[id]}` : `${id} ${to[id]}`))
    .join(', ');
}

// ---------------------------------------------------------------------------------------------------------

function finish(
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
    targetKind: target.kind,
    at: now,
    policyVersion: target.policy.version,
    mode,
    desired,
    actions,
    apply: mode === 'enforce' && actions.length > 0,
    reasons,
    summary,
    considered,
  };
  if (current) decision.current = current;
  if (winner) decision.winner = winner;
  return decision;
}

function signed(n: number): string {
  return n >= 0 ? `+${n}` : `${n}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return s % 60 === 0 ? `${s / 60}m` : `${Math.floor(s / 60)}m${s % 60}s`;
  if (s < 86400) return s % 3600 === 0 ? `${s / 3600}h` : `${Math.floor(s / 3600)}h${Math.round((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d${Math.round((s % 86400) / 3600)}h`;
}

function windowDetail(signal: { windowStart: number; windowEnd: number }, now: number, lead: number): string {
  if (now >= signal.windowEnd) return `window ended ${formatDuration(now - signal.windowEnd)} ago`;
  return `window opens in ${formatDuration(signal.windowStart - now)}${lead ? `, pre-warm starts in ${formatDuration(signal.windowStart - lead - now)}` : ''}`;
}
