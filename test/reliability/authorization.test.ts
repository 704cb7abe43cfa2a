/**
 * Authorization end to end.
 *
 * In the ingest handler: only a source in a target's allowedSources drives it (checked per target, every
 * source against every target); an override must carry an expiry, stops counting at it, and is taken only
 * from a principal in the target's overridePrincipals — for every target it names, or for none.
 *
 * At the edge (CDK assertion on the synthesized stack): the business bus's resource policy is evaluated for
 * PutEvents requests from other accounts, sources and principals. The override `principal` in an event is
 * self-asserted; what makes it trustworthy is that this policy lets only matching IAM principals put
 * override events on the bus at all.
 */
import fc from 'fast-check';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DETAIL_TYPES } from '../../functions/contracts';
import type { DrivetrainConfigInput } from '../../functions/domain/config';
import type { IngestSummary } from '../../functions/handlers/ingest';
import { DrivetrainStack } from '../../lib/drivetrain-stack';
import { configInput, createHarness, type Harness } from '../handlers/harness';
import { T0, alarmEvent, AwsFaults, demandEvent, metricEvent, overrideEvent } from './support';

const ONCALL_SESSION = 'arn:aws:sts::111122223333:assumed-role/oncall-alice/alice';

function withNetopsRouting(): DrivetrainConfigInput {
  const config = configInput();
  // api-routing takes overrides from the network team only; the other targets from on-call.
  config.targets[2]!.overridePrincipals = ['arn:aws:iam::111122223333:role/netops'];
  config.businessBusAccounts = ['444455556666'];
  return config;
}

async function storedTargets(h: Harness, driverId: string): Promise<string[]> {
  const ids: string[] = [];
  for (const target of h.config.targets) if ((await h.drivers.all(target.id)).some((d) => d.id === driverId)) ids.push(target.id);
  return ids;
}

describe('only allow-listed sources drive a target (ingest handler)', () => {
  let h: Harness;
  let faults: AwsFaults;
  beforeEach(async () => {
    h = await createHarness({ now: T0 + 2, config: withNetopsRouting() });
    faults = new AwsFaults(h);
  });
  afterEach(() => {
    faults.close();
    h.close();
  });

  const SOURCES = ['drivetrain.metrics', 'com.acme.marketing', 'com.acme.change', 'drivetrain.operator', 'com.example.untrusted', 'aws.events', 'Com.Acme.Marketing'];

  // A metric snapshot fans out to the `requests` declaration's targets; a campaign without `targets` to
  // `flash-sale`'s. Each declared target takes the driver only if it allows the source.
  it.each(
    SOURCES.flatMap((source) => [
      ['metric snapshot', source, () => metricEvent({ id: `m-${source}`, at: T0, value: 3000 }), 'metric:requests'] as const,
      ['business demand', source, () => demandEvent({ id: `b-${source}`, at: T0, campaign: 'c1', demand: { absolute: 30 }, windowStart: T0 - 60, windowEnd: T0 + 3600 }), 'business:flash-sale:c1'] as const,
    ]),
  )('%s from %s', async (_kind, source, build, driverId) => {
    const event = { ...build(), source };
    const summary = (await h.ingest(event)) as IngestSummary;
    const declared = driverId.startsWith('metric') ? ['web-asg'] : ['web-asg', 'checkout-fn'];
    const allowed = declared.filter((id) => h.config.targets.find((t) => t.id === id)!.allowedSources.includes(source));

    expect(await storedTargets(h, driverId)).toEqual(allowed);
    expect(summary.reconciled.map((r) => r.targetId).sort()).toEqual([...allowed].sort());
    expect(summary.rejected).toEqual(
      declared.filter((id) => !allowed.includes(id)).map((id) => expect.objectContaining({ reason: 'source-not-allowed', targetId: id })),
    );
    for (const id of declared.filter((x) => !allowed.includes(x))) {
      expect(await h.decisions.list(id)).toEqual([]);
      expect(faults.writesOf(id)).toEqual([]);
    }
  });

  it('an alarm state change from any source but aws.cloudwatch drives nothing', async () => {
    const event = { ...alarmEvent({ id: 'fake-alarm', at: T0, state: 'ALARM' }), source: 'com.acme.marketing' };
    const summary = (await h.ingest(event)) as IngestSummary;
    expect(summary.rejected).toEqual([expect.objectContaining({ reason: 'source-not-allowed' })]);
    expect(await storedTargets(h, 'alarm:ServerCpuTooHigh')).toEqual([]);
    expect(h.mutatingCalls()).toBe(0);
  });
});

