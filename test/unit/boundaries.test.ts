/**
 * The import boundaries of biome.jsonc catch what they are meant to. The rules match import specifiers by
 * pattern, so a pattern that silently stopped matching (a typo, a Biome upgrade changing glob semantics) would
 * leave CI green while the layering rots; this test lints a tree of small files laid out like the repository
 * with the repository's own configuration and checks every deliberately bad import is reported, and every
 * allowed one is not.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const BIOME = join(ROOT, 'node_modules', '@biomejs', 'biome', 'bin', 'biome');

interface Case {
  /** Where the importing file sits, relative to the repository root. */
  file: string;
  specifier: string;
  /** The rule that must report it, or undefined when the import is allowed. */
  rule?: 'noRestrictedImports';
}

const CASES: Case[] = [
  // domain: domain and zod only
  { file: 'functions/domain/engine.ts', specifier: './model' },
  { file: 'functions/domain/engine.ts', specifier: 'zod' },
  { file: 'functions/domain/engine.ts', specifier: '../ports', rule: 'noRestrictedImports' },
  { file: 'functions/domain/engine.ts', specifier: '../contracts', rule: 'noRestrictedImports' },
  { file: 'functions/domain/engine.ts', specifier: '@aws-sdk/client-sts', rule: 'noRestrictedImports' },
  { file: 'functions/domain/engine.ts', specifier: 'node:crypto', rule: 'noRestrictedImports' },
  // ports: domain only
  { file: 'functions/ports/index.ts', specifier: '../domain/model' },
  { file: 'functions/ports/index.ts', specifier: './errors' },
  { file: 'functions/ports/index.ts', specifier: '../adapters/dynamodb', rule: 'noRestrictedImports' },
  { file: 'functions/ports/index.ts', specifier: '../executors', rule: 'noRestrictedImports' },
  // app: ports + domain (+ contracts); the leak was adapters/dynamodb/errors
  { file: 'functions/app/reconcile.ts', specifier: '../ports' },
  { file: 'functions/app/reconcile.ts', specifier: '../domain/engine' },
  { file: 'functions/app/reconcile.ts', specifier: '../contracts' },
  { file: 'functions/app/reconcile.ts', specifier: '../adapters/dynamodb/errors', rule: 'noRestrictedImports' },
  { file: 'functions/app/reconcile.ts', specifier: '../executors/errors', rule: 'noRestrictedImports' },
  { file: 'functions/app/reconcile.ts', specifier: '../handlers/common', rule: 'noRestrictedImports' },
  { file: 'functions/app/reconcile.ts', specifier: '../runtime/deps', rule: 'noRestrictedImports' },
  { file: 'functions/app/reconcile.ts', specifier: '@aws-sdk/client-dynamodb', rule: 'noRestrictedImports' },
  // adapters: not executors (the issue's leak: weighted-routing threw the executors' error), app, handlers
  { file: 'functions/adapters/aws/weighted-routing.ts', specifier: '../../ports' },
  { file: 'functions/adapters/aws/weighted-routing.ts', specifier: '@aws-sdk/client-route-53' },
  { file: 'functions/adapters/aws/weighted-routing.ts', specifier: '../dynamodb/items' },
  {
    file: 'functions/adapters/aws/weighted-routing.ts',
    specifier: '../../executors/errors',
    rule: 'noRestrictedImports',
  },
  { file: 'functions/adapters/aws/shard-queue.ts', specifier: '../../app/shards', rule: 'noRestrictedImports' },
  { file: 'functions/adapters/dynamodb/store.ts', specifier: '../../handlers/common', rule: 'noRestrictedImports' },
  // executors: through ports only
  { file: 'functions/executors/retry.ts', specifier: '../ports' },
  { file: 'functions/executors/retry.ts', specifier: '../adapters/aws', rule: 'noRestrictedImports' },
  { file: 'functions/executors/retry.ts', specifier: '@aws-sdk/client-lambda', rule: 'noRestrictedImports' },
  // ingest: pure normalizer
  { file: 'functions/ingest/normalize.ts', specifier: '../domain/model' },
  { file: 'functions/ingest/normalize.ts', specifier: '../ports', rule: 'noRestrictedImports' },
  // handlers: wiring comes from the runtime
  { file: 'functions/handlers/tick.ts', specifier: '../runtime/deps' },
  { file: 'functions/handlers/tick.ts', specifier: '../app/reconcile' },
  { file: 'functions/handlers/tick.ts', specifier: '../adapters/dynamodb', rule: 'noRestrictedImports' },
  // runtime: not handlers (the leak: runtime/deps imported HandlerDeps from handlers/common)
  { file: 'functions/runtime/deps.ts', specifier: '../adapters/dynamodb/decision-store' },
  { file: 'functions/runtime/deps.ts', specifier: '../app/deps' },
  { file: 'functions/runtime/deps.ts', specifier: '../handlers/common', rule: 'noRestrictedImports' },
  // lib and cli
  { file: 'lib/tables.ts', specifier: '../functions/adapters/dynamodb/tables' },
  { file: 'lib/tables.ts', specifier: '../functions/handlers/tick', rule: 'noRestrictedImports' },
  { file: 'cli/commands/mode.ts', specifier: '../../functions/app/mode' },
  { file: 'cli/commands/mode.ts', specifier: '../../functions/runtime/deps', rule: 'noRestrictedImports' },
];

