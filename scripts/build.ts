/**
 * `npm run build` (also `prepack`): the published package's dist/ from scratch.
 *
 * 1. tsc -p tsconfig.build.json: the construct library, the config entry and the CLI as CommonJS + .d.ts.
 * 2. The data files the compiled code reads next to itself: the shipped traces (`drivetrain validate
 *    --replay`) and the embedded example config. Compiled files keep their depth under dist/ (dist/cli,
 *    dist/local/replay), so the same `__dirname`-relative paths find dist/traces as they find traces/ here.
 * 3. The CLI's help pages, for answering `--help` without loading the commands (cli/quick-answers.ts).
 * 4. The Lambda bundles (scripts/build-lambdas.ts).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { helpPages } from '../cli/run';
import { PACKAGE_ROOT } from '../lib/handlers';
import { buildLambdaBundles } from './build-lambdas';

export const DIST = join(PACKAGE_ROOT, 'dist');
const DATA_FILES = ['traces', 'drivetrain.config.yaml'];

export async function buildPackage(): Promise<void> {
  rmSync(DIST, { recursive: true, force: true });
  const tsc = spawnSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', join(PACKAGE_ROOT, 'tsconfig.build.json')],
    { stdio: 'inherit' },
  );
  if (tsc.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed (exit ${tsc.status ?? tsc.signal})`);
  for (const file of DATA_FILES) cpSync(join(PACKAGE_ROOT, file), join(DIST, file), { recursive: true });
  writeFileSync(join(DIST, 'cli', 'help.json'), `${JSON.stringify(helpPages(), null, 2)}\n`);
  const bundles = await buildLambdaBundles();
  for (const [name, { bytes }] of Object.entries(bundles))
    process.stdout.write(`dist/lambda/${name}: ${(bytes / 1024).toFixed(0)} KB\n`);
}

if (require.main === module) {
  buildPackage().catch((error: unknown) => {
    process.stderr.write(`build failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
