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
 * The deciders are chains of named pure steps (capacity.ts: collect demand → precedence → stabilize →
 * guardrails → explain; routing.ts: drain alarms → precedence → weights → explain). Besides the drivers a
 * decision may get the recent history of its metrics (`DecisionInputs.history`): with it, target tracking
 * gets a dead band sized from the metric's own noise and HPA-style scale-down stabilization, and a metric
 * rule's forecast can pre-warm. Without it, decisions are exactly what they were.
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
import { decideCapacity, type DecisionInputs } from './capacity';
import type { EngineTarget } from './decision-common';
import type { Decision, Driver, TargetState } from './model';
import { decideRouting } from './routing';
import { storableDecision } from './storable';
import { isRoutingTarget } from './target-kinds';

export { budgetCapacity, type DecisionInputs } from './capacity';
export {
  ALARM_STEP_MIN_REPEAT_SECONDS,
  ROUTING_WEIGHT_TOTAL,
  clockTime,
  effectiveMode,
  formatDuration,
  isExpired,
  staleAfter,
  type EngineTarget,
} from './decision-common';
export type { MetricHistories, MetricHistory } from './history';
export { shareWeights } from './routing';

export function decide(
  target: EngineTarget,
  drivers: readonly Driver[],
  state: TargetState | undefined,
  now: number,
  inputs?: DecisionInputs,
): Decision {
  // Saturated last, so no derived number can make the decision unrecordable (functions/domain/storable.ts).
  return storableDecision(
    isRoutingTarget(target)
      ? decideRouting(target, drivers, state, now)
      : decideCapacity(target, drivers, state, now, inputs),
  );
}
