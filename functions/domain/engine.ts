/**
 * The decision engine: a pure, deterministic function of (target with its policy, drivers, state, now).
 * No clock, no I/O, no randomness — the same inputs always give the same decision, whatever the order of
 * the drivers, which is what makes shadow mode, replay and the audit trail trustworthy.
 *
 * Precedence, highest first:
 *   1. guardrails  — bounds, step limits, budget cap (money), minimum routing shares
 *   2. overrides   — a live override driver (pin/freeze, always with an expiry), then the policy's schedule
 *   3. demand      — alarm steps, target tracking, business windows (with lead time), fallback when
 *                    telemetry is stale; combined by max (or rule order when the policy says `priority`)
 * Stabilization sits between demand and guardrails: it may hold a change back, never push past a guardrail.
 *
 * Semantics an operator should know (each is explained where it is implemented):
 *   - `state.current` undefined: nothing is known about the resource, so the first decision proposes an
 *     allocation without step limits or stabilization; alarm steps and freezes start from fallback.allocation.
 *   - An alarm step repeats while its alarm stays in ALARM (like EC2 step scaling), at most once per scale-up
 *     (or scale-down) window and never more than once a minute; only the first step of an episode is urgent.
 *   - A business change freeze holds every scale-in and every non-urgent scale-out; urgent alarm steps and
 *     planned business demand still scale out. Guardrails (budget, bounds) still apply during a freeze.
 *   - With no demand at all, a policy with telemetry holds (alarms in OK mean "stay"); a policy without
 *     telemetry returns to fallback.allocation, its resting allocation.
 *   - Overrides and schedules are exempt from stabilization but not from guardrails.
 *   - Routing: an override (or scheduled freeze) outranks drain alarms; min shares are guardrails; a drained
 *     endpoint returns only after its alarms have been quiet for routing.restoreAfterSeconds.
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
  RoutingEndpoint,
  ScheduledOverride,
  Target,
  TargetMode,
  TargetState,
} from './model';
import { storableDecision } from './storable';

export type EngineTarget = Pick<Target, 'id' | 'kind' | 'mode' | 'resource' | 'policy'>;

/**
 * Floor on how often an alarm step may repeat. CloudWatch evaluates an alarm at most once a minute, so a
 * step that re-applied on every decision would compound with the number of driver events that happen to
 * arrive in that minute (a burst of five metric snapshots would add the step five times).
 */
export const ALARM_STEP_MIN_REPEAT_SECONDS = 60;

/** Routing weights are written as integers that add up to this (Route 53 accepts 0-255 per record). */
export const ROUTING_WEIGHT_TOTAL = 100;

interface Candidate {
  demand: number;
  /** Driver name for the summary and `Decision.winner`. */
  label: string;
  /** Suffix for the summary, e.g. ` (lead 15m)`. */
  detail: string;
  driverIndex: number | undefined;
  /** Last tie-break, so equal demands never depend on the order drivers were loaded in. */
  driverId: string;
  ruleIndex: number;
  reason: ReasonCode;
  /** Urgent demand is held neither by the scale-up window nor by a business freeze. */
  urgent: boolean;
  /** Lower bound on the stabilization window for this demand (repeated alarm steps). */
  minInterval: number;
}

interface RuleIndex {
  /** The resource the drain set was built from (a policy object may be shared by several targets). */
  resource: EngineTarget['resource'];
  byDriver: Map<string, { rule: Rule; index: number }>;
  telemetryRules: number;
  drainDrivers: Set<string>;
}

// Memoized per policy object: pure (depends only on the immutable policy and resource), saves work per tick.
const ruleIndexCache = new WeakMap<object, RuleIndex>();

function indexRules(target: EngineTarget): RuleIndex {
  const cached = ruleIndexCache.get(target.policy);
  if (cached && cached.resource === target.resource) return cached;
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
  const result = { resource: target.resource, byDriver, telemetryRules, drainDrivers };
  ruleIndexCache.set(target.policy, result);
  return result;
}

export function effectiveMode(target: Pick<Target, 'mode'>, state: Pick<TargetState, 'modeOverride'> | undefined): TargetMode {
  return state?.modeOverride?.mode ?? target.mode;
}

/** Expiry is exclusive: a driver expiring at `now` no longer counts (TTL deletion is late; this is not). */
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
  // Saturated last, so no derived number can make the decision unrecordable (functions/domain/storable.ts).
  return storableDecision(target.kind === 'route53-weighted' ? decideRouting(target, drivers, state, now) : decideCapacity(target, drivers, state, now));
}

// ---------------------------------------------------------------------------------------------------------
// Shared driver screening
// ---------------------------------------------------------------------------------------------------------

interface LiveDriver {
  driver: Driver;
  index: number;
  rule: Rule | undefined;
  ruleIndex: number;
}

interface Screened {
  /** One entry per input driver, same order. */
  considered: ConsideredDriver[];
  /** Drivers that passed target, expiry and rule checks (overrides excluded). */
  live: LiveDriver[];
  override: { driver: OverrideDriver; index: number } | undefined;
}

