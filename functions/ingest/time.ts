/**
 * Timestamps as AWS actually sends them. CloudWatch writes `2019-10-02T17:04:40.989+0000` (no colon in the
 * offset, which the ISO profile behind `Date.parse` does not accept everywhere) and the AWS documentation's
 * Lambda alarm-action examples even contain `2023-08-04T12: 36: 15.490+0000`. Parsing is explicit here so the
 * result never depends on a JavaScript engine's lenient legacy date parser.
 */
import { toMilliseconds } from '../domain/numbers';

const AWS_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Longest input worth looking at: real timestamps are about 30 characters; bounds regex work on junk. */
const MAX_TIMESTAMP_LENGTH = 64;

/**
 * Epoch seconds (with millisecond precision) of an AWS-style timestamp, or undefined when it is not one.
 * A timestamp without an offset is read as UTC: every AWS service emits UTC.
 */
export function parseAwsTimestamp(text: unknown): number | undefined {
  if (typeof text !== 'string' || text.length > MAX_TIMESTAMP_LENGTH) return undefined;
  const match = AWS_TIMESTAMP.exec(
    text.replace(/\s+/g, (_gap: string, at: number) => (isDateTimeSeparator(text, at) ? 'T' : '')),
  );
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction, offset] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  const millis = fraction === undefined ? 0 : Math.floor(Number(`0.${fraction}`) * 1000);
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC rolls 31 February over into March; a date that does not exist is not a timestamp.
  const check = new Date(utc);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day)
    return undefined;
  const offsetSeconds = parseOffset(offset);
  if (offsetSeconds === undefined) return undefined;
  return (utc - offsetSeconds * 1000) / 1000;
}

/** `2023-08-04 12:00` style: the one whitespace that separates date and time becomes `T`. */
function isDateTimeSeparator(text: string, at: number): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(text.slice(0, at)) && /^\d{2}:/.test(text.slice(at).trimStart());
}

function parseOffset(offset: string | undefined): number | undefined {
  if (offset === undefined || offset.toUpperCase() === 'Z') return 0;
  const sign = offset.startsWith('-') ? -1 : 1;
  const digits = offset.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  if (hours > 23 || minutes > 59) return undefined;
  return sign * (hours * 3600 + minutes * 60);
}

/**
 * How far in the future an observation may claim to be. The driver store refuses an observation older than
 * the one it holds, so a record dated days ahead (a sender's wrong clock, a typo) would shadow every real
 * update of the same driver until that date. Five minutes covers honest clock skew between AWS services.
 */
export const MAX_FUTURE_SKEW_SECONDS = 300;

/**
 * The first candidate timestamp that parses and is not implausibly far in the future; `receivedAt` when none
 * is usable. Candidates are ordered by preference (state change time, then event time).
 */
export function observedAtFrom(candidates: ReadonlyArray<unknown>, receivedAt: number): number {
  for (const candidate of candidates) {
    const seconds = typeof candidate === 'number' ? toMilliseconds(candidate) : parseAwsTimestamp(candidate);
    if (
      seconds !== undefined &&
      Number.isFinite(seconds) &&
      seconds >= 0 &&
      seconds <= receivedAt + MAX_FUTURE_SKEW_SECONDS
    ) {
      return seconds;
    }
  }
  return receivedAt;
}

export function isoSeconds(seconds: number): string {
  const ms = seconds * 1000;
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(seconds);
}
