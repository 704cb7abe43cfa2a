/**
 * Argument parsing on `node:util` parseArgs (strict): global options shared by every command, each
 * command's own options, generated per-command help, and usage errors that say what was wrong and what
 * was meant (`--taget` → did you mean --target?).
 */
import { parseArgs } from 'node:util';
import { UsageError } from './errors';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder in help, e.g. `ID` in `--target ID`. */
  value?: string;
  description: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

export interface PositionalSpec {
  name: string;
  required: boolean;
  description: string;
}

export const GLOBAL_OPTIONS = {
  config: {
    type: 'string',
    short: 'c',
    value: 'FILE',
    description:
      'Drivetrain config (YAML, JSON or an ES module: .mjs, .js); default drivetrain.config.yaml. Read commands use the deployed one (from the state table) when it is recorded',
  },
  json: { type: 'boolean', description: 'machine-readable JSON on stdout instead of tables' },
  region: { type: 'string', value: 'REGION', description: "AWS region (default: AWS_REGION or the profile's region)" },
  profile: { type: 'string', value: 'NAME', description: 'AWS shared-config profile (default: AWS_PROFILE)' },
  local: { type: 'boolean', description: "use the local demo's DynamoDB Local instead of AWS" },
  endpoint: {
    type: 'string',
    value: 'URL',
    description: 'DynamoDB endpoint (default with --local: http://127.0.0.1:8000)',
  },
  'table-prefix': {
    type: 'string',
    value: 'PREFIX',
    description:
      "table names are PREFIX-drivers, PREFIX-decisions, PREFIX-state (env DRIVETRAIN_TABLE_PREFIX; default: the config's name, with --local and no config file: drivetrain)",
  },
  'drivers-table': {
    type: 'string',
    value: 'NAME',
    description: 'drivers table name (overrides the prefix; env DRIVERS_TABLE_NAME)',
  },
  'decisions-table': { type: 'string', value: 'NAME', description: 'decisions table name (env DECISIONS_TABLE_NAME)' },
  'state-table': { type: 'string', value: 'NAME', description: 'state table name (env STATE_TABLE_NAME)' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
} as const satisfies OptionSpecs;

export type GlobalOptionName = keyof typeof GLOBAL_OPTIONS;

export interface Parsed {
  /** Global and command options, by long name. */
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Strictly parses `args` (the command name already removed) against the global + command options. */
export function parseCommandArgs(
  command: string,
  args: readonly string[],
  options: OptionSpecs,
  positionals: readonly PositionalSpec[],
): Parsed {
  const all: OptionSpecs = { ...GLOBAL_OPTIONS, ...options };
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, spec] of Object.entries(all))
    config[name] = spec.short ? { type: spec.type, short: spec.short } : { type: spec.type };
  let result: ReturnType<typeof parseArgs>;
  try {
    result = parseArgs({ args: [...args], options: config, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(explainParseError(error, Object.keys(all)), command, { cause: error });
  }
  const values = result.values as Parsed['values'];
  if (values.help) return { values, positionals: result.positionals };
  const required = positionals.filter((p) => p.required);
  if (result.positionals.length < required.length) {
    throw new UsageError(
      `missing ${required
        .slice(result.positionals.length)
        .map((p) => `<${p.name}>`)
        .join(' ')}`,
      command,
    );
  }
  if (result.positionals.length > positionals.length) {
    const extra = result.positionals.slice(positionals.length);
    throw new UsageError(
      `unexpected argument${extra.length > 1 ? 's' : ''} ${extra.map((a) => JSON.stringify(a)).join(' ')}`,
      command,
    );
  }
  return { values, positionals: result.positionals };
}

function explainParseError(error: unknown, known: string[]): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = /'([^']+)'/.exec(message)?.[1] ?? '';
    const name = flag.replace(/^-+/, '').split('=')[0]!;
    const guess = suggest(name, known);
    return `unknown option ${flag}${guess ? ` (did you mean --${guess}?)` : ''}`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    // Node says "Option '-s, --since <value>' argument missing": name the long form.
    const flag = /(--[\w-]+)/.exec(message)?.[1] ?? /'(-\w)/.exec(message)?.[1];
    if (/argument missing/.test(message)) return `${flag ?? 'option'} needs a value`;
    if (/does not take an argument/.test(message)) return `${flag ?? 'option'} is a switch and takes no value`;
  }
  return message;
}

