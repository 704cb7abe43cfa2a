/**
 * Turns the resources named in the config into the exact ARNs and IAM condition values the stack grants
 * on. Pure (CloudFormation pseudo parameters stay tokens), so the rules are unit-tested without a synth.
 *
 * Anything the config allows but IAM cannot express precisely is reported as a config issue with the path
 * to fix, rather than silently widened into a broader grant.
 */
import { Aws, Token } from 'aws-cdk-lib';
import type { ConfigIssue, DrivetrainConfig } from '../functions/domain/config';
import type { Target } from '../functions/domain/model';
import { assertNever } from '../functions/domain/target-kinds';

/**
 * Auto Scaling group ARNs embed a UUID that changes when a group is re-created and is unknown at synth,
 * so the group is pinned by name and the UUID segment stays a wildcard.
 */
export function autoScalingGroupArn(groupName: string): string {
  return `arn:${Aws.PARTITION}:autoscaling:${Aws.REGION}:${Aws.ACCOUNT_ID}:autoScalingGroup:*:autoScalingGroupName/${groupName}`;
}

export function hostedZoneArn(hostedZoneId: string): string {
  return `arn:${Aws.PARTITION}:route53:::hostedzone/${hostedZoneId}`;
}

// The documented FunctionName pattern of the Lambda API, split into its parts.
const FUNCTION_NAME =
  /^(?:arn:(aws[a-zA-Z-]*):lambda:([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?(?:(\d{12}):)?(?:function:)?([a-zA-Z0-9-_]+)(?::(\$LATEST|[a-zA-Z0-9-_]+))?$/;

export interface ParsedFunctionName {
  name: string;
  partition: string;
  region: string;
  account: string;
  /** Present when the configured name carried its own `:qualifier`. */
  qualifier?: string;
}

/** Accepts a function name, a partial ARN (`123456789012:function:name`) or a full ARN. */
export function parseFunctionName(functionName: string): ParsedFunctionName | undefined {
  const match = FUNCTION_NAME.exec(functionName);
  if (!match) return undefined;
  const [, partition, region, account, name, qualifier] = match;
  if (!name) return undefined;
  return {
    name,
    partition: partition ?? Aws.PARTITION,
    region: region ?? Aws.REGION,
    account: account ?? Aws.ACCOUNT_ID,
    ...(qualifier ? { qualifier } : {}),
  };
}

/** Provisioned concurrency lives on an alias or version, and IAM checks the qualified ARN. */
export function qualifiedFunctionArn(fn: ParsedFunctionName, qualifier: string): string {
  return `arn:${fn.partition}:lambda:${fn.region}:${fn.account}:function:${fn.name}:${qualifier}`;
}

/**
 * Value of `route53:ChangeResourceRecordSetsNormalizedRecordNames` for a record: lower case, no trailing
 * dot, and every character outside [a-z0-9-_.] as a backslash plus three octal digits (`*` → `\052`), as
 * the Route 53 developer guide specifies for this condition key.
 */
export function normalizedRecordName(recordName: string): string {
  const lower = recordName.toLowerCase().replace(/\.$/, '');
  let out = '';
  for (const char of lower) {
    if (/[a-z0-9\-_.]/.test(char)) out += char;
    else out += `\\${(char.codePointAt(0) ?? 0).toString(8).padStart(3, '0')}`;
  }
  return out;
}

// aws:PrincipalArn carries the role ARN (never the sts assumed-role session ARN) for role sessions, and the
// user or root ARN otherwise; patterns are matched with StringLike. The operator endpoint normalizes its
// verified caller to the same form, so one pattern means the same principal on both paths.
const PRINCIPAL_PATTERN = /^arn:aws[a-zA-Z-]*:iam::(\d{12}):(?:root|(?:role|user)\/.+)$/;

export interface OverridePrincipals {
  /** StringLike patterns for aws:PrincipalArn. */
  patterns: string[];
  /** Accounts those principals live in, for the Allow statement's Principal element. */
  accounts: string[];
}

type Report = (issue: Omit<ConfigIssue, 'file'>) => void;

/** Checks each pattern's format and collects the valid ones with their accounts. */
function collectPrincipals(
  lists: ReadonlyArray<{ path: string; patterns: readonly string[] }>,
  report: Report,
): OverridePrincipals {
  const patterns = new Set<string>();
  const accounts = new Set<string>();
  for (const list of lists) {
    list.patterns.forEach((pattern, p) => {
      const path = `${list.path}[${p}]`;
      if (pattern.startsWith('arn:') && pattern.split(':')[2] === 'sts') {
        report({
          path,
          message: `"${pattern}" is an STS session ARN; aws:PrincipalArn holds the role ARN for role sessions, so write arn:aws:iam::<account>:role/<name> (a trailing * is allowed)`,
        });
        return;
      }
      const match = PRINCIPAL_PATTERN.exec(pattern);
      if (!match?.[1]) {
        report({
          path,
          message: `"${pattern}" is not an IAM principal ARN with a 12-digit account; allowed: arn:aws:iam::<account>:role/<name>, :user/<name> or :root (a trailing * is allowed in the name)`,
        });
        return;
      }
      patterns.add(pattern);
      accounts.add(match[1]);
    });
  }
  return { patterns: [...patterns].sort(), accounts: [...accounts].sort() };
}

export function overridePrincipals(config: Pick<DrivetrainConfig, 'targets'>, report: Report): OverridePrincipals {
  return collectPrincipals(
    config.targets.map((target, t) => ({
      path: `targets[${t}].overridePrincipals`,
      patterns: target.overridePrincipals,
    })),
    report,
  );
}

/** Everyone who may call the operator endpoint for something: override, mode change or a business source. */
export function operatorEndpointPrincipals(
  config: Pick<DrivetrainConfig, 'targets' | 'sourcePrincipals'>,
): OverridePrincipals {
  return collectPrincipals(
    [
      ...config.targets.map((target, t) => ({
        path: `targets[${t}].overridePrincipals`,
        patterns: target.overridePrincipals,
      })),
      ...config.targets.map((target, t) => ({
        path: `targets[${t}].operatorPrincipals`,
        patterns: target.operatorPrincipals,
      })),
      ...Object.entries(config.sourcePrincipals).map(([source, patterns]) => ({
        path: `sourcePrincipals.${source}`,
        patterns,
      })),
    ],
    // Each list's problems are reported once, by overridePrincipals/operatorPrincipals/sourceSenders.
    () => undefined,
  );
}

export function operatorPrincipals(config: Pick<DrivetrainConfig, 'targets'>, report: Report): OverridePrincipals {
  return collectPrincipals(
    config.targets.map((target, t) => ({
      path: `targets[${t}].operatorPrincipals`,
      patterns: target.operatorPrincipals,
    })),
    report,
  );
}

export interface SourceSenders extends OverridePrincipals {
  source: string;
}

/**
 * The principals allowed to send each business source. Every source a target allows (other than AWS's
 * own `aws.*`) must name its senders: a source without them would be a label anyone on the bus can write.
 */
export function sourceSenders(
  config: Pick<DrivetrainConfig, 'targets' | 'sourcePrincipals' | 'businessBusAccounts'>,
  report: Report,
): SourceSenders[] {
  const senders: SourceSenders[] = [];
  for (const source of businessSources(config)) {
    const patterns = Object.hasOwn(config.sourcePrincipals, source) ? config.sourcePrincipals[source] : undefined;
    if (!patterns) {
      const t = config.targets.findIndex((target) => target.allowedSources.includes(source));
      report({
        path: 'sourcePrincipals',
        message: `source "${source}" (allowedSources of targets[${t}]) names no senders; add sourcePrincipals: { ${JSON.stringify(source)}: [arn:aws:iam::<account>:role/<name>] } (who may send it)`,
      });
      continue;
    }
    senders.push({ source, ...collectPrincipals([{ path: `sourcePrincipals.${source}`, patterns }], report) });
  }
  for (const source of Object.keys(config.sourcePrincipals)) {
    if (source.startsWith('aws.'))
      report({
        path: `sourcePrincipals.${source}`,
        message: `"${source}" is reserved for AWS services; only AWS can send it`,
      });
    else if (
      !senders.some((s) => s.source === source) &&
      !config.targets.some((t) => t.allowedSources.includes(source))
    ) {
      report({
        path: `sourcePrincipals.${source}`,
        message: `no target lists "${source}" in allowedSources; remove it or allow it on a target`,
      });
    }
  }
  const senderAccounts = new Set(senders.flatMap((s) => s.accounts));
  config.businessBusAccounts.forEach((account, i) => {
    if (!senderAccounts.has(account)) {
      report({
        path: `businessBusAccounts[${i}]`,
        message: `account ${account} sends no source; name its principals in sourcePrincipals (the bus admits exactly those)`,
      });
    }
  });
  return senders;
}

/** What the executors may touch, derived from the targets. Sorted and de-duplicated for stable templates. */
export interface AllocationResources {
  autoScalingGroups: string[];
  provisionedConcurrency: Array<{ targetId: string; arn: string }>;
  weightedRecords: Array<{ targetId: string; hostedZoneId: string; recordName: string; recordType: string }>;
  /**
   * Application Auto Scaling targets, by namespace: the ARNs of the resources behind them, which AAS checks the
   * caller may change before it accepts a RegisterScalableTarget (its permissions validation).
   */
  scalableTargets: Array<{ targetId: string; serviceNamespace: string; resourceArns: string[]; actions: string[] }>;
  /** ALB listener rule ARNs whose forward weights the executors change (the ARN names its account and region). */
  albListenerRules: Array<{ targetId: string; arn: string }>;
}

/**
 * What AAS validates the caller may do to the resource behind a scalable target, per namespace, and the ARN
 * of that resource from the target's ResourceId. Only namespaces whose grant can be scoped to the resource
 * are listed; a target in any other is reported (not widened into a broader grant).
 */
export const SCALABLE_RESOURCE_GRANTS: Record<string, { actions: string[]; arn: (resourceId: string) => string }> = {
  // ResourceId service/<cluster>/<service>: the ECS service ARN (long format) is arn:…:ecs:…:service/<cluster>/<service>.
  ecs: {
    actions: ['ecs:DescribeServices', 'ecs:UpdateService'],
    arn: (id) => `arn:${Aws.PARTITION}:ecs:${Aws.REGION}:${Aws.ACCOUNT_ID}:${id}`,
  },
  // ResourceId table/<name> or table/<name>/index/<index>: the table or index ARN.
  dynamodb: {
    actions: ['dynamodb:DescribeTable', 'dynamodb:UpdateTable'],
    arn: (id) => `arn:${Aws.PARTITION}:dynamodb:${Aws.REGION}:${Aws.ACCOUNT_ID}:${id}`,
  },
};

/**
 * Scalable target ARNs end in an id AAS generates at registration, unknown at synth and new when the target
 * is re-registered: RegisterScalableTarget is scoped to the stack's account and region, and through the
 * resource grants above to the configured resources.
 */
export function scalableTargetArnPattern(): string {
  return `arn:${Aws.PARTITION}:application-autoscaling:${Aws.REGION}:${Aws.ACCOUNT_ID}:scalable-target/*`;
}

/** The stack's own account and region: concrete strings, or tokens in an environment-agnostic stack. */
export interface StackEnvironment {
  account: string;
  region: string;
}

/**
 * The executors call Lambda in the stack's own account and region (one client, the function's own role),
 * so provisioned concurrency on a function elsewhere could never be applied: an ARN naming another account
 * or region is refused here instead of failing on every decision. In an environment-agnostic stack the
 * account and region are unknown at synth, so an ARN that names them cannot be proven local and is refused
 * as well, with the two ways out.
 */
function foreignFunctionProblem(functionName: string, stack: StackEnvironment): string | undefined {
  const match = FUNCTION_NAME.exec(functionName);
  const [, , region, account] = match ?? [];
  const named = [
    account !== undefined ? `account ${account}` : undefined,
    region !== undefined ? `region ${region}` : undefined,
  ].filter((x) => x !== undefined);
  if (named.length === 0) return undefined;
  const agnostic = Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region);
  if (agnostic) {
    return `"${functionName}" names ${named.join(' and ')}, but the stack is environment-agnostic, so it cannot be checked against the stack's own; name the function alone (it must live in the stack's account and region), or deploy the stack with an explicit env`;
  }
  if ((account !== undefined && account !== stack.account) || (region !== undefined && region !== stack.region)) {
    return `"${functionName}" is in ${named.join(' and ')}, the stack in account ${stack.account} and region ${stack.region}; Drivetrain changes provisioned concurrency only in its own account and region (deploy a Drivetrain there)`;
  }
  return undefined;
}

/**
 * The executors call ELB with the function's own role in the stack's account and region, so a listener rule
 * elsewhere could never be changed: refused at synth, like a foreign Lambda function. In an
 * environment-agnostic stack the rule's account and region cannot be checked, and pass (the ARN is always
 * qualified, so refusing it would refuse every rule).
 */
function foreignArnProblem(arn: string, stack: StackEnvironment, what: string): string | undefined {
  const [, , , region, account] = arn.split(':');
  if (Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region)) return undefined;
  if (account !== stack.account || region !== stack.region) {
    return `"${arn}" is in account ${account} and region ${region}, the stack in account ${stack.account} and region ${stack.region}; Drivetrain ${what} only in its own account and region (deploy a Drivetrain there)`;
  }
  return undefined;
}

export function allocationResources(
  targets: readonly Target[],
  report: (issue: Omit<ConfigIssue, 'file'>) => void,
  stack: StackEnvironment = { account: Aws.ACCOUNT_ID, region: Aws.REGION },
): AllocationResources {
  const groups = new Set<string>();
  const functions = new Map<string, { targetId: string; arn: string }>();
  const records: AllocationResources['weightedRecords'] = [];
  const scalable: AllocationResources['scalableTargets'] = [];
  const rules = new Map<string, { targetId: string; arn: string }>();
  targets.forEach((target, t) => {
    const { resource } = target;
    switch (resource.kind) {
      case 'ec2-asg':
        groups.add(resource.autoScalingGroupName);
        break;
      case 'lambda-provisioned-concurrency': {
        const parsed = parseFunctionName(resource.functionName);
        if (!parsed) {
          report({
            path: `targets[${t}].resource.functionName`,
            message: `"${resource.functionName}" is not a Lambda function name, partial ARN or ARN`,
          });
          break;
        }
        const foreign = foreignFunctionProblem(resource.functionName, stack);
        if (foreign) {
          report({ path: `targets[${t}].resource.functionName`, message: foreign });
          break;
        }
        if (parsed.qualifier !== undefined) {
          report({
            path: `targets[${t}].resource.functionName`,
            message: `"${resource.functionName}" carries a qualifier; name the function alone and put the alias or version in resource.qualifier`,
          });
          break;
        }
        const arn = qualifiedFunctionArn(parsed, resource.qualifier);
        functions.set(arn, { targetId: target.id, arn });
        break;
      }
      case 'route53-weighted':
        records.push({
          targetId: target.id,
          hostedZoneId: resource.hostedZoneId,
          recordName: resource.recordName,
          recordType: resource.recordType,
        });
        break;
      case 'application-auto-scaling': {
        const grant = SCALABLE_RESOURCE_GRANTS[resource.serviceNamespace];
        if (!grant) {
          report({
            path: `targets[${t}].resource.serviceNamespace`,
            message: `Drivetrain cannot yet scope IAM to a "${resource.serviceNamespace}" scalable target's resource (supported: ${Object.keys(SCALABLE_RESOURCE_GRANTS).join(', ')})`,
          });
          break;
        }
        if (!resource.scalableDimension.startsWith(`${resource.serviceNamespace}:`)) {
          report({
            path: `targets[${t}].resource.scalableDimension`,
            message: `"${resource.scalableDimension}" is not a dimension of namespace ${resource.serviceNamespace}`,
          });
          break;
        }
        scalable.push({
          targetId: target.id,
          serviceNamespace: resource.serviceNamespace,
          resourceArns: [grant.arn(resource.resourceId)],
          actions: grant.actions,
        });
        break;
      }
      case 'alb-weighted': {
        const foreign = foreignArnProblem(resource.listenerRuleArn, stack, 'changes ALB listener rules');
        if (foreign) report({ path: `targets[${t}].resource.listenerRuleArn`, message: foreign });
        else rules.set(resource.listenerRuleArn, { targetId: target.id, arn: resource.listenerRuleArn });
        break;
      }
      default:
        assertNever(resource, 'target resource');
    }
  });
  return {
    autoScalingGroups: [...groups].sort(),
    provisionedConcurrency: [...functions.values()].sort((a, b) => a.targetId.localeCompare(b.targetId)),
    weightedRecords: records.sort((a, b) => a.targetId.localeCompare(b.targetId)),
    scalableTargets: scalable.sort((a, b) => a.targetId.localeCompare(b.targetId)),
    albListenerRules: [...rules.values()].sort((a, b) => a.targetId.localeCompare(b.targetId)),
  };
}

/** Every CloudWatch alarm name an alarm driver listens to, sorted and de-duplicated. */
export function configuredAlarmNames(config: Pick<DrivetrainConfig, 'drivers'>): string[] {
  const names = new Set<string>();
  for (const driver of config.drivers)
    if (driver.kind === 'alarm') for (const name of driver.alarmNames ?? []) names.add(name);
  return [...names].sort();
}

/** EventBridge sources the business bus accepts: the union of the targets' allowed sources, minus AWS's own. */
export function businessSources(config: Pick<DrivetrainConfig, 'targets'>): string[] {
  const sources = new Set<string>();
  for (const target of config.targets)
    for (const source of target.allowedSources) if (!source.startsWith('aws.')) sources.add(source);
  return [...sources].sort();
}
