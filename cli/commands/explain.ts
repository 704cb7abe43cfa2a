/**
 * `drivetrain explain <decision-id>`: the full lineage of one decision — every driver considered, the rule
 * that used or ignored it, how precedence settled it, the action and what happened when it was applied.
 */
import type { Action, Allocation, ConsideredDriver } from '../../functions/domain/model';
import { wasApplied, type DecisionRecord } from '../../functions/ports';
import type { Command } from '../command';
import { unknownTarget, type Context } from '../context';
import { outcomeMeaning, outcomeRank, reasonMeaning } from '../describe';
import { CommandError, EXIT, UsageError, type ExitCode } from '../errors';
import { formatDuration } from '../../functions/domain/engine';
import { isoSeconds, relative, renderFields, renderTable } from '../format';

const DECISION_ID = /^(.+):(\d+)$/;

export function describeAllocation(allocation: Allocation | undefined): string | undefined {
  if (!allocation) return undefined;
  if (allocation.kind === 'capacity') return `${allocation.desired} (floor ${allocation.floor})`;
  return Object.entries(allocation.weights)
    .map(([id, w]) => `${id}=${w}`)
    .join(', ');
}

export function describeAction(action: Action): string {
  if (action.type === 'set-capacity') return `set capacity: desired ${action.desired}, floor ${action.floor}`;
  return `set weights: ${Object.entries(action.weights)
    .map(([id, w]) => `${id}=${w}`)
    .join(', ')}`;
}

/** Winner first, then what shaped the decision, then the losers, then what was ignored; stable within a rank. */
export function rankConsidered(considered: readonly ConsideredDriver[]): ConsideredDriver[] {
  return considered
    .map((c, i) => ({ c, i }))
    .sort(
      (a, b) =>
        outcomeRank(a.c.outcome) - outcomeRank(b.c.outcome) || (b.c.demand ?? -1) - (a.c.demand ?? -1) || a.i - b.i,
    )
    .map(({ c }) => c);
}

/** One sentence per driver that did not win, naming what beat it, for the "precedence" section. */
export function precedenceLines(record: DecisionRecord): string[] {
  const ranked = rankConsidered(record.considered);
  const winner = ranked.find((c) => c.outcome === 'won' || c.outcome === 'held-by-cooldown');
  const lines: string[] = [];
  if (winner) {
    const asked = winner.demand !== undefined ? ` asking for ${winner.demand}` : '';
    lines.push(
      `${winner.name} ${winner.outcome === 'won' ? 'won' : 'won but was held back by stabilization or a freeze'}${asked}${winner.rule ? ` (${winner.rule})` : ''}`,
    );
  } else if (record.winner) {
    lines.push(`${record.winner} decided it`);
  } else {
    lines.push('no driver won: the allocation came from the policy (hold, fallback or bounds)');
  }
  const winnerName = winner?.name ?? record.winner;
  const winnerAsked = winner?.demand !== undefined ? `, which asked for ${winner.demand}` : '';
  for (const c of ranked) {
    if (c === winner || c.outcome === 'used' || c.outcome === 'not-for-target') continue;
    const asked = c.demand !== undefined ? ` (asked for ${c.demand})` : '';
    let why: string;
    if (c.outcome === 'lost-to-higher-demand' && winnerName)
      why = `lost to ${winnerName}${winnerAsked}: the highest demand wins (combine: max)`;
    else if (c.outcome === 'lost-to-earlier-rule' && winnerName)
      // The engine breaks a tie by rule order under either combine mode; only an unequal loss implies priority.
      why =
        c.demand !== undefined && c.demand === winner?.demand
          ? `lost to ${winnerName}, which asked for as much: a tie goes to the earlier rule`
          : `lost to ${winnerName}: its rule comes first (combine: priority)`;
    else if (c.outcome === 'lost-precedence' && winnerName)
      why = `outranked by ${winnerName}: overrides and scheduled windows come before demand`;
    else why = outcomeMeaning(c.outcome);
    lines.push(`${c.name}${asked}: ${why}${c.detail ? ` — ${c.detail}` : ''}`);
  }
  return lines;
}

