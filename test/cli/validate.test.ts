/**
 * `drivetrain validate`: policy CI. Valid configs pass with a summary, invalid ones exit 1 with messages
 * located in the file, and --replay runs the shipped traces through the policy.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { REPO_ROOT, cli } from './harness';

const dir = mkdtempSync(join(tmpdir(), 'drivetrain-validate-'));
const shipped = readFileSync(join(REPO_ROOT, 'drivetrain.config.yaml'), 'utf8');

function writeConfig(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** The shipped config with `edit` applied to its YAML document (comments and layout kept). */
function shippedWith(edit: (doc: ReturnType<typeof parseDocument>) => void): string {
  const doc = parseDocument(shipped);
  edit(doc);
  return doc.toString();
}

/** An ECS service's scalable target driven by the flash sale (floor management, the only AAS mode). */
const ORDERS_ECS = {
  id: 'orders-ecs',
  resource: {
    kind: 'application-auto-scaling',
    serviceNamespace: 'ecs',
    resourceId: 'service/prod-cluster/orders',
    scalableDimension: 'ecs:service:DesiredCount',
  },
  mode: 'enforce',
  allowedSources: ['com.acme.marketing'],
  policy: {
    version: 'orders-1',
    bounds: { min: 2, max: 50 },
    rules: [{ kind: 'business', driver: 'flash-sale', baseline: 3, leadTimeSeconds: 600 }],
    fallback: { allocation: 2 },
  },
};

/** The shipped config's commented `web-alb` example, uncommented. */
function albExample(): string {
  return shipped
    .slice(shipped.indexOf('  # - id: web-alb'))
    .split('\n')
    .filter((line) => line.startsWith('  # '))
    .map((line) => `  ${line.slice(4)}`)
    .join('\n');
}

