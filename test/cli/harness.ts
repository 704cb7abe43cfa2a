/** Runs the CLI in-process with captured output, a fixed clock and injected clients. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseConfig, type DrivetrainConfig } from '../../functions/domain/config';
import { run, type CliIo } from '../../cli/run';

export const REPO_ROOT = join(__dirname, '..', '..');
/** 2026-11-27T10:00:00Z: a Friday morning, inside the seeded flash-sale window. */
export const NOW = Date.parse('2026-11-27T10:00:00Z') / 1000;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function cli(argv: string[], io: Partial<CliIo> = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    env: {},
    now: () => NOW,
    cwd: REPO_ROOT,
    ...io,
  });
  return { code, stdout, stderr };
}

/** The shipped config (drivetrain.config.yaml), parsed the way the Lambdas parse it. */
export function shippedConfig(): DrivetrainConfig {
  return parseConfig(
    parse(readFileSync(join(REPO_ROOT, 'drivetrain.config.yaml'), 'utf8')),
    'drivetrain.config.yaml',
  ) as DrivetrainConfig;
}
