/**
 * Replays drivers through the real decision engine (`decide`) in virtual time against a simulated fleet,
 * feeding the state back the way the pipeline does: a driver becomes visible when it is observed, the
 * store keeps the newest observation of each driver instance and hides expired ones, an applied decision
 * moves `current` and the change times, a failed one leaves the state alone.
 *
 * Used by `drivetrain replay` (local/replay/index.ts) and by the benchmark's Drivetrain strategy, so what
 * the benchmark measures is exactly what a replay shows.
 */
import { decide, type EngineTarget } from '../../functions/domain/engine';
import type { MetricHistory } from '../../functions/domain/history';
import type {
  Action,
  Allocation,
  Decision,
  Driver,
  ReasonCode,
  Target,
  TargetState,
} from '../../functions/domain/model';
import { VirtualClock } from '../simulator/clock';
import { SimulatedFleet, type FleetCall } from '../simulator/fleet';
import { simulatorModel, type TimelineSample } from '../simulator/models';

export type ReplayStatus = 'applied' | 'failed' | 'shadow' | 'paused';

export interface ReplayDecision {
  at: number;
  targetId: string;
  status: ReplayStatus;
  summary: string;
  desired: Allocation;
  previous: Allocation | undefined;
  reasons: ReasonCode[];
  actions: Action[];
  winner?: string;
  error?: string;
}

export type { TimelineSample } from '../simulator/models';

export interface TargetSimulation {
  target: Target;
  /** Decisions that changed (or tried to change) the allocation, oldest first. */
  decisions: ReplayDecision[];
  /** One sample per step. */
  timeline: TimelineSample[];
  /** Evaluations whose answer was "hold". */
  holds: number;
  finalState: TargetState | undefined;
}

export interface SimulationInput {
  targets: readonly Target[];
  /** Every observation, in any order; each becomes visible at its observedAt. */
  drivers: readonly Driver[];
  from: number;
  /** Exclusive. */
  to: number;
  stepSeconds: number;
  instanceWarmupSeconds?: number;
  provisionedConcurrencyReadySeconds?: number;
  /**
   * Replay asks "what would this policy have done", so by default every target is evaluated as if it were
   * enforced; with respectModes a shadow/paused target records its decisions without moving.
   */
  respectModes?: boolean;
  /** Called after each step (progress, pacing). */
  onStep?: (t: number, step: number, steps: number) => void | Promise<void>;
}

export interface SimulationResult {
  targets: TargetSimulation[];
  calls: FleetCall[];
  evaluations: number;
  fleet: SimulatedFleet;
}

export async function simulate(input: SimulationInput): Promise<SimulationResult> {
  const { from, to, stepSeconds } = input;
  if (!(stepSeconds > 0)) throw new RangeError(`stepSeconds must be positive, got ${stepSeconds}`);
  if (!(to > from)) throw new RangeError(`replay window is empty: from ${from} to ${to}`);
  const targets = input.targets.map((target) =>
    input.respectModes ? target : { ...target, mode: 'enforce' as const },
  );
  const drivers = [...input.drivers].sort((a, b) => a.observedAt - b.observedAt);
  const store = new DriverReplayStore();
  // The metrics' own past, as CloudWatch would return it: what the engine may use for stability and forecasts.
  const history = new MetricHistoryRecorder(stepSeconds);
  let next = 0;
  const ingestUntil = (t: number) => {
    while (next < drivers.length && drivers[next]!.observedAt <= t) {
      const driver = drivers[next++]!;
      store.put(driver);
      if (driver.kind === 'metric') history.record(driver.name, driver.observedAt - stepSeconds, driver.signal.value);
    }
  };
  const inputs = { history: history.histories };

  // The fleet starts at the allocation the policy asks for at `from`, already warm: a replay measures the
  // policy's reaction to what happens next, not a cold start nobody runs production from.
  ingestUntil(from);
  const sims: TargetSimulation[] = targets.map((target) => ({
    target,
    decisions: [],
    timeline: [],
    holds: 0,
    finalState: undefined,
  }));
  const states = new Map<string, TargetState | undefined>();
  const clock = new VirtualClock(from);
  const fleet = new SimulatedFleet({
    now: clock.now,
    instanceWarmupSeconds: input.instanceWarmupSeconds,
    provisionedConcurrencyReadySeconds: input.provisionedConcurrencyReadySeconds,
  });
  targets.forEach((target, i) => {
    const decision = decide(target, store.live(target.id, from), undefined, from, inputs);
    seedResource(fleet, target, decision.desired);
    const adopted = record(sims[i]!, decision, 'applied');
    states.set(target.id, advanceState(undefined, decision, from, adopted.status));
  });

  // Evaluate on the step grid (the scheduled tick) and whenever a driver arrives (ingest decides at once).
  const grid: number[] = [];
  for (let t = from; t < to; t += stepSeconds) grid.push(t);
  const eventTimes = drivers.map((d) => d.observedAt).filter((t) => t > from && t < to);
  const times = [...new Set([...grid, ...eventTimes])].sort((a, b) => a - b);
  const onGrid = new Set(grid);
  let evaluations = targets.length;
  let step = 0;
  for (const t of times) {
    if (t > from) {
      clock.advanceTo(t);
      ingestUntil(t);
      for (let i = 0; i < targets.length; i++) {
        const target = targets[i]!;
        const state = states.get(target.id);
        const decision = decide(target, store.live(target.id, t), state, t, inputs);
        evaluations++;
        if (decision.actions.length === 0) {
          sims[i]!.holds++;
          continue;
        }
        let status: ReplayStatus;
        let error: string | undefined;
        if (!decision.apply) {
          status = decision.mode === 'paused' ? 'paused' : 'shadow';
        } else {
          try {
            for (const action of decision.actions) applyAction(fleet, target, action);
            status = 'applied';
          } catch (cause) {
            status = 'failed';
            error = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
          }
        }
        record(sims[i]!, decision, status, error);
        states.set(target.id, advanceState(state, decision, t, status));
      }
    }
    if (onGrid.has(t)) {
      for (let i = 0; i < targets.length; i++)
        sims[i]!.timeline.push(sample(fleet, targets[i]!, states.get(targets[i]!.id), t));
      await input.onStep?.(t, ++step, grid.length);
    }
  }
  for (const sim of sims) sim.finalState = states.get(sim.target.id);
  return { targets: sims, calls: fleet.calls, evaluations, fleet };
}

