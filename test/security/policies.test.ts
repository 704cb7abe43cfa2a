/**
 * Who may send what, at the edge: the SYNTHESIZED resource policies (business bus, operator function URL,
 * alarm topic) of the fixture config, evaluated by the offline IAM simulator for a matrix of principals ×
 * (business driver, metric snapshot, override, mode change / operator call) × sources × accounts. The
 * expectation comes from the config (sourcePrincipals, overridePrincipals, operatorPrincipals) through a
 * small oracle written here, so the policy is checked against what the config says, not against itself.
 *
 * Every principal gets an identity policy that allows the action on everything: for a role in the stack's
 * account that is the worst case (only an explicit Deny in the resource policy can stop it), for another
 * account it is what a sender there needs anyway.
 */
import { DECISION_EVENT_SOURCE, DETAIL_TYPES } from '../../functions/contracts';
import type { DrivetrainConfig } from '../../functions/domain/config';
import { fixtureConfig, synthStack } from '../cdk/support';
import { resolveIntrinsics, simulate, STACK_ACCOUNT, STACK_REGION, type Verdict } from '../support/iam-simulator';

const config: DrivetrainConfig = fixtureConfig();
const { template } = synthStack({ config });
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

const [busEntry] = ofType('AWS::Events::EventBus');
const busName = String(busEntry![1].Properties.Name);
const busArn = `arn:aws:events:${STACK_REGION}:${STACK_ACCOUNT}:event-bus/${busName}`;
/** The stack's roles as ARNs named by their logical ids (the bus policy names the decision publishers). */
const roleArns = Object.fromEntries(
  ofType('AWS::IAM::Role').map(([id]) => [`${id}.Arn`, `arn:aws:iam::${STACK_ACCOUNT}:role/${id}`]),
);
const busPolicy = resolveIntrinsics(busEntry![1].Properties.Policy, roleArns);
const roleArnOf = (fragment: string) =>
  Object.values(roleArns).find((arn) => arn.includes(fragment) && !arn.includes('Tick'))!;

/** The principals of the matrix: every role the fixture names, lookalikes, and strangers. */
const PRINCIPALS = [
  'arn:aws:iam::111122223333:role/oncall-alice',
  'arn:aws:iam::111122223333:role/metrics-publisher',
  'arn:aws:iam::111122223333:role/sre-lead',
  'arn:aws:iam::111122223333:role/developer',
  'arn:aws:iam::111122223333:user/oncall-alice',
  'arn:aws:iam::444455556666:role/marketing-scheduler',
  'arn:aws:iam::444455556666:role/oncall-alice',
  'arn:aws:iam::222233334444:user/release-bot',
  'arn:aws:iam::999999999999:role/marketing-scheduler',
  'arn:aws:iam::999999999999:role/oncall-alice',
] as const;
const SOURCES = [
  'com.acme.marketing',
  'drivetrain.metrics',
  'drivetrain.operator',
  'com.example.untrusted',
  'aws.cloudwatch',
] as const;
const DETAIL_TYPE_CASES = [DETAIL_TYPES.businessDriver, DETAIL_TYPES.metricSnapshot, DETAIL_TYPES.override] as const;

/** IAM StringLike with `*` (the only wildcard the fixture uses). */
const like = (pattern: string, value: string) =>
  pattern.endsWith('*') ? value.startsWith(pattern.slice(0, -1)) : value === pattern;

/** What the config says about one PutEvents entry on the bus. */
function busOracle(principal: string, detailType: string, source: string): 'Allowed' | 'denied' {
  if (detailType === DETAIL_TYPES.override) return 'denied';
  const senders = config.sourcePrincipals[source];
  return senders?.some((pattern) => like(pattern, principal)) ? 'Allowed' : 'denied';
}

const accountOf = (arn: string) => arn.split(':')[4]!;

