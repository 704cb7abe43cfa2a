/**
 * Turns the resources named in the config into the exact ARNs and IAM condition values the stack grants
 * on. Pure (CloudFormation pseudo parameters stay tokens), so the rules are unit-tested without a synth.
 *
 * Anything the config allows but IAM cannot express precisely is reported as a config issue with the path
 * to fix, rather than silently widened into a broader grant.
 */
import { Aws } from 'aws-cdk-lib';
import type { ConfigIssue, DrivetrainConfig } from '../functions/domain/config';
import type { Target } from '../functions/domain/model';

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
const FUNCTION_NAME = /^(?:arn:(aws[a-zA-Z-]*):lambda:([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?(?:(\d{12}):)?(?:function:)?([a-zA-Z0-9-_]+)(?::(\$LATEST|[a-zA-Z0-9-_]+))?$/;

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
// user or root ARN otherwise; patterns are matched with StringLike.
const PRINCIPAL_PATTERN = /^arn:aws[a-zA-Z-]*:iam::(\d{12}):(?:root|(?:role|user)\/.+)$/;

export interface OverridePrincipals {
  /** StringLike patterns for aws:PrincipalArn. */
  patterns: string[];
  /** Accounts those principals live in, for the Allow statement's Principal element. */
  accounts: string[];
}

export function overridePrincipals(config: Pick<DrivetrainConfig, 'targets'>, report: (issue: Omit<ConfigIssue, 'file'>) => void): OverridePrincipals {
  const patterns = new Set<string>();
  const accounts = new Set<string>();
  config.targets.forEach((target, t) => {
    target.overridePrincipals.forEach((pattern, p) => {
      const path = `targets[${t}].overridePrincipals[${p}]`;
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
  });
  return { patterns: [...patterns].sort(), accounts: [...accounts].sort() };
}

/** What the executors may touch, derived from the targets. Sorted and de-duplicated for stable templates. */
export interface AllocationResources {
  autoScalingGroups: string[];
  provisionedConcurrency: Array<{ targetId: string; arn: string }>;
  weightedRecords: Array<{ targetId: string; hostedZoneId: string; recordName: string; recordType: string }>;
}

export function allocationResources(targets: readonly Target[], report: (issue: Omit<ConfigIssue, 'file'>) => void): AllocationResources {
  const groups = new Set<string>();
  const functions = new Map<string, { targetId: string; arn: string }>();
  const records: AllocationResources['weightedRecords'] = [];
  targets.forEach((target, t) => {
    const { resource } = target;
    switch (resource.kind) {
      case 'ec2-asg':
        groups.add(resource.autoScalingGroupName);
        break;
      case 'lambda-provisioned-concurrency': {
        const parsed = parseFunctionName(resource.functionName);
        if (!parsed) {
          report({ path: `targets[${t}].resource.functionName`, message: `"${resource.functionName}" is not a Lambda function name, partial ARN or ARN` });
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
        records.push({ targetId: target.id, hostedZoneId: resource.hostedZoneId, recordName: resource.recordName, recordType: resource.recordType });
        break;
    }
  });
  return {
    autoScalingGroups: [...groups].sort(),
    provisionedConcurrency: [...functions.values()].sort((a, b) => a.targetId.localeCompare(b.targetId)),
    weightedRecords: records.sort((a, b) => a.targetId.localeCompare(b.targetId)),
  };
}

/** Every CloudWatch alarm name an alarm driver listens to, sorted and de-duplicated. */
export function configuredAlarmNames(config: Pick<DrivetrainConfig, 'drivers'>): string[] {
  const names = new Set<string>();
  for (const driver of config.drivers) if (driver.kind === 'alarm') for (const name of driver.alarmNames ?? []) names.add(name);
  return [...names].sort();
}

/** EventBridge sources the business bus accepts: the union of the targets' allowed sources, minus AWS's own. */
export function businessSources(config: Pick<DrivetrainConfig, 'targets'>): string[] {
  const sources = new Set<string>();
  for (const target of config.targets) for (const source of target.allowedSources) if (!source.startsWith('aws.')) sources.add(source);
  return [...sources].sort();
}