/** Closest candidate within a small edit distance: a typo, not a different word. */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(input, candidate);
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  if (!best) return undefined;
  const allowed = Math.max(1, Math.floor(Math.min(input.length, best.candidate.length) / 3));
  return best.distance <= allowed || best.candidate.startsWith(input) ? best.candidate : undefined;
}

/** Optimal string alignment distance: a swapped pair of letters (`pasue`) is one typo, not two. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

export function stringOption(parsed: Parsed, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function flag(parsed: Parsed, name: string): boolean {
  return parsed.values[name] === true;
}

/** A non-negative number given to a flag (`--pin 20`, `--multiplier 2.5`). */
export function numberOption(
  parsed: Parsed,
  name: string,
  command: string,
  constraint: { integer?: boolean; positive?: boolean } = {},
): number | undefined {
  const text = stringOption(parsed, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  const kind = constraint.integer ? 'a whole number' : 'a number';
  if (
    text.trim() === '' ||
    !Number.isFinite(value) ||
    value < 0 ||
    (constraint.integer && !Number.isInteger(value)) ||
    (constraint.positive && value === 0)
  ) {
    throw new UsageError(
      `--${name}: expected ${constraint.positive ? 'a positive' : 'a non-negative'} ${kind.replace(/^a /, '')}, got ${JSON.stringify(text)}`,
      command,
    );
  }
  return value;
}

/** `a,b, c` → ['a', 'b', 'c']; empty entries are a usage error rather than silently dropped. */
export function listOption(parsed: Parsed, name: string, command: string): string[] | undefined {
  const text = stringOption(parsed, name);
  if (text === undefined) return undefined;
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new UsageError(`--${name}: empty entry in ${JSON.stringify(text)}`, command);
  return items;
}

// ---- help ------------------------------------------------------------------------------------------------

function optionLines(options: OptionSpecs): string[] {
  const entries = Object.entries(options).map(([name, spec]) => {
    const head = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : ''}`;
    return [head, spec.description] as const;
  });
  const width = Math.max(...entries.map(([head]) => head.length));
  return entries.map(([head, description]) => `  ${head.padEnd(width)}  ${description}`);
}

export interface HelpSpec {
  name: string;
  synopsis: string;
  summary: string;
  description?: string;
  options: OptionSpecs;
  positionals: readonly PositionalSpec[];
  examples: readonly string[];
}

export function commandHelp(spec: HelpSpec): string {
  const lines = [`Usage: drivetrain ${spec.synopsis}`, '', spec.summary];
  if (spec.description) lines.push('', spec.description);
  if (spec.positionals.length) {
    lines.push('', 'Arguments:');
    const width = Math.max(...spec.positionals.map((p) => p.name.length + 2));
    for (const p of spec.positionals) lines.push(`  ${`<${p.name}>`.padEnd(width)}  ${p.description}`);
  }
  if (Object.keys(spec.options).length) lines.push('', 'Options:', ...optionLines(spec.options));
  lines.push('', 'Global options:', ...optionLines(GLOBAL_OPTIONS));
  if (spec.examples.length) lines.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`));
  return `${lines.join('\n')}\n`;
}

export function globalHelp(commands: ReadonlyArray<{ name: string; synopsis: string; summary: string }>): string {
  const width = Math.max(...commands.map((c) => c.synopsis.length));
  return [
    'Usage: drivetrain <command> [options]',
    '',
    'Operator tooling for Drivetrain: validate policy, send business drivers, inspect live drivers and',
    'decisions, explain a decision, pause/resume and promote targets.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.synopsis.padEnd(width)}  ${c.summary}`),
    '',
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Run `drivetrain <command> --help` for the options of a command, `drivetrain --version` for the version.',
    'Exit codes: 0 ok, 1 the command failed (or validation found problems), 2 usage error.',
    '',
  ].join('\n');
}
