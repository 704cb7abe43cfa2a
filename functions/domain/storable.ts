/**
 * The last step of every decision: whatever the engine records must be storable. Inputs are range-checked at
 * the edge, but the engine derives numbers from them — a legal snapshot of 1e15 over a `targetPerUnit` of
 * 0.001 asks for 1e18 units — and one number the decision store cannot marshal used to make every record of
 * the target throw for as long as the driver lived, an urgent ALARM included. So a derived number beyond
 * what DynamoDB holds is saturated (functions/domain/numbers.ts) and the entry says so; the allocation itself
 * is already clamped to the policy bounds, which the config holds to safe integers.
 */
import type { ConsideredDriver, Decision } from './model';
import { isStorableNumber, saturate } from './numbers';

export function storableDecision(decision: Decision): Decision {
  let considered: ConsideredDriver[] | undefined;
  decision.considered.forEach((entry, i) => {
    if (entry.demand === undefined || isStorableNumber(entry.demand)) return;
    considered ??= [...decision.considered];
    const demand = saturate(entry.demand);
    const note = `demand ${entry.demand} saturated to ${demand}, the largest the decision store holds`;
    considered[i] = { ...entry, demand, detail: entry.detail ? `${entry.detail}; ${note}` : note };
  });
  return considered ? { ...decision, considered } : decision;
}
