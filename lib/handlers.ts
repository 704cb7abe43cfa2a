/**
 * The Lambda handlers the construct deploys, in one table: adding a handler is one entry here (its bundle is
 * then built by scripts/build-lambdas.ts and found by `handlerBundleDir`).
 *
 * Why the bundles are pre-built into the package instead of esbuild running in the consumer's `cdk synth`:
 * the code a stack deploys is then byte for byte the code this package's tests ran (same esbuild, same
 * dependency versions, whatever the consumer's lock file resolves), `cdk synth` needs neither esbuild nor
 * Docker nor our TypeScript sources, and a synth costs a file copy instead of two bundler runs. The price is
 * a larger tarball (the bundles), which `npm install` pays once.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const HANDLER_SOURCES = {
  ingest: 'functions/handlers/ingest.ts',
  tick: 'functions/handlers/tick.ts',
  shard: 'functions/handlers/shard.ts',
  operator: 'functions/handlers/operator.ts',
} as const satisfies Record<string, string>;

export type HandlerName = keyof typeof HANDLER_SOURCES;
export const HANDLER_NAMES = Object.keys(HANDLER_SOURCES) as HandlerName[];

/** The ES module each bundle directory holds; it exports `handler`. */
export const BUNDLE_FILE = 'handler.mjs';

/**
 * The package root: the nearest directory above this file with a package.json. In the repository that is
 * the checkout (lib/ → ..); installed, this file is dist/lib/handlers.js and dist/ has no package.json.
 */
export const PACKAGE_ROOT = findPackageRoot(__dirname);

/** Where scripts/build-lambdas.ts writes the bundles, in the repository and in the package alike. */
export const BUNDLES_DIR = join(PACKAGE_ROOT, 'dist', 'lambda');

export function handlerBundleDir(name: HandlerName): string {
  return join(BUNDLES_DIR, name);
}

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${start}`);
  }
}
