/**
 * The operator endpoint end to end, with function-URL request payloads as Lambda delivers them under
 * AuthType AWS_IAM (test/fixtures/operator/function-url-iam.json), on DynamoDB Local and the harness's AWS
 * fakes: identity comes from requestContext.authorizer.iam, authorization is per target (overrides, mode
 * changes) and per source (business drivers), every forged or unauthorized claim is refused with a counted
 * reason, nothing is stored or applied for it, and what is accepted records the verified caller.
 */
import { DETAIL_TYPES, METRIC } from '../../functions/contracts';
import type { DrivetrainConfigInput } from '../../functions/domain/config';
import { configInput, createHarness, functionUrlEvent, type Harness } from './harness';

const T0 = (Math.floor(Date.now() / 86_400_000) + 30) * 86_400 + 9 * 3600;
const ALICE = 'arn:aws:sts::111122223333:assumed-role/oncall-alice/alice';
const RELEASE_BOT = 'arn:aws:iam::222233334444:user/release-bot';
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

function config(): DrivetrainConfigInput {
  const input = configInput();
  // checkout-fn also takes overrides from a release bot in another account: for checkout-fn only.
  input.targets[1]!.overridePrincipals = ['arn:aws:iam::111122223333:role/oncall-*', RELEASE_BOT];
  input.targets[0]!.operatorPrincipals = ['arn:aws:iam::111122223333:role/oncall-*'];
  input.sourcePrincipals = {
    'com.acme.marketing': ['arn:aws:iam::111122223333:role/marketing-*'],
    'drivetrain.operator': ['arn:aws:iam::111122223333:role/oncall-*'],
  };
  return input;
}

const override = (detail: Record<string, unknown> = {}) => ({
  action: 'put-driver',
  detailType: DETAIL_TYPES.override,
  source: 'drivetrain.operator',
  detail: {
    driver: 'ops-override',
    targets: ['web-asg'],
    action: 'pin',
    allocation: 20,
    expiresAt: iso(T0 + 3600),
    reason: 'INC-9: hold',
    ...detail,
  },
});
const demand = (source: string) => ({
  action: 'put-driver',
  detailType: DETAIL_TYPES.businessDriver,
  source,
  detail: {
    driver: 'flash-sale',
    id: 'c1',
    targets: ['web-asg'],
    signal: { type: 'demand', demand: { absolute: 30 }, windowStart: iso(T0 - 60), windowEnd: iso(T0 + 3600) },
  },
});
const mode = (verb: string, targetId = 'web-asg') => ({
  action: 'set-mode',
  targetId,
  verb,
  reason: 'INC-9: scaling loop',
});

