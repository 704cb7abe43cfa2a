/**
 * The package as a user gets it: `npm pack` (which builds dist/ through `prepack`) in a clean copy of the
 * repository, installed into a scratch plain-TypeScript CDK app (test/package/fixtures/scratch-app, compiled
 * with tsc and run with node, no tsx), which builds `new Drivetrain(stack, 'Autoscaling', { config })` and
 * is synthesized; then the installed CLI. The README's "Use it in your CDK app" shows the same commands.
 *
 * The copy keeps `prepack` (which rebuilds dist/ from scratch) away from the repository's dist/, which the
 * other tests read at the same time. aws-cdk-lib, constructs, typescript and @types/node are installed from
 * this repository's node_modules, so the scratch app compiles against the versions the repository tests
 * with, and the package's own dependencies come from the npm cache (the registry when the cache lacks one).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENV } from '../../functions/contracts';
import { helpPages } from '../../cli/run';
import { BUNDLE_FILE, HANDLER_NAMES } from '../../lib/handlers';
import { TABLES } from '../../functions/adapters/dynamodb/tables';

const REPO = join(__dirname, '../..');
const FIXTURE_APP = join(__dirname, 'fixtures/scratch-app');
/** What `npm pack` needs to build the package; everything else of the checkout stays out of the copy. */
const PACKAGE_INPUTS = [
  'package.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'README.md',
  'drivetrain.config.yaml',
  'bin',
  'cli',
  'docs',
  'functions',
  'lib',
  'local',
  'scripts',
  'traces',
];
const LINKED_FROM_REPO = ['aws-cdk-lib', 'constructs', 'typescript', '@types/node'];
const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