describe('overrides: an expiry, and configured principals only (ingest handler)', () => {
  let h: Harness;
  let faults: AwsFaults;
  beforeEach(async () => {
    h = await createHarness({ now: T0 + 2, config: withNetopsRouting() });
    faults = new AwsFaults(h);
  });
  afterEach(() => {
    faults.close();
    h.close();
  });

  it.each<[string, Parameters<typeof overrideEvent>[0], string]>([
    ['without expiresAt', { id: 'o1', at: T0, targets: ['web-asg'], action: 'pin', allocation: 30, expiresAt: null }, 'override-without-expiry'],
    ['expiring in the past', { id: 'o2', at: T0, targets: ['web-asg'], action: 'pin', allocation: 30, expiresAt: T0 - 1 }, 'expired-on-arrival'],
    ['lasting more than 7 days', { id: 'o3', at: T0, targets: ['web-asg'], action: 'pin', allocation: 30, expiresAt: T0 + 7 * 86400 + 60 }, 'override-not-permitted'],
    ['from a principal no target lists', { id: 'o4', at: T0, targets: ['web-asg'], action: 'pin', allocation: 30, principal: 'arn:aws:iam::111122223333:role/developer' }, 'override-not-permitted'],
    ['from a look-alike role in another account', { id: 'o5', at: T0, targets: ['web-asg'], action: 'pin', allocation: 30, principal: 'arn:aws:sts::999999999999:assumed-role/oncall-mallory/m' }, 'override-not-permitted'],
    ['naming a target whose principals exclude the sender (all or nothing)', { id: 'o6', at: T0, targets: ['web-asg', 'api-routing'], action: 'freeze', principal: ONCALL_SESSION }, 'override-not-permitted'],
    ['from a source the target does not allow', { id: 'o7', at: T0, targets: ['api-routing'], action: 'freeze', principal: 'arn:aws:iam::111122223333:role/netops', source: 'com.acme.marketing' }, 'source-not-allowed'],
  ])('refused %s: nothing stored, nothing decided', async (_label, options, reason) => {
    const summary = (await h.ingest(overrideEvent(options))) as IngestSummary;
    expect(summary.accepted).toBe(0);
    expect(summary.rejected).toEqual(expect.arrayContaining([expect.objectContaining({ reason })]));
    expect(await storedTargets(h, 'override:ops-override')).toEqual([]);
    for (const target of h.config.targets) expect(await h.decisions.list(target.id)).toEqual([]);
    expect(faults.writes).toEqual([]);
  });

  it('taken from an allowed principal (an assumed-role session of an allowed role), and over at its expiry', async () => {
    // 1,350 requests/s at 250 per instance: 6 instances, with or without the metric rule's scale-in headroom.
    await h.ingest(metricEvent({ id: 'load', at: T0, value: 1350 }));
    expect(h.aws.group.DesiredCapacity).toBe(6);
    h.now.value = T0 + 10;
    const summary = (await h.ingest(overrideEvent({ id: 'pin', at: T0 + 10, targets: ['web-asg'], action: 'pin', allocation: 20, expiresAt: T0 + 610, principal: ONCALL_SESSION }))) as IngestSummary;
    expect(summary.accepted).toBe(1);
    expect(h.aws.group.DesiredCapacity).toBe(20);

    h.now.value = T0 + 609;
    await h.tick({ targetIds: ['web-asg'] });
    expect(h.aws.group.DesiredCapacity).toBe(20);
    // The override ends on its own: at expiresAt it no longer counts, and the metric's 6 holds again once the
    // scale-in window after the pin has passed (the pin changed the allocation at T0 + 10).
    h.now.value = T0 + 610;
    await h.tick({ targetIds: ['web-asg'] });
    expect(h.aws.group.DesiredCapacity).toBe(6);
    const [latest] = await h.decisions.list('web-asg', { limit: 1 });
    expect(latest?.considered.find((c) => c.kind === 'override')).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------------------
// The business bus resource policy (CDK)
// ---------------------------------------------------------------------------------------------------------

const STACK_ACCOUNT = '111122223333';
const PSEUDO: Record<string, string> = { 'AWS::AccountId': STACK_ACCOUNT, 'AWS::Partition': 'aws', 'AWS::Region': 'us-east-1', 'AWS::URLSuffix': 'amazonaws.com' };

/** Resolves the intrinsics the policy uses (Ref to pseudo parameters, Fn::Join) to what CloudFormation would. */
function resolve(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolve);
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if ('Ref' in record) {
      const pseudo = PSEUDO[record.Ref as string];
      if (!pseudo) throw new Error(`policy refers to ${String(record.Ref)}, which this evaluator cannot resolve`);
      return pseudo;
    }
    if ('Fn::Join' in record) {
      const [separator, parts] = record['Fn::Join'] as [string, unknown[]];
      return parts.map((p) => String(resolve(p))).join(separator);
    }
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, resolve(v)]));
  }
  return value;
}

