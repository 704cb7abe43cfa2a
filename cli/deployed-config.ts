/**
 * Which config a command reads the tables with. Read commands (status, decisions, explain, drivers,
 * report --since) prefer the deployed config the tick recorded in the state table: it is what the Lambdas run,
 * and a local draft must not reinterpret what they decided. So they need no local copy; a local file (or
 * --config) still names the table prefix when no --table-prefix is given, and is compared with the deployed
 * one (one warning line when it differs). Only when nothing is recorded yet (a deployment older than this
 * record, or one whose tick has not run yet) does a read command use the local file, as before.
 *
 * Write commands and `replay`/`report --policy` keep reading the file: it is the config under change or
 * under test, not the deployed one.
 */
import { existsSync } from 'node:fs';
import type { DrivetrainConfig } from '../functions/domain/config';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CorruptItemError, type DeployedConfig } from '../functions/ports';
import { stringOption, type Parsed } from './args';
import { CommandError } from './errors';
import { age } from './format';

/** Where the config a command used came from (`drivetrain status` shows it). */
export type ConfigSource =
  | { kind: 'deployed'; version: string; recordedAt: number; table: string }
  | { kind: 'file'; file: string };

/** The commands that only read the tables, and so use the deployed config. */
export function readsDeployedConfig(command: string, parsed: Parsed): boolean {
  if (command === 'report') return stringOption(parsed, 'since') !== undefined;
  return ['status', 'decisions', 'explain', 'drivers'].includes(command);
}

/** The prefix of `npm run demo -- --keep`'s tables (named after the shipped config): what --local defaults to. */
export const LOCAL_DEFAULT_PREFIX = 'drivetrain';

/** The first 12 hex digits of a version: enough to tell deployments apart, short enough to read. */
export function shortVersion(version: string): string {
  return version.slice(0, 12);
}

export function describeSource(source: ConfigSource, now: number): string {
  if (source.kind === 'file') return `${source.file} (no deployed config recorded yet)`;
  const at = new Date(source.recordedAt * 1000).toISOString().replace('.000Z', 'Z');
  return `deployed version ${shortVersion(source.version)}, recorded ${at} (${age(now, source.recordedAt)} ago)`;
}

/** What a read command needs from its context (cli/context.ts). */
export interface ReadConfigContext {
  readonly parsed: Parsed;
  configFile(): string;
  displayPath(path: string): string;
  now(): number;
  note(text: string): void;
  fileConfig(): Promise<DrivetrainConfig>;
  tables(): Promise<{ state: string }>;
  dynamo(): DynamoDBDocumentClient;
  aws<T>(label: string, work: () => Promise<T>): Promise<T>;
}

/** The recorded config, undefined when none is, or the CorruptItemError of an item that does not decode. */
async function readDeployed(
  ctx: ReadConfigContext,
  table: string,
): Promise<DeployedConfig | CorruptItemError | undefined> {
  const { DynamoDeployedConfigStore } = await import('../functions/adapters/dynamodb/deployed-config');
  const store = new DynamoDeployedConfigStore(ctx.dynamo(), table);
  // A corrupt item is not an AWS failure: kept out of aws()'s explanations and reported as what it is.
  return ctx.aws('reading the deployed config', () =>
    store.read().catch((error: unknown) => (error instanceof CorruptItemError ? error : Promise.reject(error))),
  );
}

export async function readCommandConfig(
  ctx: ReadConfigContext,
): Promise<{ config: DrivetrainConfig; source: ConfigSource }> {
  const file = ctx.configFile();
  const display = ctx.displayPath(file);
  // A file the operator named must exist (a typo is not "use the deployed one"): fileConfig says it is missing.
  if (stringOption(ctx.parsed, 'config') !== undefined && !existsSync(file)) await ctx.fileConfig();
  const table = (await ctx.tables()).state;
  const deployed = await readDeployed(ctx, table);
  if (deployed instanceof CorruptItemError) {
    const problem = `cannot read the deployed config in ${table}: ${deployed.issues}`;
    if (!existsSync(file))
      throw new CommandError(
        problem,
        ['the next tick rewrites it with the config the functions run (within a minute)'],
        {
          cause: deployed,
        },
      );
    ctx.note(`warning: ${problem}; using ${display}`);
    return { config: await ctx.fileConfig(), source: { kind: 'file', file: display } };
  }
  if (!deployed) {
    if (existsSync(file)) return { config: await ctx.fileConfig(), source: { kind: 'file', file: display } };
    throw new CommandError(`no deployed config recorded in ${table} yet, and no config file ${display}`, [
      'the tick records the config it runs with at its first run after a deploy (within a minute); wait for it',
      'or pass --config FILE, or check the table prefix (--table-prefix, DRIVETRAIN_TABLE_PREFIX)',
    ]);
  }
  const source: ConfigSource = { kind: 'deployed', version: deployed.version, recordedAt: deployed.recordedAt, table };
  ctx.note(`config: ${describeSource(source, ctx.now())}`);
  if (existsSync(file)) {
    const { configVersion } = await import('../functions/adapters/dynamodb/deployed-config-item');
    const local = await ctx.fileConfig().then(configVersion, () => undefined);
    if (local !== deployed.version)
      ctx.note(
        `warning: ${display} ${local === undefined ? 'does not validate and ' : ''}differs from the deployed config; ` +
          'showing the deployed one (what the Lambdas run)',
      );
  }
  return { config: deployed.config, source };
}
