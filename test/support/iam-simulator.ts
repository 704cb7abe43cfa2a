/**
 * Evaluates synthesized resource policies with the offline IAM policy simulator @cloud-copilot/iam-simulate
 * (AWS's evaluation logic: explicit Deny, resource-policy Allows across accounts, condition operators and
 * the Service Authorization Reference's key types), so a test proves what AWS would decide instead of what
 * a hand-written evaluator believes.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';

export const STACK_ACCOUNT = '111122223333';
export const STACK_REGION = 'us-east-1';
const PSEUDO: Record<string, string> = {
  'AWS::AccountId': STACK_ACCOUNT,
  'AWS::Partition': 'aws',
  'AWS::Region': STACK_REGION,
  'AWS::URLSuffix': 'amazonaws.com',
};

/**
 * Resolves the intrinsics CloudFormation would (pseudo parameters, Fn::Join, Ref/Fn::GetAtt Arn of
 * resources named in `refs`); anything else fails the test instead of being guessed.
 */
export function resolveIntrinsics(value: unknown, refs: Record<string, string> = {}): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, refs));
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if ('Ref' in record) {
      const ref = String(record.Ref);
      const resolved = PSEUDO[ref] ?? refs[ref];
      if (resolved === undefined) throw new Error(`policy refers to ${ref}, which this resolver does not know`);
      return resolved;
    }
    if ('Fn::GetAtt' in record) {
      const [id, attribute] = record['Fn::GetAtt'] as [string, string];
      const resolved = refs[`${id}.${attribute}`];
      if (resolved === undefined)
        throw new Error(`policy refers to ${id}.${attribute}, which this resolver does not know`);
      return resolved;
    }
    if ('Fn::Join' in record) {
      const [separator, parts] = record['Fn::Join'] as [string, unknown[]];
      return parts.map((p) => String(resolveIntrinsics(p, refs))).join(separator);
    }
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, resolveIntrinsics(v, refs)]));
  }
  return value;
}

export type Verdict = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

export interface SimulatedRequest {
  /** An IAM principal ARN, or a service principal such as cloudwatch.amazonaws.com. */
  principal: string;
  action: string;
  resource: string;
  resourceAccount?: string;
  context: Record<string, string | string[]>;
  resourcePolicy: unknown;
  /**
   * The caller's identity policy. Default: allows the action on everything, the worst case for the
   * resource policy (a broadly permitted role in this account, or a sender in another account).
   */
  identityPolicy?: unknown;
}

const ALLOW_EVERYTHING_FOR = (action: string) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }],
});

export async function simulate(request: SimulatedRequest): Promise<Verdict> {
  const isService = request.principal.endsWith('.amazonaws.com');
  const result = await runSimulation(
    {
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: request.resourceAccount ?? STACK_ACCOUNT },
        // What AWS itself puts in every request of an IAM principal: the simulator takes context as given.
        contextVariables: isService
          ? { 'aws:PrincipalServiceName': request.principal, ...request.context }
          : {
              'aws:PrincipalArn': request.principal,
              'aws:PrincipalAccount': request.principal.split(':')[4]!,
              'aws:PrincipalIsAWSService': 'false',
              ...request.context,
            },
      },
      identityPolicies: isService
        ? []
        : [{ name: 'caller', policy: request.identityPolicy ?? ALLOW_EVERYTHING_FOR(request.action) }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: request.resourcePolicy,
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`simulation failed: ${JSON.stringify(result.errors)}`);
  if (result.resultType !== 'single') throw new Error(`unexpected simulation result ${result.resultType}`);
  const ignored = result.result.ignoredContextKeys ?? [];
  // A context key the simulator drops would make a condition vacuous: fail instead of passing by accident.
  if (ignored.length > 0)
    throw new Error(`the simulator ignored context keys ${ignored.join(', ')} for ${request.action}`);
  return result.overallResult as Verdict;
}

/** What AWS decides for one action of a role of the stack's account holding only `identityPolicy`. */
export function identityVerdict(
  identityPolicy: unknown,
  principal = `arn:aws:iam::${STACK_ACCOUNT}:role/executor`,
): (action: string, resource: string) => Promise<Verdict> {
  return (action, resource) =>
    simulate({ principal, action, resource, context: {}, resourcePolicy: undefined, identityPolicy });
}
