/**
 * Rejection messages go to logs, metrics dimensions and the operator's console, and they quote input that
 * anybody able to send an event controls. Everything quoted is length-capped and JSON-escaped, so a newline
 * or an ANSI sequence in an alarm name cannot forge a log line.
 */
import type { z } from 'zod';

const QUOTE_MAX = 96;
const MESSAGE_MAX = 2000;
const ISSUES_SHOWN = 5;

/** A user-controlled value, safe to put in a message. */
export function quote(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > QUOTE_MAX ? `${value.slice(0, QUOTE_MAX)}…` : value);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined)
    return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/** A user-controlled value stored in a Rejection field: capped to the limit the field has in the model. */
export function clip(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return undefined;
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}

/** Caps the length and, as a last guard, escapes any control character that slipped through unquoted. */
export function capMessage(message: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this escapes
  const safe = message.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return safe.length > MESSAGE_MAX ? `${safe.slice(0, MESSAGE_MAX - 1)}…` : safe;
}

const PLAIN_KEY = /^[A-Za-z_$][\w$-]{0,63}$/;

/** `signal.windowEnd`, `targets[3]`, `weights["us-east-1 "]`: keys that come from the input are quoted. */
export function formatIssuePath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && PLAIN_KEY.test(part)) out += out ? `.${part}` : part;
    else out += `[${quote(String(part))}]`;
  }
  return out;
}

/** `detail.signal.windowEnd: must be after windowStart; detail.driver: required (expected string)`. */
export function describeIssues(error: z.ZodError, prefix: string): string {
  const parts = error.issues.slice(0, ISSUES_SHOWN).map((issue) => {
    const path = joinPath(prefix, formatIssuePath(issue.path));
    return `${path || '<root>'}: ${describeIssue(issue)}`;
  });
  const more = error.issues.length - ISSUES_SHOWN;
  if (more > 0) parts.push(`(and ${more} more)`);
  return capMessage(parts.join('; '));
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message))
    return `required (expected ${issue.expected})`;
  if (issue.code === 'unrecognized_keys') return `unknown key(s) ${issue.keys.map(quote).join(', ')}`;
  if (issue.code === 'invalid_union') {
    if ('options' in issue && Array.isArray(issue.options))
      return `expected one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}`;
    // "Invalid input" says nothing: report the branch whose type matched (the string that is not a
    // timestamp), or the types that would have been accepted.
    const branches = issue.errors.flat();
    const relevant = branches.find((branch) => branch.code !== 'invalid_type' && branch.path.length === 0);
    if (relevant) return relevant.message;
    const expected = [
      ...new Set(branches.flatMap((branch) => (branch.code === 'invalid_type' ? [branch.expected] : []))),
    ];
    if (expected.length > 0) return `expected ${expected.join(' or ')}`;
  }
  return issue.message;
}

export function joinPath(prefix: string, path: string): string {
  if (!prefix) return path;
  if (!path) return prefix;
  return path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`;
}
