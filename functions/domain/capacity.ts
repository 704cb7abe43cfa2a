/**
 * Capacity targets (EC2 Auto Scaling groups, Lambda provisioned concurrency), as a chain of named pure steps
 * in the order HPA normalizes a recommendation:
 *   collectDemand → applyPrecedence → stabilize → markOutcomes → applyGuardrails → prewarmFloor → explainCapacity
 * Each step reads the shared context and what the previous steps returned; none reads a clock or does I/O.
 */
import {
  ALARM_STEP_MIN_REPEAT_SECONDS,
  clockTime,
  consider,
  finish,
  formatDuration,
  inWindow,
  indexRules,
  isNewer,
  activeSchedule,
  overrideRuleLabel,
  ruleLabel,
  screen,
  signed,
  windowDetail,
  type EngineTarget,
  type LiveDriver,
  type RuleIndex,
  type Screened,
} from './decision-common';
import { forecastMetric } from './forecast';
import type { MetricHistories, MetricHistory } from './history';
import type {
  Action,
  BusinessDriver,
  CapacityAllocation,
  ConsideredDriver,
  Decision,
  Driver,
  DriverOutcome,
  MetricDriver,
  Policy,
  ReasonCode,
  Rule,
  TargetState,
} from './model';
import { isFloorManaged, kindTraits } from './target-kinds';
import { trackTarget, unitsFor } from './tracking';
import { leadTimeOf } from './warmup';

/** Inputs beside the drivers that a decision may use; all optional, all read-only. */
export interface DecisionInputs {
  /** Recent history of metric drivers, by driver name (stabilization, dead band, forecast). */
  history?: MetricHistories;
  /** The target's measured times to serve, seconds, oldest first: `leadTimeSeconds: auto` (warmup.ts). */
  timeToServe?: readonly number[];
}

export interface Candidate {
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
  /** Scale-in already stabilized over the scale-down window (from the metric's history): no cooldown on top. */
  stabilized?: boolean;
  /** Why this demand withheld a change it could have made (noise band, stabilization), when it wins. */
  withheld?: ReasonCode;
}

/** What every capacity step reads and appends to. */
export interface CapacityContext {
  target: EngineTarget;
  policy: Policy;
  rules: RuleIndex;
  now: number;
  state: TargetState | undefined;
  current: CapacityAllocation | undefined;
  currentDesired: number | undefined;
  /** Alarm steps and freezes are relative to this: current, or fallback.allocation when nothing is known. */
  base: number;
  considered: ConsideredDriver[];
  reasons: ReasonCode[];
  notes: string[];
  inputs: DecisionInputs;
}

/** Step 1's result: every demand and the constraints drivers put on it. */
export interface Demand {
  candidates: Candidate[];
  freshTelemetry: number;
  businessFreeze?: BusinessDriver;
  budgetCap?: number;
  budgetDriver?: BusinessDriver;
  /** Highest planned (business) demand, for the ASG MinSize floor; -1 without one. */
  businessFloor: number;
}

/** Step 2's result: the allocation precedence proposes, and who proposed it. */
export interface Proposal {
  proposed: number;
  picked?: Candidate;
  overrideLabel?: string;
  overrideWinner?: string;
  noDemandWhy?: string;
}

/** Step 3's result. */
export interface Stabilized {
  desired: number;
  winner?: Candidate;
  held?: Candidate;
}

export function decideCapacity(
  target: EngineTarget,
  drivers: readonly Driver[],
  state: TargetState | undefined,
  now: number,
  inputs: DecisionInputs = {},
): Decision {
  const rules = indexRules(target);
  const { considered, live, override } = screen(target, drivers, now, rules);
  const floorManaged = isFloorManaged(target);
  const current = ownedCurrent(state?.current?.kind === 'capacity' ? state.current : undefined, floorManaged);
  const currentDesired = current?.desired;
  const base = currentDesired ?? target.policy.fallback.allocation;
  const ctx: CapacityContext = {
    target,
    policy: target.policy,
    rules,
    now,
    state,
    current,
    currentDesired,
    base,
    considered,
    reasons: [],
    notes: [],
    inputs,
  };
  const demand = collectDemand(ctx, live);
  const proposal = applyPrecedence(ctx, demand, override);
  const stable = stabilize(ctx, demand, proposal);
  markOutcomes(ctx, demand, proposal, stable);
  const desired = applyGuardrails(ctx, demand, stable.desired);
  // Floor-managed: the whole decided number is the floor (MinSize, MinCapacity); the resource's own policies
  // own the capacity above it.
  const floor = floorManaged ? desired : prewarmFloor(ctx, demand, proposal, desired);
  return explainCapacity(ctx, demand, proposal, stable, desired, floor);
}

