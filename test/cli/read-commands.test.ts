/**
 * `drivers`, `decisions` and `explain` against DynamoDB Local, seeded through the real stores with decisions
 * made by the real engine — and the ways reading can fail (missing tables, no DynamoDB Local, no
 * credentials, unknown targets, bad flags).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { displayWidth } from '../../cli/format';
import { createTestTables, type LocalTables } from '../support/dynamodb';
import { cli, shippedConfig } from './harness';
import { seed, type Seeded } from './seed';

let local: LocalTables;
let seeded: Seeded;
/** The flags an operator passes for the demo: --local, the endpoint and the table prefix. */
let localFlags: string[];

beforeAll(async () => {
  local = await createTestTables();
  seeded = await seed(local, shippedConfig());
  localFlags = [
    '--local',
    '--endpoint',
    local.endpoint,
    '--table-prefix',
    local.names.drivers.replace(/-drivers$/, ''),
  ];
});
afterAll(() => local.client.destroy());

function run(command: string, ...args: string[]) {
  return cli([command, ...localFlags, ...args]);
}

function lines(text: string): string[] {
  return text.trimEnd().split('\n');
}

describe('drivers', () => {
  it('lists every stored driver per target, stale and expired-but-not-deleted ones flagged first', async () => {
    const result = await run('drivers');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const out = lines(result.stdout);
    expect(out[0]).toMatch(/^TARGET +DRIVER +KIND +SOURCE +TARGETS +AGE +EXPIRES +STATE +SIGNAL \/ DETAIL$/);
    expect(result.stdout).toMatch(
      /^web-asg +requests +metric +drivetrain\.metrics +web-asg +20m +in 40m +STALE ! +1180 Count\/Second — seen 20m ago, limit 10m$/m,
    );
    expect(result.stdout).toMatch(
      /^web-asg +requests +metric +drivetrain\.metrics +web-asg +1h10m +10m ago +EXPIRED ! +900 Count\/Second — expired 10m ago; awaiting TTL deletion, ignored by decisions$/m,
    );
    expect(result.stdout).toMatch(
      /^web-asg +cpu-low +alarm +aws\.cloudwatch +web-asg +2h +in 6d +live +web-prod-cpu-low ALARM \(21\.5\) — holds until the next state change$/m,
    );
    expect(result.stdout).toMatch(
      /^checkout-fn +flash-sale +business +com\.acme\.marketing +web-asg,checkout-fn +1h +in 2h +active +demand ×3 Black Friday morning — window open, ends in 2h$/m,
    );
    expect(result.stdout).toMatch(
      /^api-routing +ops-override +override +drivetrain\.operator +api-routing +10m +in 50m +live +freeze by arn:aws:sts::111122223333:assumed-role\/oncall-alice\/alice: INC-4821: keep eu-west-1 warm/m,
    );
    const webRows = out.filter((l) => l.startsWith('web-asg '));
    expect(webRows.slice(0, 2).map((l) => /STALE|EXPIRED/.exec(l)?.[0])).toEqual(['STALE', 'EXPIRED']);
    expect(out.at(-1)).toBe('8 driver records at 2026-11-27T10:00:00Z: 1 stale, 1 expired (awaiting TTL deletion)');
  });

  it('keeps a narrow terminal readable by shortening only the detail column', async () => {
    const result = await cli(['drivers', ...localFlags, '--target', 'web-asg'], { columns: 130 });
    const table = lines(result.stdout).slice(0, -2);
    for (const line of table) expect(displayWidth(line)).toBeLessThanOrEqual(130);
    expect(table.filter((l) => l.endsWith('…'))).toHaveLength(6);
    expect(table[0]).toMatch(/ SIGNAL \/ DETAIL$/);
  });

  it('gives scripts the state, age and the full driver record as JSON', async () => {
    const result = await run('drivers', '--target', 'web-asg', '--json');
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout) as Array<{
      targetId: string;
      state: string;
      ageSeconds: number;
      expiresInSeconds: number;
      driver: { id: string; lineage: { eventId: string } };
    }>;
    expect(Object.fromEntries(rows.map((r) => [r.driver.id, r.state]))).toEqual({
      'requests/alb-web': 'stale',
      'requests/alb-web-old': 'expired',
      'finance/q4-cap': 'active',
      'web-prod-cpu-high': 'live',
      'web-prod-cpu-low': 'live',
      'campaign/black-friday-2026/morning': 'active',
    });
    expect(rows.find((r) => r.driver.id === 'requests/alb-web-old')).toMatchObject({
      targetId: 'web-asg',
      ageSeconds: 4200,
      expiresInSeconds: -600,
    });
    expect(rows.every((r) => r.driver.lineage.eventId.startsWith('evt-'))).toBe(true);
  });

  it('hides expired records with --live-only', async () => {
    const result = await run('drivers', '--target', 'web-asg', '--live-only');
    expect(result.stdout).not.toContain('EXPIRED');
    expect(result.stdout).toContain('5 driver records at 2026-11-27T10:00:00Z: 1 stale');
  });

  it('names the known targets when the target does not exist', async () => {
    const result = await run('drivers', '--target', 'web-asgg');
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'drivetrain: unknown target "web-asgg" (did you mean "web-asg"?)\n  known targets: web-asg, checkout-fn, api-routing\n',
    });
  });

  it('accepts the global options before the command', async () => {
    const result = await cli([...localFlags, 'drivers', '--target', 'checkout-fn']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^flash-sale +business/m);
  });
});