const scratch = mkdtempSync(join(tmpdir(), 'drivetrain-pack-'));
const source = join(scratch, 'source');
const app = join(scratch, 'app');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function sh(
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

function must(result: SpawnSyncReturns<string>, what: string): string {
  if (result.status !== 0)
    throw new Error(`${what} failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

let tarball: string;
let tarballFiles: string[];

beforeAll(
  () => {
    for (const input of PACKAGE_INPUTS) cpSync(join(REPO, input), join(source, input), { recursive: true });
    symlinkSync(join(REPO, 'node_modules'), join(source, 'node_modules'), 'dir');
    // --- the commands of the README's "Use it in your CDK app", in order ---------------------------------------
    must(sh('npm', ['pack', '--pack-destination', scratch], source), 'npm pack');
    tarball = join(scratch, `drivetrain-${version}.tgz`);
    tarballFiles = must(sh('tar', ['-tzf', tarball], scratch), 'tar -tzf')
      .trim()
      .split('\n');
    cpSync(FIXTURE_APP, app, { recursive: true });
    const install = (network: '--offline' | '--prefer-offline') =>
      sh(
        'npm',
        [
          'install',
          network,
          '--no-audit',
          '--no-fund',
          tarball,
          ...LINKED_FROM_REPO.map((name) => join(REPO, 'node_modules', name)),
        ],
        app,
      );
    const offline = install('--offline');
    if (offline.status !== 0) must(install('--prefer-offline'), 'npm install');
    must(sh(join(app, 'node_modules/.bin/tsc'), ['-p', '.'], app), 'tsc -p .');
    // What `cdk synth` does with cdk.json's "app": run it with CDK_OUTDIR set.
    must(
      sh(process.execPath, ['build/app.js'], app, { ...process.env, CDK_OUTDIR: join(app, 'cdk.out') }),
      'node build/app.js',
    );
  },
  30 * 60 * 1000,
);

describe('the tarball', () => {
  test('holds compiled JavaScript, declarations, the Lambda bundles and the CLI, and no tests or TypeScript sources', () => {
    expect(tarballFiles).toEqual(
      expect.arrayContaining([
        'package/dist/lib/index.js',
        'package/dist/lib/index.d.ts',
        'package/dist/lib/config.d.ts',
        'package/dist/cli/main.js',
        'package/bin/drivetrain.mjs',
      ]),
    );
    for (const name of HANDLER_NAMES) expect(tarballFiles).toContain(`package/dist/lambda/${name}/${BUNDLE_FILE}`);
    expect(tarballFiles.filter((file) => /(^|\/)test\/|\.test\.|(?<!\.d)\.ts$/.test(file))).toEqual([]);
  });

  test('everything the compiled library and CLI require is a dependency or a peer dependency', () => {
    const installed = join(app, 'node_modules/drivetrain');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
    };
    const declared = new Set([...Object.keys(manifest.dependencies), ...Object.keys(manifest.peerDependencies)]);
    const required = new Set<string>();
    const visit = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) visit(path);
        else if (entry.name.endsWith('.js')) {
          for (const [, specifier] of readFileSync(path, 'utf8').matchAll(/require\("([^".][^"]*)"\)/g)) {
            if (!specifier!.startsWith('node:'))
              required.add(
                specifier!
                  .split('/')
                  .slice(0, specifier!.startsWith('@') ? 2 : 1)
                  .join('/'),
              );
          }
        }
      }
    };
    // dist/lambda is self-contained (bundled); everything else is what `require('drivetrain')` and the CLI load.
    for (const dir of ['lib', 'cli', 'functions', 'local']) visit(join(installed, 'dist', dir));
    expect([...required].filter((name) => !declared.has(name))).toEqual([]);
  });

  test('aws-cdk-lib and constructs are peers: the app has one copy of each, its own', () => {
    const installed = JSON.parse(readFileSync(join(app, 'node_modules/drivetrain/package.json'), 'utf8')) as {
      peerDependencies: Record<string, string>;
      dependencies: Record<string, string>;
    };
    expect(Object.keys(installed.peerDependencies).sort()).toEqual(['aws-cdk-lib', 'constructs']);
    expect(Object.keys(installed.dependencies)).not.toEqual(expect.arrayContaining(['aws-cdk-lib']));
    expect(existsSync(join(app, 'node_modules/drivetrain/node_modules/aws-cdk-lib'))).toBe(false);
    expect(existsSync(join(app, 'node_modules/drivetrain/node_modules/constructs'))).toBe(false);
  });
});

/** A deploy-time value's stand-in of the right shape (a queue URL must parse as one). */
const placeholder = (key: string, value: unknown) => {
  if (JSON.stringify(value) === JSON.stringify({ Ref: 'AWS::AccountId' })) return '111122223333';
  if (JSON.stringify(value) === JSON.stringify({ Ref: 'AWS::Region' })) return 'us-east-1';
  return key.endsWith('_URL')
    ? `https://sqs.us-east-1.amazonaws.com/111122223333/scratch-${key.toLowerCase()}`
    : `scratch-${key.toLowerCase()}`;
};

describe('the synthesized app', () => {
  type Resource = { Type: string; Properties: Record<string, unknown> & { Code?: { S3Key: string } } };
  const template = () =>
    JSON.parse(readFileSync(join(app, 'cdk.out/ScratchStack.template.json'), 'utf8')) as {
      Resources: Record<string, Resource>;
    };
  const functions = () => Object.values(template().Resources).filter((r) => r.Type === 'AWS::Lambda::Function');

  test('one function per handler on Node 22 ARM64, the tables, the business bus and the tick', () => {
    const types = Object.values(template().Resources).map((r) => r.Type);
    expect(functions().map((f) => [f.Properties.Runtime, f.Properties.Handler, f.Properties.Architectures])).toEqual(
      HANDLER_NAMES.map(() => ['nodejs22.x', 'index.handler', ['arm64']]),
    );
    expect(types.filter((t) => t === 'AWS::DynamoDB::Table')).toHaveLength(TABLES.length);
    expect(types).toEqual(
      expect.arrayContaining([
        'AWS::Events::EventBus',
        'AWS::Events::Rule',
        'AWS::SNS::Topic',
        'AWS::CloudWatch::Dashboard',
      ]),
    );
  });

  test('each function asset is the shipped bundle plus the entry module with the config, and imports as in Lambda', () => {
    for (const fn of functions()) {
      const asset = join(app, 'cdk.out', `asset.${fn.Properties.Code!.S3Key.replace(/\.zip$/, '')}`);
      // The handler, the chunks it loads on demand and the entry module: code only, no source maps.
      const files = readdirSync(asset).sort();
      expect(files).toEqual(expect.arrayContaining([BUNDLE_FILE, 'index.mjs']));
      expect(files.every((name) => name === BUNDLE_FILE || name === 'index.mjs' || /^chunk-\w+\.mjs$/.test(name))).toBe(
        true,
      );
      // The function's own environment as synthesized; values CloudFormation resolves at deploy (table names,
      // queue URLs) stand in as placeholders, so a variable the stack forgets to set fails the import here.
      const variables =
        (fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      const deployed = Object.fromEntries(
        Object.entries(variables).map(([key, value]) => [
          key,
          typeof value === 'string' ? value : placeholder(key, value),
        ]),
      );
      const env = {
        PATH: process.env.PATH,
        AWS_LAMBDA_FUNCTION_NAME: 'pack-test',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...deployed,
      };
      const imported = sh(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(join(asset, 'index.mjs'))}); console.log(typeof m.handler, process.env.${ENV.config}.length > 0);`,
        ],
        tmpdir(),
        env,
      );
      expect({ status: imported.status, stdout: imported.stdout.trim(), stderr: imported.stderr.trim() }).toEqual({
        status: 0,
        stdout: 'function true',
        stderr: '',
      });
    }
  });
});

describe('the installed CLI, under plain node', () => {
  const drivetrain = (...args: string[]) => sh(join(app, 'node_modules/.bin/drivetrain'), args, app);

  test('--version and --help', () => {
    expect(drivetrain('--version')).toMatchObject({ status: 0, stdout: `${version}\n` });
    expect(drivetrain('--help')).toMatchObject({ status: 0, stdout: helpPages().global, stderr: '' });
    expect(drivetrain('validate', '--help')).toMatchObject({ status: 0, stdout: helpPages().commands.validate });
  });

  test('validates an .mjs config (a defineConfig module) with the same exit codes; refuses a .ts config with a clear message', () => {
    const valid = drivetrain('validate', 'drivetrain.config.mjs');
    expect({ status: valid.status, stderr: valid.stderr }).toEqual({ status: 0, stderr: '' });
    expect(valid.stdout).toContain('drivetrain.config.mjs: valid (1 target, 1 driver)');

    const broken = readFileSync(join(app, 'drivetrain.config.mjs'), 'utf8').replace(
      'min: 2, max: 10',
      'min: 12, max: 10',
    );
    writeFileSync(join(app, 'broken.config.mjs'), broken);
    const invalid = drivetrain('validate', 'broken.config.mjs');
    expect(invalid.status).toBe(1);
    expect(invalid.stdout + invalid.stderr).toContain(
      'broken.config.mjs: targets[0].policy.bounds.min: min (12) is greater than max (10)',
    );

    writeFileSync(join(app, 'drivetrain.config.ts'), readFileSync(join(app, 'drivetrain.config.mjs'), 'utf8'));
    const typescript = drivetrain('validate', 'drivetrain.config.ts');
    expect(typescript.status).toBe(1);
    expect(typescript.stdout + typescript.stderr).toContain(
      'drivetrain.config.ts: is TypeScript, which drivetrain does not run: compile it to JavaScript',
    );

    expect(drivetrain('no-such-command').status).toBe(2);
  });
});
