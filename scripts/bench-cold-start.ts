/**
 * Cold import of the Lambda bundles: how long a fresh Node process takes to import each deployed entry
 * module (parse, compile and run its module scope, which builds the SDK clients and validates the config, as
 * in a Lambda execution environment), next to a minimal DynamoDB DocumentClient handler bundled the same way.
 *
 *   npm run bench:cold-start                   # 21 rounds
 *   npm run bench:cold-start -- --runs 41 --json
 *   npm run bench:cold-start -- --check        # exit 1 when a bundle misses a goal
 *
 * Each round runs every subject once, in a shuffled order, so load from other processes on the machine
 * falls on all of them alike; the verdict compares medians against the goals: at most
 * LAMBDA_BUNDLE_GOAL_BYTES per bundle and MAX_COLD_IMPORT_RATIO times the baseline's cold import.
 */
import { spawnSync } from 'node:child_process';
import { deployedEnvironmentStandIn } from './lambda-environment';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ENV, METRICS_NAMESPACE, SERVICE_NAME } from '../functions/contracts';
import { stageLambdaCode } from '../lib/drivetrain-function';
import { HANDLER_NAMES, PACKAGE_ROOT } from '../lib/handlers';
import { loadConfigFile } from '../lib/config-file';
import { mulberry32 } from '../local/random';
import { buildHandlerBundle, buildLambdaBundles } from './build-lambdas';

/** The goals of issue 13: a handler's cold start may cost at most half again the smallest DynamoDB handler's. */
export const MAX_COLD_IMPORT_RATIO = 1.5;
export const LAMBDA_BUNDLE_GOAL_BYTES = 600 * 1024;
const BASELINE = 'baseline';
/**
 * Yardsticks measured in the same run, none of them a goal: the baseline the goal is relative to, then what
 * the stack requires of every handler on top of it (Powertools Logger, Metrics and Tracer; an event schema in
 * zod), so the output shows how much of the allowance the required libraries use before Drivetrain's code.
 */
const YARDSTICKS = [
  { name: BASELINE, source: 'local/bench/cold-start-baseline.ts' },
  { name: 'powertools', source: 'local/bench/cold-start-powertools.ts' },
  { name: 'pt + zod', source: 'local/bench/cold-start-powertools-zod.ts' },
] as const;

interface Subject {
  name: string;
  entry: string;
  /** The modules Node loads at cold start: the entry module and the chunks it imports statically. */
  bytes: number;
  /** The chunks loaded on first use (an SDK client only some targets need), not at cold start. */
  onDemandBytes: number;
  /** A yardstick, measured for comparison and held to no goal. */
  yardstick: boolean;
}

/** What the stack puts in a function's environment, plus what Lambda itself sets; no NODE_OPTIONS (the stack sets none). */
function lambdaEnvironment(): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !key.startsWith('AWS_') && key !== 'NODE_OPTIONS' && key !== ENV.config,
    ),
  );
  return {
    ...inherited,
    AWS_LAMBDA_FUNCTION_NAME: 'cold-start-bench',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SESSION_TOKEN: 'bench',
    // Node 22 in Lambda; the bench runs on whatever Node runs it, and the warning is not what is measured.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    ...deployedEnvironmentStandIn('bench'),
  };
}