describe('decisions', () => {
  it('lists the decision table of every target, newest first, with status and summary', async () => {
    const result = await run('decisions');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const out = lines(result.stdout);
    expect(out[0]).toMatch(/^TIME +DECISION +TARGET +MODE +STATUS +SUMMARY$/);
    expect(out.slice(1).map((l) => l.split(/ +/)[1])).toEqual([
      'api-routing:2',
      'checkout-fn:1',
      'web-asg:1',
      'api-routing:1',
    ]);
    expect(result.stdout).toMatch(
      /^2026-11-27T09:58:00Z +web-asg:1 +web-asg +enforce +applied +set 12 \(floor 12\): flash-sale outranks cpu-low$/m,
    );
    expect(result.stdout).toMatch(
      /^2026-11-27T09:59:00Z +checkout-fn:1 +checkout-fn +enforce +failed +set 60 \(floor 0\): flash-sale \[InvalidParameterValueException: Requested provisioned concurrency exceeds the account's unreserved concurrency\]$/m,
    );
    expect(result.stdout).toMatch(
      /^2026-11-27T09:45:00Z +api-routing:1 +api-routing +shadow +skipped +shadow by alice: trying the new drain alarms$/m,
    );
  });

  it('filters by target and by --since (a duration back or an ISO time)', async () => {
    const one = await run('decisions', '--target', 'web-asg');
    expect(lines(one.stdout)).toEqual([
      expect.stringMatching(/^TIME +DECISION +MODE +STATUS +SUMMARY$/),
      expect.stringMatching(/^2026-11-27T09:58:00Z +web-asg:1 +enforce +applied /),
    ]);
    const recent = await run('decisions', '--since', '90s');
    expect(
      lines(recent.stdout)
        .slice(1)
        .map((l) => l.split(/ +/)[1]),
    ).toEqual(['api-routing:2', 'checkout-fn:1']);
    const iso = await run('decisions', '--since', '2026-11-27T09:58:00Z', '--target', 'web-asg');
    expect(iso.stdout).toContain('web-asg:1');
    const none = await run('decisions', '--target', 'web-asg', '--since', '1m');
    expect(none).toMatchObject({ code: 0, stdout: 'no decisions for web-asg since 2026-11-27T09:59:00Z\n' });
  });

  it('limits the rows and says more exist', async () => {
    const result = await run('decisions', '--limit', '2');
    expect(lines(result.stdout)).toHaveLength(3);
    expect(result.stderr).toBe('showing the newest 2; there may be more: use --limit or --since\n');
  });

  it('gives scripts the full records as JSON', async () => {
    const result = await run('decisions', '--json', '--target', 'checkout-fn');
    const records = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    expect(records).toEqual([
      expect.objectContaining({
        decisionId: 'checkout-fn:1',
        status: 'failed',
        outcome: seeded.checkoutFailed.outcome,
      }),
    ]);
  });

  it.each([
    [['--since', 'yesterday'], /--since: cannot read "yesterday" as a duration \(30m, 2h, 1d\) or an ISO timestamp/],
    [['--limit', '0'], /--limit: expected a positive whole number, got "0"/],
    [['--limit', '5000'], /--limit: at most 1000/],
    [['--since'], /--since needs a value/],
  ])('rejects bad flags %j with exit 2', async (args, message) => {
    const result = await run('decisions', ...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('run `drivetrain decisions --help` for usage');
  });
});

describe('explain', () => {
  it('shows the full lineage of a decision and why the losing drivers lost', async () => {
    const result = await run('explain', seeded.webApplied.decisionId);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(
      [
        'Decision: web-asg:1',
        'Time:     2026-11-27T09:58:00Z (2m ago)',
        'Target:   web-asg (ec2-asg)',
        'Mode:     enforce',
        'Status:   applied',
        'Policy:   web-2026-11-23',
        'Summary:  set 12 (floor 12): flash-sale outranks cpu-low',
        'Desired:  12 (floor 12)',
        '',
        'Reasons:',
        '  business-window: a business demand window is open',
      ].join('\n'),
    );
    const table = result.stdout.slice(
      result.stdout.indexOf('Drivers considered:'),
      result.stdout.indexOf('Precedence:'),
    );
    expect(lines(table).slice(1)).toEqual([
      expect.stringMatching(/^ {2}DRIVER +KIND +RULE +OUTCOME +DEMAND +DETAIL$/),
      expect.stringMatching(
        /^ {2}flash-sale +business +rules\[3\] business +won +12 +Black Friday morning window open/,
      ),
      expect.stringMatching(/^ {2}cost-budget +business +rules\[4\] business +used +- +budget 2\.5\/h$/),
      expect.stringMatching(
        /^ {2}cpu-low +alarm +rules\[1\] alarm +lost-to-higher-demand +5 +web-prod-cpu-low in ALARM: -1$/,
      ),
      expect.stringMatching(/^ {2}cpu-high +alarm +rules\[0\] alarm +alarm-ok +- +web-prod-cpu-high is OK$/),
      expect.stringMatching(/^ {2}requests +metric +rules\[2\] metric +stale +- +last seen 18m ago \(limit 10m\)$/),
      expect.stringMatching(/^ {2}requests +metric +- +expired +- +expired 8m ago$/),
    ]);
    expect(result.stdout).toContain(
      [
        'Precedence:',
        '  flash-sale won asking for 12 (rules[3] business)',
        '  cpu-low (asked for 5): lost to flash-sale, which asked for 12: the highest demand wins (combine: max) — web-prod-cpu-low in ALARM: -1',
        '  cpu-high: no demand: the alarm is OK — web-prod-cpu-high is OK',
        '  requests: ignored: telemetry older than the policy allows — last seen 18m ago (limit 10m)',
        '  requests: ignored: past its expiry (TTL deletion is late) — expired 8m ago',
        '',
        'Actions:',
        '  set capacity: desired 12, floor 12',
        '',
        'Outcome:',
        '  applied at 2026-11-27T09:58:02Z: SetDesiredCapacity web-prod 12, MinSize 12',
      ].join('\n'),
    );
  });

  it('shows the error of a failed decision and whether it will be retried', async () => {
    const result = await run('explain', 'checkout-fn:1');
    expect(result.stdout).toContain('Status:   failed');
    expect(result.stdout).toContain(
      "Outcome:\n  failed at 2026-11-27T09:59:01Z: PutProvisionedConcurrencyConfig checkout:live 60\n  error InvalidParameterValueException: Requested provisioned concurrency exceeds the account's unreserved concurrency (permanent: needs an operator)\n",
    );
  });

  it('shows who changed the mode and why, and that a shadow decision was not applied', async () => {
    const modeChange = await run('explain', 'api-routing:1');
    expect(modeChange.stdout).toContain('Target:   api-routing (mode change)');
    expect(modeChange.stdout).toContain('By:       alice: trying the new drain alarms');
    const shadow = await run('explain', seeded.routingShadow.decisionId);
    expect(shadow.stdout).toMatch(/^ {2}set weights: us-east-1=70, eu-west-1=30 — not applied \(shadow mode\)$/m);
    expect(shadow.stdout).toContain('Outcome:\n  shadow: recorded for comparison, nothing was applied\n');
  });

  it('gives scripts the record with the considered drivers ranked winner first', async () => {
    const result = await run('explain', 'web-asg:1', '--json');
    const record = JSON.parse(result.stdout) as {
      decisionId: string;
      considered: Array<{ name: string; outcome: string }>;
    };
    expect(record.decisionId).toBe('web-asg:1');
    expect(record.considered.map((c) => c.outcome)).toEqual([
      'won',
      'used',
      'lost-to-higher-demand',
      'alarm-ok',
      'stale',
      'expired',
    ]);
  });

  it('explains what is wrong with the id', async () => {
    expect(await run('explain', 'web-asg')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('decision ids look like TARGET:VERSION (web-asg:42), got "web-asg"'),
    });
    expect(await run('explain')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('drivetrain explain: missing <decision-id>'),
    });
    expect(await run('explain', 'web:1')).toMatchObject({
      code: 1,
      stderr:
        'drivetrain: unknown target "web" (did you mean "web-asg"?)\n  known targets: web-asg, checkout-fn, api-routing\n',
    });
    const missing = await run('explain', 'web-asg:99');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      'drivetrain: no decision web-asg:99\n  list recent ones: drivetrain decisions --target web-asg --local\n  (decisions expire after 90 days)\n',
    );
  });
});

