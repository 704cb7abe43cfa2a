/**
 * Reads a Drivetrain config from YAML, JSON or a JavaScript module and validates it with the same
 * `validateConfig` the stack and the Lambdas use. Every issue in a YAML or JSON file is located
 * (`file:line:col`) so CI output can be clicked.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LineCounter, isNode, parseDocument, type Document } from 'yaml';
import { validateConfig, type ConfigIssue, type DrivetrainConfig } from '../functions/domain/config';

export interface LocatedIssue extends ConfigIssue {
  line?: number;
  column?: number;
}

export type ConfigLoad =
  | { ok: true; file: string; config: DrivetrainConfig; issues: [] }
  | { ok: false; file: string; issues: LocatedIssue[]; reason: 'missing' | 'unsupported' | 'syntax' | 'invalid' };

/** Configs written as code (`export default defineConfig({...})`, defineConfig from 'drivetrain/config'). */
const MODULE_EXTENSIONS: ReadonlySet<string> = new Set(['.mjs', '.js', '.cjs']);
/**
 * TypeScript configs are refused rather than compiled here: running them would need a TypeScript loader
 * (tsx) as a dependency of every install, for a file whose types only matter while it is written.
 */
const TYPESCRIPT_EXTENSIONS: ReadonlySet<string> = new Set(['.ts', '.mts', '.cts']);

/** Reads `path`; issues name the file as `file` (a path relative to the working directory reads better in CI). */
export async function loadConfigFile(path: string, file = path): Promise<ConfigLoad> {
  const extension = extname(path).toLowerCase();
  if (TYPESCRIPT_EXTENSIONS.has(extension)) {
    const message = `is TypeScript, which drivetrain does not run: compile it to JavaScript (e.g. tsc, then pass the .js file), or write it as an ES module (.mjs) with defineConfig from 'drivetrain/config'; YAML and JSON work too`;
    return { ok: false, file, reason: 'unsupported', issues: [{ file, path: '', message }] };
  }
  if (MODULE_EXTENSIONS.has(extension)) return loadConfigModule(path, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT'
        ? 'file not found (pass --config FILE)'
        : code === 'EISDIR'
          ? 'is a directory, not a config file'
          : (error as Error).message;
    return { ok: false, file, reason: 'missing', issues: [{ file, path: '', message }] };
  }
  return parseConfigText(text, file);
}

/**
 * A real `import()`. TypeScript's CommonJS output (dist/) would turn an `import()` expression into
 * require(), which cannot load an ES module on every supported Node 20.
 */
const importModule = new Function('specifier', 'return import(specifier)') as (
  specifier: string,
) => Promise<Record<string, unknown>>;

/** The module's default export (or its `config` export), validated; the issues have no line numbers. */
async function loadConfigModule(path: string, file: string): Promise<ConfigLoad> {
  // Asked of the file system, not read from import()'s error: a module that exists but imports a package
  // that cannot be found fails with the same code, and its message names this file as the importer.
  if (!(await isFile(path))) {
    return {
      ok: false,
      file,
      reason: 'missing',
      issues: [{ file, path: '', message: 'file not found (pass --config FILE)' }],
    };
  }
  let exports: Record<string, unknown>;
  try {
    exports = await importModule(pathToFileURL(path).href);
  } catch (error) {
    return {
      ok: false,
      file,
      reason: 'syntax',
      issues: [{ file, path: '', message: `could not be loaded: ${(error as Error).message.split('\n')[0]}` }],
    };
  }
  const value = exports.default ?? exports.config;
  if (value === undefined) {
    return {
      ok: false,
      file,
      reason: 'invalid',
      issues: [
        {
          file,
          path: '',
          message: 'exports no config: `export default defineConfig({ ... })` (or `export const config = ...`)',
        },
      ],
    };
  }
  const result = validateConfig(value, file);
  return result.ok
    ? { ok: true, file, config: result.config, issues: [] }
    : { ok: false, file, reason: 'invalid', issues: result.issues };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
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
        return {
          file,
          path: '',
          message: firstLine(e.message),
          ...(position ? { line: position.line, column: position.col } : {}),
        };
      }),
    };
  }
  const result = validateConfig(document.toJS(), file);
  if (result.ok) return { ok: true, file, config: result.config, issues: [] };
  return {
    ok: false,
    file,
    reason: 'invalid',
    issues: result.issues.map((issue) => locate(issue, document, lineCounter)),
  };
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

/** `targets[0].policy.bounds.min` → ['targets', 0, 'policy', 'bounds', 'min']. */
export function splitPath(path: string): Array<string | number> {
  const parts: Array<string | number> = [];
  for (const [, key, index] of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g))
    parts.push(index !== undefined ? Number(index) : key!);
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