describe('operator endpoint (function URL, AuthType AWS_IAM)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness({ now: T0, config: config() });
  });
  afterEach(() => h.close());

  async function nothingHappened(): Promise<void> {
    for (const target of h.config.targets) {
      expect(await h.drivers.all(target.id)).toEqual([]);
      expect(await h.decisions.list(target.id)).toEqual([]);
    }
    expect(h.mutatingCalls()).toBe(0);
  }

  it('takes an override from an allowed role session, applies it, and records the role ARN and the session', async () => {
    const response = await h.operator(functionUrlEvent(override(), ALICE));
    expect(response.statusCode).toBe(200);
    expect(h.aws.group.DesiredCapacity).toBe(20);
    const [stored] = await h.drivers.all('web-asg');
    expect(stored).toMatchObject({
      kind: 'override',
      lineage: {
        principal: 'arn:aws:iam::111122223333:role/oncall-alice',
        session: 'alice',
        channel: 'operator-endpoint',
      },
    });
    const [decision] = await h.decisions.list('web-asg', { limit: 1 });
    expect(decision?.summary).toContain('by arn:aws:iam::111122223333:role/oncall-alice');
    expect(decision?.status).toBe('applied');
  });

  it.each<[string, unknown, string | null, number, string, string]>([
    [
      'no IAM identity in the request context',
      override(),
      null,
      401,
      METRIC.operatorRequestsRefused,
      'unauthenticated',
    ],
    [
      'an identity that is not an IAM principal ARN',
      override(),
      'anonymous',
      401,
      METRIC.operatorRequestsRefused,
      'unauthenticated',
    ],
    [
      'a caller no target lists',
      override(),
      'arn:aws:sts::111122223333:assumed-role/developer/dan',
      403,
      METRIC.driversRejected,
      'override-not-permitted',
    ],
    [
      'a principal listed for checkout-fn only, pinning web-asg',
      override(),
      RELEASE_BOT,
      403,
      METRIC.driversRejected,
      'override-not-permitted',
    ],
    [
      'a look-alike role in another account',
      override(),
      'arn:aws:sts::999999999999:assumed-role/oncall-alice/alice',
      403,
      METRIC.driversRejected,
      'override-not-permitted',
    ],
    [
      'a body claiming an allowed principal',
      override({ principal: 'arn:aws:iam::111122223333:role/oncall-alice' }),
      'arn:aws:sts::111122223333:assumed-role/developer/dan',
      403,
      METRIC.driversRejected,
      'unverified-principal',
    ],
    [
      'an override naming a target that does not permit the caller (all or nothing)',
      override({ targets: ['web-asg', 'checkout-fn'] }),
      'arn:aws:iam::222233334444:user/release-bot',
      403,
      METRIC.driversRejected,
      'override-not-permitted',
    ],
    [
      'a business source the caller may not send',
      demand('com.acme.marketing'),
      ALICE,
      403,
      METRIC.driversRejected,
      'sender-not-permitted',
    ],
    [
      'a mode change by a caller not in operatorPrincipals',
      mode('pause'),
      'arn:aws:sts::111122223333:assumed-role/developer/dan',
      403,
      METRIC.operatorRequestsRefused,
      'mode-not-permitted',
    ],
    [
      'a mode change by a principal allowed on another target only',
      mode('pause'),
      RELEASE_BOT,
      403,
      METRIC.operatorRequestsRefused,
      'mode-not-permitted',
    ],
    [
      'a mode change for an unknown target',
      mode('pause', 'nope'),
      ALICE,
      404,
      METRIC.operatorRequestsRefused,
      'unknown-target',
    ],
    ['a body that is not JSON', '{"action":', ALICE, 400, METRIC.operatorRequestsRefused, 'bad-request'],
    [
      'a body with unknown fields',
      { ...mode('pause'), by: 'alice' },
      ALICE,
      400,
      METRIC.operatorRequestsRefused,
      'bad-request',
    ],
  ])(
    'refuses %s with a counted reason; nothing stored, decided or applied',
    async (_label, body, caller, status, metric, reason) => {
      const response = await h.operator(functionUrlEvent(body, caller));
      expect(response.statusCode).toBe(status);
      expect(JSON.parse(response.body)).toEqual(
        metric === METRIC.driversRejected
          ? { error: 'driver-rejected', rejected: expect.arrayContaining([expect.objectContaining({ reason })]) }
          : { error: reason, message: expect.any(String) },
      );
      expect(h.metric(metric, { reason })).toBeGreaterThanOrEqual(1);
      await nothingHappened();
      expect(await h.decisions.getState('web-asg')).toBeUndefined();
    },
  );

  it('refuses a GET (a signed request with no body to act on)', async () => {
    const response = await h.operator(functionUrlEvent(mode('pause'), ALICE, { method: 'GET' }));
    expect(response.statusCode).toBe(400);
    await nothingHappened();
  });

  it('records a mode change under the verified caller, not a name the client chose', async () => {
    const response = await h.operator(functionUrlEvent(mode('pause'), ALICE));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ changed: true, from: 'enforce', to: 'paused' });
    const state = await h.decisions.getState('web-asg');
    expect(state?.modeOverride).toMatchObject({
      mode: 'paused',
      by: 'arn:aws:iam::111122223333:role/oncall-alice (session alice)',
      reason: 'INC-9: scaling loop',
    });
    const [decision] = await h.decisions.list('web-asg', { limit: 1 });
    expect(decision?.actor).toEqual({
      by: 'arn:aws:iam::111122223333:role/oncall-alice (session alice)',
      reason: 'INC-9: scaling loop',
    });

    const resumed = await h.operator(functionUrlEvent(mode('resume'), ALICE));
    expect(JSON.parse(resumed.body)).toMatchObject({ changed: true, from: 'paused', to: 'enforce' });
  });

  it('takes a business driver from a caller listed for its source, recorded under that caller', async () => {
    const response = await h.operator(
      functionUrlEvent(demand('com.acme.marketing'), 'arn:aws:sts::111122223333:assumed-role/marketing-scheduler/cron'),
    );
    expect(response.statusCode).toBe(200);
    const [stored] = await h.drivers.all('web-asg');
    expect(stored).toMatchObject({
      kind: 'business',
      source: 'com.acme.marketing',
      lineage: { principal: 'arn:aws:iam::111122223333:role/marketing-scheduler', session: 'cron' },
    });
  });
});

describe('the other paths take no override (ingest handler)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness({ now: T0, config: config(), home: { account: '123456789012', region: 'us-east-1' } });
  });
  afterEach(() => h.close());

  it('an override put on the bus, even claiming an allowed principal, is refused and counted', async () => {
    const event = {
      version: '0',
      id: 'bus-override',
      'detail-type': DETAIL_TYPES.override,
      source: 'drivetrain.operator',
      account: '111122223333',
      time: iso(T0),
      region: 'us-east-1',
      resources: [],
      detail: { ...override().detail, principal: ALICE },
    };
    const summary = (await h.ingest(event)) as { accepted: number; rejected: Array<{ reason: string }> };
    expect(summary.accepted).toBe(0);
    expect(summary.rejected).toEqual([expect.objectContaining({ reason: 'unverified-principal' })]);
    expect(h.metric(METRIC.driversRejected, { reason: 'unverified-principal' })).toBe(1);
    expect(await h.drivers.all('web-asg')).toEqual([]);
    expect(h.mutatingCalls()).toBe(0);
  });
});
