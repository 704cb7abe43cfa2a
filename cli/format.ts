/**
 * Output for people: aligned tables whose columns line up in a terminal even with `→`, accents, CJK or
 * emoji in the cells, plus the time and duration formats every command shares. `--json` output never goes
 * through here: scripts get the raw records.
 */
import { formatDuration } from '../functions/domain/engine';

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });
// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the ANSI sequences this strips
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;
const ZERO_WIDTH = /^(?:\p{Mn}|\p{Me}|\p{Cf}|\p{Cc})+$/u;
const EMOJI = /\p{Extended_Pictographic}/u;
const EMOJI_PRESENTATION = /\p{Emoji_Presentation}|\uFE0F/u;

/** East Asian Wide and Fullwidth ranges (UAX #11): the terminal gives these two cells. */
function isWide(codePoint: number): boolean {
  return (
    (codePoint >= 0x1100 && codePoint <= 0x115f) ||
    (codePoint >= 0x2e80 && codePoint <= 0x303e) ||
    (codePoint >= 0x3041 && codePoint <= 0x33ff) ||
    (codePoint >= 0x3400 && codePoint <= 0x4dbf) ||
    (codePoint >= 0x4e00 && codePoint <= 0x9fff) ||
    (codePoint >= 0xa000 && codePoint <= 0xa4cf) ||
    (codePoint >= 0xac00 && codePoint <= 0xd7a3) ||
    (codePoint >= 0xf900 && codePoint <= 0xfaff) ||
    (codePoint >= 0xfe30 && codePoint <= 0xfe4f) ||
    (codePoint >= 0xff00 && codePoint <= 0xff60) ||
    (codePoint >= 0xffe0 && codePoint <= 0xffe6) ||
    (codePoint >= 0x20000 && codePoint <= 0x3fffd)
  );
}

/** Terminal cells a string occupies (graphemes, not UTF-16 units: `'→'.length` is 1, `'👍🏽'.length` is 4). */
export function displayWidth(text: string): number {
  let width = 0;
  for (const { segment } of segmenter.segment(text.replace(ANSI, ''))) {
    if (ZERO_WIDTH.test(segment)) continue;
    const first = segment.codePointAt(0)!;
    if ((EMOJI.test(segment) && EMOJI_PRESENTATION.test(segment)) || isWide(first)) width += 2;
    else width += 1;
  }
  return width;
}

/** Cuts to at most `width` cells, ending with `…` when something was cut; never splits a grapheme. */
export function truncate(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  if (width <= 1) return width === 1 ? '…' : '';
  let out = '';
  let used = 0;
  for (const { segment } of segmenter.segment(text)) {
    const w = displayWidth(segment);
    if (used + w > width - 1) break;
    out += segment;
    used += w;
  }
  return `${out}…`;
}

function pad(text: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return align === 'right' ? fill + text : text + fill;
}

export interface Column<Row> {
  header: string;
  value: (row: Row) => string | number | undefined;
  align?: 'left' | 'right';
  /** The one column allowed to shrink (with `…`) when the table is wider than the terminal. */
  flexible?: boolean;
}

export interface TableOptions {
  /** Terminal width; undefined (a pipe, a file) means never truncate. */
  maxWidth?: number | undefined;
  /** Shown instead of an empty table. */
  empty?: string;
}

const GAP = '  ';
/** A flexible column is never squeezed below this: a few words of a summary beat an unreadable stub. */
const MIN_FLEXIBLE_WIDTH = 24;

export function renderTable<Row>(
  rows: readonly Row[],
  columns: readonly Column<Row>[],
  options: TableOptions = {},
): string {
  if (rows.length === 0) return `${options.empty ?? '(none)'}\n`;
  const cells = rows.map((row) => columns.map((c) => cellText(c.value(row))));
  const widths = columns.map((c, i) => Math.max(displayWidth(c.header), ...cells.map((r) => displayWidth(r[i]!))));
  const flexible = columns.findIndex((c) => c.flexible);
  if (options.maxWidth !== undefined && flexible >= 0) {
    const total = widths.reduce((a, b) => a + b, 0) + GAP.length * (columns.length - 1);
    const excess = total - options.maxWidth;
    if (excess > 0)
      widths[flexible] = Math.max(
        MIN_FLEXIBLE_WIDTH,
        displayWidth(columns[flexible]!.header),
        widths[flexible]! - excess,
      );
  }
  const line = (values: string[]) =>
    values
      .map((v, i) => {
        const text = i === flexible ? truncate(v, widths[i]!) : v;
        // The last column is not padded: trailing blanks only get in the way of copy/paste and diffs.
        return i === values.length - 1 ? text : pad(text, widths[i]!, columns[i]!.align ?? 'left');
      })
      .join(GAP)
      .trimEnd();
  return `${[line(columns.map((c) => c.header)), ...cells.map(line)].join('\n')}\n`;
}

function cellText(value: string | number | undefined): string {
  if (value === undefined) return '-';
  // A cell is one line: newlines in a summary or a reason would break every column after it.
  return String(value).replace(/\s*\n\s*/g, ' ');
}

/** `key  value` lines with the keys aligned, for record headers (explain). */
export function renderFields(fields: ReadonlyArray<readonly [string, string | number | undefined]>): string {
  const present = fields.filter(([, v]) => v !== undefined && v !== '');
  const width = Math.max(...present.map(([k]) => displayWidth(k)));
  return `${present.map(([k, v]) => `${pad(`${k}:`, width + 1, 'left')} ${cellText(v)}`).join('\n')}\n`;
}

/** `2026-11-23T10:04:05Z`: UTC, second precision, the same form operators paste into --since. */
export function isoSeconds(epochSeconds: number): string {
  return new Date(Math.round(epochSeconds) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Age of something observed at `at` (`45s`, `12m`, `3h5m`). */
export function age(now: number, at: number): string {
  return formatDuration(now - at);
}

/** `in 2h`, or `3m ago` for a moment in the past. */
export function relative(now: number, at: number): string {
  return at >= now ? `in ${formatDuration(at - now)}` : `${formatDuration(now - at)} ago`;
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
