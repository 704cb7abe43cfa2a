/**
 * Reads a Drivetrain config file (YAML or JSON) for `cdk synth` and validates it with the same schema the
 * Lambdas use. Failures come back as the validator's one-line messages (`file: path: message`) so the app
 * can print them and exit without a stack trace.
 */
import { readFileSync } from 'node:fs';
import { extname, relative } from 'node:path';
import { parseDocument } from 'yaml';
import { formatIssue, validateConfig, type ConfigIssue, type DrivetrainConfig } from '../functions/domain/config';

export type ConfigFileResult =
  | { ok: true; config: DrivetrainConfig; file: string }
  | { ok: false; file: string; messages: string[] };

/** Context key (cdk.json or `--context`) naming the config file, relative to the working directory. */
export const CONFIG_CONTEXT_KEY = 'drivetrain:config';
export const DEFAULT_CONFIG_FILE = 'drivetrain.config.yaml';

export function loadConfigFile(path: string, cwd = process.cwd()): ConfigFileResult {
  const file = relative(cwd, path) || path;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'file not found' : (error as Error).message;
    return { ok: false, file, messages: [`${file}: ${reason} (set it with --context ${CONFIG_CONTEXT_KEY}=<path>)`] };
  }
  const parsed = parseText(text, file);
  if (!parsed.ok) return { ok: false, file, messages: parsed.messages };
  const result = validateConfig(parsed.value, file);
  if (!result.ok) return { ok: false, file, messages: result.issues.map((issue: ConfigIssue) => formatIssue(issue)) };
  return { ok: true, config: result.config, file };
}

function parseText(text: string, file: string): { ok: true; value: unknown } | { ok: false; messages: string[] } {
  if (extname(file).toLowerCase() === '.json') {
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch (error) {
      return { ok: false, messages: [`${file}: not valid JSON: ${(error as Error).message}`] };
    }
  }
  // parseDocument collects every syntax error instead of throwing at the first one.
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    return { ok: false, messages: document.errors.map((error) => `${file}: ${firstLine(error.message)}`) };
  }
  return { ok: true, value: document.toJS() };
}

/** prettyErrors appends the offending lines after a colon; the message keeps the position, not the excerpt. */
function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/:$/, '');
}