/** The repository's configuration, minus what only makes sense at the repository root. */
function configFor(dir: string): void {
  const text = readFileSync(join(ROOT, 'biome.jsonc'), 'utf8').replace(/^\s*"\$schema": .*\n/m, '');
  writeFileSync(join(dir, 'biome.jsonc'), text);
}

function write(dir: string, file: string, text: string): void {
  mkdirSync(dirname(join(dir, file)), { recursive: true });
  writeFileSync(join(dir, file), text);
}

interface Reported {
  rule: string;
  file: string;
  line: number;
}

/** Lints `dir` and returns what Biome reported, from its GitHub reporter (one `::error` line per finding). */
function lint(dir: string, paths: string[]): Reported[] {
  let output: string;
  try {
    output = execFileSync(process.execPath, [BIOME, 'lint', '--reporter=github', '--vcs-enabled=false', ...paths], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    output = String((error as { stdout?: unknown }).stdout ?? '');
  }
  return [...output.matchAll(/^::error title=lint\/[a-z]+\/(\w+),file=([^,]+),line=(\d+)/gm)].map((m) => ({
    rule: m[1]!,
    file: m[2]!.slice(dir.length + 1),
    line: Number(m[3]),
  }));
}

describe('import boundaries (biome.jsonc overrides)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'drivetrain-boundaries-'));
    configFor(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports every forbidden import and no allowed one', () => {
    // One file per case, importing one thing and using it (so only the boundary rule can fire).
    const files = CASES.map((c, i) => {
      const file = c.file.replace(/\.ts$/, `-${i}.ts`);
      write(dir, file, `import { thing } from '${c.specifier}';\n\nexport const used = thing;\n`);
      return file;
    });
    const reported = lint(dir, ['functions', 'lib', 'cli']);
    const verdicts = CASES.map((c, i) => ({
      ...c,
      reported: reported.filter((r) => r.file === files[i]).map((r) => r.rule),
    }));
    const wrong = verdicts.filter((v) => v.reported.join() !== (v.rule ?? ''));
    expect(wrong).toEqual([]);
  });

  it('also catches a re-export and a dynamic import', () => {
    write(dir, 'functions/app/reexport.ts', "export { ConcurrentDecisionError } from '../adapters/dynamodb/errors';\n");
    write(dir, 'functions/app/lazy.ts', "export const load = () => import('../adapters/dynamodb');\n");
    const reported = lint(dir, ['functions/app/reexport.ts', 'functions/app/lazy.ts']);
    expect(reported.map((r) => `${r.file} ${r.rule}`).sort()).toEqual([
      'functions/app/lazy.ts noRestrictedImports',
      'functions/app/reexport.ts noRestrictedImports',
    ]);
  });

  it('reports an import cycle between two modules', () => {
    write(dir, 'functions/app/cycle-a.ts', "import { b } from './cycle-b';\n\nexport const a = () => b;\n");
    write(dir, 'functions/app/cycle-b.ts', "import { a } from './cycle-a';\n\nexport const b = () => a;\n");
    const reported = lint(dir, ['functions/app/cycle-a.ts', 'functions/app/cycle-b.ts']);
    expect(reported.filter((r) => r.rule === 'noImportCycles').map((r) => r.file)).toEqual(
      expect.arrayContaining(['functions/app/cycle-a.ts', 'functions/app/cycle-b.ts']),
    );
  });
});
