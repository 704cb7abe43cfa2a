/**
 * Reads a Drivetrain config from YAML or JSON and validates it with the same `validateConfig` the stack and
 * the Lambdas use. Every issue is located in the file (`file:line:col`) so CI output can be clicked.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, isNode, parseDocument, type Document } from 'yaml';
import { validateConfig, type ConfigIssue, type DrivetrainConfig } from '../functions/domain/config';

export interface LocatedIssue extends ConfigIssue {
  line?: number;
  column?: number;
}

export type ConfigLoad =
  | { ok: true; file: string; config: DrivetrainConfig; issues: [] }
  | { ok: false; file: string; issues: LocatedIssue[]; reason: 'missing' | 'syntax' | 'invalid' };

/** Reads `path`; issues name the file as `file` (a path relative to the working directory reads better in CI). */
export async function loadConfigFile(path: string, file = path): Promise<ConfigLoad> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? 'file not found (pass --config FILE)' : code === 'EISDIR' ? 'is a directory, not a config file' : (error as Error).message;
    return { ok: false, file, reason: 'missing', issues: [{ file, path: '', message }] };
  }
  return parseConfigText(text, file);
}

/** YAML is a superset of JSON, so one parser reads both and gives positions for either. */
export function parseConfigText(text: string, file: string): ConfigLoad {
  const lineCounter = new LineCounter();
  // prettyErrors adds linePos to syntax errors (and a source excerpt to the message, cut by firstLine).
  const document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    return {
      ok: false,
      file,
      reason: 'syntax',
      issues: document.errors.map((e) => {
        const position = e.linePos?.[0];
        return { file, path: '', message: firstLine(e.message), ...(position ? { line: position.line, column: position.col } : {}) };
      }),
    };
  }
  const result = validateConfig(document.toJS(), file);
  if (result.ok) return { ok: true, file, config: result.config, issues: [] };
  return { ok: false, file, reason: 'invalid', issues: result.issues.map((issue) => locate(issue, document, lineCounter)) };
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

/** `targets[0].policy.bounds.min` → ['targets', 0, 'policy', 'bounds', 'min']. */
export function splitPath(path: string): Array<string | number> {
  const parts: Array<string | number> = [];
  for (const [, key, index] of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) parts.push(index !== undefined ? Number(index) : key!);
  return parts;
}

/** Points at the deepest node of the path that exists: a missing key is reported at its parent. */
function locate(issue: ConfigIssue, document: Document, lineCounter: LineCounter): LocatedIssue {
  const parts = splitPath(issue.path);
  for (let depth = parts.length; depth >= 0; depth--) {
    const node = depth === 0 ? document.contents : document.getIn(parts.slice(0, depth), true);
    if (isNode(node) && node.range) {
      const { line, col } = lineCounter.linePos(node.range[0]);
      return { ...issue, line, column: col };
    }
  }
  return issue;
}

export function formatLocatedIssue(issue: LocatedIssue): string {
  const where = issue.line !== undefined ? `${issue.file}:${issue.line}:${issue.column ?? 1}` : issue.file;
  return issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}