/**
 * What Drivetrain owns of the current allocation. A floor-managed resource's is its floor alone (desired =
 * floor), so step limits and stabilization work on the floor, whatever the resource's policies did to its
 * capacity — also when the state still holds an allocation from before the target became floor-managed.
 */
function ownedCurrent(current: CapacityAllocation | undefined, floorManaged: boolean): CapacityAllocation | undefined {
  if (!current || !floorManaged) return current;
  return { kind: 'capacity', desired: current.floor, floor: current.floor };
}

// ---- step 1: collect demand ------------------------------------------------------------------------------

export function collectDemand(ctx: CapacityContext, live: readonly LiveDriver[]): Demand {
  const { policy } = ctx;
  const demand: Demand = { candidates: [], freshTelemetry: 0, businessFloor: -1 };
  if (policy.budget?.maxHourlyCost !== undefined) demand.budgetCap = policy.budget.maxHourlyCost;
  const newestMetric = newestSnapshots(live);
  for (let k = 0; k < live.length; k++) {
    const entry = live[k]!;
    const { driver, rule } = entry;
    if (!rule) continue; // drain-only alarms exist on routing targets only
    if (driver.kind === 'alarm' && rule.kind === 'alarm') alarmDemand(ctx, entry, demand);
    else if (driver.kind === 'metric' && rule.kind === 'metric') {
      if (newestMetric.get(driver.name) === k) metricDemand(ctx, entry, demand);
      else
        ctx.considered[entry.index] = consider(
          driver,
          'superseded',
          ruleLabel(rule, entry.ruleIndex),
          'a newer snapshot of this metric exists',
        );
    } else if (driver.kind === 'business' && rule.kind === 'business') businessDemand(ctx, entry, demand);
  }
  // Fallback: telemetry rules exist but none has a fresh driver — the policy is flying blind.
  if (ctx.rules.telemetryRules > 0 && demand.freshTelemetry === 0) {
    demand.candidates.push({
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
  demand.candidates.sort(byRuleThenId);
  return demand;
}

/** Metric snapshots of one driver supersede each other: index (into live) of the newest per name. */
function newestSnapshots(live: readonly LiveDriver[]): Map<string, number> {
  const newest = new Map<string, number>();
  for (let k = 0; k < live.length; k++) {
    const { driver } = live[k]!;
    if (driver.kind !== 'metric') continue;
    const seen = newest.get(driver.name);
    if (seen === undefined || isNewer(driver, live[seen]!.driver)) newest.set(driver.name, k);
  }
  return newest;
}

function isStale(ctx: CapacityContext, entry: LiveDriver, limit: number | undefined): boolean {
  const age = ctx.now - entry.driver.observedAt;
  if (limit === undefined || age <= limit) return false;
  ctx.considered[entry.index] = consider(
    entry.driver,
    'stale',
    ruleLabel(entry.rule!, entry.ruleIndex),
    `last seen ${formatDuration(age)} ago (limit ${formatDuration(limit)})`,
  );
  return true;
}

export function alarmDemand(ctx: CapacityContext, entry: LiveDriver, demand: Demand): void {
  const { driver, index, ruleIndex } = entry;
  const rule = entry.rule!;
  if (driver.kind !== 'alarm' || rule.kind !== 'alarm') return;
  const label = ruleLabel(rule, ruleIndex);
  const signal = driver.signal;
  if (signal.state === 'INSUFFICIENT_DATA') {
    ctx.considered[index] = consider(driver, 'insufficient-data', label, `${signal.alarmName} has insufficient data`);
    return;
  }
  if (isStale(ctx, entry, rule.staleAfterSeconds)) return;
  demand.freshTelemetry++;
  if (signal.state === 'OK') {
    ctx.considered[index] = consider(driver, 'alarm-ok', label, `${signal.alarmName} is OK`);
    return;
  }
  // Step scaling: the step applies again on every decision while the alarm stays in ALARM, relative to the
  // allocation at that time. A change in the step's direction at or after the moment the alarm entered ALARM
  // means this episode has been acted on: the next step is a repeat, which waits for the stabilization window
  // (at least a minute) and is never urgent — urgency buys the first reaction, not unbounded growth.
  // Compared in whole seconds: CloudWatch state times carry milliseconds, the change times the pipeline
  // records do not, and a step applied within the second the alarm fired has acted on this episode.
  const lastSameDirection = rule.step > 0 ? ctx.state?.lastScaleUpAt : ctx.state?.lastScaleDownAt;
  const repeat =
    ctx.current !== undefined && lastSameDirection !== undefined && lastSameDirection >= Math.floor(driver.observedAt);
  const asked = Math.max(0, ctx.base + rule.step);
  ctx.considered[index] = consider(
    driver,
    'used',
    label,
    `${signal.alarmName} in ALARM: ${signed(rule.step)}${repeat ? ' (repeat)' : ''}`,
    asked,
  );
  demand.candidates.push({
    demand: asked,
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

export function metricDemand(ctx: CapacityContext, entry: LiveDriver, demand: Demand): void {
  const { index, ruleIndex } = entry;
  const driver = entry.driver as MetricDriver;
  const rule = entry.rule!;
  if (rule.kind !== 'metric') return;
  if (isStale(ctx, entry, rule.staleAfterSeconds ?? ctx.policy.fallback.staleAfterSeconds)) return;
  demand.freshTelemetry++;
  const history = ctx.inputs.history?.[driver.name];
  const step = history?.stepSeconds ?? 60;
  const tracking = trackTarget({
    rule,
    value: driver.signal.value,
    periodStart: driver.observedAt - step,
    currentDesired: ctx.currentDesired,
    history,
    now: ctx.now,
    scaleDownSeconds: ctx.policy.stabilization.scaleDownSeconds,
  });
  const forecast = rule.forecast ? forecastDemand(ctx, rule, history, tracking.demand) : undefined;
  const asked = forecast?.demand ?? tracking.demand;
  const detail = tracking.detail + (forecast?.detail ?? '');
  const reason: ReasonCode = forecast?.won ? 'forecast' : 'target-tracking';
  const summaryDetail = forecast?.won
    ? ` forecast (${leadTimeOf(rule.forecast!.leadTimeSeconds, ctx.inputs.timeToServe).explain})`
    : '';
  ctx.considered[index] = consider(driver, 'used', ruleLabel(rule, ruleIndex), detail, asked);
  demand.candidates.push({
    demand: asked,
    label: driver.name,
    detail: summaryDetail,
    driverIndex: index,
    driverId: driver.id,
    ruleIndex,
    reason,
    urgent: false,
    minInterval: 0,
    stabilized: reason === 'target-tracking' && tracking.stabilized,
    ...(reason === 'target-tracking' && tracking.reason ? { withheld: tracking.reason } : {}),
  });
}

/**
 * The rule's forecast combined by max with the reactive demand: explained whatever its mode, acted on only in
 * enforce mode, for a scale-out only with confidence, and holding a scale-in to what it asked over the window.
 */
function forecastDemand(
  ctx: CapacityContext,
  rule: Extract<Rule, { kind: 'metric' }>,
  history: MetricHistory | undefined,
  reactive: number,
): { demand: number; detail: string; won: boolean } {
  const options = rule.forecast!;
  const window = ctx.policy.stabilization.scaleDownSeconds;
  const lead = leadTimeOf(options.leadTimeSeconds, ctx.inputs.timeToServe).seconds;
  const result = forecastMetric(history, ctx.now, lead, window);
  if (!result.ok) return { demand: reactive, detail: `; forecast abstains: ${result.abstain}`, won: false };
  const { forecast } = result;
  const units = unitsFor(forecast.value, rule);
  const shadow = options.mode === 'shadow';
  let detail = `; forecast ${Math.round(forecast.value)} by ${clockTime(forecast.at)} from ${forecast.basis} ±${Math.round(forecast.band * 100)}% → ${units}${shadow ? ' (shadow: not acted on)' : ''}`;
  const current = ctx.currentDesired;
  const held = current !== undefined && reactive < current ? Math.min(current, unitsFor(forecast.held, rule)) : 0;
  // A scale-out on a forecast needs confidence: the low end of its band must already exceed what the current
  // capacity serves at target, or a noisy forecast would order (and then release) capacity each minute.
  const confident = forecast.value * (1 - forecast.band) > (current ?? 0) * rule.targetPerUnit;
  const wanted = Math.max(confident ? units : 0, held);
  if (shadow || wanted <= reactive) return { demand: reactive, detail, won: false };
  if (held > units) detail += `; scale-in held at ${held} by the forecast over the last ${formatDuration(window)}`;
  return { demand: wanted, detail, won: true };
}

export function businessDemand(ctx: CapacityContext, entry: LiveDriver, demand: Demand): void {
  const { index, ruleIndex } = entry;
  const driver = entry.driver as BusinessDriver;
  const rule = entry.rule!;
  if (rule.kind !== 'business') return;
  const label = ruleLabel(rule, ruleIndex);
  const { signal } = driver;
  const { now, considered } = ctx;
  const prefix = signal.label ? `${signal.label}: ` : '';
  if (signal.type === 'demand') {
    plannedDemand(ctx, entry, demand);
  } else if (!inWindow(signal, now)) {
    considered[index] = consider(driver, 'out-of-window', label, windowDetail(signal, now, 0));
  } else if (signal.type === 'budget') {
    if (!ctx.policy.budget) {
      considered[index] = consider(
        driver,
        'no-rule',
        label,
        'policy has no budget.unitHourlyPrice to convert money into capacity',
      );
      return;
    }
    // A budget driver can only tighten the policy's cap: finance lowers spend, it cannot lift a guardrail.
    considered[index] = consider(driver, 'used', label, `${prefix}budget ${signal.maxHourlyCost}/h`);
    const cap = demand.budgetCap;
    if (
      cap === undefined ||
      signal.maxHourlyCost < cap ||
      (signal.maxHourlyCost === cap && demand.budgetDriver && driver.id < demand.budgetDriver.id)
    ) {
      demand.budgetCap = signal.maxHourlyCost;
      demand.budgetDriver = driver;
    }
  } else {
    considered[index] = consider(driver, 'used', label, `${prefix}change freeze: no scale-in, only urgent scale-out`);
    if (!demand.businessFreeze || isNewer(driver, demand.businessFreeze)) demand.businessFreeze = driver;
  }
}

/** A business demand window, started `lead` early: planned demand, never held back (urgent). */
function plannedDemand(ctx: CapacityContext, entry: LiveDriver, demand: Demand): void {
  const { index, ruleIndex } = entry;
  const driver = entry.driver as BusinessDriver;
  const rule = entry.rule!;
  const signal = driver.signal;
  if (rule.kind !== 'business' || signal.type !== 'demand') return;
  const { now } = ctx;
  const label = ruleLabel(rule, ruleIndex);
  const ruleLead = leadTimeOf(rule.leadTimeSeconds, ctx.inputs.timeToServe);
  const lead = Math.max(ruleLead.seconds, signal.leadTimeSeconds ?? 0);
  // The rule's own explanation when its lead is the one used (auto says where it comes from).
  const leadText = lead === ruleLead.seconds ? ruleLead.explain : `lead ${formatDuration(lead)}`;
  if (!inWindow(signal, now, lead)) {
    ctx.considered[index] = consider(driver, 'out-of-window', label, windowDetail(signal, now, lead));
    return;
  }
  const baseline = rule.baseline ?? ctx.policy.bounds.min;
  const asked =
    'absolute' in signal.demand
      ? Math.ceil(signal.demand.absolute - 1e-9)
      : Math.ceil(baseline * signal.demand.multiplier - 1e-9);
  const early = now < signal.windowStart;
  const what = signal.label ? `${signal.label} ` : '';
  const detail = early
    ? `${what}pre-warm: window opens in ${formatDuration(signal.windowStart - now)} (${leadText})`
    : `${what}window open, closes in ${formatDuration(signal.windowEnd - now)}`;
  ctx.considered[index] = consider(driver, 'used', label, detail, asked);
  // Planned demand is urgent: being held by a scale-up window or a freeze would defeat the pre-warm.
  demand.candidates.push({
    demand: asked,
    label: driver.name,
    detail: early ? ` (${leadText})` : '',
    driverIndex: index,
    driverId: driver.id,
    ruleIndex,
    reason: early ? 'business-lead-time' : 'business-window',
    urgent: true,
    minInterval: 0,
  });
  if (asked > demand.businessFloor) demand.businessFloor = asked;
}

// ---- step 2: precedence (override driver > scheduled override > demand) ----------------------------------

export function applyPrecedence(ctx: CapacityContext, demand: Demand, override: Screened['override']): Proposal {
  const { reasons, notes, now, policy, base } = ctx;
  if (override) {
    const { driver } = override;
    const signal = driver.signal;
    let proposed: number;
    if (signal.action === 'pin') {
      proposed = signal.allocation;
      reasons.push('override-pin');
    } else {
      proposed = base;
      reasons.push('override-freeze');
      if (signal.action === 'pin-weights')
        notes.push('pin-weights does not apply to a capacity target; treated as freeze');
    }
    const detail = `${signal.action}: ${driver.reason} (expires in ${formatDuration(driver.expiresAt - now)})`;
    ctx.considered[override.index] = consider(driver, 'won', overrideRuleLabel(ctx.rules, driver), detail, proposed);
    return {
      proposed,
      overrideLabel: `override ${driver.name} by ${driver.lineage.principal ?? driver.source}`,
      overrideWinner: driver.name,
    };
  }
  const schedule = activeSchedule(policy, now);
  if (schedule) {
    const pin = schedule.action === 'pin';
    reasons.push(pin ? 'scheduled-pin' : 'scheduled-freeze');
    return {
      proposed: pin ? (schedule.allocation ?? base) : base,
      overrideLabel: `schedule ${schedule.name}`,
      overrideWinner: `schedule:${schedule.name}`,
    };
  }
  const picked = pickWinner(demand.candidates, policy.combine, undefined);
  if (picked) {
    reasons.push(picked.reason);
    if (picked.withheld) reasons.push(picked.withheld);
    return { proposed: picked.demand, picked };
  }
  return noDemand(ctx);
}

/** Nobody demands anything: the first allocation, a hold (telemetry says "stay"), or back to rest. */
function noDemand(ctx: CapacityContext): Proposal {
  const { currentDesired, policy, reasons } = ctx;
  if (currentDesired === undefined) {
    reasons.push('initial-allocation');
    return {
      proposed: policy.fallback.allocation,
      noDemandWhy: `no driver demands capacity yet: fallback allocation ${policy.fallback.allocation}`,
    };
  }
  if (ctx.rules.telemetryRules > 0) {
    // Fresh telemetry that demands nothing (alarms in OK) means "stay": step scaling only moves on alarms.
    reasons.push('no-demand-hold');
    return { proposed: currentDesired, noDemandWhy: 'no driver demands a change' };
  }
  // Without telemetry nothing would ever bring capacity back after a business window: rest at fallback.
  const proposed = policy.fallback.allocation;
  reasons.push(proposed === currentDesired ? 'no-demand-hold' : 'no-demand-fallback');
  return { proposed, noDemandWhy: `no active demand: fallback allocation ${proposed}` };
}

function byRuleThenId(a: Candidate, b: Candidate): number {
  return a.ruleIndex - b.ruleIndex || (a.driverId < b.driverId ? -1 : a.driverId > b.driverId ? 1 : 0);
}

/** Candidates are in canonical order, so the first best one is the deterministic winner. */
export function pickWinner(
  candidates: readonly Candidate[],
  combine: Policy['combine'],
  eligible: ((c: Candidate) => boolean) | undefined,
): Candidate | undefined {
  let best: Candidate | undefined;
  for (const c of candidates) {
    if (eligible && !eligible(c)) continue;
    if (!best) best = c;
    else if (combine === 'max' ? c.demand > best.demand : c.ruleIndex === best.ruleIndex && c.demand > best.demand)
      best = c;
  }
  return best;
}

// ---- step 3: stabilize (may hold a change back; never overrides a guardrail; overrides are exempt) ---------

export function stabilize(ctx: CapacityContext, demand: Demand, proposal: Proposal): Stabilized {
  const { currentDesired } = ctx;
  const { proposed, picked } = proposal;
  const unchanged: Stabilized = { desired: proposed, ...(picked ? { winner: picked } : {}) };
  if (currentDesired === undefined || proposal.overrideLabel) return unchanged;
  if (proposed < currentDesired) return holdScaleIn(ctx, demand, proposal, currentDesired) ?? unchanged;
  if (proposed > currentDesired && !picked?.urgent)
    return holdScaleOut(ctx, demand, proposal, currentDesired) ?? unchanged;
  return unchanged;
}

/**
 * A scale-in waits scaleDownSeconds after any change — unless the demand already carries HPA's stabilization
 * (the highest recommendation over that window, from the metric's history), which is the better rule and is
 * not applied twice. A change freeze holds every scale-in.
 */
function holdScaleIn(
  ctx: CapacityContext,
  demand: Demand,
  proposal: Proposal,
  currentDesired: number,
): Stabilized | undefined {
  const { picked, proposed } = proposal;
  const { state, now } = ctx;
  const window = Math.max(ctx.policy.stabilization.scaleDownSeconds, picked?.minInterval ?? 0);
  const since = state?.lastChangeAt === undefined ? Infinity : now - state.lastChangeAt;
  const what = `scale-in to ${proposed}${picked ? ` (${picked.label})` : ''}`;
  if (demand.businessFreeze) {
    ctx.reasons.push('business-freeze');
    ctx.notes.push(`${what} held by change freeze ${demand.businessFreeze.name}`);
  } else if (since < window && !picked?.stabilized) {
    ctx.reasons.push('cooldown-scale-down');
    ctx.notes.push(`${what} held by cooldown until ${clockTime(now - since + window)}`);
  } else {
    return undefined;
  }
  return { desired: currentDesired, ...(picked ? { held: picked } : {}) };
}

/** Non-urgent scale-outs wait scaleUpSeconds after a scale-out (and for a freeze); urgent demand still goes. */
function holdScaleOut(
  ctx: CapacityContext,
  demand: Demand,
  proposal: Proposal,
  currentDesired: number,
): Stabilized | undefined {
  const { picked, proposed } = proposal;
  const { state, now } = ctx;
  const window = Math.max(ctx.policy.stabilization.scaleUpSeconds, picked?.minInterval ?? 0);
  const since = state?.lastScaleUpAt === undefined ? Infinity : now - state.lastScaleUpAt;
  const what = `scale-out to ${proposed}${picked ? ` (${picked.label})` : ''}`;
  if (demand.businessFreeze) {
    ctx.reasons.push('business-freeze');
    ctx.notes.push(`${what} held by change freeze ${demand.businessFreeze.name}`);
  } else if (since < window) {
    ctx.reasons.push('cooldown-scale-up');
    ctx.notes.push(`${what} held by cooldown until ${clockTime(now - since + window)}`);
  } else {
    return undefined;
  }
  // Holding the biggest demand must not cost a smaller urgent one (a pre-warm, the first step of an urgent
  // alarm) its turn: the best urgent demand above current still goes through.
  const urgent = pickWinner(demand.candidates, ctx.policy.combine, (c) => c.urgent && c.demand > currentDesired);
  if (!urgent) return { desired: currentDesired, ...(picked ? { held: picked } : {}) };
  ctx.reasons.push(urgent.reason);
  return { desired: urgent.demand, winner: urgent, ...(picked ? { held: picked } : {}) };
}

// ---- outcomes of every demand: who won, who was held, why each other lost --------------------------------

export function markOutcomes(ctx: CapacityContext, demand: Demand, proposal: Proposal, stable: Stabilized): void {
  for (const c of demand.candidates) {
    if (c.driverIndex === undefined) continue;
    const entry = ctx.considered[c.driverIndex]!;
    if (c === stable.winner) entry.outcome = 'won';
    else if (c === stable.held) entry.outcome = 'held-by-cooldown';
    else if (proposal.overrideLabel) entry.outcome = 'lost-precedence';
    else entry.outcome = lossAgainst(c, proposal.picked!, ctx.policy.combine);
  }
}

function lossAgainst(loser: Candidate, winner: Candidate, combine: Policy['combine']): DriverOutcome {
  if (loser.ruleIndex === winner.ruleIndex && loser.demand === winner.demand) return 'superseded';
  if (combine === 'priority' || loser.demand === winner.demand) return 'lost-to-earlier-rule';
  return 'lost-to-higher-demand';
}

// ---- step 4: guardrails (step limits, then bounds, then budget; bounds.min is the one thing budget cannot cut)

export function applyGuardrails(ctx: CapacityContext, demand: Demand, desired: number): number {
  const { bounds } = ctx.policy;
  const { reasons, notes } = ctx;
  let result = stepLimits(ctx, desired);
  if (result < bounds.min) {
    result = bounds.min;
    reasons.push('clamped-to-min');
    notes.push(`raised to min ${bounds.min}`);
  } else if (result > bounds.max) {
    result = bounds.max;
    reasons.push('clamped-to-max');
    notes.push(`clamped to max ${bounds.max}`);
  }
  // Money outranks step limits too: a budget cut lands at once, however large (stabilization included).
  const cap = budgetCapacity(ctx.policy, demand.budgetCap);
  if (cap === undefined || result <= cap) return result;
  const source = demand.budgetDriver ? ` (${demand.budgetDriver.name} ${demand.budgetCap}/h)` : '';
  if (cap >= bounds.min) {
    reasons.push('budget-capped');
    notes.push(`capped by budget at ${cap}${source}`);
    return cap;
  }
  reasons.push('budget-capped', 'budget-below-min');
  notes.push(`budget allows ${cap}${source} but min is ${bounds.min}: kept ${bounds.min}`);
  return bounds.min;
}

/**
 * maxStepUp / maxStepDown per stepWindowSeconds: each change is at most one step, and with a window the next
 * change in the same direction waits until the window since the last one has passed — so any window of that
 * length moves capacity by at most one step, however many decisions fall in it.
 */
export function stepLimits(ctx: CapacityContext, desired: number): number {
  const { currentDesired, state, now, reasons, notes } = ctx;
  const { maxStepUp, maxStepDown, stepWindowSeconds } = ctx.policy.bounds;
  if (currentDesired === undefined || desired === currentDesired) return desired;
  const up = desired > currentDesired;
  const step = up ? maxStepUp : maxStepDown;
  if (step === undefined) return desired;
  const last = up ? state?.lastScaleUpAt : state?.lastScaleDownAt;
  const code: ReasonCode = up ? 'step-limited-up' : 'step-limited-down';
  if (stepWindowSeconds > 0 && last !== undefined && now - last < stepWindowSeconds) {
    reasons.push(code);
    notes.push(
      `${up ? 'scale-out' : 'scale-in'} to ${desired} waits for the step window until ${clockTime(last + stepWindowSeconds)} (${signed(up ? step : -step)} per ${formatDuration(stepWindowSeconds)})`,
    );
    return currentDesired;
  }
  if (Math.abs(desired - currentDesired) <= step) return desired;
  reasons.push(code);
  notes.push(`step-limited to ${signed(up ? step : -step)}`);
  return up ? currentDesired + step : currentDesired - step;
}

/** Largest capacity whose hourly cost stays within the cap. */
export function budgetCapacity(policy: Policy, maxHourlyCost: number | undefined): number | undefined {
  if (!policy.budget || maxHourlyCost === undefined) return undefined;
  // The epsilon absorbs float error (0.3 / 0.1 = 2.9999999999999996) without ever exceeding the cap by a cent.
  return Math.floor(maxHourlyCost / policy.budget.unitHourlyPrice + 1e-9);
}

// ---- step 5: pre-warm floor (ASG MinSize): planned demand must not be scaled in by the group's own policies

export function prewarmFloor(ctx: CapacityContext, demand: Demand, proposal: Proposal, desired: number): number {
  let floor = ctx.policy.bounds.min;
  if (kindTraits(ctx.target.resource.kind).businessFloor && demand.businessFloor > floor && !proposal.overrideLabel)
    floor = demand.businessFloor;
  return Math.min(floor, desired);
}

// ---- step 6: explain -------------------------------------------------------------------------------------

export function explainCapacity(
  ctx: CapacityContext,
  demand: Demand,
  proposal: Proposal,
  stable: Stabilized,
  desired: number,
  floor: number,
): Decision {
  const { current, currentDesired, reasons, notes } = ctx;
  const { candidates } = demand;
  const { winner, held } = stable;
  const allocation: CapacityAllocation = { kind: 'capacity', desired, floor };
  const changed = !current || current.desired !== desired || current.floor !== floor;
  const actions: Action[] = changed ? [{ type: 'set-capacity', desired, floor }] : [];
  if (!changed) reasons.push('no-change');
  let why: string;
  if (proposal.overrideLabel) why = proposal.overrideLabel + outranks(candidates, undefined, undefined);
  else if (winner) why = winner.label + winner.detail + outranks(candidates, winner, held);
  else if (held) why = held.label + held.detail + outranks(candidates, held, undefined);
  else why = proposal.noDemandWhy!;
  const manage = kindTraits(ctx.target.resource.kind).manage;
  const floorManaged = manage !== undefined && isFloorManaged(ctx.target);
  // Floor-managed: the decision says who owns what (Drivetrain the floor, the resource's policies the rest).
  if (floorManaged) notes.push(`${manage.capacityField} stays with the resource's own scaling policies`);
  const verb = floorManaged ? `${manage.floorField} ` : '';
  const head =
    currentDesired === undefined
      ? `${floorManaged ? 'floor' : 'set'} ${verb}${desired}`
      : currentDesired === desired
        ? `hold ${verb}${desired}`
        : `${floorManaged ? 'floor' : 'scale'} ${verb}${currentDesired}→${desired}`;
  const floorPart = floorManaged
    ? ''
    : current === undefined
      ? ` (floor ${floor})`
      : current.floor !== floor
        ? ` (floor ${current.floor}→${floor})`
        : '';
  const summary = notes.length ? `${head}${floorPart}: ${why}; ${notes.join('; ')}` : `${head}${floorPart}: ${why}`;
  const winnerName = proposal.overrideWinner ?? winner?.label ?? held?.label;
  return finish(
    ctx.target,
    ctx.state,
    ctx.now,
    current,
    allocation,
    actions,
    reasons,
    summary,
    winnerName,
    ctx.considered,
  );
}

/** ` outranks a, b, c, 2 more` over the distinct losing driver names (the held one is named in a note). */
function outranks(
  candidates: readonly Candidate[],
  winner: Candidate | undefined,
  held: Candidate | undefined,
): string {
  const labels: string[] = [];
  for (const c of candidates) {
    if (c.label === winner?.label || c.label === held?.label || labels.includes(c.label)) continue;
    labels.push(c.label);
  }
  if (labels.length === 0) return '';
  if (labels.length > 4) return ` outranks ${labels.slice(0, 3).join(', ')}, ${labels.length - 3} more`;
  return ` outranks ${labels.join(', ')}`;
}
