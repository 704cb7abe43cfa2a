/**
 * Builds the Lambda bundles the construct deploys: one minified ES module per entry of HANDLER_SOURCES, in
 * dist/lambda/<name>/handler.mjs. Run by `npm run build` (and so by `prepack`) and before the tests that
 * synthesize or run bundles (test/support/build-setup.ts), so neither sees a stale bundle.
 *
 *   tsx scripts/build-lambdas.ts [--quiet]   (cdk.json's app runs it before every synth)
 *
 * What keeps the bundles lean (numbers from `npm run bench:cold-start`, see the README):
 * - Code splitting: an SDK client only some targets or configs need (Auto Scaling, Lambda, Route 53,
 *   CloudWatch) is a chunk loaded on its first use (functions/runtime/clients.ts), not at every cold start.
 * - The config is validated at synth and sealed for the bundles of this build, so a cold start neither builds
 *   the config schemas nor parses the config (functions/config-seal.ts).
 * - zod is imported as a namespace (`import * as z`), see `zodNamespaceImports`.
 * - The X-Ray SDK's patcher for the AWS SDK v2 (and `semver` with it) is left out, see `xraySdkV2PatcherStub`;
 *   so is the JMESPath engine of Powertools idempotency, see `idempotencyWithoutJmesPath`.
 * - Named imports from the SDK's protocol barrels go to the defining modules, see `directBarrelImports`.
 * - The AWS SDK's default credential chain is replaced by the environment provider Lambda actually uses
 *   (functions/runtime/lambda-credentials.ts says why that is exact, not a shortcut).
 * - No source map on the runtime path: `--enable-source-maps` made Node parse a multi-megabyte map at every
 *   cold start. The map is written next to the bundle but not deployed; error names and messages are ours
 *   (not minified), and a frame's line:column maps to the source with the map of the same version.
 * - The AWS SDK stays bundled (tree-shaken to the clients and commands used): taking it from the runtime
 *   would make the bundle smaller but its cold import slower (the runtime's SDK is whole CommonJS packages),
 *   and the deployed code would run an SDK version nobody tested.
 */
import { build, type Metafile, type Plugin } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { BUILD_ID_FILE, BUNDLE_FILE, BUNDLES_DIR, HANDLER_NAMES, HANDLER_SOURCES, PACKAGE_ROOT } from '../lib/handlers';

/**
 * Runs before the bundled code. ESM output lets handlers use top-level await, but CommonJS dependencies
 * bundled into it still call require() for Node built-ins, which an ES module lacks until it is recreated
 * from import.meta.url.
 */
export const BUNDLE_BANNER = [
  "import { createRequire as __drivetrainCreateRequire } from 'node:module';",
  'const require = __drivetrainCreateRequire(import.meta.url);',
].join(' ');

/**
 * `import { z } from 'zod'` (our code and Powertools' parser schemas) binds zod's re-exported namespace
 * object as a value, which esbuild then keeps whole: every locale's error messages and the JSON-schema
 * converters, about 355 KB of a 1.27 MB bundle. As `import * as z from 'zod'` each `z.object` is a plain
 * named import esbuild can tree-shake. Same module, same bindings: only how the bundler sees them changes.
 */
export const zodNamespaceImports: Plugin = {
  name: 'zod-namespace-imports',
  setup(pluginBuild) {
    const namedZ = /import\s*\{\s*z\s*\}\s*from\s*(['"])zod\1/g;
    pluginBuild.onLoad({ filter: /\.(ts|m?js)$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!namedZ.test(source)) return undefined;
      namedZ.lastIndex = 0;
      return {
        contents: source.replace(namedZ, "import * as z from 'zod'"),
        loader: args.path.endsWith('.ts') ? 'ts' : 'js',
      };
    });
  },
};

/**
 * Resolves the X-Ray SDK's patcher for the AWS SDK v2 to functions/runtime/xray-sdk-v2-patcher.ts (that
 * module says why nothing can reach it). The SDK's entry module requires every patcher eagerly.
 */
export const xraySdkV2PatcherStub: Plugin = {
  name: 'xray-sdk-v2-patcher-stub',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^\.\/patchers\/aws_p$/ }, (args) =>
      args.importer.split(sep).includes('aws-xray-sdk-core')
        ? { path: join(PACKAGE_ROOT, 'functions/runtime/xray-sdk-v2-patcher.ts') }
        : undefined,
    );
  },
};

/**
 * Resolves Powertools idempotency's imports of the JMESPath engine to functions/runtime/jmespath-not-bundled.ts
 * (that module says why ingest never evaluates an expression).
 */
