/**
 * The deployed code as synthesized (the pre-built bundles, built by the unit tests' globalSetup, plus the
 * entry module carrying the config), run with Node the way Lambda loads it (ES module, `handler` export).
 */
import { App } from 'aws-cdk-lib';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENV } from '../../functions/contracts';
import { DrivetrainStack } from '../../lib/drivetrain-stack';
import { BUNDLE_FILE, HANDLER_NAMES, handlerBundleDir } from '../../lib/handlers';
import { LAMBDA_BUNDLE_BUDGET_BYTES, buildHandlerBundle } from '../../scripts/build-lambdas';
import { deployedEnvironmentStandIn } from '../../scripts/lambda-environment';
import { fixtureConfig } from './support';

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** Synthesizes with bundling and returns each function's bundle directory, by function description prefix. */
function bundle(props: Partial<ConstructorParameters<typeof DrivetrainStack>[2]> = {}): {
  ingest: string;
  tick: string;
  shard: string;
  operator: string;
} {
  const outdir = mkdtempSync(join(tmpdir(), 'drivetrain-bundle-'));
  outdirs.push(outdir);
  const app = new App({ outdir });
  const stack = new DrivetrainStack(app, 'BundleTest', { config: fixtureConfig(), ...props });
  const template = app.synth().getStackByName(stack.stackName).template as {
    Resources: Record<string, { Type: string; Properties: { Description?: string; Code?: { S3Key: string } } }>;
  };
  const assetOf = (marker: string) => {
    const fn = Object.values(template.Resources).find(
      (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Description?.includes(marker),
    );
    const key = fn?.Properties.Code?.S3Key;
    if (!key) throw new Error(`no function "${marker}"`);
    return join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
  };
  return {
    ingest: assetOf('store drivers'),
    tick: assetOf('reconcile every target'),
    shard: assetOf('reconcile one shard'),
    operator: assetOf('operator endpoint'),
  };
}

/** Imports the bundle as Lambda's Node 22 runtime does and runs `script` with it as `m`. */
function runBundle(dir: string, script: string, env: Record<string, string> = {}) {
  const cleanEnv = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => key !== ENV.config && !key.startsWith('AWS_')),
  );
  return spawnSync(
    process.execPath,
    ['--input-type=module', '-e', `const m = await import(${JSON.stringify(join(dir, 'index.mjs'))}); ${script}`],
    {
      cwd: tmpdir(),
      encoding: 'utf8',
      env: {
        ...cleanEnv,
        AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...env,
      },
      timeout: 60_000,
    },
  );
}

describe('the config travels inside the deployed code', () => {
  const fixtureBundle = mkdtempSync(join(tmpdir(), 'drivetrain-fixture-bundle-'));
  outdirs.push(fixtureBundle);
  let dirs: { ingest: string; tick: string; shard: string; operator: string };
  beforeAll(async () => {
    await buildHandlerBundle(join(__dirname, 'fixtures/config-echo-handler.ts'), fixtureBundle);
    dirs = bundle({
      handlers: { ingest: fixtureBundle, tick: fixtureBundle, shard: fixtureBundle, operator: fixtureBundle },
    });
  });
  const expected = JSON.stringify(fixtureConfig());

  test.each(['ingest', 'tick', 'shard', 'operator'] as const)(
    '%s: read literally and through process.env (set by the entry module), with no environment variable set',
    (name) => {
      const result = runBundle(dirs[name], 'console.log(JSON.stringify(await m.handler()));');
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout)).toEqual({ literal: expected, viaObject: expected });
    },
  );

  test('deployed: the entry module and the minified bundle with its chunks, without source maps', () => {
    const real = bundle().ingest;
    const files = readdirSync(real).sort();
    expect(files).toEqual(expect.arrayContaining([BUNDLE_FILE, 'index.mjs']));
    expect(files.filter((name) => name !== BUNDLE_FILE && name !== 'index.mjs')).toEqual(
      expect.arrayContaining([expect.stringMatching(/^chunk-\w+\.mjs$/)]),
    );
    expect(files.every((name) => name.endsWith('.mjs'))).toBe(true);
    for (const name of files.filter((f) => f !== 'index.mjs')) {
      const code = readFileSync(join(real, name), 'utf8');
      expect(code.startsWith("import { createRequire as __drivetrainCreateRequire } from 'node:module';")).toBe(true);
      expect(code).not.toContain('sourceMappingURL');
    }
    expect(readdirSync(dirs.ingest).sort()).toEqual([BUNDLE_FILE, 'index.mjs']);
    expect(readFileSync(join(dirs.ingest, BUNDLE_FILE), 'utf8').split('\n').length).toBeLessThan(10);
    expect(existsSync(join(fixtureBundle, `${BUNDLE_FILE}.map`))).toBe(true);
  });
});

