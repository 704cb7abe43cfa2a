/**
 * `drivetrain validate` of a config written as an ES module (`export default defineConfig({...})`). A real
 * `import()` cannot run inside jest's module registry, so these run the CLI as a user does: bin/drivetrain.mjs
 * in a child process. The installed package with `drivetrain/config` is test/package/pack-and-consume.test.ts.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './harness';

const exec = promisify(execFile);
const bin = join(REPO_ROOT, 'bin', 'drivetrain.mjs');
const dir = mkdtempSync(join(tmpdir(), 'drivetrain-module-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CONFIG = {
  version: 1,
  name: 'scratch',
  drivers: [{ name: 'cpu-high', kind: 'alarm', alarmNames: ['web-cpu-high'], targets: ['web'] }],
  targets: [
    {
      id: 'web',
      resource: { kind: 'ec2-asg', autoScalingGroupName: 'web', manage: 'desired' },
      allowedSources: ['aws.cloudwatch'],
      policy: {
        version: '1',
        bounds: { min: 2, max: 10 },
        rules: [{ kind: 'alarm', driver: 'cpu-high', step: 2 }],
        fallback: { allocation: 2 },
      },
    },
  ],
};

/** `drivetrain validate NAME` run in the scratch directory, so messages name the file as given. */
async function validate(file: string): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await exec(process.execPath, [bin, 'validate', file], { cwd: dir });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, stdout: failed.stdout };
  }
}

test('a module exporting a config validates like the YAML one', async () => {
  const file = 'plain.mjs';
  writeFileSync(join(dir, file), `export default ${JSON.stringify(CONFIG)};\n`);
  const result = await validate(file);
  expect(result.stdout).toContain(`${file}: valid (1 target, 1 driver)`);
  expect(result.code).toBe(0);
}, 60_000);

test('a module that exists but cannot load names the import that failed, not a missing file', async () => {
  const file = 'imports-missing.mjs';
  writeFileSync(
    join(dir, file),
    `import { defineConfig } from 'no-such-package/config';\nexport default defineConfig(${JSON.stringify(CONFIG)});\n`,
  );
  const result = await validate(file);
  expect(result.code).toBe(1);
  expect(result.stdout).not.toContain('file not found');
  expect(result.stdout).toContain(`${file}: could not be loaded: Cannot find package 'no-such-package'`);
}, 60_000);

test('a module config that does not exist is a missing file', async () => {
  const file = 'no-such.mjs';
  const result = await validate(file);
  expect(result.code).toBe(1);
  expect(result.stdout).toContain(`${file}: file not found (pass --config FILE)`);
}, 60_000);
