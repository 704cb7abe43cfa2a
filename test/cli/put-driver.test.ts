/**
 * `drivetrain put-driver` against the operator endpoint, with the real SigV4 signer and a fake transport
 * standing in for the function URL: the request that is sent (and that it is signed, for the URL's region,
 * with no sender named in it), the validation that stops a bad one before the call (the normalizer with
 * the STS caller identity), and every way the send itself can fail.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { buildDriverEvent, preflight } from '../../cli/commands/put-driver';
import { CommandError } from '../../cli/errors';
import { OperatorClient, type Fetch } from '../../cli/operator-client';
import { DETAIL_TYPES, OPERATOR_SOURCE } from '../../functions/contracts';
import { verifiedCaller } from '../../functions/ingest/caller';
import { NOW, cli, shippedConfig } from './harness';

const ONCALL = 'arn:aws:sts::111122223333:assumed-role/oncall-alice/alice';
const URL = 'https://a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6.lambda-url.eu-west-1.on.aws/';
const mockedSts = new STSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
const sts = mockClient(mockedSts);

interface Sent {
  url: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}
let sent: Sent[] = [];
let reply: { status: number; body: unknown } = {
  status: 200,
  body: { principal: 'arn:aws:iam::111122223333:role/oncall-alice', session: 'alice', accepted: 1 },
};
const transport: Fetch = async (url, init) => {
  sent.push({ url, headers: init.headers, body: JSON.parse(init.body) as Record<string, unknown> });
  return {
    status: reply.status,
    text: async () => (typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body)),
  };
};
const operator = new OperatorClient({
  url: URL,
  credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
  fetch: transport,
});

function put(args: string[], env: Record<string, string> = {}) {
  return cli(['put-driver', ...args], { env, clients: { sts: mockedSts, operator } });
}

function sentDetail(): Record<string, unknown> {
  expect(sent).toHaveLength(1);
  return sent[0]!.body.detail as Record<string, unknown>;
}

beforeEach(() => {
  sts.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Arn: ONCALL, Account: '111122223333', UserId: 'AROAEXAMPLE:alice' });
  sent = [];
  reply = {
    status: 200,
    body: { principal: 'arn:aws:iam::111122223333:role/oncall-alice', session: 'alice', accepted: 1 },
  };
});
afterAll(() => sts.restore());

describe('put-driver sends a signed request to the operator endpoint', () => {
  it("a demand window (campaign) with the operator source, signed for the URL's region, naming no sender", async () => {
    const result = await put([
      '--kind',
      'demand',
      '--driver',
      'flash-sale',
      '--multiplier',
      '3',
      '--start',
      '2026-11-27T12:00:00Z',
      '--end',
      '2026-11-27T13:00:00Z',
      '--lead',
      '30m',
      '--label',
      'Black Friday noon',
    ]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.url).toBe(URL);
    expect(sent[0]!.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-west-1\/lambda\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
    expect(sent[0]!.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(sent[0]!.body).toMatchObject({
      action: 'put-driver',
      source: OPERATOR_SOURCE,
      detailType: DETAIL_TYPES.businessDriver,
    });
    expect(sentDetail()).toEqual({
      driver: 'flash-sale',
      id: 'flash-sale-demand-1795780800',
      signal: {
        type: 'demand',
        demand: { multiplier: 3 },
        leadTimeSeconds: 1800,
        windowStart: '2026-11-27T12:00:00Z',
        windowEnd: '2026-11-27T13:00:00Z',
      },
      label: 'Black Friday noon',
    });
    expect(result.stdout).toContain('sent Drivetrain Business Driver for flash-sale → web-asg, checkout-fn');
    expect(result.stdout).toContain('recorded as sent by arn:aws:iam::111122223333:role/oncall-alice (session alice)');
  });

  it('an override pin with its mandatory expiry and reason, and no principal: the endpoint takes the caller from AWS', async () => {
    const result = await put([
      '--kind',
      'override',
      '--driver',
      'ops-override',
      '--targets',
      'web-asg',
      '--pin',
      '20',
      '--expires',
      '2h',
      '--reason',
      'INC-4821 hold',
    ]);
    expect(result.code).toBe(0);
    expect(sent[0]!.body).toMatchObject({ detailType: DETAIL_TYPES.override });
    expect(sentDetail()).toEqual({
      driver: 'ops-override',
      targets: ['web-asg'],
      expiresAt: '2026-11-27T12:00:00Z',
      reason: 'INC-4821 hold',
      action: 'pin',
      allocation: 20,
    });
    expect(result.stdout).toContain('(expires in 2h)');
  });

  it('an override of routing weights, and a freeze when neither --pin nor --weights is given', async () => {
    expect(
      (
        await put([
          '--kind',
          'override',
          '--driver',
          'ops-override',
          '--targets',
          'api-routing',
          '--weights',
          'us-east-1=0,eu-west-1=100',
          '--expires',
          '2026-11-27T11:30:00Z',
          '--reason',
          'drain use1',
        ])
      ).code,
    ).toBe(0);
    expect(sentDetail()).toMatchObject({ action: 'pin-weights', weights: { 'us-east-1': 0, 'eu-west-1': 100 } });
    sent = [];
    expect(
      (
        await put([
          '--kind',
          'override',
          '--driver',
          'ops-override',
          '--targets',
          'web-asg,checkout-fn',
          '--expires',
          '30m',
          '--reason',
          'launch',
        ])
      ).code,
    ).toBe(0);
    expect(sentDetail()).toMatchObject({ action: 'freeze', targets: ['web-asg', 'checkout-fn'] });
  });

  it('a metric snapshot with the declared unit', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Arn: 'arn:aws:sts::111122223333:assumed-role/metrics-publisher/m' });
    expect(
      (await put(['--kind', 'metric', '--driver', 'requests', '--value', '1234.5', '--source', 'drivetrain.metrics']))
        .code,
    ).toBe(0);
    expect(sent[0]!.body).toMatchObject({ detailType: DETAIL_TYPES.metricSnapshot, source: 'drivetrain.metrics' });
    expect(sentDetail()).toEqual({ driver: 'requests', value: 1234.5, unit: 'Count/Second' });
  });

  it('prints the result as JSON for scripts', async () => {
    const result = await put(['--json', '--kind', 'freeze', '--driver', 'flash-sale', '--end', '1h']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      principal: 'arn:aws:iam::111122223333:role/oncall-alice',
      request: { detailType: DETAIL_TYPES.businessDriver },
    });
  });
});

describe('put-driver --dry-run', () => {
  it('prints the operator request and sends nothing', async () => {
    const result = await put([
      '--kind',
      'override',
      '--driver',
      'ops-override',
      '--targets',
      'web-asg',
      '--expires',
      '1h',
      '--reason',
      'test',
      '--dry-run',
    ]);
    expect(result.code).toBe(0);
    expect(sent).toEqual([]);
    expect(result.stdout).toMatch(/^dry run: nothing sent/);
    const request = JSON.parse(result.stdout.slice(result.stdout.indexOf('{'))) as Record<string, unknown>;
    expect(request).toMatchObject({
      action: 'put-driver',
      source: OPERATOR_SOURCE,
      detailType: DETAIL_TYPES.override,
      detail: { action: 'freeze' },
    });
  });

  it('prints parseable JSON with the canonical drivers the normalizer would store', async () => {
    const result = await put([
      '--json',
      '--dry-run',
      '--kind',
      'demand',
      '--driver',
      'flash-sale',
      '--absolute',
      '30',
      '--end',
      '3h',
    ]);
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout) as {
      dryRun: boolean;
      drivers: Array<{ kind: string; targets: string[]; expiresAt: number }>;
    };
    expect(out.dryRun).toBe(true);
    expect(out.drivers.map((d) => d.kind)).toEqual(['business']);
    expect(out.drivers[0]!.expiresAt).toBe(NOW + 3 * 3600);
  });
});

describe('put-driver: the sender is the identity AWS verifies, never a flag', () => {
  it('preflights with the STS caller identity', async () => {
    const result = await put([
      '--kind',
      'override',
      '--driver',
      'ops-override',
      '--targets',
      'web-asg',
      '--pin',
      '8',
      '--expires',
      '1h',
      '--reason',
      'INC-1 hold',
    ]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(sts).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 1);
  });

  it('refuses --principal against AWS (exit 2, nothing sent)', async () => {
    const result = await put([
      '--kind',
      'override',
      '--driver',
      'ops-override',
      '--targets',
      'web-asg',
      '--expires',
      '1h',
      '--reason',
      'x',
      '--principal',
      ONCALL,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--principal is only for --local/);
    expect(sent).toEqual([]);
  });

  it('refuses, without sending, when the caller may not override the target', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Arn: 'arn:aws:sts::111122223333:assumed-role/developer/bob' });
    const result = await put([
      '--kind',
      'override',
      '--driver',
      'ops-override',
      '--targets',
      'web-asg',
      '--pin',
      '4',
      '--expires',
      '1h',
      '--reason',
      'x',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /override-not-permitted \(web-asg\): caller "arn:aws:iam::111122223333:role\/developer" is not in overridePrincipals of target "web-asg"/,
    );
    expect(sent).toEqual([]);
  });

  it('with --local (no AWS identity to ask) an override needs the stand-in --principal', async () => {
    const result = await put([
      '--local',
      '--kind',
      'override',
      '--driver',
      'ops-override',
      '--targets',
      'web-asg',
      '--expires',
      '1h',
      '--reason',
      'x',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--principal ARN is required for a local override/);
    expect(sts).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 0);
  });
});

describe('put-driver refuses before sending', () => {
  it.each([
    ['no --kind', ['--driver', 'flash-sale'], /--kind is required/],
    [
      'an unknown kind',
      ['--kind', 'campaign', '--driver', 'flash-sale'],
      /--kind: got "campaign"; allowed: demand, budget, freeze, override, metric/,
    ],
    [
      'a flag of another kind',
      ['--kind', 'demand', '--driver', 'flash-sale', '--pin', '3', '--end', '1h'],
      /--pin does not apply to --kind demand \(it is for --kind override\)/,
    ],
    [
      'both --multiplier and --absolute',
      ['--kind', 'demand', '--driver', 'flash-sale', '--multiplier', '2', '--absolute', '9', '--end', '1h'],
      /exactly one of --multiplier N or --absolute N/,
    ],
    [
      'a non-number',
      ['--kind', 'demand', '--driver', 'flash-sale', '--multiplier', 'lots', '--end', '1h'],
      /--multiplier: expected a positive number, got "lots"/,
    ],
    ['a window without an end', ['--kind', 'freeze', '--driver', 'flash-sale'], /--end is required/],
    [
      'an unreadable time',
      ['--kind', 'freeze', '--driver', 'flash-sale', '--end', 'friday'],
      /--end: cannot read "friday"/,
    ],
    [
      'an override without expiry',
      ['--kind', 'override', '--driver', 'ops-override', '--targets', 'web-asg', '--reason', 'x'],
      /--expires is required for an override/,
    ],
    [
      'an override without reason',
      ['--kind', 'override', '--driver', 'ops-override', '--targets', 'web-asg', '--expires', '1h'],
      /--reason is required/,
    ],
    [
      'malformed weights',
      [
        '--kind',
        'override',
        '--driver',
        'ops-override',
        '--targets',
        'api-routing',
        '--weights',
        'use1:80',
        '--expires',
        '1h',
        '--reason',
        'x',
      ],
      /--weights: expected SETID=WEIGHT/,
    ],
    [
      'a misspelt option',
      ['--kind', 'demand', '--driver', 'flash-sale', '--multipler', '2'],
      /unknown option --multipler \(did you mean --multiplier\?\)/,
    ],
  ])('usage: %s (exit 2)', async (_name, args, message) => {
    const result = await put(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('run `drivetrain put-driver --help` for usage');
    expect(sent).toEqual([]);
  });

  it.each([
    [
      'an unknown driver',
      ['--kind', 'demand', '--driver', 'black-friday', '--multiplier', '2', '--end', '1h'],
      /unknown driver "black-friday"\n {2}declared business drivers: flash-sale, cost-budget/,
    ],
    [
      'a driver of another kind',
      ['--kind', 'demand', '--driver', 'requests', '--multiplier', '2', '--end', '1h'],
      /driver "requests" is declared as metric; --kind demand needs a business driver/,
    ],
    [
      'an unknown target',
      ['--kind', 'demand', '--driver', 'flash-sale', '--multiplier', '2', '--end', '1h', '--targets', 'web-asgg'],
      /unknown target "web-asgg" \(did you mean "web-asg"\?\)\n {2}known targets: web-asg, checkout-fn, api-routing/,
    ],
    [
      'a target the driver does not declare',
      ['--kind', 'demand', '--driver', 'flash-sale', '--multiplier', '2', '--end', '1h', '--targets', 'api-routing'],
      /driver "flash-sale" does not list target api-routing/,
    ],
    [
      'a source the target does not allow',
      ['--kind', 'metric', '--driver', 'requests', '--value', '1', '--source', 'com.example.unknown'],
      /source "com.example.unknown" is not allowed to drive target "web-asg"/,
    ],
    [
      'an override longer than 7 days',
      [
        '--kind',
        'override',
        '--driver',
        'ops-override',
        '--targets',
        'web-asg',
        '--pin',
        '4',
        '--expires',
        '8d',
        '--reason',
        'x',
      ],
      /an override may last at most 7d/,
    ],
    [
      'an override already expired',
      [
        '--kind',
        'override',
        '--driver',
        'ops-override',
        '--targets',
        'web-asg',
        '--pin',
        '4',
        '--expires',
        '2026-11-27T09:00:00Z',
        '--reason',
        'x',
      ],
      /is not in the future/,
    ],
    [
      'a pin on a routing target',
      [
        '--kind',
        'override',
        '--driver',
        'ops-override',
        '--targets',
        'api-routing',
        '--pin',
        '4',
        '--expires',
        '1h',
        '--reason',
        'x',
      ],
      /--pin sets a capacity; target "api-routing" is a routing target/,
    ],
    [
      'weights for an unknown endpoint',
      [
        '--kind',
        'override',
        '--driver',
        'ops-override',
        '--targets',
        'api-routing',
        '--weights',
        'ap-south-1=10',
        '--expires',
        '1h',
        '--reason',
        'x',
      ],
      /--weights: ap-south-1 not an endpoint of "api-routing"/,
    ],
    [
      'a window that already ended',
      [
        '--kind',
        'freeze',
        '--driver',
        'flash-sale',
        '--start',
        '2026-11-26T00:00:00Z',
        '--end',
        '2026-11-27T09:00:00Z',
      ],
      /--end 2026-11-27T09:00:00Z is in the past/,
    ],
    [
      'a unit other than the declared one',
      ['--kind', 'metric', '--driver', 'requests', '--value', '1', '--unit', 'Percent'],
      /--unit Percent does not match driver "requests"'s declared unit Count\/Second/,
    ],
    [
      'an event the ingest schema refuses',
      ['--kind', 'demand', '--driver', 'flash-sale', '--multiplier', '5000', '--end', '1h'],
      /does not pass the ingest schema; nothing was sent:\n {2}detail\.signal\.demand/,
    ],
  ])('invalid: %s (exit 1)', async (_name, args, message) => {
    const result = await put(args);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(sent).toEqual([]);
  });

  it('runs the ingest normalizer as a preflight and reports its rejections verbatim', () => {
    const config = shippedConfig();
    const parsed = { values: { kind: 'metric', driver: 'requests', value: '5' }, positionals: [] };
    const built = buildDriverEvent(parsed, config, NOW);
    // Bypass the CLI's own checks: the normalizer is the backstop and must still refuse.
    const forged = { ...built, request: { ...built.request, source: 'com.example.forged' } };
    const caller = verifiedCaller('arn:aws:sts::111122223333:assumed-role/oncall-alice/alice');
    expect(() => preflight(forged, config, NOW, 'evt-1', caller)).toThrow(CommandError);
    try {
      preflight(forged, config, NOW, 'evt-1', caller);
    } catch (error) {
      // A source nobody may send: refused for the sender before any target is looked at.
      expect((error as CommandError).hints.join('\n')).toMatch(
        /^sender-not-permitted: caller "arn:aws:iam::111122223333:role\/oncall-alice" may not send source "com.example.forged"/,
      );
    }
    expect(preflight(built, config, NOW, 'evt-2', caller)).toEqual([
      expect.objectContaining({
        kind: 'metric',
        name: 'requests',
        targets: ['web-asg'],
        observedAt: NOW,
        signal: { value: 5, unit: 'Count/Second' },
      }),
    ]);
  });
});

describe('put-driver when the send fails', () => {
  it("reports the endpoint's refusal, one line per reason (exit 1)", async () => {
    reply = {
      status: 403,
      body: {
        error: 'driver-rejected',
        rejected: [
          { reason: 'override-not-permitted', targetId: 'web-asg', message: 'caller x is not in overridePrincipals' },
        ],
      },
    };
    const result = await put([
      '--kind',
      'override',
      '--driver',
      'ops-override',
      '--targets',
      'web-asg',
      '--expires',
      '1h',
      '--reason',
      'x',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the operator endpoint refused the Drivetrain Override (HTTP 403):');
    expect(result.stderr).toContain('override-not-permitted (web-asg): caller x is not in overridePrincipals');
    expect(result.stdout).toBe('');
  });

  it("explains Lambda's own IAM refusal (the permission, not Drivetrain)", async () => {
    reply = {
      status: 403,
      body: {
        Message:
          'Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html',
      },
    };
    const result = await put(['--kind', 'freeze', '--driver', 'flash-sale', '--end', '1h']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the operator endpoint answered 403: Forbidden.');
    expect(result.stderr).toContain('lambda:InvokeFunctionUrl and lambda:InvokeFunction');
  });

  it('needs the endpoint URL (usage, exit 2), and checks that it is a function URL', async () => {
    const missing = await cli(['put-driver', '--kind', 'freeze', '--driver', 'flash-sale', '--end', '1h'], {
      clients: { sts: mockedSts },
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--operator-url URL is required \(or set DRIVETRAIN_OPERATOR_URL\)/);
    const wrong = await cli(
      [
        'put-driver',
        '--kind',
        'freeze',
        '--driver',
        'flash-sale',
        '--end',
        '1h',
        '--operator-url',
        'https://example.com/',
      ],
      { clients: { sts: mockedSts } },
    );
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/is not a Lambda function URL/);
  });

  it('says how to get credentials when the provider chain has none', async () => {
    const noCredentials = new OperatorClient({
      url: URL,
      credentials: () =>
        Promise.reject(
          Object.assign(new Error('Could not load credentials from any providers'), {
            name: 'CredentialsProviderError',
          }),
        ),
      fetch: transport,
    });
    const result = await cli(['put-driver', '--kind', 'freeze', '--driver', 'flash-sale', '--end', '1h'], {
      clients: { sts: mockedSts, operator: noCredentials },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no AWS credentials to sign the request with');
    expect(sent).toEqual([]);
  });
});
