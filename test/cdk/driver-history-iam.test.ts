/**
 * Least privilege on the driver history table, from the SYNTHESIZED identity policies evaluated with the IAM
 * simulator: the functions that store drivers (ingest, operator) write history items and never read them
 * back; the tick and the shard workers cannot touch the table at all. `drivetrain replay --since` reads it
 * with the operator's own credentials.
 */
import { Duration } from 'aws-cdk-lib';
import { roleIdentityPolicy, synthStack } from './support';
import { simulate, STACK_ACCOUNT, STACK_REGION } from '../support/iam-simulator';

const { template } = synthStack();
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const historyId = ofType('AWS::DynamoDB::Table').find(([id]) => id.includes('HistoryTable'))![0];
const historyArn = `arn:aws:dynamodb:${STACK_REGION}:${STACK_ACCOUNT}:table/${String(resources[historyId]!.Properties.TableName)}`;

/** The role's whole identity policy (inline and managed), so a grant from any of them counts. */
const verdict = (fragment: string, action: string) => {
  const { role, policy } = roleIdentityPolicy(template, fragment, { account: STACK_ACCOUNT, region: STACK_REGION });
  return simulate({
    principal: role,
    action,
    resource: historyArn,
    context: {},
    resourcePolicy: undefined,
    identityPolicy: policy,
  });
};

describe('driver history table IAM (simulator)', () => {
  it.each([
    ['FunctionsIngest', 'dynamodb:PutItem'],
    ['OperatorHandler', 'dynamodb:PutItem'],
  ])('%s may %s', async (role, action) => {
    expect(await verdict(role, action)).toBe('Allowed');
  });

  it.each([
    ['FunctionsIngest', 'dynamodb:Query'],
    ['FunctionsIngest', 'dynamodb:DeleteTable'],
    // Items are put one by one (side by side for a driver of several targets), never batched, deleted or updated.
    ['FunctionsIngest', 'dynamodb:BatchWriteItem'],
    ['FunctionsIngest', 'dynamodb:DeleteItem'],
    ['OperatorHandler', 'dynamodb:UpdateItem'],
    ['FunctionsTick', 'dynamodb:PutItem'],
    ['FunctionsTick', 'dynamodb:Query'],
    ['FunctionsShardWorker', 'dynamodb:PutItem'],
    ['FunctionsShardWorker', 'dynamodb:Query'],
  ])('%s may not %s', async (role, action) => {
    expect(await verdict(role, action)).toBe('ImplicitlyDenied');
  });

  it('the history environment reaches only what the stack sets: table and retention together', () => {
    const ingest = ofType('AWS::Lambda::Function').find(([id]) => id.includes('FunctionsIngest'))![1];
    const env = (ingest.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env.HISTORY_TABLE_NAME).toBe(resources[historyId]!.Properties.TableName);
    expect(env.DRIVER_HISTORY_RETENTION_SECONDS).toBe(String(30 * 86_400));
  });

  it('driverHistoryRetention 0: the functions are told of no history table, so they keep no history', () => {
    const none = synthStack({ driverHistoryRetention: Duration.days(0) }).template.toJSON()
      .Resources as typeof resources;
    for (const fn of Object.values(none).filter((r) => r.Type === 'AWS::Lambda::Function')) {
      const env = (fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      expect(env.HISTORY_TABLE_NAME).toBeUndefined();
      expect(env.DRIVER_HISTORY_RETENTION_SECONDS).toBeUndefined();
    }
  });
});