interface Statement {
  Effect: 'Allow' | 'Deny';
  Principal: { AWS: string | string[] } | '*';
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

interface PutEvents {
  account: string;
  principalArn: string;
  detailType: string;
  source: string;
}

const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
const glob = (pattern: string, value: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(value);

/** The request's value(s) for a condition key; an unknown key fails the test instead of matching by accident. */
function contextValues(key: string, request: PutEvents): string[] {
  if (key === 'events:detail-type') return [request.detailType];
  if (key === 'events:source') return [request.source];
  if (key === 'aws:PrincipalArn') return [request.principalArn];
  throw new Error(`bus policy uses condition key ${key}, which this evaluator does not model`);
}

function conditionHolds(operator: string, key: string, expected: string[], request: PutEvents): boolean {
  const actual = contextValues(key, request);
  switch (operator) {
    case 'StringEquals':
      return actual.some((a) => expected.includes(a));
    case 'ForAllValues:StringEquals':
      return actual.every((a) => expected.includes(a));
    case 'StringLike':
      return actual.some((a) => expected.some((p) => glob(p, a)));
    case 'StringNotLike':
      return actual.every((a) => !expected.some((p) => glob(p, a)));
    default:
      throw new Error(`bus policy uses condition operator ${operator}, which this evaluator does not model`);
  }
}

/**
 * IAM's evaluation of a resource policy for one request: an explicit Deny wins, then any Allow. A request
 * from another account is refused unless this policy allows it (its own identity policy is not enough).
 */
function evaluate(statements: Statement[], busArn: string, request: PutEvents): 'allow' | 'deny' | 'not-allowed' {
  let allowed = false;
  for (const s of statements) {
    if (!list(s.Action).includes('events:PutEvents') || !list(s.Resource).includes(busArn)) continue;
    const principals = s.Principal === '*' ? ['*'] : list(s.Principal.AWS);
    if (!principals.some((p) => p === '*' || p === `arn:aws:iam::${request.account}:root` || p === request.principalArn)) continue;
    const holds = Object.entries(s.Condition ?? {}).every(([operator, keys]) => Object.entries(keys).every(([key, values]) => conditionHolds(operator, key, list(values), request)));
    if (!holds) continue;
    if (s.Effect === 'Deny') return 'deny';
    allowed = true;
  }
  return allowed ? 'allow' : 'not-allowed';
}

describe('the business bus refuses other accounts (CDK assertion on the synthesized policy)', () => {
  // Bundling is skipped: the bus policy does not depend on the Lambda bundles.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new DrivetrainStack(app, 'ReliabilityAuthz', { config: withNetopsRouting() });
  const buses = Template.fromStack(stack).findResources('AWS::Events::EventBus');
  const [bus] = Object.values(buses) as Array<{ Properties: { Name: string; Policy: { Statement: Statement[] } } }>;
  const statements = resolve(bus!.Properties.Policy.Statement) as Statement[];
  const busArn = `arn:aws:events:us-east-1:${STACK_ACCOUNT}:event-bus/${bus!.Properties.Name}`;
  const request = (overrides: Partial<PutEvents>): PutEvents => ({
    account: '444455556666',
    principalArn: 'arn:aws:iam::444455556666:role/marketing-scheduler',
    detailType: DETAIL_TYPES.businessDriver,
    source: 'com.acme.marketing',
    ...overrides,
  });

  it('has exactly one bus, with a policy', () => {
    expect(Object.keys(buses)).toHaveLength(1);
    expect(statements.length).toBeGreaterThan(0);
  });

  it.each<[string, ReturnType<typeof evaluate>, Partial<PutEvents>]>([
    ['a configured sender account, allowed source', 'allow', {}],
    ['a metric snapshot from a configured sender account', 'allow', { detailType: DETAIL_TYPES.metricSnapshot, source: 'drivetrain.metrics' }],
    ['an account not in businessBusAccounts', 'not-allowed', { account: '999999999999', principalArn: 'arn:aws:iam::999999999999:role/x' }],
    ['a configured account with a source no target allows', 'not-allowed', { source: 'com.example.untrusted' }],
    ['a configured account sending an override', 'deny', { detailType: DETAIL_TYPES.override, source: 'drivetrain.operator' }],
    ['a configured account sending an unknown detail-type', 'not-allowed', { detailType: 'Something Else' }],
    ['this account: an override from a configured on-call role', 'allow', { account: STACK_ACCOUNT, principalArn: 'arn:aws:iam::111122223333:role/oncall-alice', detailType: DETAIL_TYPES.override, source: 'drivetrain.operator' }],
    ['this account: an override from any other principal (explicit Deny beats its identity policy)', 'deny', { account: STACK_ACCOUNT, principalArn: 'arn:aws:iam::111122223333:role/developer', detailType: DETAIL_TYPES.override, source: 'drivetrain.operator' }],
  ])('%s → %s', (_label, expected, overrides) => {
    expect(evaluate(statements, busArn, request(overrides))).toBe(expected);
  });

  it('never allows an account outside this one and businessBusAccounts, whatever it sends (fast-check)', () => {
    const account = fc.stringMatching(/^\d{12}$/).filter((a) => a !== STACK_ACCOUNT && a !== '444455556666');
    fc.assert(
      fc.property(
        account,
        fc.constantFrom(...Object.values(DETAIL_TYPES), 'Something Else'),
        fc.constantFrom('com.acme.marketing', 'drivetrain.metrics', 'drivetrain.operator', 'aws.cloudwatch', 'com.example.untrusted'),
        fc.constantFrom('role/oncall-alice', 'role/netops', 'user/release-bot', 'root'),
        (acct, detailType, source, principal) => {
          const verdict = evaluate(statements, busArn, { account: acct, principalArn: `arn:aws:iam::${acct}:${principal}`, detailType, source });
          expect(verdict).not.toBe('allow');
        },
      ),
      { numRuns: 500 },
    );
  });
});
