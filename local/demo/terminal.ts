/**
 * Terminal output of the demo: a one-line progress bar redrawn in place (on a TTY; every 10% otherwise, so
 * CI logs stay short), narration lines printed above it, and the final aligned decision table.
 */
import type { DecisionRecord } from '../../functions/ports';
import type { BeatResult, DemoProgress } from './run';

export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

function clock(t: number): string {
  return new Date(t * 1000).toISOString().slice(11, 16);
}

export class ProgressBar {
  #last = '';
  #lastDecile = -1;

  constructor(private readonly out: Output) {}

  update(p: DemoProgress): void {
    const width = 28;
    const filled = Math.round((p.step / p.steps) * width);
    const percent = Math.round((p.step / p.steps) * 100);
    const line = `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${String(percent).padStart(3)}% ${clock(p.at)} UTC · ${p.decisions} decisions · ${p.status.join(' · ')}`;
    if (this.out.isTTY) {
      this.#last = truncate(line, (this.out.columns ?? 120) - 1);
      this.out.write(`\r\x1b[2K${this.#last}`);
    } else {
      const decile = Math.floor(percent / 10);
      if (decile !== this.#lastDecile) {
        this.#lastDecile = decile;
        this.out.write(`${line}\n`);
      }
    }
  }

  /** Prints a line above the bar without tearing it. */
  say(text: string): void {
    if (this.out.isTTY) this.out.write(`\r\x1b[2K${text}\n${this.#last}`);
    else this.out.write(`${text}\n`);
  }

  done(): void {
    if (this.out.isTTY && this.#last) this.out.write('\n');
    this.#last = '';
  }
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** Oldest first (newest last), as an operator scrolls a log: time / target / status / summary. */
export function formatDecisionTable(decisions: readonly DecisionRecord[], options: { width?: number } = {}): string {
  if (decisions.length === 0) return '(no decisions)';
  const rows = decisions.map((d) => [
    new Date(d.at * 1000).toISOString().slice(11, 19),
    d.targetId,
    d.status,
    d.summary,
  ]);
  const header = ['time', 'target', 'status', 'summary'];
  const widths = [0, 1, 2].map((i) => Math.max(header[i]!.length, ...rows.map((r) => r[i]!.length)));
  const fixed = widths.reduce((a, b) => a + b + 2, 0);
  const summaryWidth = options.width ? Math.max(30, options.width - fixed) : Infinity;
  const line = (cells: string[]) =>
    [...cells.slice(0, 3).map((c, i) => c.padEnd(widths[i]!)), truncate(cells[3]!, summaryWidth)].join('  ').trimEnd();
  return [
    line(header),
    line([...widths.map((w) => '─'.repeat(w)), '─'.repeat(Math.min(7, summaryWidth))]),
    ...rows.map(line),
  ].join('\n');
}

export function formatBeats(beats: readonly BeatResult[]): string {
  return beats
    .map(
      (b) =>
        `${b.decision ? '✓' : '✗'} ${b.name.padEnd(32)} ${b.decision ? `${new Date(b.decision.at * 1000).toISOString().slice(11, 16)} ${b.targetId}: ${b.decision.summary}` : `no ${b.reason} decision on ${b.targetId}`}`,
    )
    .join('\n');
}

export interface PlaygroundHintsOptions {
  endpoint: string;
  tablePrefix: string;
  /** ` --table-prefix NAME`, or '' when `drivetrain --local` finds the prefix by itself. */
  tablePrefixFlag: string;
  tickSeconds: number;
}

/**
 * What `npm run demo -- --keep` prints once the scenario ran: the commands to explore the kept tables with.
 * The override's stand-in principal is a role session, as AWS would verify the caller (an STS assumed-role
 * ARN); it matches the shipped config's `overridePrincipals` (`role/oncall-*`) through its role.
 */
export function formatPlaygroundHints({
  endpoint,
  tablePrefix,
  tablePrefixFlag: flag,
  tickSeconds,
}: PlaygroundHintsOptions): string {
  return (
    `DynamoDB Local stays up on ${endpoint} with tables ${tablePrefix}-*, and the playground ticks every ${tickSeconds} s` +
    ` (real time, the same tick handler). In another terminal:\n` +
    `  npx drivetrain --local status${flag}   (from any directory: the tick recorded the config in ${tablePrefix}-state)\n` +
    `  npx drivetrain --local decisions${flag} --target web-asg --since 2h\n` +
    `  npx drivetrain --local explain${flag} <decision-id>\n` +
    `  npx drivetrain --local drivers${flag}\n` +
    `  npx drivetrain --local put-driver${flag} --kind override --driver ops-override --targets web-asg --pin 20 --expires 1h --reason test --principal arn:aws:sts::111122223333:assumed-role/oncall-you/you   (decided on by the next tick)\n` +
    `  npx drivetrain --local report${flag} --since 2h\n` +
    'Ctrl-C stops it.\n'
  );
}