describe('business bus policy (IAM simulator): principals × detail-types × sources × accounts', () => {
  const cases = PRINCIPALS.flatMap((principal) =>
    DETAIL_TYPE_CASES.flatMap((detailType) => SOURCES.map((source) => [principal, detailType, source] as const)),
  );

  it.each(cases)('%s puts %s from %s', async (principal, detailType, source) => {
    const verdict = await simulate({
      principal,
      action: 'events:PutEvents',
      resource: busArn,
      context: { 'events:detail-type': [detailType], 'events:source': [source] },
      resourcePolicy: busPolicy,
    });
    const expected = busOracle(principal, detailType, source);
    if (expected === 'Allowed') expect(verdict).toBe('Allowed');
    else expect(verdict).not.toBe('Allowed');
    // In the stack's own account an identity policy alone would let a principal in: only a Deny stops it.
    if (expected === 'denied' && accountOf(principal) === STACK_ACCOUNT) expect(verdict).toBe('ExplicitlyDenied');
  });

  it('a batch is refused when any one entry is (a permitted entry cannot carry a forbidden one in)', async () => {
    const base = {
      principal: 'arn:aws:iam::444455556666:role/marketing-scheduler',
      action: 'events:PutEvents',
      resource: busArn,
      resourcePolicy: busPolicy,
    };
    expect(
      await simulate({
        ...base,
        context: { 'events:detail-type': [DETAIL_TYPES.businessDriver], 'events:source': ['com.acme.marketing'] },
      }),
    ).toBe('Allowed');
    expect(
      await simulate({
        ...base,
        context: {
          'events:detail-type': [DETAIL_TYPES.businessDriver, DETAIL_TYPES.override],
          'events:source': ['com.acme.marketing'],
        },
      }),
    ).not.toBe('Allowed');
    expect(
      await simulate({
        ...base,
        context: {
          'events:detail-type': [DETAIL_TYPES.businessDriver],
          'events:source': ['com.acme.marketing', 'drivetrain.metrics'],
        },
      }),
    ).not.toBe('Allowed');
  });
});

describe('business bus policy (IAM simulator): decision events', () => {
  const put = (principal: string, source: string, detailType: string) =>
    simulate({
      principal,
      action: 'events:PutEvents',
      resource: busArn,
      context: { 'events:detail-type': [detailType], 'events:source': [source] },
      resourcePolicy: busPolicy,
    });

  it.each(['Ingest', 'ShardWorker', 'Operator'])('the %s role may put decision events', async (fn) => {
    expect(await put(roleArnOf(fn), DECISION_EVENT_SOURCE, DETAIL_TYPES.decision)).toBe('Allowed');
  });

  it.each(PRINCIPALS)('%s may not put a decision event, under either name', async (principal) => {
    expect(await put(principal, DECISION_EVENT_SOURCE, DETAIL_TYPES.decision)).not.toBe('Allowed');
    expect(await put(principal, 'com.acme.marketing', DETAIL_TYPES.decision)).not.toBe('Allowed');
    if (accountOf(principal) === STACK_ACCOUNT)
      expect(await put(principal, DECISION_EVENT_SOURCE, DETAIL_TYPES.businessDriver)).toBe('ExplicitlyDenied');
  });

  it('a decision publisher cannot pass as a business sender', async () => {
    expect(await put(roleArnOf('Ingest'), 'com.acme.marketing', DETAIL_TYPES.businessDriver)).toBe('ExplicitlyDenied');
  });
});

describe('operator function URL policy (IAM simulator): who reaches the endpoint at all', () => {
  const operatorId = ofType('AWS::Lambda::Function').find(([, r]) =>
    String(r.Properties.Description).includes('operator endpoint'),
  )![0];
  const functionArn = `arn:aws:lambda:${STACK_REGION}:${STACK_ACCOUNT}:function:drivetrain-operator`;
  const permissions = ofType('AWS::Lambda::Permission').filter(([, r]) =>
    JSON.stringify(r.Properties.FunctionName).includes(operatorId),
  );
  // The statements Lambda builds from AWS::Lambda::Permission (AddPermission), as GetPolicy shows them.
  const functionPolicy = {
    Version: '2012-10-17',
    Statement: permissions.map(([id, r]) => {
      const p = resolveIntrinsics(r.Properties, { [`${operatorId}.Arn`]: functionArn }) as Record<
        string,
        string | boolean
      >;
      return {
        Sid: id,
        Effect: 'Allow',
        Principal: { AWS: String(p.Principal) },
        Action: p.Action,
        Resource: functionArn,
        ...(p.FunctionUrlAuthType
          ? { Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': p.FunctionUrlAuthType } } }
          : {}),
        ...(p.InvokedViaFunctionUrl ? { Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } } } : {}),
      };
    }),
  };
  // Accounts of principals the config lets do anything at the endpoint (override, mode change, a source).
  const endpointAccounts = new Set(
    [
      ...config.targets.flatMap((t) => [...t.overridePrincipals, ...t.operatorPrincipals]),
      ...Object.values(config.sourcePrincipals).flat(),
    ].map(accountOf),
  );

  it('has one URL permission and one via-URL invoke permission per configured account, nothing else', () => {
    expect(permissions).toHaveLength(2 * endpointAccounts.size);
  });

  it.each(PRINCIPALS.filter((p) => accountOf(p) !== STACK_ACCOUNT))(
    '%s: through the URL only if its account is configured; never by direct invocation',
    async (principal) => {
      const viaUrl = await simulate({
        principal,
        action: 'lambda:InvokeFunctionUrl',
        resource: functionArn,
        context: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' },
        resourcePolicy: functionPolicy,
      });
      const invokeViaUrl = await simulate({
        principal,
        action: 'lambda:InvokeFunction',
        resource: functionArn,
        context: { 'lambda:InvokedViaFunctionUrl': 'true' },
        resourcePolicy: functionPolicy,
      });
      const direct = await simulate({
        principal,
        action: 'lambda:InvokeFunction',
        resource: functionArn,
        context: { 'lambda:InvokedViaFunctionUrl': 'false' },
        resourcePolicy: functionPolicy,
      });
      const expected: Verdict = endpointAccounts.has(accountOf(principal)) ? 'Allowed' : 'ImplicitlyDenied';
      expect([viaUrl, invokeViaUrl]).toEqual([expected, expected]);
      expect(direct).toBe('ImplicitlyDenied');
    },
  );
});