function consider(driver: Driver, outcome: DriverOutcome, rule?: string, detail?: string, demand?: number): ConsideredDriver {
  const entry: ConsideredDriver = { driverId: driver.id, name: driver.name, kind: driver.kind, outcome };
  if (rule !== undefined) entry.rule = rule;
  if (demand !== undefined) entry.demand = demand;
  if (detail !== undefined) entry.detail = detail;
  return entry;
}

function ruleLabel(rule: Rule, index: number): string {
  return `rules[${index}] ${rule.kind}`;
}

/** Common first pass: target membership, expiry, rule lookup, the newest override. */
function screen(target: EngineTarget, drivers: readonly Driver[], now: number, rules: RuleIndex): Screened {
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
      considered[i] = consider(driver, 'no-rule', undefined, `rule for "${driver.name}" expects a ${entry.rule.kind} driver`);
      continue;
    }
    if (driver.kind === 'override') {
      // The newest override wins; ties broken by id so the result never depends on input order.
      (overrides ??= []).push(i);
      if (!override || isNewer(driver, override.driver)) override = { driver, index: i };
      continue;
    }
    live.push({ driver, index: i, rule: entry?.rule, ruleIndex: entry?.index ?? -1 });
  }
  if (overrides && override) {
    for (const i of overrides) {
      if (i === override.index) continue;
      const driver = drivers[i] as OverrideDriver;
      considered[i] = consider(driver, 'superseded', overrideRuleLabel(rules, driver), `superseded by newer override ${override.driver.id}`);
    }
  }
  return { considered, live, override };
}

function overrideRuleLabel(rules: RuleIndex, driver: OverrideDriver): string {
  // screen() only lets an override through when a rule of kind override names it.
  const entry = rules.byDriver.get(driver.name)!;
  return ruleLabel(entry.rule, entry.index);
}

/** Total order on observations: newer first, then by id, so "the newest" never depends on input order. */
function isNewer(a: Driver, b: Driver): boolean {
  return a.observedAt > b.observedAt || (a.observedAt === b.observedAt && a.id > b.id);
}