describe('reading fails clearly', () => {
  it('when the tables do not exist (wrong prefix)', async () => {
    const result = await cli(['drivers', '--local', '--endpoint', local.endpoint, '--table-prefix', 'nope']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `drivetrain: table not found in DynamoDB Local at ${local.endpoint} (looked for nope-drivers, nope-decisions, nope-state, nope-history)\n` +
        '  pass the --table-prefix the local tables were created with (and --endpoint if DynamoDB Local is not on port 8000)\n',
    );
  });

  it('when DynamoDB Local is not running', async () => {
    const result = await cli(['decisions', '--local', '--endpoint', 'http://127.0.0.1:1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'drivetrain: cannot reach DynamoDB Local at http://127.0.0.1:1\n  start DynamoDB Local, or pass --endpoint with the address it listens on\n',
    );
  });

  it('when the credentials provider has nothing (injected client)', async () => {
    const client = new DynamoDBClient({
      region: 'eu-west-1',
      endpoint: local.endpoint,
      credentials: () =>
        Promise.reject(
          Object.assign(new Error('Could not load credentials from any providers'), {
            name: 'CredentialsProviderError',
          }),
        ),
    });
    const result = await cli(['drivers'], { clients: { dynamodb: client } });
    client.destroy();
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'drivetrain: no AWS credentials: set AWS_PROFILE or use --profile, or --local\n',
    });
  });

  it('when the SDK default credential chain finds no credentials at all', async () => {
    const saved = { ...process.env };
    for (const name of Object.keys(process.env))
      if (name.startsWith('AWS_') && name !== 'AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE') delete process.env[name];
    Object.assign(process.env, {
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/drivetrain-test/credentials',
      AWS_CONFIG_FILE: '/nonexistent/drivetrain-test/config',
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    try {
      const result = await cli([
        'drivers',
        '--region',
        'eu-west-1',
        '--endpoint',
        local.endpoint,
        '--table-prefix',
        'any',
      ]);
      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr: 'drivetrain: no AWS credentials: set AWS_PROFILE or use --profile, or --local\n',
      });
    } finally {
      process.env = saved;
    }
  });

  it('naming the profile when the chosen profile has no credentials', async () => {
    const client = new DynamoDBClient({
      region: 'eu-west-1',
      endpoint: local.endpoint,
      credentials: () =>
        Promise.reject(
          Object.assign(new Error('Could not load credentials from any providers'), {
            name: 'CredentialsProviderError',
          }),
        ),
    });
    const result = await cli(['drivers', '--profile', 'prod-ops'], { clients: { dynamodb: client } });
    client.destroy();
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'drivetrain: no AWS credentials for profile "prod-ops": check it exists (aws configure list-profiles) and its session is current (aws sso login --profile prod-ops)\n',
    );
  });

  it('when no region is configured', async () => {
    const saved = { ...process.env };
    for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE']) delete process.env[name];
    Object.assign(process.env, {
      AWS_CONFIG_FILE: '/nonexistent/drivetrain-test/config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/drivetrain-test/credentials',
    });
    try {
      const result = await cli(['decisions', '--table-prefix', 'any']);
      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr: 'drivetrain: no AWS region: set AWS_REGION or use --region (or a profile with a region)\n',
      });
    } finally {
      process.env = saved;
    }
  });

  it('when the config cannot be read', async () => {
    const result = await run('drivers', '--config', 'missing.yaml');
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'drivetrain: cannot use config missing.yaml:\n  missing.yaml: file not found (pass --config FILE)\n',
    });
  });

  it('refuses --local with --profile', async () => {
    const result = await run('drivers', '--profile', 'prod');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--local and --profile do not go together/);
  });
});
