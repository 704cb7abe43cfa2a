/**
 * Read commands with no local config file: they read the deployed config the tick recorded in the state table
 * (DynamoDB Local), say which version they used, warn when a local file differs, and fail clearly without a
 * table prefix, before the first tick, and on an unreadable item.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDeployedConfigStore, configVersion } from '../../functions/adapters/dynamodb/deployed-config';
import { DEPLOYED_CONFIG_KEY } from '../../functions/adapters/dynamodb/tables';
import { LOCAL_DEFAULT_PREFIX } from '../../cli/deployed-config';
import { createTestTables, type LocalTables } from '../support/dynamodb';
import { cli, NOW, REPO_ROOT, shippedConfig } from './harness';
import { seed } from './seed';

const config = shippedConfig();
const VERSION = configVersion(config).slice(0, 12);
let local: LocalTables;
let prefix: string;
/** A working directory without drivetrain.config.yaml: the operator's laptop, far from the repository. */
let empty: string;

beforeAll(async () => {
  local = await createTestTables();
  prefix = local.names.drivers.replace(/-drivers$/, '');
  await seed(local, config);
  await new DynamoDeployedConfigStore(local.doc, local.names.state).record(config, NOW - 600);
  empty = mkdtempSync(join(tmpdir(), 'drivetrain-no-config-'));
});
afterAll(() => {
  local.client.destroy();
  rmSync(empty, { recursive: true, force: true });
});

const flags = (p = prefix) => ['--local', '--endpoint', local.endpoint, '--table-prefix', p];
const inEmpty = (argv: string[], env: Record<string, string> = {}) => cli(argv, { cwd: empty, env });

describe('read commands without a config file', () => {
  it('status reads the deployed config, notes its version on stderr and shows it', async () => {
    const result = await inEmpty(['status', ...flags()]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(`config: deployed version ${VERSION}, recorded 2026-11-27T09:50:00Z (10m ago)\n`);
    for (const target of config.targets) expect(result.stdout).toMatch(new RegExp(`^${target.id} `, 'm'));
    expect(result.stdout).toMatch(new RegExp(`\\nconfig: deployed version ${VERSION}, recorded .*\\n$`));
  });

  it.each([['drivers'], ['decisions', '--target', 'web-asg']])('%s works as well', async (command, ...rest) => {
    const result = await inEmpty([command, ...flags(), ...rest]);
    expect(result).toMatchObject({ code: 0, stderr: expect.stringContaining(`deployed version ${VERSION}`) });
    expect(result.stdout).toContain('web-asg');
  });

  it('report --since writes the deployment report', async () => {
    const result = await inEmpty(['report', ...flags(), '--since', '1h', '--json']);
    expect(result).toMatchObject({ code: 0, stderr: expect.stringContaining(`deployed version ${VERSION}`) });
    const { path, decisions } = JSON.parse(result.stdout) as { path: string; decisions: number };
    expect(decisions).toBeGreaterThan(0);
    expect(readFileSync(path, 'utf8')).toContain('web-asg');
  });

  it('explain finds a decision by id', async () => {
    const decisions = await inEmpty(['decisions', ...flags(), '--target', 'web-asg', '--json']);
    const [first] = JSON.parse(decisions.stdout) as Array<{ decisionId: string }>;
    const result = await inEmpty(['explain', ...flags(), first!.decisionId]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(first!.decisionId);
  });

  it('takes the prefix from DRIVETRAIN_TABLE_PREFIX', async () => {
    const result = await inEmpty(['status', '--local', '--endpoint', local.endpoint], {
      DRIVETRAIN_TABLE_PREFIX: prefix,
    });
    expect(result.code).toBe(0);
  });

  it('asks for a table prefix when it has neither a file nor one', async () => {
    const result = await inEmpty(['status', '--endpoint', local.endpoint, '--region', 'us-east-1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'no config file drivetrain.config.yaml and no table prefix: pass --table-prefix NAME (or set DRIVETRAIN_TABLE_PREFIX)',
    );
  });

  it('--local alone looks for the kept demo tables, named after the shipped config', async () => {
    expect(LOCAL_DEFAULT_PREFIX).toBe(config.name);
    const result = await inEmpty(['status', '--local', '--endpoint', local.endpoint]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('drivetrain-state');
  });

  it('explains that the config appears after the first tick', async () => {
    const fresh = await createTestTables();
    try {
      const result = await inEmpty(['status', ...flags(fresh.names.drivers.replace(/-drivers$/, ''))]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `no deployed config recorded in ${fresh.names.state} yet, and no config file drivetrain.config.yaml`,
      );
      expect(result.stderr).toContain('the tick records the config it runs with at its first run after a deploy');
    } finally {
      fresh.client.destroy();
    }
  });

  it('refuses an unreadable item, saying what is wrong and what repairs it', async () => {
    const broken = await createTestTables();
    try {
      await broken.doc.send(
        new PutCommand({ TableName: broken.names.state, Item: { targetId: DEPLOYED_CONFIG_KEY, format: 1 } }),
      );
      const result = await inEmpty(['drivers', ...flags(broken.names.drivers.replace(/-drivers$/, ''))]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`cannot read the deployed config in ${broken.names.state}: expected version`);
      expect(result.stderr).toContain('the next tick rewrites it');
      // With a local copy, the command goes on with it and says why.
      const withFile = await cli(['drivers', ...flags(broken.names.drivers.replace(/-drivers$/, ''))], {
        cwd: REPO_ROOT,
      });
      expect(withFile.code).toBe(0);
      expect(withFile.stderr).toMatch(
        /^warning: cannot read the deployed config in .*-state: expected version .*; using drivetrain\.config\.yaml\n$/,
      );
    } finally {
      broken.client.destroy();
    }
  });
});

describe('read commands with a config file', () => {
  it('say nothing more when the file is the deployed config', async () => {
    const result = await cli(['drivers', ...flags()], { cwd: REPO_ROOT });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(`config: deployed version ${VERSION}, recorded 2026-11-27T09:50:00Z (10m ago)\n`);
  });

  it('warn in one line when the file differs, and read with the deployed one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drivetrain-draft-'));
    try {
      // A local draft that dropped a target: read commands still show the deployed target.
      const yaml = readFileSync(join(REPO_ROOT, 'drivetrain.config.yaml'), 'utf8').replace(
        'decisionRetentionDays: 90',
        'decisionRetentionDays: 30',
      );
      expect(yaml).toContain('decisionRetentionDays: 30');
      writeFileSync(join(dir, 'drivetrain.config.yaml'), yaml);
      const result = await cli(['status', ...flags()], { cwd: dir });
      expect(result.code).toBe(0);
      expect(result.stderr.split('\n')).toEqual([
        `config: deployed version ${VERSION}, recorded 2026-11-27T09:50:00Z (10m ago)`,
        'warning: drivetrain.config.yaml differs from the deployed config; showing the deployed one (what the Lambdas run)',
        '',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a --config file that does not exist is an error, not "use the deployed one"', async () => {
    const result = await inEmpty(['drivers', ...flags(), '--config', 'typo.yaml']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot use config typo.yaml');
  });

  it('write commands keep reading the file', async () => {
    const result = await inEmpty(['pause', ...flags(), 'web-asg', '--reason', 'test']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot use config drivetrain.config.yaml');
  });
});
