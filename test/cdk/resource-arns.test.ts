/** Pure mappings from config to ARNs, IAM condition values, bus policy and event patterns (no synth). */
import { App, Stack } from 'aws-cdk-lib';
import { DrivetrainStack } from '../../lib/drivetrain-stack';
import type { ConfigIssue } from '../../functions/domain/config';
import { businessBusPolicy } from '../../lib/bus-policy';
import { chunkByLength } from '../../lib/ingress';
import {
  allocationResources,
  businessSources,
  configuredAlarmNames,
  normalizedRecordName,
  overridePrincipals,
  sourceSenders,
  parseFunctionName,
  qualifiedFunctionArn,
} from '../../lib/resource-arns';
import { fixtureConfig, flatten } from './support';

/** Renders tokens the way the template will ("${AWS::Region}"). */
const render = (value: unknown) => flatten(new Stack().resolve(value));

describe('parseFunctionName + qualifiedFunctionArn (the Lambda API FunctionName formats)', () => {
  test.each([
    ['checkout', 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:checkout:live'],
    [
      '123456789012:function:checkout',
      'arn:${AWS::Partition}:lambda:${AWS::Region}:123456789012:function:checkout:live',
    ],
    [
      'arn:aws:lambda:eu-west-1:123456789012:function:checkout',
      'arn:aws:lambda:eu-west-1:123456789012:function:checkout:live',
    ],
    [
      'arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:my_fn-2',
      'arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:my_fn-2:live',
    ],
    [
      'arn:aws-cn:lambda:cn-north-1:123456789012:function:checkout',
      'arn:aws-cn:lambda:cn-north-1:123456789012:function:checkout:live',
    ],
  ])('%s', (functionName, arn) => {
    const parsed = parseFunctionName(functionName);
    expect(parsed?.qualifier).toBeUndefined();
    expect(render(qualifiedFunctionArn(parsed!, 'live'))).toBe(arn);
  });

  test.each([
    ['checkout:live', 'live'],
    ['arn:aws:lambda:eu-west-1:123456789012:function:checkout:7', '7'],
  ])('keeps a qualifier found in %s', (name, qualifier) => {
    expect(parseFunctionName(name)?.qualifier).toBe(qualifier);
  });

  test.each(['', 'has space', 'arn:aws:s3:::bucket', 'function:', 'a/b'])('rejects %p', (name) => {
    expect(parseFunctionName(name)).toBeUndefined();
  });
});

describe('normalizedRecordName (route53:ChangeResourceRecordSetsNormalizedRecordNames)', () => {
  test.each([
    ['api.example.com', 'api.example.com'],
    ['API.Example.COM.', 'api.example.com'],
    ['*.example.com', '\\052.example.com'],
    ['_dmarc.example.com', '_dmarc.example.com'],
    ['a b.example.com', 'a\\040b.example.com'],
    ['x@y.example.com', 'x\\100y.example.com'],
  ])('%s → %s', (name, normalized) => {
    expect(normalizedRecordName(name)).toBe(normalized);
  });
});

describe('overridePrincipals', () => {
  const run = (patterns: string[]) => {
    const config = fixtureConfig();
    for (const t of config.targets) t.overridePrincipals = [];
    config.targets[0]!.overridePrincipals = patterns;
    const issues: Array<Omit<ConfigIssue, 'file'>> = [];
    return { result: overridePrincipals(config, (issue) => issues.push(issue)), issues };
  };

  test('collects patterns and their accounts, sorted and de-duplicated', () => {
    const { result, issues } = run([
      'arn:aws:iam::222233334444:user/bot',
      'arn:aws:iam::111122223333:role/oncall-*',
      'arn:aws:iam::111122223333:role/oncall-*',
      'arn:aws:iam::111122223333:root',
    ]);
    expect(issues).toEqual([]);
    expect(result).toEqual({
      patterns: [
        'arn:aws:iam::111122223333:role/oncall-*',
        'arn:aws:iam::111122223333:root',
        'arn:aws:iam::222233334444:user/bot',
      ],
      accounts: ['111122223333', '222233334444'],
    });
  });

  test.each([
    ['arn:aws:sts::111122223333:assumed-role/oncall/alice', /STS session ARN/],
    ['arn:aws:iam::*:role/oncall', /12-digit account/],
    ['oncall', /not an IAM principal ARN/],
    ['arn:aws:iam::111122223333:group/ops', /not an IAM principal ARN/],
  ])('reports %s with its path', (pattern, message) => {
    const { result, issues } = run([pattern]);
    expect(result.patterns).toEqual([]);
    expect(issues).toEqual([{ path: 'targets[0].overridePrincipals[0]', message: expect.stringMatching(message) }]);
  });
});

test('allocationResources: one entry per configured resource, by kind', () => {
  const issues: unknown[] = [];
  const result = allocationResources(fixtureConfig().targets, (issue) => issues.push(issue));
  expect(issues).toEqual([]);
  expect(render(result)).toEqual({
    albListenerRules: [],
    scalableTargets: [],
    autoScalingGroups: ['web-fleet'],
    provisionedConcurrency: [
      {
        targetId: 'checkout-fn',
        arn: 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:checkout:live',
      },
    ],
    weightedRecords: [
      {
        targetId: 'api-routing',
        hostedZoneId: 'Z0123456789ABCDEFGHIJ',
        recordName: '*.API.example.com.',
        recordType: 'CNAME',
      },
    ],
  });
});

test('configuredAlarmNames and businessSources', () => {
  const config = fixtureConfig();
  expect(configuredAlarmNames(config)).toEqual(['api-euw1-5xx', 'api-use1-5xx', 'web-cpu-high', 'web-cpu-low']);
  config.targets[0]!.allowedSources.push('aws.health');
  expect(businessSources(config)).toEqual(['com.acme.marketing', 'drivetrain.metrics', 'drivetrain.operator']);
});

describe('chunkByLength', () => {
  test('keeps order, covers every value once, and keeps each chunk under the budget', () => {
    const values = Array.from({ length: 50 }, (_, i) => `alarm-${i}`.padEnd(30, 'x'));
    const chunks = chunkByLength(values, 200);
    expect(chunks.flat()).toEqual(values);
    for (const chunk of chunks) expect(JSON.stringify(chunk).length).toBeLessThanOrEqual(200 + 1);
    expect(chunks.length).toBeGreaterThan(5);
  });

  test('an oversized value goes alone; no values, no chunks', () => {
    expect(chunkByLength(['a', 'x'.repeat(300), 'b'], 100)).toEqual([['a'], ['x'.repeat(300)], ['b']]);
    expect(chunkByLength([], 100)).toEqual([]);
  });
});

describe('businessBusPolicy', () => {
  const busArn = 'arn:aws:events:us-east-1:123456789012:event-bus/b';
  const publishers = ['arn:aws:iam::123456789012:role/ingest', 'arn:aws:iam::123456789012:role/shard'];

  test('no business sources: only the decision events may be put, by their publishers; overrides never', () => {
    const doc = render(businessBusPolicy({ busArn, senders: [], decisionPublishers: publishers })) as {
      Statement: Array<{ Sid: string; Condition: unknown }>;
    };
    expect(doc.Statement.map((s) => s.Sid)).toEqual([
      'DenyUnconfiguredSources',
      'DenyDecisionSourceFromOthers',
      'DenyDecisionDetailTypeFromOthers',
      'DenyOverridesOnTheBus',
    ]);
    expect(doc.Statement[0]!.Condition).toEqual({
      'ForAnyValue:StringNotEquals': { 'events:source': ['drivetrain.decisions'] },
    });
    expect(doc.Statement[1]!.Condition).toEqual({
      'ForAnyValue:StringEquals': { 'events:source': ['drivetrain.decisions'] },
      ArnNotEquals: { 'aws:PrincipalArn': publishers },
    });
    expect(doc.Statement[2]!.Condition).toEqual({
      'ForAnyValue:StringEquals': { 'events:detail-type': ['Drivetrain Decision'] },
      ArnNotEquals: { 'aws:PrincipalArn': publishers },
    });
  });

  test("one Allow (to the senders' accounts) and one Deny (everyone else) per source", () => {
    const doc = render(
      businessBusPolicy({
        busArn,
        senders: [
          {
            source: 'com.acme',
            patterns: ['arn:aws:iam::111111111111:role/a', 'arn:aws:iam::123456789012:role/b*'],
            accounts: ['111111111111', '123456789012'],
          },
        ],
        decisionPublishers: publishers,
      }),
    ) as { Statement: Array<{ Sid: string; Principal: { AWS: string[] | string }; Condition: unknown }> };
    expect(doc.Statement.map((s) => s.Sid)).toEqual([
      'AcceptSource1',
      'DenySourceFromOtherPrincipals1',
      'DenyUnconfiguredSources',
      'DenyDecisionSourceFromOthers',
      'DenyDecisionDetailTypeFromOthers',
      'DenyOverridesOnTheBus',
    ]);
    expect(doc.Statement[0]!.Principal.AWS).toEqual([
      'arn:${AWS::Partition}:iam::111111111111:root',
      'arn:${AWS::Partition}:iam::123456789012:root',
    ]);
    expect(doc.Statement[1]!.Condition).toEqual({
      'ForAnyValue:StringEquals': { 'events:source': ['com.acme'] },
      StringNotLike: { 'aws:PrincipalArn': ['arn:aws:iam::111111111111:role/a', 'arn:aws:iam::123456789012:role/b*'] },
    });
  });
});

describe("provisioned concurrency outside the stack's account or region is refused at validate", () => {
  const withFunction = (functionName: string) => {
    const config = fixtureConfig();
    const target = config.targets.find((t) => t.id === 'checkout-fn')!;
    if (target.resource.kind !== 'lambda-provisioned-concurrency') throw new Error('fixture changed');
    target.resource.functionName = functionName;
    return config.targets;
  };
  const issuesFor = (functionName: string, stack?: { account: string; region: string }) => {
    const issues: ConfigIssue[] = [];
    allocationResources(withFunction(functionName), (issue) => issues.push({ file: 'f', ...issue }), stack);
    return issues.map((i) => `${i.path}: ${i.message}`);
  };

  test.each([
    ['a plain name, environment-agnostic stack', 'checkout', undefined, []],
    [
      "a partial ARN of the stack's account, concrete stack",
      '111122223333:function:checkout',
      { account: '111122223333', region: 'us-east-1' },
      [],
    ],
    [
      "a full ARN of the stack's account and region, concrete stack",
      'arn:aws:lambda:us-east-1:111122223333:function:checkout',
      { account: '111122223333', region: 'us-east-1' },
      [],
    ],
    [
      'another account, concrete stack',
      'arn:aws:lambda:us-east-1:777788889999:function:checkout',
      { account: '111122223333', region: 'us-east-1' },
      [/is in account 777788889999 and region us-east-1, the stack in account 111122223333 and region us-east-1/],
    ],
    [
      'another region, concrete stack',
      'arn:aws:lambda:eu-west-1:111122223333:function:checkout',
      { account: '111122223333', region: 'us-east-1' },
      [/region eu-west-1.*only in its own account and region/],
    ],
    [
      'an account, environment-agnostic stack',
      '777788889999:function:checkout',
      undefined,
      [/names account 777788889999, but the stack is environment-agnostic/],
    ],
  ] as const)('%s', (_label, functionName, stack, expected) => {
    const issues = issuesFor(functionName, stack);
    expect(issues).toHaveLength(expected.length);
    expected.forEach((pattern, i) => {
      expect(issues[i]).toMatch(new RegExp(`^targets\\[1\\]\\.resource\\.functionName: .*${pattern.source}`));
    });
  });

  test('the synth stops with the message (CDK assertion on a stack with an env)', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const config = fixtureConfig();
    config.targets = withFunction('arn:aws:lambda:eu-west-1:777788889999:function:checkout');
    expect(
      () => new DrivetrainStack(app, 'Foreign', { config, env: { account: '111122223333', region: 'us-east-1' } }),
    ).toThrow(
      /targets\[1\]\.resource\.functionName: .*Drivetrain changes provisioned concurrency only in its own account and region/,
    );
  });
});

