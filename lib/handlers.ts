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
import { existsSync, readFileSync } from 'node:fs';
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
 * Next to each bundle: the id of the sources and dependency versions it was built from, which is also compiled
 * into it (scripts/build-lambdas.ts). Not deployed; the construct seals a config with it
 * (functions/config-seal.ts).
 */
export const BUILD_ID_FILE = 'build-id';

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

/** The build id of the bundle in `dir`, or undefined when it has none (a bundle not built by build-lambdas). */
export function bundleBuildId(dir: string): string | undefined {
  const file = join(dir, BUILD_ID_FILE);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() || undefined : undefined;
}

/**
 * The build id of this package's own bundles: built together with the construct from the same sources, so
 * their validator is the one the construct validated the config with.
 */
export function ownBuildId(): string | undefined {
  return bundleBuildId(handlerBundleDir(HANDLER_NAMES[0]!));
}

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${start}`);
  }
}