/** Milliseconds from `import()` to the module being ready, in a fresh process. */
function coldImportMs(entry: string, env: NodeJS.ProcessEnv): number {
  const script = `const t0 = performance.now(); await import(${JSON.stringify(pathToFileURL(entry).href)}); process.stdout.write(String(performance.now() - t0));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env,
    encoding: 'utf8',
    cwd: tmpdir(),
  });
  const ms = Number(result.stdout);
  if (result.status !== 0 || !Number.isFinite(ms))
    throw new Error(`importing ${entry} failed (exit ${result.status}): ${result.stderr.trim()}`);
  return ms;
}

export function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

async function subjects(scratch: string): Promise<Subject[]> {
  const loaded = loadConfigFile(join(PACKAGE_ROOT, 'drivetrain.config.yaml'));
  if (!loaded.ok) throw new Error(loaded.messages.join('\n'));
  const bundles = await buildLambdaBundles();
  // Staged exactly as the construct deploys them: the bundle plus the entry module that sets the config.
  const staged = (dir: string) => join(stageLambdaCode(dir, loaded.config), 'index.mjs');
  const yardsticks: Subject[] = [];
  for (const [index, { name, source }] of YARDSTICKS.entries()) {
    const dir = join(scratch, `yardstick-${index}`);
    const built = await buildHandlerBundle(join(PACKAGE_ROOT, source), dir);
    yardsticks.push({ name, entry: staged(dir), bytes: built.bytes, onDemandBytes: 0, yardstick: true });
  }
  return [
    ...yardsticks,
    ...HANDLER_NAMES.map((name) => ({
      name,
      entry: staged(join(bundles[name]!.file, '..')),
      bytes: bundles[name]!.bytes,
      onDemandBytes: bundles[name]!.totalBytes - bundles[name]!.bytes,
      yardstick: false,
    })),
  ];
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '21' },
      json: { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
    },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 3 || runs > 1000)
    throw new Error(`--runs must be a whole number from 3 to 1000, got ${values.runs}`);
  const scratch = mkdtempSync(join(tmpdir(), 'drivetrain-cold-start-'));
  try {
    const list = await subjects(scratch);
    const env = lambdaEnvironment();
    const samples = new Map(list.map((s) => [s.name, [] as number[]]));
    const random = mulberry32(runs);
    for (let round = 0; round < runs; round++) {
      const order = [...list].sort(() => random() - 0.5);
      for (const subject of order) samples.get(subject.name)!.push(coldImportMs(subject.entry, env));
    }
    const stats = list.map((subject) => {
      const sorted = [...samples.get(subject.name)!].sort((a, b) => a - b);
      return {
        name: subject.name,
        yardstick: subject.yardstick,
        bytes: subject.bytes,
        kilobytes: Math.round(subject.bytes / 1024),
        onDemandKilobytes: Math.round(subject.onDemandBytes / 1024),
        medianMs: quantile(sorted, 0.5),
        p25Ms: quantile(sorted, 0.25),
        p75Ms: quantile(sorted, 0.75),
      };
    });
    const baselineMedian = stats[0]!.medianMs;
    const rows = stats.map((s) => ({ ...s, ratio: s.medianMs / baselineMedian }));
    const over = rows.filter(
      (r) => !r.yardstick && (r.ratio > MAX_COLD_IMPORT_RATIO || r.bytes > LAMBDA_BUNDLE_GOAL_BYTES),
    );
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({ node: process.version, runs, rows, within: over.length === 0 }, null, 2)}\n`,
      );
    } else {
      process.stdout.write(
        `cold import, ${runs} fresh processes per bundle, node ${process.version}, NODE_OPTIONS as the stack sets them (none)\n\n`,
      );
      process.stdout.write(
        'size: the modules loaded at cold start (the entry and the chunks it imports); ' +
          'on demand: the chunks loaded on first use\n\n',
      );
      const line = (cells: readonly string[]) =>
        `${cells[0]!.padEnd(10)}${cells[1]!.padStart(9)}${cells[2]!.padStart(11)}` +
        `${cells[3]!.padStart(10)}${cells[4]!.padStart(16)}${cells[5]!.padStart(12)}\n`;
      process.stdout.write(line(['bundle', 'size', 'on demand', 'median', 'p25–p75', '× baseline']));
      for (const [index, r] of rows.entries()) {
        // A rule between the yardsticks and the handlers held to the goal.
        if (index > 0 && rows[index - 1]!.yardstick && !r.yardstick) process.stdout.write(`${'-'.repeat(68)}\n`);
        process.stdout.write(
          line([
            r.name,
            `${r.kilobytes} KB`,
            `${r.onDemandKilobytes} KB`,
            `${r.medianMs.toFixed(1)} ms`,
            `${r.p25Ms.toFixed(0)}–${r.p75Ms.toFixed(0)} ms`,
            r.ratio.toFixed(2),
          ]),
        );
      }
      const goal = `goal: ≤ ${LAMBDA_BUNDLE_GOAL_BYTES / 1024} KB and ≤ ${MAX_COLD_IMPORT_RATIO}× the baseline's median`;
      process.stdout.write(
        `\n${over.length === 0 ? 'within' : `missed by ${over.map((r) => r.name).join(', ')}`}: ${goal}\n`,
      );
    }
    return values.check && over.length > 0 ? 1 : 0;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