describe('sourceSenders: every business source names who may send it', () => {
  const senders = (edit: (config: ReturnType<typeof fixtureConfig>) => void) => {
    const config = fixtureConfig();
    edit(config);
    const issues: Array<Omit<ConfigIssue, 'file'>> = [];
    return { result: sourceSenders(config, (issue) => issues.push(issue)), issues };
  };

  test('one entry per business source with its patterns and accounts', () => {
    const { result, issues } = senders(() => undefined);
    expect(issues).toEqual([]);
    expect(result.find((s) => s.source === 'com.acme.marketing')).toEqual({
      source: 'com.acme.marketing',
      patterns: ['arn:aws:iam::111122223333:role/oncall-*', 'arn:aws:iam::444455556666:role/marketing-*'],
      accounts: ['111122223333', '444455556666'],
    });
  });

  test.each([
    [
      'a source allowed on a target without senders',
      (c: ReturnType<typeof fixtureConfig>) => delete c.sourcePrincipals['drivetrain.metrics'],
      /^sourcePrincipals: source "drivetrain.metrics" .* names no senders/,
    ],
    [
      'senders for an AWS source',
      (c: ReturnType<typeof fixtureConfig>) =>
        (c.sourcePrincipals['aws.cloudwatch'] = ['arn:aws:iam::111122223333:role/x']),
      /^sourcePrincipals.aws.cloudwatch: .*reserved for AWS/,
    ],
    [
      'senders for a source no target allows',
      (c: ReturnType<typeof fixtureConfig>) =>
        (c.sourcePrincipals['com.nobody'] = ['arn:aws:iam::111122223333:role/x']),
      /^sourcePrincipals.com.nobody: no target lists/,
    ],
    [
      'a sender given as an STS session',
      (c: ReturnType<typeof fixtureConfig>) =>
        (c.sourcePrincipals['drivetrain.metrics'] = ['arn:aws:sts::111122223333:assumed-role/m/s']),
      /^sourcePrincipals.drivetrain.metrics\[0\]: .*STS session ARN/,
    ],
    [
      'a businessBusAccounts entry that sends nothing',
      (c: ReturnType<typeof fixtureConfig>) => c.businessBusAccounts.push('555555555555'),
      /^businessBusAccounts\[1\]: account 555555555555 sends no source/,
    ],
  ])('refused: %s', (_label, edit, expected) => {
    const { issues } = senders(edit);
    expect(issues.map((i) => `${i.path}: ${i.message}`)).toEqual([expect.stringMatching(expected)]);
  });
});