describe('alarm topic policy (IAM simulator): only CloudWatch alarms of this account and region publish', () => {
  const [topicId] = ofType('AWS::SNS::Topic')[0]!;
  const topicArn = `arn:aws:sns:${STACK_REGION}:${STACK_ACCOUNT}:dt-test-alarm-notifications`;
  const [, topicPolicyResource] = ofType('AWS::SNS::TopicPolicy')[0]!;
  const topicPolicy = resolveIntrinsics(topicPolicyResource.Properties.PolicyDocument, { [topicId]: topicArn });
  const publish = (principal: string, context: Record<string, string>) =>
    simulate({ principal, action: 'sns:Publish', resource: topicArn, context, resourcePolicy: topicPolicy });
  const ownAlarm = `arn:aws:cloudwatch:${STACK_REGION}:${STACK_ACCOUNT}:alarm:web-cpu-high`;

  it.each<[string, string, Record<string, string>, Verdict]>([
    [
      'CloudWatch, for an alarm of this account and region',
      'cloudwatch.amazonaws.com',
      { 'aws:SourceAccount': STACK_ACCOUNT, 'aws:SourceArn': ownAlarm, 'aws:PrincipalIsAWSService': 'true' },
      'Allowed',
    ],
    [
      'CloudWatch, for an alarm of another account',
      'cloudwatch.amazonaws.com',
      {
        'aws:SourceAccount': '999999999999',
        'aws:SourceArn': 'arn:aws:cloudwatch:us-east-1:999999999999:alarm:web-cpu-high',
        'aws:PrincipalIsAWSService': 'true',
      },
      'ExplicitlyDenied',
    ],
    [
      'CloudWatch, for an alarm of this account in another region',
      'cloudwatch.amazonaws.com',
      {
        'aws:SourceAccount': STACK_ACCOUNT,
        'aws:SourceArn': `arn:aws:cloudwatch:eu-west-1:${STACK_ACCOUNT}:alarm:web-cpu-high`,
        'aws:PrincipalIsAWSService': 'true',
      },
      'ExplicitlyDenied',
    ],
    [
      'another service, on behalf of this account',
      'events.amazonaws.com',
      {
        'aws:SourceAccount': STACK_ACCOUNT,
        'aws:SourceArn': `arn:aws:events:${STACK_REGION}:${STACK_ACCOUNT}:rule/x`,
        'aws:PrincipalIsAWSService': 'true',
      },
      'ExplicitlyDenied',
    ],
    [
      'a role of this account allowed sns:Publish on everything',
      'arn:aws:iam::111122223333:role/developer',
      { 'aws:PrincipalIsAWSService': 'false' },
      'ExplicitlyDenied',
    ],
    [
      'the on-call role of this account',
      'arn:aws:iam::111122223333:role/oncall-alice',
      { 'aws:PrincipalIsAWSService': 'false' },
      'ExplicitlyDenied',
    ],
    [
      'a role of another account',
      'arn:aws:iam::999999999999:role/x',
      { 'aws:PrincipalIsAWSService': 'false' },
      'ExplicitlyDenied',
    ],
  ])('%s → %s', async (_label, principal, context, expected) => {
    expect(await publish(principal, context)).toBe(expected);
  });
});
