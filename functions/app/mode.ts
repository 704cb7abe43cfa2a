/**
 * Operator mode changes (pause/resume/shadow/enforce): the kill switch and the promotion from shadow. One
 * implementation for the operator endpoint (verified caller) and the CLI's `--local` demo path; each change
 * is a decision in the audit trail with who and why, written through the decision store (which retries a
 * race with a running tick, so the kill switch does not fail when it is needed most).
 */
import { effectiveMode } from '../domain/engine';
import type { Target, TargetMode } from '../domain/model';
import type { DecisionRecord, DecisionStore } from '../ports';

export const MODE_VERBS = ['pause', 'resume', 'shadow', 'enforce'] as const;
export type ModeVerb = (typeof MODE_VERBS)[number];

/** How far back `resume` looks for the mode in force before the pause. */
const RESUME_LOOKBACK = 200;

/**
 * The mode `resume` returns to: the one in force before the pause, read from the audit trail (mode changes
 * and ticks record the mode they ran in), else the configured mode; never `paused`, and `shadow` when the
 * config itself says paused, because resuming straight into enforce must be a deliberate `enforce`.
 */
export async function modeBeforePause(
  store: DecisionStore,
  target: Target,
): Promise<{ mode: TargetMode; from: string }> {
  const history = await store.list(target.id, { limit: RESUME_LOOKBACK });
  const before = history.find((r) => r.mode !== 'paused');
  if (before) return { mode: before.mode, from: `in force before the pause, per ${before.decisionId}` };
  if (target.mode !== 'paused') return { mode: target.mode, from: 'the configured mode' };
  return { mode: 'shadow', from: 'the configured mode is paused: resuming into shadow, use `enforce` to apply' };
}

export type ModeChange =
  | { changed: false; targetId: string; mode: TargetMode; message: string }
  | { changed: true; targetId: string; from: TargetMode; to: TargetMode; because: string; record: DecisionRecord };

export async function changeMode(
  store: DecisionStore,
  target: Target,
  verb: ModeVerb,
  actor: { by: string; reason: string },
  now: number,
): Promise<ModeChange> {
  const state = await store.getState(target.id);
  const current = effectiveMode(target, state);
  let mode: TargetMode;
  let because = '';
  if (verb === 'resume') {
    if (current !== 'paused')
      return {
        changed: false,
        targetId: target.id,
        mode: current,
        message: `${target.id} is not paused (mode ${current}); nothing to resume`,
      };
    const previous = await modeBeforePause(store, target);
    mode = previous.mode;
    because = ` (${previous.from})`;
  } else {
    mode = verb === 'pause' ? 'paused' : verb;
    if (current === mode) {
      const since = state?.modeOverride
        ? ` since ${new Date(state.modeOverride.at * 1000).toISOString().replace('.000Z', 'Z')} by ${state.modeOverride.by}: ${state.modeOverride.reason}`
        : ' (configured)';
      return {
        changed: false,
        targetId: target.id,
        mode: current,
        message: `${target.id} is already ${mode}${since}; nothing recorded`,
      };
    }
  }
  const record = await store.setMode(target.id, mode, actor, now);
  return { changed: true, targetId: target.id, from: current, to: mode, because, record };
}
