/**
 * IAM of the Route 53 follow-through, from the synthesized stack: the allocation policy lets the functions
 * ask GetChange about any change (change ids are generated, so change/* is the narrowest ARN) and nothing
 * else on changes, zones or records beyond what the weighted-routing executor already had — evaluated by
 * the offline IAM simulator on the policy as synthesized.
 */
import { identityVerdict, resolveIntrinsics, STACK_ACCOUNT } from '../support/iam-simulator';
import { resourcesOf, synthStack } from './support';

const { template } = synthStack();
const allocation = Object.values(resourcesOf(template, 'AWS::IAM::ManagedPolicy')).find((p) =>
  JSON.stringify(p.Properties.PolicyDocument).includes('route53:ChangeResourceRecordSets'),
);
const identityPolicy = resolveIntrinsics(allocation?.Properties.PolicyDocument);

const ZONE = 'arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ';
const OTHER_ZONE = 'arn:aws:route53:::hostedzone/Z9999999999OTHERZONE';
const CHANGE = 'arn:aws:route53:::change/C2682N5HXP0BZ4';

const verdict = identityVerdict(identityPolicy);

describe('Route 53 follow-through IAM (IAM simulator on the synthesized allocation policy)', () => {
  it('the policy is the shared allocation policy', () => {
    expect(allocation).toBeDefined();
  });

  it('may ask GetChange about a change', async () => {
    await expect(verdict('route53:GetChange', CHANGE)).resolves.toBe('Allowed');
  });

  it('the GetChange statement grants that one action on change/* and nothing else', () => {
    const statements = (identityPolicy as { Statement: Array<Record<string, unknown>> }).Statement;
    const withGetChange = statements.filter((s) => JSON.stringify(s.Action).includes('route53:GetChange'));
    expect(withGetChange).toEqual([
      expect.objectContaining({ Effect: 'Allow', Action: 'route53:GetChange', Resource: 'arn:aws:route53:::change/*' }),
    ]);
  });

  it.each([
    ['route53:ChangeResourceRecordSets', OTHER_ZONE],
    ['route53:ListResourceRecordSets', OTHER_ZONE],
    ['route53:GetHostedZone', ZONE],
    ['route53:ListHostedZones', '*'],
    ['route53:DeleteHostedZone', ZONE],
    ['route53:ChangeTagsForResource', ZONE],
    // The quota reads of `validate --live` run with the operator's credentials, never in the functions.
    ['servicequotas:GetServiceQuota', `arn:aws:servicequotas:us-east-1:${STACK_ACCOUNT}:ec2/L-1216C47A`],
    ['ec2:DescribeInstanceTypes', '*'],
  ])('may not %s on %s (GetChange on change/* reaches no zone or record)', async (action, resource) => {
    await expect(verdict(action, resource)).resolves.not.toBe('Allowed');
  });

  it('no policy of the stack grants the quota reads only the CLI makes', () => {
    const everyPolicy = JSON.stringify(template.toJSON().Resources);
    expect(everyPolicy).not.toContain('servicequotas:');
    expect(everyPolicy).not.toContain('ec2:DescribeInstanceTypes');
  });
});