export const explainCommand: Command = {
  name: 'explain',
  synopsis: 'explain <decision-id>',
  summary: 'full lineage of a decision: drivers, rules, precedence, action and outcome',
  options: {},
  positionals: [
    {
      name: 'decision-id',
      required: true,
      description: 'TARGET:VERSION as shown by `drivetrain decisions` (e.g. web-asg:42)',
    },
  ],
  examples: ['drivetrain explain web-asg:42', 'drivetrain explain web-asg:42 --json | jq .considered'],
  async run(context: Context): Promise<ExitCode> {
    const id = context.parsed.positionals[0]!;
    const match = DECISION_ID.exec(id);
    if (!match)
      throw new UsageError(`decision ids look like TARGET:VERSION (web-asg:42), got ${JSON.stringify(id)}`, 'explain');
    const config = await context.config();
    if (!config.targets.some((t) => t.id === match[1])) throw unknownTarget(match[1]!, config);
    const store = await context.decisionStore();
    const record = await context.aws(`reading decision ${id}`, () => store.get(id));
    if (!record) {
      throw new CommandError(`no decision ${id}`, [
        `list recent ones: drivetrain decisions --target ${match[1]}${context.local ? ' --local' : ''}`,
        `(decisions expire after ${config.decisionRetentionDays} days)`,
      ]);
    }
    if (context.json) {
      context.outJson({ ...record, considered: rankConsidered(record.considered) });
      return EXIT.ok;
    }
    const now = context.now();
    const kind = record.actor ? 'mode change' : record.targetKind;
    context.out(
      renderFields([
        ['Decision', record.decisionId],
        ['Time', `${isoSeconds(record.at)} (${relative(now, record.at)})`],
        ['Target', `${record.targetId} (${kind})`],
        ['Mode', record.mode],
        ['Status', record.status],
        ['Policy', record.policyVersion],
        ['Summary', record.summary],
        ['By', record.actor ? `${record.actor.by}: ${record.actor.reason}` : undefined],
        ['Current', describeAllocation(record.current)],
        ['Desired', describeAllocation(record.desired)],
      ]),
    );
    if (record.reasons.length) {
      context.out(`\nReasons:\n${record.reasons.map((r) => `  ${r}: ${reasonMeaning(r)}`).join('\n')}\n`);
    }
    if (record.considered.length) {
      context.out('\nDrivers considered:\n');
      context.out(
        renderTable(
          rankConsidered(record.considered),
          [
            { header: 'DRIVER', value: (c) => c.name },
            { header: 'KIND', value: (c) => c.kind },
            { header: 'RULE', value: (c) => c.rule },
            { header: 'OUTCOME', value: (c) => c.outcome },
            { header: 'DEMAND', value: (c) => c.demand, align: 'right' },
            { header: 'DETAIL', value: (c) => c.detail, flexible: true },
          ],
          { maxWidth: context.io.columns },
        ).replace(/^(?=.)/gm, '  '),
      );
      context.out(
        `\nPrecedence:\n${precedenceLines(record)
          .map((l) => `  ${l}`)
          .join('\n')}\n`,
      );
    } else if (!record.actor) {
      context.out('\nDrivers considered: none (no driver was stored for this target)\n');
    }
    context.out('\nActions:\n');
    if (record.actions.length === 0) context.out('  none (nothing to change)\n');
    else {
      const applied = record.apply ? '' : ` — not applied (${record.mode} mode)`;
      context.out(record.actions.map((a) => `  ${describeAction(a)}${applied}\n`).join(''));
    }
    context.out('\nOutcome:\n');
    if (record.outcome) {
      // The apply's own outcome; the follow-through's (settled/degraded) has its own line below.
      const applied = wasApplied(record.status) ? 'applied' : record.status;
      context.out(`  ${applied} at ${isoSeconds(record.outcome.at)}: ${record.outcome.detail}\n`);
      if (record.outcome.observed)
        context.out(`  resource observed at ${describeAllocation(record.outcome.observed)}\n`);
      if (record.outcome.error) {
        const e = record.outcome.error;
        context.out(
          `  error ${e.name}: ${e.message} (${e.retryable ? 'retryable: the next tick retries' : 'permanent: needs an operator'})\n`,
        );
      }
    } else {
      context.out(`  ${OUTCOME_OF_STATUS[record.status]}\n`);
    }
    context.out(servingLines(record, now));
    return EXIT.ok;
  },
};

/** The follow-through of an applied plan: serving after how long, or why not (nothing for other plans). */
export function servingLines(record: DecisionRecord, now: number): string {
  const { serving } = record;
  if (serving) {
    const time =
      serving.timeToServeSeconds === undefined ? '' : ` (time to serve ${formatDuration(serving.timeToServeSeconds)})`;
    return `  ${record.status} at ${isoSeconds(serving.at)}${time}: ${serving.detail}\n`;
  }
  if (record.status !== 'applied' || !record.outcome) return '';
  return `  not yet confirmed serving (applied ${relative(now, record.outcome.at)}); the follow-through checks each tick\n`;
}

const OUTCOME_OF_STATUS: Record<DecisionRecord['status'], string> = {
  planned: 'planned: the executor has not recorded an outcome yet (a later tick repairs an interrupted apply)',
  applied: 'applied',
  settled: 'settled: applied and serving as planned',
  degraded: 'degraded: applied, but it does not serve as planned',
  failed: 'failed (no detail recorded)',
  superseded:
    'superseded: the plan was not in place when its interrupted apply was repaired; a fresh decision followed it',
  replaced: 'replaced: applied, then replaced by a newer applied plan before it was seen serving',
  shadow: 'shadow: recorded for comparison, nothing was applied',
  skipped: 'skipped: nothing was applied',
};
