/**
 * `pause|resume|shadow|enforce <target>`: the kill switch and the promotion from shadow. Each change is a
 * decision in the audit trail with who and why, written through the decision store (which retries a race
 * with a running tick, so the kill switch does not fail when it is needed most).
 */
import { hostname } from 'node:os';
import { effectiveMode } from '../../functions/domain/engine';
import type { Target, TargetMode } from '../../functions/domain/model';
import type { DecisionStore } from '../../functions/ports';
import { stringOption } from '../args';
import type { Command } from '../command';
import type { Context } from '../context';
import { EXIT, UsageError, type ExitCode } from '../errors';
import { isoSeconds, relative } from '../format';

/** Env var naming the operator recorded on mode changes (what `--by` sets). */
export const OPERATOR_ENV = 'DRIVETRAIN_OPERATOR';
/** How far back `resume` looks for the mode in force before the pause. */
const RESUME_LOOKBACK = 200;

type Verb = 'pause' | 'resume' | 'shadow' | 'enforce';

/**
 * The mode `resume` returns to: the one in force before the pause, read from the audit trail (mode changes
 * and ticks record the mode they ran in), else the configured mode; never `paused`, and `shadow` when the
 * config itself says paused, because resuming straight into enforce must be a deliberate `enforce`.
 */
export async function modeBeforePause(store: DecisionStore, target: Target): Promise<{ mode: TargetMode; from: string }> {
  const history = await store.list(target.id, { limit: RESUME_LOOKBACK });
  const before = history.find((r) => r.mode !== 'paused');
  if (before) return { mode: before.mode, from: `in force before the pause, per ${before.decisionId}` };
  if (target.mode !== 'paused') return { mode: target.mode, from: 'the configured mode' };
  return { mode: 'shadow', from: 'the configured mode is paused: resuming into shadow, use `enforce` to apply' };
}

function operator(context: Context): string {
  const by = stringOption(context.parsed, 'by') ?? context.io.env[OPERATOR_ENV] ?? (context.io.env.USER ? `${context.io.env.USER}@${hostname()}` : undefined);
  if (!by?.trim()) throw new UsageError(`who is making this change? pass --by NAME (or set ${OPERATOR_ENV})`, context.command);
  return by;
}

function modeCommand(verb: Verb, summary: string, description: string): Command {
  return {
    name: verb,
    synopsis: `${verb} <target> --reason TEXT`,
    summary,
    description,
    options: {
      reason: { type: 'string', short: 'r', value: 'TEXT', description: 'why (required; recorded on the decision)' },
      by: { type: 'string', value: 'NAME', description: `who (default: ${OPERATOR_ENV}, else $USER@host)` },
    },
    positionals: [{ name: 'target', required: true, description: 'target id from the config' }],
    examples: [`drivetrain ${verb} web-asg --reason "${verb === 'pause' ? 'INC-4821: scaling loop' : verb === 'enforce' ? 'shadow week looked right' : 'INC-4821 resolved'}"`],
    async run(context: Context): Promise<ExitCode> {
      const reason = stringOption(context.parsed, 'reason');
      if (reason === undefined || !reason.trim()) throw new UsageError('--reason is required: a mode change without a why is an audit gap', verb);
      const by = operator(context);
      const target = await context.target(context.parsed.positionals[0]!);
      const store = await context.decisionStore();
      const state = await context.aws(`reading state of ${target.id}`, () => store.getState(target.id));
      const current = effectiveMode(target, state);
      let mode: TargetMode;
      let because = '';
      if (verb === 'resume') {
        if (current !== 'paused') return unchanged(context, target.id, current, `${target.id} is not paused (mode ${current}); nothing to resume`);
        const previous = await context.aws(`reading the history of ${target.id}`, () => modeBeforePause(store, target));
        mode = previous.mode;
        because = ` (${previous.from})`;
      } else {
        mode = verb === 'pause' ? 'paused' : verb;
        if (current === mode) {
          const since = state?.modeOverride ? ` since ${isoSeconds(state.modeOverride.at)} (${relative(context.now(), state.modeOverride.at)}) by ${state.modeOverride.by}: ${state.modeOverride.reason}` : ' (configured)';
          return unchanged(context, target.id, current, `${target.id} is already ${mode}${since}; nothing recorded`);
        }
      }
      const record = await context.aws(`recording ${verb} of ${target.id}`, () => store.setMode(target.id, mode, { by, reason }, context.now()));
      if (context.json) {
        context.outJson({ changed: true, targetId: target.id, from: current, to: mode, decision: record });
        return EXIT.ok;
      }
      context.out(`${target.id}: ${current} → ${mode}${because}\nrecorded as ${record.decisionId} by ${by}: ${reason}\n`);
      if (mode === 'enforce') context.out('decisions are now applied to the resource from the next tick\n');
      if (mode === 'paused') context.out('decisions are still recorded but nothing is applied until resume/enforce\n');
      return EXIT.ok;
    },
  };
}

function unchanged(context: Context, targetId: string, mode: TargetMode, message: string): ExitCode {
  if (context.json) context.outJson({ changed: false, targetId, mode });
  else context.out(`${message}\n`);
  return EXIT.ok;
}

export const pauseCommand = modeCommand(
  'pause',
  'kill switch: stop applying decisions to a target (still recorded)',
  'Decisions keep being made and recorded (status skipped) so you can see what would have happened.',
);
export const resumeCommand = modeCommand(
  'resume',
  'undo a pause: back to the mode in force before it',
  'Returns to the mode recorded before the pause (shadow or enforce). Use `shadow` or `enforce` to choose.',
);
export const shadowCommand = modeCommand('shadow', 'decide and record, but do not apply (shadow mode)', 'Use it to try a new policy against real drivers.');
export const enforceCommand = modeCommand('enforce', 'promote a target: apply its decisions to the resource', 'Check `drivetrain decisions --target ID` in shadow first.');
