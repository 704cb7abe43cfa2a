/**
 * Routing targets (Route 53 weighted records), as a chain of named pure steps:
 *   collectDrainAlarms → (precedence) overrideWeights | drainWeights → explainRouting
 * Min shares are guardrails inside every path (shareWeights); overrides outrank drain alarms.
 */
import {
  clockTime,
  consider,
  finish,
  formatDuration,
  indexRules,
  overrideRuleLabel,
  activeSchedule,
  ROUTING_WEIGHT_TOTAL,
  ruleLabel,
  screen,
  type EngineTarget,
  type LiveDriver,
  type RuleIndex,
  type Screened,
} from './decision-common';
import type {
  Action,
  ConsideredDriver,
  Decision,
  Driver,
  ReasonCode,
  RoutingEndpoint,
  ScheduledOverride,
  TargetState,
  WeightsAllocation,
} from './model';
import { routingEndpoints } from './target-kinds';

/** What every routing step reads and appends to. */
export interface RoutingContext {
  target: EngineTarget;
  endpoints: readonly RoutingEndpoint[];
  rules: RuleIndex;
  now: number;
  state: TargetState | undefined;
  current: WeightsAllocation | undefined;
  considered: ConsideredDriver[];
  reasons: ReasonCode[];
  notes: string[];
}

/** Drain alarms: which are firing (name → indices of its firing drivers), since when each has been quiet. */
export interface DrainAlarms {
  firing: Map<string, number[]>;
  firingNames: string[];
  quietSince: Map<string, number>;
}

/** The weights a routing step settled on, and what the summary says about them. */
export interface RoutingOutcome {
  weights: Record<string, number>;
  overrideLabel?: string;
  winner?: string;
  drained: string[];
  restored: string[];
  delayed: string[];
}

export function decideRouting(
  target: EngineTarget,
  drivers: readonly Driver[],
  state: TargetState | undefined,
  now: number,
): Decision {
  const endpoints = routingEndpoints(target.resource);
  if (!endpoints) throw new TypeError(`target ${target.id} is not a routing target`);
  const rules = indexRules(target);
  const { considered, live, override } = screen(target, drivers, now, rules);
  const current = state?.current?.kind === 'weights' ? state.current : undefined;
  const ctx: RoutingContext = {
    target,
    endpoints,
    rules,
    now,
    state,
    current,
    considered,
    reasons: [],
    notes: [],
  };
  const alarms = collectDrainAlarms(ctx, live);
  const schedule = override ? undefined : activeSchedule(target.policy, now);
  const outcome = override || schedule ? overrideWeights(ctx, alarms, override, schedule) : drainWeights(ctx, alarms);
  return explainRouting(ctx, alarms, outcome);
}

/** Step 1: every drain alarm's state; stale ones are set aside, INSUFFICIENT_DATA counts as quiet. */
export function collectDrainAlarms(ctx: RoutingContext, live: readonly LiveDriver[]): DrainAlarms {
  const { considered, rules, now, endpoints } = ctx;
  const firing = new Map<string, number[]>();
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
      considered[index] = consider(
        driver,
        'used',
        label,
        `${driver.signal.alarmName} in ALARM: drains ${drainedBy(endpoints, driver.name).join(', ')}`,
      );
      continue;
    }
    // INSUFFICIENT_DATA counts as quiet: a drained endpoint takes no traffic, so its error alarm often has
    // no data at all; treating that as firing would keep the endpoint drained forever.
    if (driver.signal.state === 'OK') {
      freshDrainDrivers++;
      considered[index] = consider(driver, 'alarm-ok', label, `${driver.signal.alarmName} is OK`);
    } else
      considered[index] = consider(
        driver,
        'insufficient-data',
        label,
        `${driver.signal.alarmName} has insufficient data`,
      );
    const quiet = quietSince.get(driver.name);
    if (quiet === undefined || driver.observedAt > quiet) quietSince.set(driver.name, driver.observedAt);
  }
  for (const { driver, index } of live) {
    if (considered[index] === undefined)
      considered[index] = consider(driver, 'no-rule', undefined, 'routing targets use drain alarms and overrides only');
  }
  if (rules.drainDrivers.size > 0 && freshDrainDrivers === 0) {
    ctx.reasons.push('fallback-stale-drivers');
    ctx.notes.push('no fresh drain alarm');
  }
  return { firing, firingNames: [...firing.keys()].sort(), quietSince };
}

function configuredWeights(endpoints: readonly RoutingEndpoint[]): Record<string, number> {
  const configured: Record<string, number> = {};
  for (const e of endpoints) configured[e.setIdentifier] = e.weight;
  return configured;
}