export const idempotencyWithoutJmesPath: Plugin = {
  name: 'idempotency-without-jmespath',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^@aws-lambda-powertools\/jmespath(\/functions)?$/ }, (args) =>
      args.importer.split(sep).includes('idempotency')
        ? { path: join(PACKAGE_ROOT, 'functions/runtime/jmespath-not-bundled.ts') }
        : undefined,
    );
  },
};

/**
 * The AWS SDK's protocol barrels (`@aws-sdk/core/protocols`, `@smithy/core/protocols`) re-export every
 * protocol: JSON for DynamoDB and SQS, but also the XML and query codecs only the on-demand clients use (Auto
 * Scaling, Route 53, ...). esbuild's code splitting places a module by which entry points reach it through
 * the import graph, and a barrel reaches all of them, so the XML and query code (about 20 KB with
 * xml-builder) landed in the chunk every entry imports. Rewriting each named import from a barrel to an
 * import of the module that defines it (read from the barrel's own `export { ... } from` lines) makes the
 * graph say what is used. The same bindings from the same files: only the path esbuild follows changes.
 */
export const directBarrelImports: Plugin = {
  name: 'direct-barrel-imports',
  setup(pluginBuild) {
    const barrels = ['@aws-sdk/core/protocols', '@smithy/core/protocols'];
    const importFrom = /import\s*\{([^}]*)\}\s*from\s*"(@aws-sdk\/core\/protocols|@smithy\/core\/protocols)";/g;
    // barrel file → exported name → [module path, name in that module]
    const exportMaps = new Map<string, Map<string, [string, string]>>();
    const exportMap = (barrelFile: string) => {
      let map = exportMaps.get(barrelFile);
      if (map) return map;
      map = new Map();
      const reexport = /export\s*\{([^}]*)\}\s*from\s*"([^"]+)";/g;
      for (const [, names, from] of readFileSync(barrelFile, 'utf8').matchAll(reexport)) {
        const target = from!.startsWith('.') ? `${join(barrelFile, '..', from!)}.js` : from!;
        for (const [imported, exported = imported] of specifiers(names!)) map.set(exported!, [target, imported!]);
      }
      exportMaps.set(barrelFile, map);
      return map;
    };
    pluginBuild.onLoad({ filter: /[\\/]node_modules[\\/]@(aws-sdk|smithy)[\\/].*\.js$/ }, async (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!barrels.some((barrel) => source.includes(`"${barrel}"`))) return undefined;
      const resolveDir = join(args.path, '..');
      const files = new Map<string, string>();
      for (const barrel of barrels) {
        const resolved = await pluginBuild.resolve(barrel, { kind: 'import-statement', resolveDir });
        if (resolved.errors.length === 0) files.set(barrel, resolved.path);
      }
      const missing: string[] = [];
      const contents = source.replace(importFrom, (_statement, names: string, barrel: string) => {
        const map = files.has(barrel) ? exportMap(files.get(barrel)!) : undefined;
        const direct = specifiers(names).map(([imported, local = imported]) => {
          const found = map?.get(imported!);
          if (!found) missing.push(`${imported} from ${barrel}`);
          return found ? `import { ${found[1]} as ${local} } from ${JSON.stringify(found[0])};` : '';
        });
        return direct.join(' ');
      });
      // Loud rather than a silently larger bundle: an SDK upgrade that re-exports a name some other way
      // (export *) needs this plugin looked at.
      if (missing.length > 0)
        return { errors: missing.map((text) => ({ text: `direct-barrel-imports: no named re-export of ${text}` })) };
      return { contents, loader: 'js', resolveDir };
    });
  },
};

/** `A, B as C,` → [['A'], ['B', 'C']]. */
function specifiers(list: string): string[][] {
  return list
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => part.split(/\s+as\s+/));
}

/**
 * Per bundle, as a regression guard (bundle.test.ts holds every handler to it), counting what Node loads at
 * cold start: the entry module and the chunks it imports statically, not the chunks loaded on first use. Node
 * parses and compiles every byte of an ES module before the handler's first line runs, so bytes are
 * cold-start time. The goal is 600 KB per handler and it is met: the handlers are 537-576 KB (ingest, which
 * alone carries Powertools idempotency, is the largest). What every handler needs (DynamoDB on @smithy/core,
 * zod, Powertools with the X-Ray SDK) is most of it, and the README ("Lean Lambdas") says what is left. The
 * budget sits below the goal with room for a small feature, not for an accidentally bundled dependency (an
 * SDK client is 20-70 KB, zod's locales were 355 KB, the SDK's XML codecs 22 KB).
 */
export const LAMBDA_BUNDLE_BUDGET_BYTES = 590 * 1024;

