/** Pure mappings from config to ARNs, IAM condition values, bus policy and event patterns (no synth). */
import { Stack } from 'aws-cdk-lib';
import type { ConfigIssue } from '../../functions/domain/config';
import { DETAIL_TYPES } from '../../functions/contracts';
import { businessBusPolicy } from '../../lib/bus-policy';
import { chunkByLength } from '../../lib/drivetrain';
import {
  allocationResources,
  businessSources,
  configuredAlarmNames,
  normalizedRecordName,
  overridePrincipals,
  parseFunctionName,
  qualifiedFunctionArn,
} from '../../lib/resource-arns';
import { fixtureConfig, flatten } from './support';

/** Renders tokens the way the template will ("${AWS::Region}"). */
const render = (value: unknown) => flatten(new Stack().resolve(value));

describe('parseFunctionName + qualifiedFunctionArn (the Lambda API FunctionName formats)', () => {
  test.each([
    ['checkout', 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:checkout:live'],
    ['123456789012:function:checkout', 'arn:${AWS::Partition}:lambda:${AWS::Region}:123456789012:function:checkout:live'],
    ['arn:aws:lambda:eu-west-1:123456789012:function:checkout', 'arn:aws:lambda:eu-west-1:123456789012:function:checkout:live'],
    ['arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:my_fn-2', 'arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:my_fn-2:live'],
    ['arn:aws-cn:lambda:cn-north-1:123456789012:function:checkout', 'arn:aws-cn:lambda:cn-north-1:123456789012:function:checkout:live'],
  ])('%s', (functionName, arn) => {
    const parsed = parseFunctionName(functionName);
    expect(parsed?.qualifier).toBeUndefined();
    expect(render(qualifiedFunctionArn(parsed!, 'live'))).toBe(arn);
  });

  test.each([['checkout:live', 'live'], ['arn:aws:lambda:eu-west-1:123456789012:function:checkout:7', '7']])('keeps a qualifier found in %s', (name, qualifier) => {
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
    config.targets.forEach((t) => (t.overridePrincipals = []));
    config.targets[0]!.overridePrincipals = patterns;
    const issues: Array<Omit<ConfigIssue, 'file'>> = [];
    return { result: overridePrincipals(config, (issue) => issues.push(issue)), issues };
  };

  test('collects patterns and their accounts, sorted and de-duplicated', () => {
    const { result, issues } = run(['arn:aws:iam::222233334444:user/bot', 'arn:aws:iam::111122223333:role/oncall-*', 'arn:aws:iam::111122223333:role/oncall-*', 'arn:aws:iam::111122223333:root']);
    expect(issues).toEqual([]);
    expect(result).toEqual({
      patterns: ['arn:aws:iam::111122223333:role/oncall-*', 'arn:aws:iam::111122223333:root', 'arn:aws:iam::222233334444:user/bot'],
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
    autoScalingGroups: ['web-fleet'],
    provisionedConcurrency: [{ targetId: 'checkout-fn', arn: 'arn:aws:lambda:eu-west-1:777788889999:function:checkout:live' }],
    weightedRecords: [{ targetId: 'api-routing', hostedZoneId: 'Z0123456789ABCDEFGHIJ', recordName: '*.API.example.com.', recordType: 'CNAME' }],
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
  const base = { busArn: 'arn:aws:events:us-east-1:123456789012:event-bus/b', account: '123456789012' };
  const sids = (doc: ReturnType<typeof businessBusPolicy>) => (render(doc) as { Statement: Array<{ Sid: string }> }).Statement.map((s) => s.Sid);

  test('no business sources: only the override deny (nobody else needs an allow)', () => {
    const doc = businessBusPolicy({ ...base, senderAccounts: ['111111111111'], sources: [], overrides: { patterns: [], accounts: [] } });
    expect(sids(doc)).toEqual(['DenyOverridesFromOtherPrincipals']);
  });

  test('sender accounts are de-duplicated and listed after this account', () => {
    const doc = render(businessBusPolicy({ ...base, senderAccounts: ['111111111111', '111111111111'], sources: ['com.acme'], overrides: { patterns: [], accounts: [] } })) as {
      Statement: Array<{ Principal: { AWS: string[] }; Condition: unknown }>;
    };
    expect(doc.Statement[0]!.Principal.AWS).toEqual(['arn:${AWS::Partition}:iam::123456789012:root', 'arn:${AWS::Partition}:iam::111111111111:root']);
    expect(doc.Statement[0]!.Condition).toEqual({
      StringEquals: { 'events:detail-type': [DETAIL_TYPES.businessDriver, DETAIL_TYPES.metricSnapshot] },
      'ForAllValues:StringEquals': { 'events:source': ['com.acme'] },
    });
  });
});