/** Step 2a (precedence): an override or a scheduled freeze outranks drain alarms, not min shares. */
export function overrideWeights(
  ctx: RoutingContext,
  alarms: DrainAlarms,
  override: Screened['override'],
  schedule: ScheduledOverride | undefined,
): RoutingOutcome {
  const { endpoints, reasons, notes, considered, current } = ctx;
  const configured = configuredWeights(endpoints);
  let pinned: Record<string, number> | undefined;
  let overrideLabel: string;
  let winner: string;
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
    const detail = `${signal.action}: ${override.driver.reason} (expires in ${formatDuration(override.driver.expiresAt - ctx.now)})`;
    considered[override.index] = consider(
      override.driver,
      'won',
      overrideRuleLabel(ctx.rules, override.driver),
      detail,
    );
  } else {
    overrideLabel = `schedule ${schedule!.name}`;
    winner = `schedule:${schedule!.name}`;
    // A scheduled pin carries a count, which means nothing to weights: it freezes like a scheduled freeze.
    reasons.push(schedule!.action === 'pin' ? 'scheduled-pin' : 'scheduled-freeze');
  }
  for (const name of alarms.firingNames)
    for (const index of alarms.firing.get(name)!) considered[index]!.outcome = 'lost-precedence';
  let weights: Record<string, number>;
  if (pinned) {
    weights = shareWeights(endpoints, pinned, undefined, reasons);
  } else if (current) {
    weights = { ...current.weights };
    // A freeze holds the weights it finds, but guardrails outrank overrides: weights below a minimum share
    // (an endpoint left drained, an edit made outside Drivetrain) are lifted as a pin would be.
    const total = Object.values(weights).reduce((sum, w) => sum + w, 0);
    if (
      endpoints.some(
        (e) => e.minShare > 0 && (total === 0 || (weights[e.setIdentifier] ?? 0) / total < e.minShare - 1e-9),
      )
    ) {
      weights = shareWeights(endpoints, current.weights, undefined, reasons);
      reasons.push('min-share-enforced'); // also when all-zero weights were shared out equally (deduped at the end)
      notes.push('frozen weights lifted to the minimum shares');
    }
  } else {
    notes.push('no current weights to freeze: configured weights');
    weights = shareWeights(endpoints, configured, undefined, reasons);
  }
  return { weights, overrideLabel, winner, drained: [], restored: [], delayed: [] };
}

/** Which endpoints stay drained: firing alarms drain; a drained endpoint returns after restoreAfterSeconds quiet. */
export function planDrains(
  ctx: RoutingContext,
  alarms: DrainAlarms,
): { isDrained: Set<string>; drained: string[]; restored: string[]; delayed: string[]; delayedNotes: string[] } {
  const { endpoints, current, state, now } = ctx;
  const isDrained = new Set<string>();
  const drained: string[] = [];
  const restored: string[] = [];
  const delayed: string[] = [];
  const delayedNotes: string[] = [];
  for (const e of endpoints) {
    if (e.drainOn.some((name) => alarms.firing.has(name))) {
      isDrained.add(e.setIdentifier);
      drained.push(e.setIdentifier);
      continue;
    }
    // Hysteresis: an endpoint an alarm drained (weight 0 now, traffic when healthy) comes back only after
    // its drain alarms have been quiet for restoreAfterSeconds. Measured from the alarms, not from the
    // last weight change, so an alarm that flaps right after a long drain does not bounce traffic at once.
    const wasDrained =
      current !== undefined &&
      current.weights[e.setIdentifier] === 0 &&
      e.drainOn.length > 0 &&
      (e.weight > 0 || e.minShare > 0);
    if (!wasDrained) continue;
    let quiet: number | undefined;
    for (const name of e.drainOn) {
      const q = alarms.quietSince.get(name);
      if (q !== undefined && (quiet === undefined || q > quiet)) quiet = q;
    }
    quiet ??= state?.lastChangeAt;
    const left = quiet === undefined ? 0 : ctx.target.policy.routing.restoreAfterSeconds - (now - quiet);
    if (left > 0) {
      isDrained.add(e.setIdentifier);
      delayed.push(e.setIdentifier);
      delayedNotes.push(`${e.setIdentifier} stays drained until ${clockTime(now + left)}`);
    } else {
      restored.push(e.setIdentifier);
    }
  }
  return { isDrained, drained, restored, delayed, delayedNotes };
}