/**
 * The id of what the bundles are built from: every source under functions/ and the locked dependency
 * versions (the lock file, when there is one). Compiled into each bundle and written next to it (BUILD_ID_FILE), so the construct can seal a
 * config for the bundles of its own build (functions/config-seal.ts). Derived from content, not the
 * clock, so an unchanged tree builds byte-identical bundles (and CDK assets that need no redeploy).
 */
export function sourceBuildId(root = PACKAGE_ROOT): string {
  const hash = createHash('sha256');
  const files = readdirSync(join(root, 'functions'), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
  // The lock file pins what node_modules holds; a copy of the tree without one (the package test builds from
  // the files npm packs) falls back to the declared ranges.
  const manifests = ['package.json', 'package-lock.json'].filter((file) => existsSync(join(root, file)));
  for (const file of [...files, ...manifests])
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(join(root, file)))
      .update('\0');
  return hash.digest('hex').slice(0, 32);
}

export interface BundleResult {
  /** The entry module, `outdir/handler.mjs`. */
  file: string;
  /** What Node loads at cold start: the entry module and every chunk it imports statically, transitively. */
  bytes: number;
  /** Every module of the bundle, the chunks loaded on first use included. */
  totalBytes: number;
}

/**
 * Bundles one handler entry into `outdir/handler.mjs`, plus the chunks it imports on demand (`import()`,
 * e.g. an SDK client only some targets need: functions/runtime/clients.ts) and a source map per module.
 */
export async function buildHandlerBundle(
  entry: string,
  outdir: string,
  buildId = sourceBuildId(),
): Promise<BundleResult> {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    define: { __DRIVETRAIN_BUILD_ID__: JSON.stringify(buildId) },
    entryPoints: { [BUNDLE_FILE.replace(/\.mjs$/, '')]: entry },
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunk-[hash]',
    // A dynamic import() becomes a chunk of its own, loaded when it first runs; what the entry and a chunk
    // share goes to a chunk both import statically.
    splitting: true,
    metafile: true,
    absWorkingDir: PACKAGE_ROOT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: true,
    // Written for whoever symbolicates a trace; without a sourceMappingURL comment nothing loads it.
    sourcemap: 'external',
    sourcesContent: false,
    mainFields: ['module', 'main'],
    banner: { js: BUNDLE_BANNER },
    plugins: [zodNamespaceImports, xraySdkV2PatcherStub, idempotencyWithoutJmesPath, directBarrelImports],
    alias: { '@aws-sdk/credential-provider-node': join(PACKAGE_ROOT, 'functions/runtime/lambda-credentials.ts') },
    logLevel: 'warning',
  });
  writeFileSync(join(outdir, BUILD_ID_FILE), `${buildId}\n`);
  const file = join(outdir, BUNDLE_FILE);
  return { file, ...moduleBytes(result.metafile, relative(PACKAGE_ROOT, file)) };
}

/** The bytes of the modules loaded at cold start (the entry's static imports, transitively) and of all. */
export function moduleBytes(metafile: Metafile, entryOutput: string): { bytes: number; totalBytes: number } {
  const outputs = metafile.outputs;
  const atColdStart = new Set<string>();
  const visit = (path: string) => {
    if (atColdStart.has(path) || !outputs[path]) return;
    atColdStart.add(path);
    for (const imported of outputs[path].imports) if (imported.kind === 'import-statement') visit(imported.path);
  };
  visit(entryOutput.split(sep).join('/'));
  if (atColdStart.size === 0) throw new Error(`${entryOutput} is not an output of the build`);
  const code = Object.entries(outputs).filter(([path]) => !path.endsWith('.map'));
  const sum = (entries: typeof code) => entries.reduce((total, [, output]) => total + output.bytes, 0);
  return { bytes: sum(code.filter(([path]) => atColdStart.has(path))), totalBytes: sum(code) };
}

export async function buildLambdaBundles(outRoot = BUNDLES_DIR): Promise<Record<string, BundleResult>> {
  const buildId = sourceBuildId();
  const results = await Promise.all(
    HANDLER_NAMES.map(
      async (name) =>
        [
          name,
          await buildHandlerBundle(join(PACKAGE_ROOT, HANDLER_SOURCES[name]), join(outRoot, name), buildId),
        ] as const,
    ),
  );
  return Object.fromEntries(results);
}

if (require.main === module) {
  const quiet = process.argv.includes('--quiet');
  buildLambdaBundles().then(
    (results) => {
      if (quiet) return;
      for (const [name, { file, bytes }] of Object.entries(results))
        process.stdout.write(
          `${name.padEnd(8)} ${(bytes / 1024).toFixed(0).padStart(5)} KB  ${relative(process.cwd(), file)}\n`,
        );
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