function activeSchedule(policy: Policy, now: number): ScheduledOverride | undefined {
  // The validator rejects overlapping windows; should a config slip through, the earliest-listed one wins.
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
  const { bounds, stabilization } = policy;
  const rules = indexRules(target);
  const { considered, live, override } = screen(target, drivers, now, rules);
  const reasons: ReasonCode[] = [];
  const notes: string[] = [];
  const current = state?.current?.kind === 'capacity' ? state.current : undefined;
  const currentDesired = current?.desired;
  // Alarm steps and freezes are relative to the current allocation; before anything is known about the
  // resource they start from the fallback allocation, the policy's "safe when blind" answer.
  const base = currentDesired ?? policy.fallback.allocation;

  const candidates: Candidate[] = [];
  let freshTelemetry = 0;
  let businessFreeze: BusinessDriver | undefined;
  let budgetCap = policy.budget?.maxHourlyCost;
  let budgetDriver: BusinessDriver | undefined;
  let businessFloor = -1;
  // Metric snapshots of one driver supersede each other; keep the newest per name.
  let newestMetric: Map<string, number> | undefined;
  for (let k = 0; k < live.length; k++) {
    const { driver } = live[k]!;
    if (driver.kind !== 'metric') continue;
    newestMetric ??= new Map();
    const seen = newestMetric.get(driver.name);
    if (seen === undefined || isNewer(driver, live[seen]!.driver)) newestMetric.set(driver.name, k);
  }

  for (let k = 0; k < live.length; k++) {
    const { driver, index, rule, ruleIndex } = live[k]!;
    if (!rule) continue; // drain-only alarms exist on routing targets only
    const label = ruleLabel(rule, ruleIndex);
    if (driver.kind === 'alarm' && rule.kind === 'alarm') {
      const signal = driver.signal;
      const limit = rule.staleAfterSeconds;
      if (signal.state === 'INSUFFICIENT_DATA') {
        considered[index] = consider(driver, 'insufficient-data', label, `${signal.alarmName} has insufficient data`);
      } else if (limit !== undefined && now - driver.observedAt > limit) {
        considered[index] = consider(driver, 'stale', label, `last seen ${formatDuration(now - driver.observedAt)} ago (limit ${formatDuration(limit)})`);
      } else {
        freshTelemetry++;
        if (signal.state === 'OK') {
          considered[index] = consider(driver, 'alarm-ok', label, `${signal.alarmName} is OK`);
        } else {
          // Step scaling: the step applies again on every decision while the alarm stays in ALARM, relative
          // to the allocation at that time. A change in the step's direction at or after the moment the
          // alarm entered ALARM means this episode has been acted on: the next step is a repeat, which waits
          // for the stabilization window (at least a minute) and is never urgent — urgency buys the first
          // reaction, not unbounded growth.
          // Compared in whole seconds: CloudWatch state times carry milliseconds, the change times the pipeline
          // records do not, and a step applied within the second the alarm fired has acted on this episode.
          const lastSameDirection = rule.step > 0 ? state?.lastScaleUpAt : state?.lastScaleDownAt;
          const repeat = current !== undefined && lastSameDirection !== undefined && lastSameDirection >= Math.floor(driver.observedAt);
          const demand = Math.max(0, base + rule.step);
          considered[index] = consider(driver, 'used', label, `${signal.alarmName} in ALARM: ${signed(rule.step)}${repeat ? ' (repeat)' : ''}`, demand);
          candidates.push({
            demand,
            label: driver.name,
            detail: '',
            driverIndex: index,
            driverId: driver.id,
            ruleIndex,
            reason: 'alarm-step',
            urgent: rule.urgent && rule.step > 0 && !repeat,
            minInterval: repeat ? ALARM_STEP_MIN_REPEAT_SECONDS : 0,
          });
        }
      }
    } else if (driver.kind === 'metric' && rule.kind === 'metric') {
      if (newestMetric!.get(driver.name) !== k) {
        considered[index] = consider(driver, 'superseded', label, 'a newer snapshot of this metric exists');
        continue;
      }
      const limit = rule.staleAfterSeconds ?? policy.fallback.staleAfterSeconds;
      if (now - driver.observedAt > limit) {
        considered[index] = consider(driver, 'stale', label, `last seen ${formatDuration(now - driver.observedAt)} ago (limit ${formatDuration(limit)})`);
        continue;
      }
      freshTelemetry++;
      // Target tracking; the epsilon keeps 500 / 250 * (1 + 1e-16) from asking for a third unit.
      const units = driver.signal.value / rule.targetPerUnit;
      let demand = Math.max(0, Math.ceil(units - 1e-9));
      let detail = `${driver.signal.value} / ${rule.targetPerUnit} per unit`;
      if (currentDesired !== undefined && demand < currentDesired) {
        // Scale-in hysteresis (HPA's tolerance): shrink only to a size that would run at most
        // (1 - tolerance) of the target, or a load hovering at a boundary flips n ↔ n+1 all night.
        const headroom = Math.max(demand, Math.ceil(units / (1 - rule.scaleInTolerance) - 1e-9));
        if (headroom > demand) {
          demand = Math.min(currentDesired, headroom);
          detail += ` (scale-in keeps ${Math.round(rule.scaleInTolerance * 100)}% headroom)`;
        }
      }
      considered[index] = consider(driver, 'used', label, detail, demand);
      candidates.push({ demand, label: driver.name, detail: '', driverIndex: index, driverId: driver.id, ruleIndex, reason: 'target-tracking', urgent: false, minInterval: 0 });
    } else if (driver.kind === 'business' && rule.kind === 'business') {
      const signal = driver.signal;
      if (signal.type === 'demand') {
        const lead = Math.max(rule.leadTimeSeconds, signal.leadTimeSeconds ?? 0);
        if (!inWindow(signal, now, lead)) {
          considered[index] = consider(driver, 'out-of-window', label, windowDetail(signal, now, lead));
          continue;
        }
        const baseline = rule.baseline ?? bounds.min;
        const demand = 'absolute' in signal.demand ? Math.ceil(signal.demand.absolute - 1e-9) : Math.ceil(baseline * signal.demand.multiplier - 1e-9);
        const early = now < signal.windowStart;
        const what = signal.label ? `${signal.label} ` : '';
        considered[index] = consider(
          driver,
          'used',
          label,
          early ? `${what}pre-warm: window opens in ${formatDuration(signal.windowStart - now)} (lead ${formatDuration(lead)})` : `${what}window open, closes in ${formatDuration(signal.windowEnd - now)}`,
          demand,
        );
        // Planned demand is urgent: being held by a scale-up window or a freeze would defeat the pre-warm.
        candidates.push({
          demand,
          label: driver.name,
          detail: early ? ` (lead ${formatDuration(lead)})` : '',
          driverIndex: index,
          driverId: driver.id,
          ruleIndex,
          reason: early ? 'business-lead-time' : 'business-window',
          urgent: true,
          minInterval: 0,
        });
        if (demand > businessFloor) businessFloor = demand;
      } else if (!inWindow(signal, now)) {
        considered[index] = consider(driver, 'out-of-window', label, windowDetail(signal, now, 0));
      } else if (signal.type === 'budget') {
        if (!policy.budget) {
          considered[index] = consider(driver, 'no-rule', label, 'policy has no budget.unitHourlyPrice to convert money into capacity');
        } else {
          // A budget driver can only tighten the policy's cap: finance lowers spend, it cannot lift a guardrail.
          considered[index] = consider(driver, 'used', label, `${signal.label ? `${signal.label}: ` : ''}budget ${signal.maxHourlyCost}/h`);
          if (budgetCap === undefined || signal.maxHourlyCost < budgetCap || (signal.maxHourlyCost === budgetCap && budgetDriver && driver.id < budgetDriver.id)) {
            budgetCap = signal.maxHourlyCost;
            budgetDriver = driver;
          }
        }
      } else {
        considered[index] = consider(driver, 'used', label, `${signal.label ? `${signal.label}: ` : ''}change freeze: no scale-in, only urgent scale-out`);
        if (!businessFreeze || isNewer(driver, businessFreeze)) businessFreeze = driver;
      }
    }
  }

  // Fallback: telemetry rules exist but none has a fresh driver — the policy is flying blind.
  if (rules.telemetryRules > 0 && freshTelemetry === 0) {
    candidates.push({
      demand: policy.fallback.allocation,
      label: 'fallback',
      detail: ' (drivers stale)',
      driverIndex: undefined,
      driverId: '',
      ruleIndex: Number.MAX_SAFE_INTEGER,
      reason: 'fallback-stale-drivers',
      urgent: false,
      minInterval: 0,
    });
  }
  // A canonical order makes the summary and every tie independent of the order drivers were loaded in.
  candidates.sort(byRuleThenId);

  // ---- precedence: override driver > scheduled override > demand
  let proposed: number;
  let picked: Candidate | undefined;
  let overrideLabel: string | undefined;
  let overrideWinner: string | undefined;
  let noDemandWhy: string | undefined;
  const schedule = override ? undefined : activeSchedule(policy, now);
  if (override) {
    const signal = override.driver.signal;
    overrideLabel = `override ${override.driver.name} by ${override.driver.lineage.principal ?? override.driver.source}`;
    overrideWinner = override.driver.name;
    if (signal.action === 'pin') {
      proposed = signal.allocation;
      reasons.push('override-pin');
    } else {
      proposed = base;
      reasons.push('override-freeze');
      if (signal.action === 'pin-weights') notes.push('pin-weights does not apply to a capacity target; treated as freeze');
    }
    considered[override.index] = consider(
      override.driver,
      'won',
      overrideRuleLabel(rules, override.driver),
      `${signal.action}: ${override.driver.reason} (expires in ${formatDuration(override.driver.expiresAt - now)})`,
      proposed,
    );
  } else if (schedule) {
    overrideLabel = `schedule ${schedule.name}`;
    overrideWinner = `schedule:${schedule.name}`;
    if (schedule.action === 'pin') {
      proposed = schedule.allocation ?? base;
      reasons.push('scheduled-pin');
    } else {
      proposed = base;
      reasons.push('scheduled-freeze');
    }
  } else {
    picked = pickWinner(candidates, policy.combine, undefined);
    if (picked) {
      proposed = picked.demand;
      reasons.push(picked.reason);
    } else if (currentDesired === undefined) {
      proposed = policy.fallback.allocation;
      reasons.push('initial-allocation');
      noDemandWhy = `no driver demands capacity yet: fallback allocation ${proposed}`;
    } else if (rules.telemetryRules > 0) {
      // Fresh telemetry that demands nothing (alarms in OK) means "stay": step scaling only moves on alarms.
      proposed = currentDesired;
      reasons.push('no-demand-hold');
      noDemandWhy = 'no driver demands a change';
    } else {
      // Without telemetry nothing would ever bring capacity back after a business window: rest at fallback.
      proposed = policy.fallback.allocation;
      reasons.push(proposed === currentDesired ? 'no-demand-hold' : 'no-demand-fallback');
      noDemandWhy = `no active demand: fallback allocation ${proposed}`;
    }
  }

  // ---- stabilization (may hold a change back; never overrides a guardrail; overrides are exempt)
  let desired = proposed;
  let winner = picked;
  let held: Candidate | undefined;
  if (currentDesired !== undefined && !overrideLabel) {
    if (desired < currentDesired) {
      const window = Math.max(stabilization.scaleDownSeconds, picked?.minInterval ?? 0);
      const since = state?.lastChangeAt === undefined ? Infinity : now - state.lastChangeAt;
      const what = `scale-in to ${desired}${picked ? ` (${picked.label})` : ''}`;
      if (businessFreeze) {
        reasons.push('business-freeze');
        notes.push(`${what} held by change freeze ${businessFreeze.name}`);
      } else if (since < window) {
        reasons.push('cooldown-scale-down');
        notes.push(`${what} held by cooldown until ${clockTime(now - since + window)}`);
      }
      if (businessFreeze || since < window) {
        desired = currentDesired;
        held = picked;
        winner = undefined;
      }
    } else if (desired > currentDesired && !picked?.urgent) {
      const window = Math.max(stabilization.scaleUpSeconds, picked?.minInterval ?? 0);
      const since = state?.lastScaleUpAt === undefined ? Infinity : now - state.lastScaleUpAt;
      const what = `scale-out to ${desired}${picked ? ` (${picked.label})` : ''}`;
      if (businessFreeze) {
        reasons.push('business-freeze');
        notes.push(`${what} held by change freeze ${businessFreeze.name}`);
      } else if (since < window) {
        reasons.push('cooldown-scale-up');
        notes.push(`${what} held by cooldown until ${clockTime(now - since + window)}`);
      }
      if (businessFreeze || since < window) {
        held = picked;
        // Holding the biggest demand must not cost a smaller urgent one (a pre-warm, the first step of an
        // urgent alarm) its turn: the best urgent demand above current still goes through.
        const floorDemand = currentDesired;
        const urgent = pickWinner(candidates, policy.combine, (c) => c.urgent && c.demand > floorDemand);
        if (urgent) {
          winner = urgent;
          desired = urgent.demand;
          reasons.push(urgent.reason);
        } else {
          winner = undefined;
          desired = currentDesired;
        }
      }
    }
  }

  // ---- outcomes of every demand: who won, who was held, why each other lost
  for (const c of candidates) {
    if (c.driverIndex === undefined) continue;
    const entry = considered[c.driverIndex]!;
    if (c === winner) entry.outcome = 'won';
    else if (c === held) entry.outcome = 'held-by-cooldown';
    else if (overrideLabel) entry.outcome = 'lost-precedence';
    else entry.outcome = lossAgainst(c, picked!, policy.combine);
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
  if (desired < bounds.min) {
    desired = bounds.min;
    reasons.push('clamped-to-min');
    notes.push(`raised to min ${bounds.min}`);
  } else if (desired > bounds.max) {
    desired = bounds.max;
    reasons.push('clamped-to-max');
    notes.push(`clamped to max ${bounds.max}`);
  }
  // Money outranks step limits too: a budget cut lands at once, however large (stabilization included).
  const cap = budgetCapacity(policy, budgetCap);
  if (cap !== undefined && desired > cap) {
    const source = budgetDriver ? ` (${budgetDriver.name} ${budgetCap}/h)` : '';
    if (cap >= bounds.min) {
      desired = cap;
      reasons.push('budget-capped');
      notes.push(`capped by budget at ${cap}${source}`);
    } else {
      desired = bounds.min;
      reasons.push('budget-capped', 'budget-below-min');
      notes.push(`budget allows ${cap}${source} but min is ${bounds.min}: kept ${bounds.min}`);
    }
  }

  // ---- pre-warm floor (ASG MinSize): planned demand must not be scaled in by the group's own policies.
  let floor = bounds.min;
  if (target.kind === 'ec2-asg' && businessFloor > floor && !overrideLabel) floor = businessFloor;
  if (floor > desired) floor = desired;

  const desiredAllocation: CapacityAllocation = { kind: 'capacity', desired, floor };
  const changed = !current || current.desired !== desired || current.floor !== floor;
  const actions: Action[] = changed ? [{ type: 'set-capacity', desired, floor }] : [];
  if (!changed) reasons.push('no-change');

  let why: string;
  if (overrideLabel) why = overrideLabel + outranks(candidates, undefined, undefined);
  else if (winner) why = winner.label + winner.detail + outranks(candidates, winner, held);
  else if (held) why = held.label + held.detail + outranks(candidates, held, undefined);
  else why = noDemandWhy!;
  const head = currentDesired === undefined ? `set ${desired}` : currentDesired === desired ? `hold ${desired}` : `scale ${currentDesired}→${desired}`;
  const floorPart = current === undefined ? ` (floor ${floor})` : current.floor !== floor ? ` (floor ${current.floor}→${floor})` : '';
  const summary = notes.length ? `${head}${floorPart}: ${why}; ${notes.join('; ')}` : `${head}${floorPart}: ${why}`;
  return finish(target, state, now, current, desiredAllocation, actions, reasons, summary, overrideWinner ?? winner?.label ?? held?.label, considered);
}

function byRuleThenId(a: Candidate, b: Candidate): number {
  return a.ruleIndex - b.ruleIndex || (a.driverId < b.driverId ? -1 : a.driverId > b.driverId ? 1 : 0);
}

/** Candidates are in canonical order, so the first best one is the deterministic winner. */
function pickWinner(candidates: Candidate[], combine: Policy['combine'], eligible: ((c: Candidate) => boolean) | undefined): Candidate | undefined {
  let best: Candidate | undefined;
  for (const c of candidates) {
    if (eligible && !eligible(c)) continue;
    if (!best) best = c;
    else if (combine === 'max' ? c.demand > best.demand : c.ruleIndex === best.ruleIndex && c.demand > best.demand) best = c;
  }
  return best;
}

function lossAgainst(loser: Candidate, winner: Candidate, combine: Policy['combine']): DriverOutcome {
  if (loser.ruleIndex === winner.ruleIndex && loser.demand === winner.demand) return 'superseded';
  if (combine === 'priority' || loser.demand === winner.demand) return 'lost-to-earlier-rule';
  return 'lost-to-higher-demand';
}

/** Largest capacity whose hourly cost stays within the cap. */
export function budgetCapacity(policy: Policy, maxHourlyCost: number | undefined): number | undefined {
  if (!policy.budget || maxHourlyCost === undefined) return undefined;
  // The epsilon absorbs float error (0.3 / 0.1 = 2.9999999999999996) without ever exceeding the cap by a cent.
  return Math.floor(maxHourlyCost / policy.budget.unitHourlyPrice + 1e-9);
}

/** ` outranks a, b, c, 2 more` over the distinct losing driver names (the held one is named in a note). */
function outranks(candidates: Candidate[], winner: Candidate | undefined, held: Candidate | undefined): string {
  const labels: string[] = [];
  for (const c of candidates) {
    if (c.label === winner?.label || c.label === held?.label || labels.includes(c.label)) continue;
    labels.push(c.label);
  }
  if (labels.length === 0) return '';
  if (labels.length > 4) return ` outranks ${labels.slice(0, 3).join(', ')}, ${labels.length - 3} more`;
  return ` outranks ${labels.join(', ')}`;
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

  // Drain alarms: which are firing, and since when each one has been quiet.
  const firing = new Map<string, number[]>(); // name → indices of its firing alarm drivers
  const quietSince = new Map<string, number>();
  let freshDrainDrivers = 0;
  for (const { driver, index, rule, ruleIndex } of live) {
    if (driver.kind !== 'alarm' || !rules.drainDrivers.has(driver.name)) continue;
    const label = rule ? ruleLabel(rule, ruleIndex) : 'endpoints[].drainOn';
    const limit = rule?.kind === 'alarm' ? rule.staleAfterSeconds : undefined;
    if (limit !== undefined && now - driver.observedAt > limit) {
      considered[index] = consider(driver, 'stale', label, `last seen ${formatDuration(now - driver.observedAt)} ago`);
      continue;
    }
    if (driver.signal.state === 'ALARM') {
      freshDrainDrivers++;
      const list = firing.get(driver.name);
      if (list) list.push(index);
      else firing.set(driver.name, [index]);
      considered[index] = consider(driver, 'used', label, `${driver.signal.alarmName} in ALARM: drains ${drainedBy(endpoints, driver.name).join(', ')}`);
      continue;
    }
    // INSUFFICIENT_DATA counts as quiet: a drained endpoint takes no traffic, so its error alarm often has
    // no data at all; treating that as firing would keep the endpoint drained forever.
    if (driver.signal.state === 'OK') {
      freshDrainDrivers++;
      considered[index] = consider(driver, 'alarm-ok', label, `${driver.signal.alarmName} is OK`);
    } else {
      considered[index] = consider(driver, 'insufficient-data', label, `${driver.signal.alarmName} has insufficient data`);
    }
    const quiet = quietSince.get(driver.name);
    if (quiet === undefined || driver.observedAt > quiet) quietSince.set(driver.name, driver.observedAt);
  }
  for (const { driver, index } of live) {
    if (considered[index] === undefined) considered[index] = consider(driver, 'no-rule', undefined, 'routing targets use drain alarms and overrides only');
  }
  if (rules.drainDrivers.size > 0 && freshDrainDrivers === 0) {
    reasons.push('fallback-stale-drivers');
    notes.push('no fresh drain alarm');
  }
  const firingNames = [...firing.keys()].sort();

  const configured: Record<string, number> = {};
  for (const e of endpoints) configured[e.setIdentifier] = e.weight;
  let weights: Record<string, number>;
  let overrideLabel: string | undefined;
  let winner: string | undefined;
  const drained: string[] = [];
  const restored: string[] = [];
  const delayed: string[] = [];
  const schedule = override ? undefined : activeSchedule(policy, now);

  if (override || schedule) {
    // Overrides outrank drain alarms (demand) but not min shares (guardrails).
    let pinned: Record<string, number> | undefined;
    if (override) {
      const signal = override.driver.signal;
      overrideLabel = `override ${override.driver.name} by ${override.driver.lineage.principal ?? override.driver.source}`;
      winner = override.driver.name;
      if (signal.action === 'pin-weights') {
        pinned = { ...configured };
        for (const id of Object.keys(signal.weights)) if (id in configured) pinned[id] = signal.weights[id]!;
        reasons.push('override-pin');
      } else {
        reasons.push('override-freeze');
        if (signal.action === 'pin') notes.push('pin of a count does not apply to a routing target; treated as freeze');
      }
      considered[override.index] = consider(
        override.driver,
        'won',
        overrideRuleLabel(rules, override.driver),
        `${signal.action}: ${override.driver.reason} (expires in ${formatDuration(override.driver.expiresAt - now)})`,
      );
    } else {
      overrideLabel = `schedule ${schedule!.name}`;
      winner = `schedule:${schedule!.name}`;
      // A scheduled pin carries a count, which means nothing to weights: it freezes like a scheduled freeze.
      reasons.push(schedule!.action === 'pin' ? 'scheduled-pin' : 'scheduled-freeze');
    }
    for (const name of firingNames) {
      for (const index of firing.get(name)!) considered[index]!.outcome = 'lost-precedence';
    }
    if (pinned) {
      weights = shareWeights(endpoints, pinned, undefined, reasons);
    } else if (current) {
      weights = { ...current.weights };
      // A freeze holds the weights it finds, but guardrails outrank overrides: weights below a minimum share
      // (an endpoint left drained, an edit made outside Drivetrain) are lifted as a pin would be.
      const total = Object.values(weights).reduce((sum, w) => sum + w, 0);
      if (endpoints.some((e) => e.minShare > 0 && (total === 0 || (weights[e.setIdentifier] ?? 0) / total < e.minShare - 1e-9))) {
        weights = shareWeights(endpoints, current.weights, undefined, reasons);
        reasons.push('min-share-enforced'); // also when all-zero weights were shared out equally (deduped at the end)
        notes.push('frozen weights lifted to the minimum shares');
      }
    } else {
      notes.push('no current weights to freeze: configured weights');
      weights = shareWeights(endpoints, configured, undefined, reasons);
    }
  } else {
    const isDrained = new Set<string>();
    const delayedNotes: string[] = [];
    for (const e of endpoints) {
      if (e.drainOn.some((name) => firing.has(name))) {
        isDrained.add(e.setIdentifier);
        drained.push(e.setIdentifier);
        continue;
      }
      // Hysteresis: an endpoint an alarm drained (weight 0 now, traffic when healthy) comes back only after
      // its drain alarms have been quiet for restoreAfterSeconds. Measured from the alarms, not from the
      // last weight change, so an alarm that flaps right after a long drain does not bounce traffic at once.
      const wasDrained = current !== undefined && current.weights[e.setIdentifier] === 0 && e.drainOn.length > 0 && (e.weight > 0 || e.minShare > 0);
      if (!wasDrained) continue;
      let quiet: number | undefined;
      for (const name of e.drainOn) {
        const q = quietSince.get(name);
        if (q !== undefined && (quiet === undefined || q > quiet)) quiet = q;
      }
      quiet ??= state?.lastChangeAt;
      const left = quiet === undefined ? 0 : policy.routing.restoreAfterSeconds - (now - quiet);
      if (left > 0) {
        isDrained.add(e.setIdentifier);
        delayed.push(e.setIdentifier);
        delayedNotes.push(`${e.setIdentifier} stays drained until ${clockTime(now + left)}`);
      } else {
        restored.push(e.setIdentifier);
      }
    }
    if (isDrained.size === endpoints.length && delayed.length > 0) {
      // Healthy-but-waiting endpoints come back early rather than leave traffic nowhere to go.
      for (const id of delayed) {
        isDrained.delete(id);
        restored.push(id);
      }
      notes.push(`${delayed.join(', ')} restored early: every other endpoint is draining`);
      delayed.length = 0;
    }
    if (delayed.length > 0) {
      reasons.push('restore-delayed');
      notes.push(...delayedNotes);
    }
    if (isDrained.size === endpoints.length) {
      // Draining everything would black-hole traffic (Route 53 treats all-zero weights as equal anyway):
      // fail open to the configured weights; min shares still hold.
      reasons.push('all-endpoints-drained-fail-open');
      notes.push('every endpoint is in ALARM: failing open to configured weights');
      for (const name of firingNames) {
        for (const index of firing.get(name)!) {
          const entry = considered[index]!;
          entry.outcome = 'lost-precedence';
          entry.detail = `${entry.detail}; not applied: every endpoint is in ALARM (fail open)`;
        }
      }
      drained.length = 0;
      weights = shareWeights(endpoints, configured, undefined, reasons);
    } else {
      if (drained.length) reasons.push('endpoint-drained');
      weights = shareWeights(endpoints, configured, isDrained, reasons);
      for (let r = restored.length - 1; r >= 0; r--) if (weights[restored[r]!] === 0) restored.splice(r, 1);
      if (restored.length) reasons.push('endpoint-restored');
      if (firingNames.length) {
        winner = firingNames[0];
        for (const index of firing.get(winner!)!) considered[index]!.outcome = 'won';
      }
    }
  }

  const desired: Allocation = { kind: 'weights', weights };
  const changed = !current || !sameWeights(current.weights, weights);
  const actions: Action[] = changed ? [{ type: 'set-weights', weights }] : [];
  if (!changed) reasons.push('no-change');
  const head = changed ? `route ${describeWeights(current?.weights, weights)}` : `hold ${describeWeights(undefined, weights)}`;
  let why: string;
  if (overrideLabel) why = firingNames.length ? `${overrideLabel} outranks ${firingNames.join(', ')}` : overrideLabel;
  else if (drained.length) why = `${firingNames.join(', ')} in ALARM drained ${drained.join(', ')}`;
  else if (restored.length) why = `restored ${restored.join(', ')}`;
  else if (delayed.length) why = `${delayed.join(', ')} recovering`;
  else why = 'configured weights';
  const summary = notes.length ? `${head}: ${why}; ${notes.join('; ')}` : `${head}: ${why}`;
  return finish(target, state, now, current, desired, actions, reasons, summary, winner, considered);
}

function drainedBy(endpoints: readonly RoutingEndpoint[], name: string): string[] {
  return endpoints.filter((e) => e.drainOn.includes(name)).map((e) => e.setIdentifier);
}

/**
 * Integer weights adding up to ROUTING_WEIGHT_TOTAL: drained endpoints get 0, every other endpoint at least
 * its minimum share, the rest in proportion to the requested weights (equal split if they are all 0).
 * The validator guarantees the rounded-up minimum shares fit in the total, so the guarantee is exact.
 */
export function shareWeights(
  endpoints: readonly { setIdentifier: string; minShare: number }[],
  requested: Record<string, number>,
  drained: ReadonlySet<string> | undefined,
  reasons: ReasonCode[],
): Record<string, number> {
  const open = drained ? endpoints.filter((e) => !drained.has(e.setIdentifier)) : endpoints;
  const result: Record<string, number> = {};
  for (const e of endpoints) result[e.setIdentifier] = 0;
  if (open.length === 0) return result;
  const allZero = open.every((e) => !(requested[e.setIdentifier]! > 0));
  const weightOf = (id: string) => (allZero ? 1 : Math.max(0, requested[id] ?? 0));
  // Water-filling: pin endpoints below their minimum to it, share the remainder among the rest in proportion.
  const share = new Map<string, number>();
  const pinned = new Set<string>();
  for (let round = 0; round <= open.length; round++) {
    let pinnedShare = 0;
    let freeWeight = 0;
    let freeCount = 0;
    for (const e of open) {
      if (pinned.has(e.setIdentifier)) pinnedShare += e.minShare;
      else {
        freeWeight += weightOf(e.setIdentifier);
        freeCount++;
      }
    }
    const remaining = Math.max(0, 1 - pinnedShare);
    let changed = false;
    for (const e of open) {
      if (pinned.has(e.setIdentifier)) {
        share.set(e.setIdentifier, e.minShare);
        continue;
      }
      const s = freeWeight === 0 ? remaining / freeCount : (remaining * weightOf(e.setIdentifier)) / freeWeight;
      share.set(e.setIdentifier, s);
      if (s < e.minShare - 1e-12) {
        pinned.add(e.setIdentifier);
        changed = true;
      }
    }
    if (!changed) break;
  }
  let minShareApplied = pinned.size > 0;
  // Largest-remainder rounding to the total (ties by id, so the result is order-independent), then lift any
  // endpoint that rounding left below its minimum, taking from those with the most room.
  const total = ROUTING_WEIGHT_TOTAL;
  const raw = open.map((e) => {
    const exact = share.get(e.setIdentifier)! * total;
    const whole = Math.floor(exact + 1e-9);
    return { id: e.setIdentifier, needed: Math.ceil(e.minShare * total - 1e-9), whole, remainder: exact - whole };
  });
  let assigned = 0;
  for (const r of raw) {
    result[r.id] = r.whole;
    assigned += r.whole;
  }
  const byRemainder = [...raw].sort((a, b) => b.remainder - a.remainder || (a.id < b.id ? -1 : 1));
  for (let i = 0; assigned < total; i = (i + 1) % byRemainder.length) {
    result[byRemainder[i]!.id]! += 1;
    assigned++;
  }
  for (const r of raw) {
    while (result[r.id]! < r.needed) {
      let donor: (typeof raw)[number] | undefined;
      for (const d of raw) {
        if (d === r || result[d.id]! <= d.needed) continue;
        if (!donor || result[d.id]! > result[donor.id]! || (result[d.id] === result[donor.id] && d.id < donor.id)) donor = d;
      }
      if (!donor) break;
      result[donor.id]! -= 1;
      result[r.id]! += 1;
      minShareApplied = true;
    }
  }
  if (minShareApplied) reasons.push('min-share-enforced');
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
    reasons: dedupe(reasons),
    summary,
    considered,
  };
  if (current) decision.current = current;
  if (winner) decision.winner = winner;
  return decision;
}

function dedupe(reasons: ReasonCode[]): ReasonCode[] {
  if (reasons.length < 2) return reasons;
  const unique = new Set(reasons);
  return unique.size === reasons.length ? reasons : [...unique];
}

function signed(n: number): string {
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

function windowDetail(signal: { windowStart: number; windowEnd: number }, now: number, lead: number): string {
  if (now >= signal.windowEnd) return `window ended ${formatDuration(now - signal.windowEnd)} ago`;
  return `window opens in ${formatDuration(signal.windowStart - now)}${lead ? `, pre-warm starts in ${formatDuration(signal.windowStart - lead - now)}` : ''}`;
}
