/**
 * `drivetrain decisions [--target ID] [--since 2h]`: the audit trail, newest first, across targets.
 */
import type { DecisionRecord } from '../../functions/ports';
import { numberOption, stringOption } from '../args';
import type { Command } from '../command';
import type { Context } from '../context';
import { EXIT, UsageError, type ExitCode } from '../errors';
import { isoSeconds, renderTable } from '../format';
import { parsePast } from '../time';

const DEFAULT_LIMIT = 20;
/** The store's own ceiling per query (functions/adapters/dynamodb/decision-store.ts MAX_LIST_LIMIT). */
const MAX_LIMIT = 1000;

/** Newest first across targets; a mode change and a tick in the same second are ordered by state version. */
export function newestFirst(a: DecisionRecord, b: DecisionRecord): number {
  return b.at - a.at || b.version - a.version || a.targetId.localeCompare(b.targetId);
}

/** The summary plus what happened to it: an applied outcome, an error, or who changed the mode. */
export function decisionNote(record: DecisionRecord): string {
  let note = record.summary;
  if (record.outcome?.error)
    note += ` [${record.outcome.error.name}: ${record.outcome.error.message}${record.outcome.error.retryable ? ', will retry' : ''}]`;
  else if (record.status === 'planned') note += ' [not confirmed yet]';
  else if (record.status === 'superseded') note += ' [not in place when repaired; decided afresh]';
  else if (record.status === 'degraded' && record.serving?.cause) note += ` [${record.serving.cause}]`;
  else if (record.status === 'replaced')
    note += ` [replaced by ${record.replacedBy ?? 'a newer plan'} before it served]`;
  return note;
}

export const decisionsCommand: Command = {
  name: 'decisions',
  synopsis: 'decisions [--target ID] [--since TIME] [--limit N]',
  summary: 'the decision table, newest first, with summary and status',
  description: [
    'STATUS: applied (AWS accepted the action), settled (applied and serving), degraded (applied but not',
    'serving: a failed launch, FAILED provisioned concurrency, or too slow), replaced (applied, then replaced by',
    'a newer applied plan before it served; the note names it), failed (it did not run; see the note), planned',
    '(decided, outcome not recorded yet), superseded (an interrupted plan found not in place), shadow (shadow',
    'mode: decided, not applied), skipped (nothing to apply, or a mode change).',
    'Run `drivetrain explain DECISION` for the full lineage of one row.',
  ].join('\n'),
  options: {
    target: {
      type: 'string',
      short: 't',
      value: 'ID',
      description: 'only this target (default: every target in the config)',
    },
    since: {
      type: 'string',
      short: 's',
      value: 'TIME',
      description: 'only decisions since then: a duration back (2h, 1d) or ISO time',
    },
    limit: {
      type: 'string',
      short: 'n',
      value: 'N',
      description: `at most N rows (default ${DEFAULT_LIMIT}, max ${MAX_LIMIT})`,
    },
  },
  positionals: [],
  examples: [
    'drivetrain decisions --target web-asg --since 2h',
    'drivetrain decisions --local -n 5',
    'drivetrain decisions --since 2026-11-27T08:00:00Z --json',
  ],
  async run(context: Context): Promise<ExitCode> {
    const now = context.now();
    const sinceText = stringOption(context.parsed, 'since');
    const since = sinceText === undefined ? undefined : parsePast('--since', sinceText, now, 'decisions');
    const limit =
      numberOption(context.parsed, 'limit', 'decisions', { integer: true, positive: true }) ?? DEFAULT_LIMIT;
    if (limit > MAX_LIMIT) throw new UsageError(`--limit: at most ${MAX_LIMIT}`, 'decisions');
    const targets = await context.targets(stringOption(context.parsed, 'target'));
    const store = await context.decisionStore();
    const records: DecisionRecord[] = [];
    for (const [i, target] of targets.entries()) {
      const page = await context.aws(`reading decisions of ${target.id} (${i + 1}/${targets.length})`, () =>
        store.list(target.id, { ...(since !== undefined ? { since } : {}), limit }),
      );
      records.push(...page);
    }
    const rows = records.sort(newestFirst).slice(0, limit);
    if (context.json) {
      context.outJson(rows);
      return EXIT.ok;
    }
    const many = targets.length > 1;
    const scope = `${many ? 'any target' : targets[0]!.id}${since !== undefined ? ` since ${isoSeconds(since)}` : ''}`;
    context.out(
      renderTable(
        rows,
        [
          { header: 'TIME', value: (r) => isoSeconds(r.at) },
          { header: 'DECISION', value: (r) => r.decisionId },
          ...(many ? [{ header: 'TARGET', value: (r: DecisionRecord) => r.targetId }] : []),
          { header: 'MODE', value: (r) => r.mode },
          { header: 'STATUS', value: (r) => r.status },
          { header: 'SUMMARY', value: decisionNote, flexible: true },
        ],
        { maxWidth: context.io.columns, empty: `no decisions for ${scope}` },
      ),
    );
    // Each target's page is capped at `limit`, so a full page means older decisions may exist.
    if (records.length > rows.length || rows.length === limit)
      context.note(`showing the newest ${rows.length}; there may be more: use --limit or --since`);
    return EXIT.ok;
  },
};
