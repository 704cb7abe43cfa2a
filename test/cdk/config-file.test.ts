/**
 * Loading the config for `cdk synth`: YAML or JSON, validated by the runtime's validator, failures reported
 * as its one-line messages. The last tests run bin/app.ts itself the way the CDK CLI does.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { formatIssue, validateConfig } from '../../functions/domain/config';
import { loadConfigFile } from '../../lib/config-file';
import { FIXTURE_CONFIG_FILE, REPO_ROOT } from './support';

const dir = mkdtempSync(join(tmpdir(), 'drivetrain-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fixtureText = readFileSync(FIXTURE_CONFIG_FILE, 'utf8');
const write = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('loadConfigFile', () => {
  test('YAML: parsed and validated, defaults applied', () => {
    const result = loadConfigFile(write('good.yaml', fixtureText), dir);
    expect(result).toMatchObject({ ok: true, file: 'good.yaml' });
    if (result.ok) expect(result.config.targets.map((t) => t.id)).toEqual(['web-asg', 'checkout-fn', 'api-routing']);
  });

  test('JSON with the same content gives the same config', () => {
    const yaml = loadConfigFile(FIXTURE_CONFIG_FILE);
    const asJson = loadConfigFile(write('good.json', JSON.stringify(yaml.ok ? yaml.config : null)), dir);
    expect(asJson.ok && yaml.ok && asJson.config).toEqual(yaml.ok && yaml.config);
  });

  test('a schema violation comes back as the validator message, with the file name', () => {
    const bad = fixtureText.replace('bounds: { min: 2, max: 40 }', 'bounds: { min: 50, max: 40 }');
    const result = loadConfigFile(write('bounds.yaml', bad), dir);
    const expected = validateConfig(parse(bad), 'bounds.yaml');
    expect(expected.ok).toBe(false);
    expect(result).toEqual({ ok: false, file: 'bounds.yaml', messages: expected.issues.map(formatIssue) });
    expect(result.ok || result.messages.join('\n')).toMatch(/^bounds\.yaml: targets\[0\]\.policy\.bounds/);
  });

  test.each([
    ['duplicate key', 'version: 1\nversion: 1\n', /^dup\.yaml: Map keys must be unique at line 2, column 1$/],
    ['bad indentation', 'version: 1\n  name: x\n - y\n', /^dup\.yaml: .+ at line \d+, column \d+$/],
  ])('YAML syntax error (%s): the parser message with its position', (_, text, message) => {
    const result = loadConfigFile(write('dup.yaml', text), dir);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.messages[0]).toMatch(message);
  });

  test('invalid JSON', () => {
    const result = loadConfigFile(write('broken.json', '{"version": 1,'), dir);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.messages).toEqual([expect.stringMatching(/^broken\.json: not valid JSON: /)]);
  });

  test('a missing file says how to point at another one', () => {
    const result = loadConfigFile(join(dir, 'nope.yaml'), dir);
    expect(result).toEqual({
      ok: false,
      file: 'nope.yaml',
      messages: ['nope.yaml: file not found (set it with --context drivetrain:config=<path>)'],
    });
  });
});

describe('bin/app.ts (as the CDK CLI runs it)', () => {
  const runApp = (configPath: string) =>
    spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'), join(REPO_ROOT, 'bin/app.ts')], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      // How the CLI hands context and the output directory to the app.
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ 'drivetrain:config': configPath, 'aws:cdk:bundling-stacks': [] }),
        CDK_OUTDIR: join(dir, 'cdk.out'),
      },
      timeout: 120_000,
    });

  test('a bad config fails the synth with exit code 1 and only the validator messages', () => {
    const bad = write('bad.yaml', stringify({ version: 1, targets: [] }));
    const result = runApp(bad);
    expect(result.status).toBe(1);
    const expected = validateConfig({ version: 1, targets: [] }, 'x');
    expect(expected.ok).toBe(false);
    const stderr = result.stderr.replace(/^npm warn .*\n/gm, '');
    expect(stderr).toContain('Drivetrain config rejected, nothing was synthesized:');
    for (const issue of expected.issues) expect(stderr).toContain(`: ${issue.path || '<root>'}: ${issue.message}`);
    // No stack trace noise.
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  test("the construct's own checks are reported the same way", () => {
    const sts = write(
      'sts.yaml',
      fixtureText.replace(
        "overridePrincipals: ['arn:aws:iam::111122223333:role/oncall-*']",
        "overridePrincipals: ['arn:aws:sts::111122223333:assumed-role/oncall/alice']",
      ),
    );
    const result = runApp(sts);
    expect(result.status).toBe(1);
    const stderr = result.stderr.replace(/^npm warn .*\n/gm, '');
    expect(stderr).toMatch(
      /^ {2}.*sts\.yaml: targets\[0\]\.overridePrincipals\[0\]: "arn:aws:sts::111122223333:assumed-role\/oncall\/alice" is an STS session ARN/m,
    );
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  test('the fixture config synthesizes (cdk-nag included) and writes the template', () => {
    const result = runApp(FIXTURE_CONFIG_FILE);
    expect({ status: result.status, stderr: result.status === 0 ? '' : result.stderr }).toEqual({
      status: 0,
      stderr: '',
    });
    const template = JSON.parse(readFileSync(join(dir, 'cdk.out/Drivetrain-dt-test.template.json'), 'utf8')) as {
      Resources: Record<string, unknown>;
    };
    expect(Object.keys(template.Resources).length).toBeGreaterThan(40);
  });
});