/** Creates the target's resource already running `allocation` (warm instances, READY concurrency). */
function seedResource(fleet: SimulatedFleet, target: Target, allocation: Allocation): void {
  simulatorModel(target.resource).seed(fleet, target.resource, target.policy, allocation);
}

function record(sim: TargetSimulation, decision: Decision, status: ReplayStatus, error?: string): ReplayDecision {
  const entry: ReplayDecision = {
    at: decision.at,
    targetId: decision.targetId,
    status,
    summary: decision.summary,
    desired: decision.desired,
    previous: decision.current,
    reasons: decision.reasons,
    actions: decision.actions,
  };
  if (decision.winner) entry.winner = decision.winner;
  if (error) entry.error = error;
  sim.decisions.push(entry);
  return entry;
}

/** What DecisionStore.record + markOutcome do to the state, in memory. */
export function advanceState(
  state: TargetState | undefined,
  decision: Decision,
  now: number,
  status: ReplayStatus,
): TargetState {
  const version = (state?.version ?? 0) + 1;
  const nextState: TargetState = {
    ...(state ?? { targetId: decision.targetId }),
    targetId: decision.targetId,
    version,
  };
  if (status !== 'applied') return nextState;
  const before = state?.current?.kind === 'capacity' ? state.current.desired : undefined;
  nextState.current = decision.desired;
  nextState.lastChangeAt = now;
  if (decision.desired.kind === 'capacity' && before !== undefined) {
    if (decision.desired.desired > before) nextState.lastScaleUpAt = now;
    if (decision.desired.desired < before) nextState.lastScaleDownAt = now;
  }
  return nextState;
}

/** Applies one action to the simulated resource the way the executors do (floor → MinSize, 0 → delete). */
export function applyAction(fleet: SimulatedFleet, target: Pick<Target, 'resource'>, action: Action): void {
  const { resource } = target;
  if (!simulatorModel(resource).apply(fleet, resource, action))
    throw new TypeError(`action ${action.type} does not apply to a ${resource.kind} target`);
}

function sample(
  fleet: SimulatedFleet,
  target: EngineTarget,
  state: TargetState | undefined,
  t: number,
): TimelineSample {
  return simulatorModel(target.resource).sample(fleet, target.resource, state?.current, t);
}

/** The driver store's read semantics, in memory: newest observation per driver instance, expired ones hidden. */
export class DriverReplayStore {
  readonly #byId = new Map<string, Driver>();

  put(driver: Driver): void {
    const stored = this.#byId.get(driver.id);
    // A late (older) observation never replaces a newer one: the real store refuses it as out-of-order.
    if (stored && stored.observedAt > driver.observedAt) return;
    this.#byId.set(driver.id, driver);
  }

  live(targetId: string, now: number): Driver[] {
    const result: Driver[] = [];
    for (const driver of this.#byId.values())
      if (driver.expiresAt > now && driver.targets.includes(targetId)) result.push(driver);
    return result;
  }
}

/**
 * Per metric driver, one datapoint per period (the snapshot's value for the period that ends when it is
 * observed), gaps as NaN: the same shape GetMetricData returns. A later snapshot of a period replaces it.
 */
export class MetricHistoryRecorder {
  readonly histories: Record<string, MetricHistory & { values: number[] }> = {};

  constructor(readonly stepSeconds: number) {}

  record(name: string, periodStart: number, value: number): void {
    let series = this.histories[name];
    if (!series) {
      series = { start: periodStart, stepSeconds: this.stepSeconds, values: [] };
      this.histories[name] = series;
    }
    const index = Math.round((periodStart - series.start) / this.stepSeconds);
    if (index < 0) return; // older than the series: a late duplicate of a period already recorded
    while (series.values.length < index) series.values.push(Number.NaN);
    series.values[index] = value;
  }
}
