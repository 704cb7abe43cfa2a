/**
 * Time values as operators type them: durations (`90s`, `15m`, `2h`, `1d12h`) and ISO 8601 timestamps with
 * an offset. Everything is converted to epoch seconds here so commands never handle strings.
 */
import { UsageError } from './errors';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 7 * 86400 };
const DURATION = /^(?:(\d+)([smhdw]))+$/;
const DURATION_PART = /(\d+)([smhdw])/g;
// An offset is required: a timestamp without one means a different instant on every laptop.
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** `1h30m` → 5400. Returns undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(DURATION_PART)) total += Number(amount) * UNIT_SECONDS[unit!]!;
  return total;
}

export function parseIso(text: string): number | undefined {
  if (!ISO_WITH_OFFSET.test(text)) return undefined;
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) return undefined;
  // Date.parse rolls 2026-02-31 over into March; a day that does not exist is a typo, not a time.
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return undefined;
  return ms / 1000;
}

function requireValue(flag: string, text: string, command: string | undefined, what: string): never {
  throw new UsageError(`${flag}: cannot read ${JSON.stringify(text)} as ${what}`, command);
}

/** A moment in the past: a duration back from now (`--since 2h`) or an ISO timestamp. */
export function parsePast(flag: string, text: string, now: number, command?: string): number {
  const duration = parseDuration(text);
  if (duration !== undefined) return now - duration;
  const iso = parseIso(text);
  if (iso !== undefined) return iso;
  return requireValue(
    flag,
    text,
    command,
    'a duration (30m, 2h, 1d) or an ISO timestamp with offset (2026-11-23T10:00:00Z)',
  );
}

/** A moment from now on: `now`, `+30m`/`30m` (from now) or an ISO timestamp. */
export function parseFuture(flag: string, text: string, now: number, command?: string): number {
  if (text === 'now') return now;
  const duration = parseDuration(text.startsWith('+') ? text.slice(1) : text);
  if (duration !== undefined) return now + duration;
  const iso = parseIso(text);
  if (iso !== undefined) return iso;
  return requireValue(
    flag,
    text,
    command,
    '"now", a duration from now (+30m, 2h) or an ISO timestamp with offset (2026-11-23T10:00:00Z)',
  );
}

/** A positive length of time (`--lead 15m`). */
export function parseLength(flag: string, text: string, command?: string): number {
  const duration = parseDuration(text);
  if (duration !== undefined) return duration;
  return requireValue(flag, text, command, 'a duration (90s, 15m, 2h)');
}