/**
 * The modules Node loads before the handler runs: the entry and, transitively, every module it imports
 * statically (esbuild writes `import{…}from"./chunk-….mjs"`); a chunk reached only by `import("./chunk-….mjs")`
 * loads when that code first runs. Read from the files, independently of the build's own count.
 */
function coldStartModules(dir: string, name = BUNDLE_FILE, seen = new Set<string>()): Set<string> {
  if (seen.has(name)) return seen;
  seen.add(name);
  const code = readFileSync(join(dir, name), 'utf8');
  for (const [, imported] of code.matchAll(/(?:^|[;}\n])import\s*(?:[^"'();]*?from\s*)?["']\.\/([\w-]+\.mjs)["']/g))
    coldStartModules(dir, imported!, seen);
  return seen;
}

describe('bundle size', () => {
  test.each(HANDLER_NAMES)('%s: what loads at cold start is within LAMBDA_BUNDLE_BUDGET_BYTES', (name) => {
    const dir = handlerBundleDir(name);
    const bytes = [...coldStartModules(dir)].reduce((sum, file) => sum + statSync(join(dir, file)).size, 0);
    expect(bytes).toBeLessThanOrEqual(LAMBDA_BUNDLE_BUDGET_BYTES);
  });

  test("the executors' SDK clients are chunks loaded on first use, not at cold start", () => {
    const dir = handlerBundleDir('tick');
    const atColdStart = [...coldStartModules(dir)].map((file) => readFileSync(join(dir, file), 'utf8')).join('');
    const everything = readdirSync(dir)
      .filter((file) => file.endsWith('.mjs'))
      .map((file) => readFileSync(join(dir, file), 'utf8'))
      .join('');
    // Each SDK client's runtime config names its service: `serviceId ?? "Route 53"` (minified).
    for (const service of ['Auto Scaling', 'Lambda', 'Route 53', 'CloudWatch']) {
      const marker = `serviceId??"${service}"`;
      expect({ service, bundled: everything.includes(marker), atColdStart: atColdStart.includes(marker) }).toEqual({
        service,
        bundled: true,
        atColdStart: false,
      });
    }
    expect(atColdStart).toContain('serviceId??"DynamoDB"');
  });

  test('no function carries the EC2 or Service Quotas clients: only `validate --live` reads quotas', () => {
    for (const name of HANDLER_NAMES) {
      const dir = handlerBundleDir(name);
      const everything = readdirSync(dir)
        .filter((file) => file.endsWith('.mjs'))
        .map((file) => readFileSync(join(dir, file), 'utf8'))
        .join('');
      expect({ name, ec2: everything.includes('serviceId??"EC2"') }).toEqual({ name, ec2: false });
      expect({ name, quotas: everything.includes('serviceId??"Service Quotas"') }).toEqual({ name, quotas: false });
    }
  });
});

describe('the real handlers', () => {
  const dirs = bundle();
  const lambdaEnv = {
    AWS_LAMBDA_FUNCTION_NAME: 'bundle-smoke-test',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    ...deployedEnvironmentStandIn('dt-test'),
  };

  test.each([
    ['ingest', dirs.ingest],
    ['tick', dirs.tick],
    ['shard worker', dirs.shard],
    ['operator', dirs.operator],
  ])('%s: initialises as in a Lambda execution environment, from the bundled config alone', (_, dir) => {
    // With AWS_LAMBDA_FUNCTION_NAME set the handler modules build their dependencies at import (cold start):
    // environment parsing, the sealed config, SDK clients. No AWS call is made before an invocation.
    const result = runBundle(dir, 'console.log(typeof m.handler);', lambdaEnv);
    expect({ status: result.status, stdout: result.stdout.trim(), stderr: result.stderr.trim() }).toEqual({
      status: 0,
      stdout: 'function',
      stderr: '',
    });
  });

  test('the config is sealed for the bundle, and a config changed after synth is refused at init', () => {
    const entry = readFileSync(join(dirs.ingest, 'index.mjs'), 'utf8');
    expect(entry).toContain(`process.env.${ENV.configSeal} = `);
    const edited = mkdtempSync(join(tmpdir(), 'drivetrain-edited-'));
    outdirs.push(edited);
    cpSync(dirs.ingest, edited, { recursive: true });
    const changed = entry.replace('{\\"version\\":1,', '{\\"version\\":1,\\"decisionRetentionDays\\":0,');
    expect(changed).not.toBe(entry);
    writeFileSync(join(edited, 'index.mjs'), changed);
    const result = runBundle(edited, 'console.log(typeof m.handler);', lambdaEnv);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`${ENV.configSeal} does not match ${ENV.config}`);
  });
});
