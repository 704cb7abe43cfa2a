/**
 * Allocation equality: the one definition the reconcile service, the stores and the tests share, so "the
 * plan is in place" means the same thing everywhere.
 */
import type { Allocation } from './model';

/** Same capacity and floor, or the same weight for every endpoint (and no other endpoints). */
export function sameAllocation(a: Allocation, b: Allocation): boolean {
  if (a.kind === 'capacity' && b.kind === 'capacity') return a.desired === b.desired && a.floor === b.floor;
  if (a.kind !== 'weights' || b.kind !== 'weights') return false;
  const ids = Object.keys(b.weights);
  return ids.length === Object.keys(a.weights).length && ids.every((id) => a.weights[id] === b.weights[id]);
}
