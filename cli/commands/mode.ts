/**
 * `pause|resume|shadow|enforce <target>`: the kill switch and the promotion from shadow. Against AWS the
 * change is a SigV4-signed request to the operator endpoint, which checks the caller AWS verified against
 * the target's operatorPrincipals and records that caller on the decision; there is no flag naming who.
 * With --local (the demo's DynamoDB Local has no AWS identity) the change is written directly and recorded
 * as an unverified local operator.
 */
import { hostname } from 'node:os';
import { changeMode, type ModeChange, type ModeVerb } from '../../functions/app/mode';
import { stringOption } from '../args';
import type { Command } from '../command';
import type { Context } from '../context';
import { CommandError, EXIT, UsageError, type ExitCode } from '../errors';
import { refusalLines } from '../operator-client';

export { modeBeforePause } from '../../functions/app/mode';

/** Who a --local mode change is recorded under: a note for the demo, marked unverified, never an identity. */
function localOperator(context: Context): string {
  const user = context.io.env.USER ?? context.io.env.USERNAME ?? 'unknown';
  return `local:${user}@${hostname()} (unverified: DynamoDB Local has no AWS identity)`;
}

async function requestChange(context: Context, verb: ModeVerb, targetId: string, reason: string): Promise<ModeChange> {
  const reply = await context.operator(`asking the operator endpoint to ${verb} ${targetId}`, {
    action: 'set-mode',
    targetId,
    verb,
    reason,
  });
  if (reply.status !== 200)
    throw new CommandError(
      `the operator endpoint refused to ${verb} ${targetId} (HTTP ${reply.status}):`,
      refusalLines(reply.body),
    );
  return reply.body as unknown as ModeChange;
}

function modeCommand(verb: ModeVerb, summary: string, description: string): Command {
  return {
    name: verb,
    synopsis: `${verb} <target> --reason TEXT`,
    summary,
    description: `${description}\nAgainst AWS the change goes to the operator endpoint (--operator-url), signed with your AWS credentials: the caller AWS verifies must be in the target's operatorPrincipals, and is what the decision records.`,
    options: {
      reason: { type: 'string', short: 'r', value: 'TEXT', description: 'why (required; recorded on the decision)' },
      'operator-url': {
        type: 'string',
        value: 'URL',
        description: 'operator endpoint (env DRIVETRAIN_OPERATOR_URL; stack output OperatorEndpointUrl)',
      },
    },
    positionals: [{ name: 'target', required: true, description: 'target id from the config' }],
    examples: [
      `drivetrain ${verb} web-asg --reason "${verb === 'pause' ? 'INC-4821: scaling loop' : verb === 'enforce' ? 'shadow week looked right' : 'INC-4821 resolved'}"`,
    ],
    async run(context: Context): Promise<ExitCode> {
      const reason = stringOption(context.parsed, 'reason');
      if (reason === undefined || !reason.trim())
        throw new UsageError('--reason is required: a mode change without a why is an audit gap', verb);
      const target = await context.target(context.parsed.positionals[0]!);
      let change: ModeChange;
      if (context.local) {
        const store = await context.decisionStore();
        change = await context.aws(`recording ${verb} of ${target.id}`, () =>
          changeMode(store, target, verb, { by: localOperator(context), reason }, context.now()),
        );
      } else {
        change = await requestChange(context, verb, target.id, reason);
      }
      if (!change.changed) return unchanged(context, change.targetId, change.mode, change.message);
      if (context.json) {
        context.outJson({
          changed: true,
          targetId: target.id,
          from: change.from,
          to: change.to,
          decision: change.record,
        });
        return EXIT.ok;
      }
      const by = change.record.actor?.by ?? '(unknown)';
      context.out(
        `${target.id}: ${change.from} → ${change.to}${change.because}\nrecorded as ${change.record.decisionId} by ${by}: ${reason}\n`,
      );
      if (change.to === 'enforce') context.out('decisions are now applied to the resource from the next tick\n');
      if (change.to === 'paused')
        context.out('decisions are still recorded but nothing is applied until resume/enforce\n');
      return EXIT.ok;
    },
  };
}

function unchanged(context: Context, targetId: string, mode: string, message: string): ExitCode {
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
export const shadowCommand = modeCommand(
  'shadow',
  'decide and record, but do not apply (shadow mode)',
  'Use it to try a new policy against real drivers.',
);
export const enforceCommand = modeCommand(
  'enforce',
  'promote a target: apply its decisions to the resource',
  'Check `drivetrain decisions --target ID` in shadow first.',
);
