/**
 * Least privilege of each function's role on the tables, from the SYNTHESIZED stack evaluated with the IAM
 * simulator: for every table (and the decisions index) exactly the DynamoDB actions the function's code sends
 * (functions/adapters/dynamodb, Powertools idempotency), nothing the CDK grant helpers add besides (Scan,
 * Batch*, DeleteItem, ConditionCheckItem, DescribeTable, stream reads). A compromised or buggy function can then
 * neither delete nor bulk-rewrite the decision audit trail, the state or the history.
 *
 * TransactWriteItems is authorized per item as PutItem / UpdateItem, so the transactions need nothing else.
 * The last test keeps the expectation honest: the adapters use only the commands the table below accounts for.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DECISIONS_TABLE, TABLES } from '../../functions/adapters/dynamodb/tables';
import { simulate, STACK_ACCOUNT, STACK_REGION } from '../support/iam-simulator';
import { REPO_ROOT, roleIdentityPolicy, synthStack } from './support';

const { template } = synthStack();

const DATA_ACTIONS = [
  'BatchGetItem',
  'BatchWriteItem',
  'ConditionCheckItem',
  'DeleteItem',
  'DescribeTable',
  'GetItem',
  'PartiQLDelete',
  'PartiQLInsert',
  'PartiQLSelect',
  'PartiQLUpdate',
  'PutItem',
  'Query',
  'Scan',
  'UpdateItem',
  'DeleteTable',
  'UpdateTable',
] as const;

const table = (id: string) => `arn:aws:dynamodb:${STACK_REGION}:${STACK_ACCOUNT}:table/dt-test-${id}`;
const INDEX = `${table('decisions')}/index/${DECISIONS_TABLE.globalSecondaryIndexes![0]!.indexName}`;
const RESOURCES: Record<string, string> = {
  ...Object.fromEntries(TABLES.map((t) => [t.id, table(t.id)])),
  'decisions index': INDEX,
  'another index of decisions': `${table('decisions')}/index/other`,
};

/** What each reconciling function's code sends: the decision store and the driver store (reads, or writes too). */
const RECONCILE = {
  decisions: ['GetItem', 'PutItem', 'Query', 'UpdateItem'],
  'decisions index': ['Query'],
  state: ['GetItem', 'UpdateItem'],
};
const EXPECTED: Record<string, Record<string, string[]>> = {
  FunctionsIngest: {
    ...RECONCILE,
    drivers: ['PutItem', 'Query'],
    history: ['PutItem'],
    // Powertools' DynamoDBPersistenceLayer: GetItem, PutItem, UpdateItem, DeleteItem.
    idempotency: ['DeleteItem', 'GetItem', 'PutItem', 'UpdateItem'],
  },
  OperatorHandler: { ...RECONCILE, drivers: ['PutItem', 'Query'], history: ['PutItem'] },
  FunctionsShardWorker: { ...RECONCILE, drivers: ['Query'] },
  // The deployed-config item only (dynamodb:LeadingKeys; test/cdk/deployed-config-iam.test.ts).
  FunctionsTick: { state: ['GetItem', 'PutItem'] },
};

async function allowedActions(roleFragment: string, resource: string): Promise<string[]> {
  const { role, policy } = roleIdentityPolicy(template, roleFragment, { account: STACK_ACCOUNT, region: STACK_REGION });
  const allowed: string[] = [];
  for (const action of DATA_ACTIONS) {
    const verdict = await simulate({
      principal: role,
      action: `dynamodb:${action}`,
      resource,
      context: {},
      resourcePolicy: undefined,
      identityPolicy: policy,
    }).catch((error: Error) => {
      // An action that does not take this resource type (PutItem on an index) is not an action on it.
      if (error.message.includes('no.resource.types')) return 'NotApplicable' as const;
      throw error;
    });
    if (verdict === 'Allowed') allowed.push(action);
  }
  return allowed.sort();
}

describe('function roles on the tables (IAM simulator): exactly the actions the code sends', () => {
  const cases = Object.entries(EXPECTED).flatMap(([role, expected]) =>
    Object.keys(RESOURCES).map((resource) => [role, resource, expected[resource] ?? []] as const),
  );
  it.each(cases)('%s on %s: %j', async (role, resource, expected) => {
    expect(await allowedActions(role, RESOURCES[resource]!)).toEqual([...expected].sort());
  });

  it('the DynamoDB adapters send only Get, Put, Update, Query and transactions of Put and Update items', () => {
    const dir = join(REPO_ROOT, 'functions/adapters/dynamodb');
    const sources = readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join('\n');
    const commands = new Set([...sources.matchAll(/new (\w+Command)\(/g)].map((m) => m[1]));
    const paginators = new Set([...sources.matchAll(/\b(paginate\w+)\(/g)].map((m) => m[1]));
    // Adding a command here means granting its action in lib/functions.ts (grantTables) and listing it above.
    expect([...commands].sort()).toEqual([
      'GetCommand',
      'PutCommand',
      'QueryCommand',
      'TransactWriteCommand',
      'UpdateCommand',
    ]);
    expect([...paginators].sort()).toEqual(['paginateQuery']);
    // Transaction items: Put and Update only (a Delete or ConditionCheck item needs its own action).
    expect(sources).not.toMatch(/\b(Delete|ConditionCheck):\s*[{\w]/);
  });
});

describe("the Auto Scaling executor on the configured group (IAM simulator): capacity and floor, never the group's shape", () => {
  const GROUP = `arn:aws:autoscaling:${STACK_REGION}:${STACK_ACCOUNT}:autoScalingGroup:0f1e2d3c-aaaa-bbbb-cccc-000000000000:autoScalingGroupName/web-fleet`;
  const verdict = (action: string, context: Record<string, string | string[]>) => {
    const { role, policy } = roleIdentityPolicy(template, 'FunctionsShardWorker', {
      account: STACK_ACCOUNT,
      region: STACK_REGION,
    });
    return simulate({
      principal: role,
      action,
      resource: GROUP,
      context,
      resourcePolicy: undefined,
      identityPolicy: policy,
    });
  };

  it.each<[string, string, Record<string, string>]>([
    ['SetDesiredCapacity', 'autoscaling:SetDesiredCapacity', {}],
    [
      'UpdateAutoScalingGroup with MinSize (and DesiredCapacity)',
      'autoscaling:UpdateAutoScalingGroup',
      { 'autoscaling:MinSize': '4' },
    ],
  ])('may %s', async (_label, action, context) => {
    await expect(verdict(action, context)).resolves.toBe('Allowed');
  });

  // What the executor never sends (functions/adapters/aws/auto-scaling.ts): the group's MaxSize stays its
  // owner's hard cap, and its network, launch configuration and instance types stay the owner's.
  it.each<[string, Record<string, string | string[]>]>([
    ['MaxSize', { 'autoscaling:MinSize': '4', 'autoscaling:MaxSize': '5000' }],
    ['VPCZoneIdentifier', { 'autoscaling:VPCZoneIdentifiers': ['subnet-0badbadbadbadbad0'] }],
    ['LaunchConfigurationName', { 'autoscaling:LaunchConfigurationName': 'miner' }],
    ['mixed-instances overrides', { 'autoscaling:InstanceTypes': 'p5.48xlarge' }],
  ])('may not UpdateAutoScalingGroup with %s', async (_label, context) => {
    await expect(verdict('autoscaling:UpdateAutoScalingGroup', context)).resolves.toBe('ImplicitlyDenied');
  });
});
