/**
 * The tick's access to the tables, from the synthesized stack and evaluated by the offline IAM simulator: it
 * may read and put the deployed-config item of the state table (what it records for the CLI), and nothing
 * else of any table — no target's state, no other write action, no other table. Plus the synth-time refusal
 * of a config too large for that item.
 */
import { createHash } from 'node:crypto';
import { DEPLOYED_CONFIG_KEY } from '../../functions/adapters/dynamodb/tables';
import { resolveIntrinsics, simulate, STACK_ACCOUNT, STACK_REGION } from '../support/iam-simulator';
import { fixtureConfig, resourcesOf, synthStack } from './support';

const { template } = synthStack();
const resources = { ...template.toJSON().Resources } as Record<
  string,
  { Type: string; Properties: Record<string, unknown> }
>;
const tableArn = (suffix: string) => `arn:aws:dynamodb:${STACK_REGION}:${STACK_ACCOUNT}:table/dt-test-${suffix}`;
const tables = Object.entries(resourcesOf(template, 'AWS::DynamoDB::Table'));
const refs = Object.fromEntries(
  tables.map(([id, t]) => [`${id}.Arn`, tableArn(String(t.Properties.TableName).replace(/^dt-test-/, ''))]),
);

const tickId = Object.entries(resources).find(
  ([, r]) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.Description).includes('plan the reconciliation'),
)![0];
const tickRole = JSON.stringify(resources[tickId]!.Properties.Role).match(/"Fn::GetAtt":\["([^"]+)","Arn"\]/)![1]!;
/** Every identity policy statement of the tick's role that names DynamoDB (inline policies of the role). */
const statements = Object.values(resources)
  .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(`"${tickRole}"`))
  .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Array<{ Action: unknown }> }).Statement)
  .filter((s) => JSON.stringify(s.Action).includes('dynamodb:'));
const identityPolicy = resolveIntrinsics({ Version: '2012-10-17', Statement: statements }, refs);

const verdict = (action: string, resource: string, leadingKeys: string[]) =>
  simulate({
    principal: `arn:aws:iam::${STACK_ACCOUNT}:role/tick`,
    action: `dynamodb:${action}`,
    resource,
    context: { 'dynamodb:LeadingKeys': leadingKeys },
    resourcePolicy: undefined,
    identityPolicy,
  });

describe('the tick and the tables (IAM simulator)', () => {
  it.each(['GetItem', 'PutItem'])('may %s the deployed-config item of the state table', async (action) => {
    await expect(verdict(action, tableArn('state'), [DEPLOYED_CONFIG_KEY])).resolves.toBe('Allowed');
  });

  it.each([
    ['GetItem', 'state', 'web-asg'],
    ['PutItem', 'state', 'web-asg'],
    ['UpdateItem', 'state', DEPLOYED_CONFIG_KEY],
    ['DeleteItem', 'state', DEPLOYED_CONFIG_KEY],
    ['Query', 'state', DEPLOYED_CONFIG_KEY],
    ['GetItem', 'decisions', DEPLOYED_CONFIG_KEY],
    ['PutItem', 'drivers', DEPLOYED_CONFIG_KEY],
  ])('may not %s on the %s table with key %s', async (action, table, key) => {
    await expect(verdict(action, tableArn(table), [key])).resolves.not.toBe('Allowed');
  });

  it('may not touch the deployed-config item together with a target in one request', async () => {
    await expect(verdict('PutItem', tableArn('state'), [DEPLOYED_CONFIG_KEY, 'web-asg'])).resolves.not.toBe('Allowed');
  });
});

describe('a config too large to record', () => {
  it('is refused at synth, with the limit named', () => {
    const config = fixtureConfig();
    const web = config.targets.find((t) => t.resource.kind === 'ec2-asg')!;
    // Ids and group names that do not compress (a hash chain), enough of them to exceed the item's limit.
    let seed = 'drivetrain';
    const next = () => (seed = createHash('sha256').update(seed).digest('hex'));
    const targets = Array.from({ length: 4000 }, () => ({
      ...web,
      id: next().slice(0, 60),
      resource: { ...web.resource, autoScalingGroupName: `${next()}${next()}` },
      policy: { ...web.policy, rules: [] },
    }));
    expect(() => synthStack({ config: { ...config, targets: [...config.targets, ...targets] } as never })).toThrow(
      /bytes gzip-compressed; the state table item that records the deployed config .* holds at most 358400/,
    );
  });
});