describe('validate', () => {
  it('accepts the shipped config and summarises its targets', async () => {
    const result = await cli(['validate']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('✓ drivetrain.config.yaml: valid (3 targets, 8 drivers)');
    expect(result.stdout).toMatch(/^web-asg +ec2-asg +enforce +web-2026-11-23 +2\.\.40 +alarm:cpu-high, /m);
  });

  it('reads the config from an argument or --config, and prints JSON for scripts', async () => {
    const file = writeConfig('copy.yaml', shipped);
    expect((await cli(['validate', file])).code).toBe(0);
    const json = await cli(['validate', '--config', file, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: true,
      file,
      issues: [],
      warnings: [],
      targets: [{ id: 'web-asg', policyVersion: 'web-2026-11-23' }, { id: 'checkout-fn' }, { id: 'api-routing' }],
    });
  });

  it('accepts an application-auto-scaling ECS service target and an ec2-asg target with manage: floor', async () => {
    const file = writeConfig(
      'coexisting.yaml',
      shippedWith((doc) => {
        doc.setIn(['targets', 0, 'resource', 'manage'], 'floor');
        doc.addIn(['drivers', 0, 'targets'], 'orders-ecs');
        const sale = doc.getIn(['drivers']) as { items: Array<{ get(k: string): unknown }> };
        const flashSale = sale.items.findIndex((d) => d.get('name') === 'flash-sale');
        doc.addIn(['drivers', flashSale, 'targets'], 'orders-ecs');
        doc.addIn(['targets'], ORDERS_ECS);
      }),
    );
    const result = await cli(['validate', file, '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { ok: boolean; warnings: Array<{ path: string; message: string }> };
    expect(report.ok).toBe(true);
    // The floor-managed group keeps its alarm and metric rules: validate says they now raise MinSize only.
    expect(report.warnings).toContainEqual({
      path: 'targets[0].policy.rules',
      message: expect.stringContaining('is floor-managed'),
    });
    const text = await cli(['validate', file]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('valid (4 targets, 8 drivers)');
    expect(text.stdout).toMatch(/^orders-ecs +application-auto-scaling +enforce +orders-1 +2\.\.50 /m);
  });

  it('warns when a capacity resource that can scale itself leaves manage to its default', async () => {
    const file = writeConfig(
      'default-manage.yaml',
      shippedWith((doc) => doc.deleteIn(['targets', 0, 'resource', 'manage'])),
    );
    const report = JSON.parse((await cli(['validate', file, '--json'])).stdout) as {
      warnings: Array<{ path: string; message: string }>;
    };
    expect(report.warnings).toEqual([
      { path: 'targets[0].resource.manage', message: expect.stringContaining('manage defaults to desired') },
    ]);
  });

  it('refuses manage: desired on an application-auto-scaling target', async () => {
    const file = writeConfig(
      'aas-desired.yaml',
      shippedWith((doc) =>
        doc.setIn(['targets', 1, 'resource'], {
          kind: 'application-auto-scaling',
          serviceNamespace: 'ecs',
          resourceId: 'service/c/s',
          scalableDimension: 'ecs:service:DesiredCount',
          manage: 'desired',
        }),
      ),
    );
    const result = await cli(['validate', file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('targets[1].resource.manage: got "desired"; allowed: "floor"');
  });

  it('reads JSON configs too', async () => {
    const file = writeConfig('config.json', JSON.stringify(parseDocument(shipped).toJS(), null, 2));
    expect((await cli(['validate', file])).stdout).toContain('valid (3 targets, 8 drivers)');
  });

  it('fails with every problem located as FILE:LINE:COL: PATH: MESSAGE', async () => {
    const file = writeConfig(
      'broken.yaml',
      shippedWith((doc) => {
        doc.setIn(['targets', 0, 'policy', 'bounds', 'min'], 50);
        doc.setIn(['targets', 1, 'policy', 'rules', 0, 'driver'], 'flash-sales');
        doc.setIn(['targets', 2, 'id'], 'web-asg');
      }),
    );
    const result = await cli(['validate', file]);
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split('\n');
    const text = doc(file);
    expect(lines).toEqual(
      expect.arrayContaining([
        `${file}:${text.lineOf('bounds: { min: 50')}:${text.columnOf('bounds: { min: 50', '50')}: targets[0].policy.bounds.min: min (50) is greater than max (40); allowed: min <= max`,
        `${file}:${text.lineOf('{ kind: business, driver: flash-sales')}:${text.columnOf('{ kind: business, driver: flash-sales', 'flash-sales')}: targets[1].policy.rules[0].driver: unknown driver "flash-sales"; declared drivers: cpu-high, cpu-low, requests, flash-sale, cost-budget, ops-override, use1-health, euw1-health`,
        expect.stringMatching(/: targets\[2\]\.id: duplicate target id "web-asg" \(also targets\[0\]\)$/),
      ]),
    );
    expect(lines.at(-1)).toMatch(/^✗ .*broken\.yaml: \d+ problems$/);
  });

  it('locates schema errors (unknown keys, wrong enum values) at the offending node', async () => {
    const file = writeConfig(
      'schema.yaml',
      [
        'version: 1',
        'targets:',
        '  - id: web',
        '    kind: ec2-asgg',
        '    resource: { kind: ec2-asg, autoScalingGroupName: web }',
        '    allowedSources: [x]',
        '    policy: { version: v1, bounds: { min: 0, max: 3 }, fallback: { allocation: 1 }, combine: maximum }',
        '',
      ].join('\n'),
    );
    const result = await cli(['validate', file, '--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      issues: Array<{ path: string; line: number; column: number; message: string }>;
    };
    expect(report.ok).toBe(false);
    expect(report.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          path: 'targets[0].kind',
          line: 4,
          column: 11,
          message: expect.stringContaining(
            'got "ec2-asgg"; allowed: "ec2-asg", "lambda-provisioned-concurrency", "route53-weighted"',
          ),
        }),
        expect.objectContaining({
          path: 'targets[0].policy.combine',
          line: 7,
          message: expect.stringContaining('allowed: "max", "priority"'),
        }),
      ]),
    );
  });

  it.each([
    [
      'an unclosed flow map',
      'version: 1\ntargets:\n  - id: web\n    policy: { version: v1\n',
      '5:1: Flow map in block collection must be sufficiently indented and end with a }',
    ],
    ['a duplicate key', 'version: 1\nname: blue\ntargets: []\nname: green\n', '4:1: Map keys must be unique'],
  ])('reports YAML syntax errors with their position: %s', async (_name, text, expected) => {
    const file = writeConfig('syntax.yaml', text);
    const result = await cli(['validate', file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(`${file}:${expected}\n\n✗ ${file}: 1 problem\n`);
  });

  it('fails clearly when the file does not exist', async () => {
    const result = await cli(['validate', 'no-such.yaml']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('no-such.yaml: file not found (pass --config FILE)');
  });

  it('warns about drivers nothing uses without failing', async () => {
    const file = writeConfig(
      'unused.yaml',
      shippedWith((doc) => {
        const drivers = doc.get('drivers') as { add(v: unknown): void };
        drivers.add(doc.createNode({ name: 'forecast', kind: 'business', targets: ['web-asg'] }));
      }),
    );
    const result = await cli(['validate', file]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `${file}: drivers[8]: warning: driver "forecast" is declared but no policy uses it`,
    );
  });

  it('accepts an alb-weighted target (the example in the shipped config, uncommented)', async () => {
    const example = albExample();
    const file = writeConfig(
      'alb.yaml',
      shippedWith((doc) => {
        const drivers = doc.get('drivers') as { add(v: unknown): void };
        for (const name of ['blue-5xx', 'green-5xx'])
          drivers.add(doc.createNode({ name, kind: 'alarm', alarmNames: [`web-${name}`], targets: ['web-alb'] }));
        (doc.getIn(['drivers', 5, 'targets']) as { add(v: unknown): void }).add('web-alb');
      }).replace(/\n*$/, `\n${example}\n`),
    );
    const result = await cli(['validate', file, '--json']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/"ok": ?true/);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      ok: true,
      warnings: [],
      targets: expect.arrayContaining([
        { id: 'web-alb', kind: 'alb-weighted', mode: 'shadow', policyVersion: 'web-alb-2026-12-01' },
      ]),
    });
  });

  it('accepts one config with an ECS service (application-auto-scaling), a floor-managed ec2-asg and an alb-weighted target', async () => {
    const example = albExample();
    const file = writeConfig(
      'fleet.yaml',
      shippedWith((doc) => {
        doc.setIn(['targets', 0, 'resource', 'manage'], 'floor');
        const drivers = doc.get('drivers') as { items: Array<{ get(k: string): unknown }>; add(v: unknown): void };
        const flashSale = drivers.items.findIndex((d) => d.get('name') === 'flash-sale');
        doc.addIn(['drivers', flashSale, 'targets'], 'orders-ecs');
        for (const name of ['blue-5xx', 'green-5xx'])
          drivers.add(doc.createNode({ name, kind: 'alarm', alarmNames: [`web-${name}`], targets: ['web-alb'] }));
        (doc.getIn(['drivers', 5, 'targets']) as { add(v: unknown): void }).add('web-alb');
        doc.addIn(['targets'], ORDERS_ECS);
      }).replace(/\n*$/, `\n${example}\n`),
    );
    const result = await cli(['validate', file, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { ok: boolean; targets: Array<{ id: string; kind: string }> };
    expect(report.ok).toBe(true);
    expect(report.targets.map((t) => `${t.id} ${t.kind}`)).toEqual(
      expect.arrayContaining(['web-asg ec2-asg', 'orders-ecs application-auto-scaling', 'web-alb alb-weighted']),
    );
  });

  it('refuses an alb-weighted target whose drain alarm is not declared, located in the file', async () => {
    const example = albExample();
    const file = writeConfig('alb-undeclared.yaml', `${shipped.replace(/\n*$/, '')}\n${example}\n`);
    const result = await cli(['validate', file]);
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toMatch(
      /targets\[3\]\.resource\.targetGroups\[0\]\.drainOn\[0\]: unknown driver "blue-5xx"/,
    );
  });

  it.each([
    [
      'a config both as argument and --config',
      ['validate', 'a.yaml', '--config', 'b.yaml'],
      /either as an argument or with --config, not both/,
    ],
    ['--traces without --replay', ['validate', '--traces', 'traces'], /--traces only makes sense with --replay/],
    ['two configs', ['validate', 'a.yaml', 'b.yaml'], /unexpected argument "b.yaml"/],
  ])('rejects %s as a usage error', async (_name, argv, message) => {
    const result = await cli(argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

describe('validate --replay', () => {
  it('replays the shipped traces through the shipped policy', async () => {
    const result = await cli(['validate', '--replay']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Replay of the traces in traces:');
    for (const trace of ['flash-sale', 'diurnal', 'unannounced-spike', 'nasa-http-48h', 'azure-functions-24h'])
      expect(result.stdout).toMatch(new RegExp(`^${trace} +web-asg +.* ok$`, 'm'));
    expect(result.stdout).toContain('✓ replay: 5 trace(s) replayed without problems');
  });

  it('fails a policy whose replayed decisions fail (provisioned concurrency above the account limit)', async () => {
    const file = writeConfig(
      'greedy.yaml',
      shippedWith((doc) => {
        doc.setIn(['targets', 1, 'policy', 'bounds', 'max'], 5000);
        doc.setIn(['targets', 1, 'policy', 'rules', 0, 'baseline'], 400);
      }),
    );
    const result = await cli(['validate', file, '--replay', '--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      issues: unknown[];
      replay: Array<{ trace: string; problems: string[] }>;
    };
    expect(report.ok).toBe(false);
    expect(report.issues).toEqual([]);
    expect(report.replay.find((r) => r.trace === 'flash-sale')!.problems).toEqual([
      expect.stringMatching(/^checkout-fn: \d+ replayed decisions? failed$/),
    ]);
  });

  it('skips traces the config cannot be fed with, and says why', async () => {
    const file = writeConfig(
      'no-metric.yaml',
      shippedWith((doc) => {
        doc.deleteIn(['drivers', 2]);
        doc.deleteIn(['targets', 0, 'policy', 'rules', 2]);
      }),
    );
    const result = await cli(['validate', file, '--replay']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^flash-sale: skipped: .*metric driver "requests" is not declared/m);
  });
});

/** 1-based line and column of text in a written config, to assert positions without hard-coding them. */
function doc(file: string) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const lineIndex = (needle: string) => {
    const i = lines.findIndex((l) => l.includes(needle));
    if (i < 0) throw new Error(`"${needle}" not in ${file}`);
    return i;
  };
  return {
    lineOf: (needle: string) => lineIndex(needle) + 1,
    columnOf: (needle: string, at: string) => lines[lineIndex(needle)]!.indexOf(at) + 1,
  };
}