/** Step 2b (demand): drain alarms set weights; never drain everything (fail open); min shares still hold. */
export function drainWeights(ctx: RoutingContext, alarms: DrainAlarms): RoutingOutcome {
  const { endpoints, reasons, notes, considered } = ctx;
  const { isDrained, drained, restored, delayed, delayedNotes } = planDrains(ctx, alarms);
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
    for (const name of alarms.firingNames) {
      for (const index of alarms.firing.get(name)!) {
        const entry = considered[index]!;
        entry.outcome = 'lost-precedence';
        entry.detail = `${entry.detail}; not applied: every endpoint is in ALARM (fail open)`;
      }
    }
    return {
      weights: shareWeights(endpoints, configuredWeights(endpoints), undefined, reasons),
      drained: [],
      restored,
      delayed,
    };
  }
  if (drained.length) reasons.push('endpoint-drained');
  const weights = shareWeights(endpoints, configuredWeights(endpoints), isDrained, reasons);
  for (let r = restored.length - 1; r >= 0; r--) if (weights[restored[r]!] === 0) restored.splice(r, 1);
  if (restored.length) reasons.push('endpoint-restored');
  let winner: string | undefined;
  if (alarms.firingNames.length) {
    winner = alarms.firingNames[0];
    for (const index of alarms.firing.get(winner!)!) considered[index]!.outcome = 'won';
  }
  return { weights, ...(winner ? { winner } : {}), drained, restored, delayed };
}

/** Step 3: the action (only when weights change) and the one-line summary. */
export function explainRouting(ctx: RoutingContext, alarms: DrainAlarms, outcome: RoutingOutcome): Decision {
  const { current, reasons, notes } = ctx;
  const { weights, overrideLabel, drained, restored, delayed } = outcome;
  const desired: WeightsAllocation = { kind: 'weights', weights };
  const changed = !current || !sameWeights(current.weights, weights);
  const actions: Action[] = changed ? [{ type: 'set-weights', weights }] : [];
  if (!changed) reasons.push('no-change');
  const head = changed
    ? `route ${describeWeights(current?.weights, weights)}`
    : `hold ${describeWeights(undefined, weights)}`;
  const firing = alarms.firingNames;
  let why: string;
  if (overrideLabel) why = firing.length ? `${overrideLabel} outranks ${firing.join(', ')}` : overrideLabel;
  else if (drained.length) why = `${firing.join(', ')} in ALARM drained ${drained.join(', ')}`;
  else if (restored.length) why = `restored ${restored.join(', ')}`;
  else if (delayed.length) why = `${delayed.join(', ')} recovering`;
  else why = 'configured weights';
  const summary = notes.length ? `${head}: ${why}; ${notes.join('; ')}` : `${head}: ${why}`;
  return finish(
    ctx.target,
    ctx.state,
    ctx.now,
    current,
    desired,
    actions,
    reasons,
    summary,
    outcome.winner,
    ctx.considered,
  );
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
  const { share, pinned } = waterFill(open, requested);
  const lifted = roundToTotal(open, share, result);
  if (pinned || lifted) reasons.push('min-share-enforced');
  return result;
}

/** Shares (0-1): endpoints below their minimum pinned to it, the remainder in proportion among the rest. */
function waterFill(
  open: readonly { setIdentifier: string; minShare: number }[],
  requested: Record<string, number>,
): { share: Map<string, number>; pinned: boolean } {
  const allZero = open.every((e) => !(requested[e.setIdentifier]! > 0));
  const weightOf = (id: string) => (allZero ? 1 : Math.max(0, requested[id] ?? 0));
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
  return { share, pinned: pinned.size > 0 };
}

/**
 * Largest-remainder rounding to ROUTING_WEIGHT_TOTAL (ties by id, so the result is order-independent), then
 * lifts any endpoint that rounding left below its minimum, taking from those with the most room. Writes into
 * `result`; true when a minimum had to be lifted.
 */
function roundToTotal(
  open: readonly { setIdentifier: string; minShare: number }[],
  share: Map<string, number>,
  result: Record<string, number>,
): boolean {
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
  let lifted = false;
  for (const r of raw) {
    while (result[r.id]! < r.needed) {
      let donor: (typeof raw)[number] | undefined;
      for (const d of raw) {
        if (d === r || result[d.id]! <= d.needed) continue;
        if (!donor || result[d.id]! > result[donor.id]! || (result[d.id] === result[donor.id] && d.id < donor.id))
          donor = d;
      }
      if (!donor) break;
      result[donor.id]! -= 1;
      result[r.id]! += 1;
      lifted = true;
    }
  }
  return lifted;
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
