/**
 * `drivetrain put-driver` against a mocked EventBridge (no local emulator exists): the entry that is sent,
 * the validation that stops a bad one before the call, and every way the send itself can fail.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { buildDriverEvent, preflight } from '../../cli/commands/put-driver';
import { CommandError } from '../../cli/errors';
import { DETAIL_TYPES, OPERATOR_SOURCE } from '../../functions/contracts';
import { NOW, cli, shippedConfig } from './harness';

const ONCALL = 'arn:aws:sts::111122223333:assumed-role/oncall-alice/alice';
// Only this instance is mocked: the credentials test below uses a real client whose provider rejects.
const mockedClient = new EventBridgeClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
const eventBridge = mockClient(mockedClient);
const mockedSts = new STSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
const sts = mockClient(mockedSts);

function put(args: string[], env: Record<string, string> = {}) {
  return cli(['put-driver', ...args], { env, clients: { eventBridge: mockedClient, sts: mockedSts } });
}

function sentEntries() {
  return eventBridge.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries ?? []);
}

function sentDetail(): Record<string, unknown> {
  const entries = sentEntries();
  expect(entries).toHaveLength(1);
  return JSON.parse(entries[0]!.Detail!) as Record<string, unknown>;
}

beforeEach(() => {
  sts.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Arn: ONCALL, Account: '111122223333', UserId: 'AROAEXAMPLE:alice' });
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '11111111-2222-3333-4444-555555555555' }] });
});
afterAll(() => {
  eventBridge.restore();
  sts.restore();
});

describe('put-driver sends', () => {
  it('a demand window (campaign) to the default bus with the operator source', async () => {
    const result = await put([
      '--kind', 'demand', '--driver', 'flash-sale', '--multiplier', '3',
      '--start', '2026-11-27T12:00:00Z', '--end', '2026-11-27T13:00:00Z', '--lead', '30m', '--label', 'Black Friday noon',
    ]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    const [entry] = sentEntries();
    expect(entry).toMatchObject({ Source: OPERATOR_SOURCE, DetailType: DETAIL_TYPES.businessDriver, EventBusName: 'drivetrain-business-drivers' });
    expect(sentDetail()).toEqual({
      driver: 'flash-sale',
      id: 'flash-sale-demand-1795780800',
      signal: { type: 'demand', demand: { multiplier: 3 }, leadTimeSeconds: 1800, windowStart: '2026-11-27T12:00:00Z', windowEnd: '2026-11-27T13:00:00Z' },
      label: 'Black Friday noon',
    });
    expect(result.stdout).toContain('sent Drivetrain Business Driver for flash-sale → web-asg, checkout-fn on drivetrain-business-drivers');
    expect(result.stdout).toContain('event id 11111111-2222-3333-4444-555555555555');
  });

  it('a budget and a freeze limited to one target, to the bus named by flag or env', async () => {
    expect((await put(['--kind', 'budget', '--driver', 'cost-budget', '--max-cost', '1.5', '--end', '8h', '--bus', 'prod-business'])).code).toBe(0);
    expect(sentEntries()[0]).toMatchObject({ EventBusName: 'prod-business' });
    expect(sentDetail()).toMatchObject({ signal: { type: 'budget', maxHourlyCost: 1.5, windowStart: '2026-11-27T10:00:00Z', windowEnd: '2026-11-27T18:00:00Z' } });

    eventBridge.resetHistory();
    const freeze = await put(['--kind', 'freeze', '--driver', 'flash-sale', '--targets', 'web-asg', '--end', '2026-12-31T23:59:59Z', '--reason', 'year-end freeze'], { DRIVETRAIN_BUS: 'env-bus' });
    expect(freeze.code).toBe(0);
    expect(sentEntries()[0]).toMatchObject({ EventBusName: 'env-bus' });
    expect(sentDetail()).toMatchObject({ targets: ['web-asg'], signal: { type: 'freeze' }, label: 'year-end freeze' });
  });

  it('an override pin with its mandatory expiry, reason and principal (from the env)', async () => {
    const result = await put(['--kind', 'override', '--driver', 'ops-override', '--targets', 'web-asg', '--pin', '20', '--expires', '2h', '--reason', 'INC-4821 hold'], {
      DRIVETRAIN_PRINCIPAL: ONCALL,
    });
    expect(result.code).toBe(0);
    expect(sentEntries()[0]).toMatchObject({ DetailType: DETAIL_TYPES.override });
    expect(sentDetail()).toEqual({ driver: 'ops-override', targets: ['web-asg'], expiresAt: '2026-11-27T12:00:00Z', reason: 'INC-4821 hold', principal: ONCALL, action: 'pin', allocation: 20 });
    expect(result.stdout).toContain('(expires in 2h)');
  });

  it('an override of routing weights, and a freeze when neither --pin nor --weights is given', async () => {
    const weights = await put(['--kind', 'override', '--driver', 'ops-override', '--targets', 'api-routing', '--weights', 'us-east-1=0,eu-west-1=100', '--expires', '2026-11-27T11:30:00Z', '--reason', 'drain use1', '--principal', ONCALL]);
    expect(weights.code).toBe(0);
    expect(sentDetail()).toMatchObject({ action: 'pin-weights', weights: { 'us-east-1': 0, 'eu-west-1': 100 } });

    eventBridge.resetHistory();
    expect((await put(['--kind', 'override', '--driver', 'ops-override', '--targets', 'web-asg,checkout-fn', '--expires', '30m', '--reason', 'launch', '--principal', ONCALL])).code).toBe(0);
    expect(sentDetail()).toMatchObject({ action: 'freeze', targets: ['web-asg', 'checkout-fn'] });
  });

  it('a metric snapshot with the declared unit', async () => {
    expect((await put(['--kind', 'metric', '--driver', 'requests', '--value', '1234.5'])).code).toBe(0);
    expect(sentEntries()[0]).toMatchObject({ DetailType: DETAIL_TYPES.metricSnapshot });
    expect(sentDetail()).toEqual({ driver: 'requests', value: 1234.5, unit: 'Count/Second' });
  });

  it('prints the result as JSON for scripts', async () => {
    const result = await cli(['put-driver', '--json', '--kind', 'metric', '--driver', 'requests', '--value', '10'], { clients: { eventBridge: mockedClient } });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ eventId: '11111111-2222-3333-4444-555555555555', entry: { DetailType: DETAIL_TYPES.metricSnapshot } });
  });
});

describe('put-driver --dry-run', () => {
  it('prints the PutEvents entry and sends nothing', async () => {
    const result = await put(['--kind', 'override', '--driver', 'ops-override', '--targets', 'web-asg', '--expires', '1h', '--reason', 'test', '--principal', ONCALL, '--dry-run']);
    expect(result.code).toBe(0);
    expect(eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
    expect(result.stdout).toMatch(/^dry run: nothing sent/);
    const entry = JSON.parse(result.stdout.slice(result.stdout.indexOf('{'))) as { Detail: { action: string } };
    expect(entry).toMatchObject({ Source: OPERATOR_SOURCE, DetailType: DETAIL_TYPES.override, Detail: { action: 'freeze' } });
  });

  it('prints parseable JSON with the canonical drivers the normalizer would store', async () => {
    const result = await put(['--json', '--dry-run', '--kind', 'demand', '--driver', 'flash-sale', '--absolute', '30', '--end', '3h']);
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout) as { dryRun: boolean; drivers: Array<{ kind: string; targets: string[]; expiresAt: number }> };
    expect(out.dryRun).toBe(true);
    expect(out.drivers.map((d) => d.kind)).toEqual(['business']);
    expect(out.drivers[0]!.expiresAt).toBe(NOW + 3 * 3600);
  });
});

describe('put-driver records an override under the caller', () => {
  it('asks STS for the caller when --principal is not given', async () => {
    const result = await put(['--kind', 'override', '--driver', 'ops-override', '--targets', 'web-asg', '--pin', '8', '--expires', '1h', '--reason', 'INC-1 hold']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(sts).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 1);
    expect(sentDetail()).toMatchObject({ principal: ONCALL, action: 'pin', allocation: 8 });
  });

  it('never asks STS when the principal is given', async () => {
    expect((await put(['--kind', 'override', '--driver', 'ops-override', '--targets', 'web-asg', '--expires', '1h', '--reason', 'x', '--principal', ONCALL])).code).toBe(0);
    expect(sts).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 0);
  });

  it('refuses, without sending, when the caller may not override the target', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Arn: 'arn:aws:sts::111122223333:assumed-role/developer/bob' });
    const result = await put(['--kind', 'override', '--driver', 'ops-override', '--targets', 'web-asg', '--expires', '1h', '--reason', 'x']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/principal arn:aws:sts::111122223333:assumed-role\/developer\/bob may not override target "web-asg"/);
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });

  it('with --local (no AWS identity to ask) the principal is required', async () => {
    const result = await put(['--local', '--kind', 'override', '--driver', 'ops-override', '--targets', 'web-asg', '--expires', '1h', '--reason', 'x']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--principal ARN is required for a local override/);
    expect(sts).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 0);
  });
});

describe('put-driver refuses before sending', () => {
  it.each([
    ['no --kind', ['--driver', 'flash-sale'], /--kind is required/],
    ['an unknown kind', ['--kind', 'campaign', '--driver', 'flash-sale'], /--kind: got "campaign"; allowed: demand, budget, freeze, override, metric/],
    ['a flag of another kind', ['--kind', 'demand', '--driver', 'flash-sale', '--pin', '3', '--end', '1h'], /--pin does not apply to --kind demand \(it is for --kind override\)/],
    ['both --multiplier and --absolute', ['--kind', 'demand', '--driver', 'flash-sale', '--multiplier', '2', '--absolute', '9', '--end', '1h'], /exactly one of --multiplier N or --absolute N/],
    ['a non-number', ['--kind', 'demand', '--driver', 'flash-sale', '--multiplier', 'lots', '--end', '1h'], /--multiplier: expected a positive number, got "lots"/],
    ['a window without an end', ['--kind', 'freeze', '--driver', 'flash-sale'], /--end is required/],
    ['an unreadable time', ['--kind', 'freeze', '--driver', 'flash-sale', '--end', 'friday'], /--end: cannot read "friday"/],
    ['an override without expiry', ['--kind', 'override', '--driver', 'ops-override', '--targets', 'web-asg', '--reason', 'x', '--principal', ONCALL], /--expires is required for an override/],
    ['an override without reason', ['--kind', 'override', '--driver', 'ops-override', '--targets', 'web-asg', '--expires', '1h', '--principal', ONCALL], /--reason is required/],
    ['malformed weights', ['--kind', 'override', '--driver', 'ops-override', '--targets', 'api-routing', '--weights', 'use1:80', '--expires', '1h', '--reason', 'x', '--principal', ONCALL], /--weights: expected SETID=WEIGHT/],
    ['a misspelt option', ['--kind', 'demand', '--driver', 'flash-sale', '--multipler', '2'], /unknown option --multipler \(did you mean --multiplier\?\)/],
  ])('usage: %s (exit 2)', async (_name, args, message) => {
    const result = await put(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('run `drivetrain put-driver --help` for usage');
    expect(eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
  });

  it.each([
    ['an unknown driver', ['--kind', 'demand', '--driver', 'black-friday', '--multiplier', '2', '--end', '1h'], /unknown driver "black-friday"\n {2}declared business drivers: flash-sale, cost-budget/],
    ['a driver of another kind', ['--kind', 'demand', '--driver', 'requests', '--multiplier', '2', '--end', '1h'], /driver "requests" is declared as metric; --kind demand needs a business driver/],
    ['an unknown target', ['--kind', 'demand', '--driver', 'flash-sale', '--multiplier', '2', '--end', '1h', '--targets', 'web-asgg'], /unknown target "web-asgg" \(did you mean "web-asg"\?\)\n {2}known targets: web-asg, checkout-fn, api-routing/],
    ['a target the driver does not declare', ['--kind', 'demand', '--driver', 'flash-sale', '--multiplier', '2', '--end', '1h', '--targets', 'api-routing'], /driver "flash-sale" does not list target api-routing/],
    ['a source the target does not allow', ['--kind', 'metric', '--driver', 'requests', '--value', '1', '--source', 'com.example.unknown'], /source "com.example.unknown" is not allowed to drive target "web-asg"/],
    ['a principal outside overridePrincipals', ['--kind', 'override', '--driver', 'ops-override', '--targets', 'web-asg', '--pin', '4', '--expires', '1h', '--reason', 'x', '--principal', 'arn:aws:iam::111122223333:role/developer'], /principal arn:aws:iam::111122223333:role\/developer may not override target "web-asg"/],
    ['an override longer than 7 days', ['--kind', 'override', '--driver', 'ops-override', '--targets', 'web-asg', '--pin', '4', '--expires', '8d', '--reason', 'x', '--principal', ONCALL], /an override may last at most 7d/],
    ['an override already expired', ['--kind', 'override', '--driver', 'ops-override', '--targets', 'web-asg', '--pin', '4', '--expires', '2026-11-27T09:00:00Z', '--reason', 'x', '--principal', ONCALL], /is not in the future/],
    ['a pin on a routing target', ['--kind', 'override', '--driver', 'ops-override', '--targets', 'api-routing', '--pin', '4', '--expires', '1h', '--reason', 'x', '--principal', ONCALL], /--pin sets a capacity; target "api-routing" is a routing target/],
    ['weights for an unknown endpoint', ['--kind', 'override', '--driver', 'ops-override', '--targets', 'api-routing', '--weights', 'ap-south-1=10', '--expires', '1h', '--reason', 'x', '--principal', ONCALL], /--weights: ap-south-1 not an endpoint of "api-routing"/],
    ['a window that already ended', ['--kind', 'freeze', '--driver', 'flash-sale', '--start', '2026-11-26T00:00:00Z', '--end', '2026-11-27T09:00:00Z'], /--end 2026-11-27T09:00:00Z is in the past/],
    ['a unit other than the declared one', ['--kind', 'metric', '--driver', 'requests', '--value', '1', '--unit', 'Percent'], /--unit Percent does not match driver "requests"'s declared unit Count\/Second/],
    ['an event the ingest schema refuses', ['--kind', 'demand', '--driver', 'flash-sale', '--multiplier', '5000', '--end', '1h'], /does not pass the ingest schema; nothing was sent:\n {2}detail\.signal\.demand/],
  ])('invalid: %s (exit 1)', async (_name, args, message) => {
    const result = await put(args);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
  });

  it('runs the ingest normalizer as a preflight and reports its rejections verbatim', () => {
    const config = shippedConfig();
    const parsed = { values: { kind: 'metric', driver: 'requests', value: '5' }, positionals: [] };
    const built = buildDriverEvent(parsed, config, NOW, {});
    // Bypass the CLI's own checks: the normalizer is the backstop and must still refuse.
    const forged = { ...built, entry: { ...built.entry, Source: 'com.example.forged' } };
    expect(() => preflight(forged, config, NOW, 'evt-1')).toThrow(CommandError);
    try {
      preflight(forged, config, NOW, 'evt-1');
    } catch (error) {
      expect((error as CommandError).hints.join('\n')).toMatch(/^source-not-allowed \(web-asg\): /);
    }
    expect(preflight(built, config, NOW, 'evt-2')).toEqual([
      expect.objectContaining({ kind: 'metric', name: 'requests', targets: ['web-asg'], observedAt: NOW, signal: { value: 5, unit: 'Count/Second' } }),
    ]);
  });
});

describe('put-driver when the send fails', () => {
  it('fails loudly when EventBridge refuses the entry (FailedEntryCount)', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalException', ErrorMessage: 'Internal service error' }] });
    const result = await put(['--kind', 'metric', '--driver', 'requests', '--value', '1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('drivetrain: EventBridge refused the event: InternalException: Internal service error');
    expect(result.stderr).toContain('bus drivetrain-business-drivers, source drivetrain.operator, detail-type Drivetrain Metric Snapshot');
    expect(result.stdout).toBe('');
  });

  it('explains a bus that does not exist', async () => {
    eventBridge.on(PutEventsCommand).rejects(Object.assign(new Error('Event bus nope does not exist.'), { name: 'ResourceNotFoundException' }));
    const result = await put(['--kind', 'metric', '--driver', 'requests', '--value', '1', '--bus', 'nope', '--region', 'eu-west-1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('EventBridge in eu-west-1: Event bus nope does not exist.');
    expect(result.stderr).toContain('check --bus (or DRIVETRAIN_BUS)');
  });

  it('explains denied access', async () => {
    eventBridge.on(PutEventsCommand).rejects(Object.assign(new Error('User is not authorized to perform: events:PutEvents'), { name: 'AccessDeniedException' }));
    const result = await put(['--kind', 'metric', '--driver', 'requests', '--value', '1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('access denied by EventBridge: User is not authorized to perform: events:PutEvents');
  });

  it('says how to get credentials when the provider chain has none', async () => {
    const noCredentials = new EventBridgeClient({
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:9',
      maxAttempts: 1,
      // What the SDK's default chain throws when no provider has credentials.
      credentials: () => Promise.reject(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' })),
    });
    const result = await cli(['put-driver', '--kind', 'metric', '--driver', 'requests', '--value', '1'], { clients: { eventBridge: noCredentials } });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('drivetrain: no AWS credentials: set AWS_PROFILE or use --profile, or --local\n');
    noCredentials.destroy();
  });
});
