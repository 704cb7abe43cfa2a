/**
 * Who may put a shard on the shard queue, from the SYNTHESIZED queue policy evaluated with the IAM simulator:
 * only the tick's role, over TLS. In the stack's account any principal whose identity policy allows
 * sqs:SendMessage would otherwise be let in by IAM alone; a queue policy Deny is what stops it (a forged shard
 * makes the workers reconcile, and a flood of them holds every worker while the real shards wait).
 */
import { resolveIntrinsics, simulate, STACK_ACCOUNT, STACK_REGION } from '../support/iam-simulator';
import { resourcesOf, synthStack } from './support';

const { template } = synthStack();
const queues = Object.entries(resourcesOf(template, 'AWS::SQS::Queue'));
const [queueId] = queues.find(([, q]) => q.Properties.QueueName === 'dt-test-shards')!;
const QUEUE_ARN = `arn:aws:sqs:${STACK_REGION}:${STACK_ACCOUNT}:dt-test-shards`;
const roleId = (fragment: string) =>
  Object.keys(resourcesOf(template, 'AWS::IAM::Role')).find((id) => id.includes(fragment))!;
const roleArn = (fragment: string) => `arn:aws:iam::${STACK_ACCOUNT}:role/${roleId(fragment)}`;
const refs = new Proxy({} as Record<string, string>, {
  get: (_t, key: string) => {
    if (key === `${queueId}.Arn`) return QUEUE_ARN;
    const id = key.replace(/\.Arn$/, '');
    return key.endsWith('.Arn') ? `arn:aws:iam::${STACK_ACCOUNT}:role/${id}` : `ref-${key}`;
  },
});
const policy = Object.values(resourcesOf(template, 'AWS::SQS::QueuePolicy')).find((p) =>
  JSON.stringify(p.Properties.Queues).includes(`"${queueId}"`),
);
const resourcePolicy = resolveIntrinsics(policy?.Properties.PolicyDocument, refs);

const verdict = (principal: string, action: string, tls = true) =>
  simulate({
    principal,
    action,
    resource: QUEUE_ARN,
    context: { 'aws:SecureTransport': tls ? 'true' : 'false' },
    resourcePolicy,
  });

describe('shard queue policy (IAM simulator): only the tick sends, over TLS', () => {
  it('the tick may send a shard', async () => {
    await expect(verdict(roleArn('FunctionsTick'), 'sqs:SendMessage')).resolves.toBe('Allowed');
  });

  it.each([
    ['a role of this account allowed sqs:SendMessage on *', `arn:aws:iam::${STACK_ACCOUNT}:role/developer`],
    ['the ingest role', roleArn('FunctionsIngest')],
    ['the shard worker role (it consumes, never sends)', roleArn('FunctionsShardWorker')],
    ['the operator role', roleArn('OperatorHandler')],
    ['a principal of another account', 'arn:aws:iam::444455556666:role/marketing-bot'],
  ])('%s may not send a shard (explicit Deny)', async (_label, principal) => {
    await expect(verdict(principal, 'sqs:SendMessage')).resolves.toBe('ExplicitlyDenied');
  });

  it('not even the tick without TLS', async () => {
    await expect(verdict(roleArn('FunctionsTick'), 'sqs:SendMessage', false)).resolves.toBe('ExplicitlyDenied');
  });

  it('the worker still consumes the queue (the Deny names SendMessage only)', async () => {
    await expect(verdict(roleArn('FunctionsShardWorker'), 'sqs:ReceiveMessage')).resolves.toBe('Allowed');
  });
});
