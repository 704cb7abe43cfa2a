/**
 * `validate --live`: the config's bounds against what each resource and the account allow, before a
 * decision is ever applied (today an allocation above an ASG's MaxSize shows up only as a failed action).
 * Read-only, over the ports (one AWS adapter each); every target gets a verdict, and a target whose check
 * could not run (access denied, throttled) says so and why instead of passing silently.
 *
 * IAM for the operator running it: autoscaling:DescribeAutoScalingGroups, lambda:GetAccountSettings,
 * lambda:GetFunctionConcurrency, route53:ListResourceRecordSets, elasticloadbalancing:DescribeRules,
 * application-autoscaling:DescribeScalableTargets, and for the coexistence check autoscaling:DescribePolicies,
 * autoscaling:DescribeScheduledActions, application-autoscaling:DescribeScalingPolicies and
 * application-autoscaling:DescribeScheduledActions, and for the EC2 vCPU quota servicequotas:GetServiceQuota,
 * ec2:DescribeInstanceTypes, ec2:DescribeLaunchTemplateVersions and autoscaling:DescribeLaunchConfigurations
 * (what a group launches; all read-only, and the functions are granted none of the quota reads).
 */
import type { DrivetrainConfig } from '../functions/domain/config';
import type { Target } from '../functions/domain/model';
import { isFloorManaged, type TargetKind, targetGroupName, targetKind } from '../functions/domain/target-kinds';
import {
  type AlbRoutingPort,
  type ApplicationAutoScalingPort,
  type AutoScalingPort,
  type Ec2CapacityUnit,
  type Ec2LaunchOption,
  type Ec2QuotaPort,
  type LambdaAccountConcurrency,
  type LambdaLimitsPort,
  LaunchSourceNotFoundError,
  type OwnScaling,
  type WeightedRoutingPort,
} from '../functions/ports';
import { causeChain } from './errors';

/**
 * Lambda keeps at least this much of the account's concurrency unreserved: provisioned concurrency of a
 * function without a reservation can take the unreserved pool only down to it (AWS Lambda developer guide,
 * "Configuring provisioned concurrency").
 */
export const LAMBDA_MIN_UNRESERVED = 100;

export interface LivePorts {
  autoScaling: AutoScalingPort;
  lambda: LambdaLimitsPort;
  routing: WeightedRoutingPort;
  alb: AlbRoutingPort;
  applicationAutoScaling: ApplicationAutoScalingPort;
  ec2Quota: Ec2QuotaPort;
}

/**
 * Instance families the Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances quota counts: the
 * family letter (I also as im/is) right before the generation digit, so inf1, dl1, trn1, hpc6a, mac1 are not.
 */
const STANDARD_FAMILY = /^(?:[acdhmrtz]|i[ms]?)\d/;

/** `error`: this policy can never be applied as written. `unchecked`: the check could not run (see message). */
export type LiveVerdict = 'ok' | 'warning' | 'error' | 'unchecked';

export interface LiveFinding {
  targetId: string;
  verdict: LiveVerdict;
  /** What was compared, e.g. `bounds 2..40 within MinSize 2 / MaxSize 40`. */
  message: string;
}

/**
 * The read-only IAM actions each kind's check sends, named when AWS refuses one and listed by
 * `validate --help` (the operator's policy is written from it).
 */
export const LIVE_CHECK_ACTIONS = {
  'ec2-asg': [
    'autoscaling:DescribeAutoScalingGroups',
    'autoscaling:DescribeLaunchConfigurations',
    'autoscaling:DescribePolicies',
    'autoscaling:DescribeScheduledActions',
    'ec2:DescribeLaunchTemplateVersions',
    'ec2:DescribeInstanceTypes',
    'servicequotas:GetServiceQuota',
  ],
  'lambda-provisioned-concurrency': ['lambda:GetAccountSettings', 'lambda:GetFunctionConcurrency'],
  'route53-weighted': ['route53:ListResourceRecordSets'],
  'alb-weighted': ['elasticloadbalancing:DescribeRules'],
  'application-auto-scaling': [
    'application-autoscaling:DescribeScalableTargets',
    'application-autoscaling:DescribeScalingPolicies',
    'application-autoscaling:DescribeScheduledActions',
  ],
} as const satisfies Record<TargetKind, readonly string[]>;

export async function checkLive(config: DrivetrainConfig, ports: LivePorts): Promise<LiveFinding[]> {
  let account: Promise<LambdaAccountConcurrency> | undefined;
  const lambdaAccount = () => (account ??= ports.lambda.account());
  let vcpuQuota: Promise<number | undefined> | undefined;
  const ec2Quota = () => (vcpuQuota ??= ports.ec2Quota.onDemandStandardVcpus());
  const findings: LiveFinding[] = [];
  // One target at a time: a handful of read calls each, well inside every API's rate, and a throttled
  // answer is then about this account's other traffic, not about us.
  for (const target of config.targets) {
    try {
      findings.push(await checkTarget(target, ports, lambdaAccount, ec2Quota));
    } catch (error) {
      if (isCredentialsError(error)) throw error; // the same for every target: said once, by the command
      findings.push({ targetId: target.id, ...explainLiveError(error, target) });
    }
  }
  return findings;
}

async function checkTarget(
  target: Target,
  ports: LivePorts,
  lambdaAccount: () => Promise<LambdaAccountConcurrency>,
  ec2Quota: () => Promise<number | undefined>,
): Promise<LiveFinding> {
  const r = target.resource;
  const { min, max } = target.policy.bounds;
  const finding = (verdict: LiveVerdict, message: string): LiveFinding => ({ targetId: target.id, verdict, message });
  switch (r.kind) {
    case 'ec2-asg': {
      const group = await ports.autoScaling.describe(r.autoScalingGroupName);
      if (!group) return finding('error', `Auto Scaling group ${r.autoScalingGroupName} not found`);
      const sizes = `MinSize ${group.min} / MaxSize ${group.max}`;
      if (max > group.max)
        return finding(
          'error',
          `bounds.max ${max} > ${sizes}: EC2 Auto Scaling refuses a desired capacity above ${group.max}; lower bounds.max or raise MaxSize`,
        );
      if (min < group.min)
        return finding(
          'warning',
          `bounds.min ${min} < ${sizes}: a desired capacity below ${group.min} is refused until MinSize is lowered`,
        );
      const vcpus = await vcpuCheck(r.autoScalingGroupName, max, ports.ec2Quota, ec2Quota);
      if (vcpus.verdict === 'error') return finding('error', vcpus.message);
      const own = await ports.autoScaling.ownScaling(r.autoScalingGroupName);
      const checked = coexistence(target, own, finding, `bounds ${min}..${max} within ${sizes}; ${vcpus.message}`);
      return checked.verdict === 'ok' ? { ...checked, verdict: vcpus.verdict } : checked;
    }
    case 'lambda-provisioned-concurrency': {
      const reserved = await ports.lambda.reservedConcurrency(r.functionName);
      if (reserved === undefined) return finding('error', `Lambda function ${r.functionName} not found`);
      if (reserved !== null)
        return max > reserved
          ? finding(
              'error',
              `bounds.max ${max} > the function's reserved concurrency ${reserved}: provisioned concurrency cannot exceed it`,
            )
          : finding('ok', `bounds.max ${max} within the function's reserved concurrency ${reserved}`);
      const account = await lambdaAccount();
      const room = account.unreserved - LAMBDA_MIN_UNRESERVED;
      if (max > room)
        return finding(
          'error',
          `bounds.max ${max} > ${room} (unreserved account concurrency ${account.unreserved} of ${account.limit} minus the ${LAMBDA_MIN_UNRESERVED} Lambda keeps unreserved): raise the concurrent executions quota (Service Quotas L-B99A9384) or lower bounds.max`,
        );
      return finding(
        'ok',
        `bounds.max ${max} within ${room} provisionable (account ${account.limit}, unreserved ${account.unreserved})`,
      );
    }
    case 'route53-weighted': {
      const weights = await ports.routing.getWeights(r);
      const missing = r.endpoints.map((e) => e.setIdentifier).filter((id) => weights[id] === undefined);
      if (missing.length)
        return finding(
          'error',
          `${r.recordName} ${r.recordType} in ${r.hostedZoneId} has no weighted record for ${missing.join(', ')}${Object.keys(weights).length ? ` (Route 53 has ${Object.keys(weights).join(', ')})` : ''}`,
        );
      return finding('ok', `${r.recordName} ${r.recordType}: every endpoint has its weighted record`);
    }
    case 'alb-weighted': {
      // A rule that is gone, or has no forward action, is refused by the adapter with what to fix.
      const byArn = await ports.alb.getWeights(r.listenerRuleArn);
      const missing = r.targetGroups.map((g) => g.arn).filter((arn) => byArn[arn] === undefined);
      if (missing.length)
        return finding(
          'error',
          `listener rule ${r.listenerRuleArn} does not forward to ${missing.map(targetGroupName).join(', ')} (it forwards to ${Object.keys(byArn).map(targetGroupName).join(', ') || 'no target group'}): ModifyRule would be refused`,
        );
      return finding('ok', `listener rule forwards to every configured target group`);
    }
    case 'application-auto-scaling': {
      const ref = {
        serviceNamespace: r.serviceNamespace,
        resourceId: r.resourceId,
        scalableDimension: r.scalableDimension,
      };
      const found = await ports.applicationAutoScaling.describe(ref);
      const where = `${r.serviceNamespace} ${r.resourceId} ${r.scalableDimension}`;
      if (!found) return finding('error', `scalable target ${where} is not registered with Application Auto Scaling`);
      const sizes = `MinCapacity ${found.min} / MaxCapacity ${found.max}`;
      // Drivetrain owns only MinCapacity here: a floor above MaxCapacity is refused by RegisterScalableTarget.
      if (max > found.max)
        return finding(
          'error',
          `bounds.max ${max} > ${sizes}: a floor above MaxCapacity is refused; lower bounds.max or raise MaxCapacity`,
        );
      return coexistence(
        target,
        await ports.applicationAutoScaling.ownScaling(ref),
        finding,
        `bounds ${min}..${max} within ${sizes}`,
      );
    }
  }
}

/**
 * bounds.max against the account's Running On-Demand Standard vCPU quota (regional, shared with everything
 * else the account runs). An error when even the group's smallest need at bounds.max is more vCPUs than the
 * quota: the policy asks for capacity EC2 will never launch, and it would fail at the worst moment (a
 * scale-out under load, `degraded` with InsufficientInstanceCapacity-like launch failures). A warning when
 * only its largest need is: whether it fits depends on which types launch. What the account already runs
 * elsewhere is not subtracted (that changes by the minute); the quota is the ceiling.
 */
async function vcpuCheck(
  groupName: string,
  max: number,
  port: Ec2QuotaPort,
  quota: () => Promise<number | undefined>,
): Promise<{ verdict: 'ok' | 'warning' | 'error'; message: string }> {
  const unchecked = (why: string) => ({ verdict: 'ok' as const, message: `vCPU quota not checked${why}` });
  const launch = await port.launchOptions(groupName);
  if (launch.capacityUnit === 'memory-mib')
    return unchecked(': the group counts capacity in memory-mib (bounds.max is MiB of memory)');
  if (launch.options.length === 0)
    return unchecked(
      ' (no instance type known: no instances, and no override, launch template or launch configuration names one)',
    );
  const typeOf = (o: Ec2LaunchOption) => ('instanceType' in o ? o.instanceType : undefined);
  const types = [...new Set(launch.options.map(typeOf).filter((t) => t !== undefined))].sort();
  // Attribute-based selection names no family: counted as Standard, the quota a check can then fail on.
  const standard = launch.options.filter((o) => !('instanceType' in o) || STANDARD_FAMILY.test(o.instanceType));
  if (standard.length === 0) return unchecked(` (${types.join(', ')}: not On-Demand Standard)`);
  const standardTypes = types.filter((t) => STANDARD_FAMILY.test(t));
  const byType = launch.capacityUnit === 'units' && standardTypes.length ? await port.vcpus(standardTypes) : {};
  const needs = standard.flatMap((o) => needsOf(o, max, launch.capacityUnit, byType));
  const limit = needs.length ? await quota() : undefined;
  if (needs.length === 0 || limit === undefined) return unchecked(' (no vCPU count or no applied quota value)');
  const assumed = standard.some((o) => 'vcpus' in o) ? ASSUMED_STANDARD : '';
  const checked = vcpuVerdict(needs, limit);
  return { ...checked, message: `${checked.message}${assumed}` };
}

/** Why a check of attribute-based instance selection can only assume which quota its instances use. */
const ASSUMED_STANDARD =
  '; attribute-based instance selection (InstanceRequirements) does not say which families launch: counted against the On-Demand Standard quota in case they all do';

/** vCPUs bounds.max takes through one launch option, and how they were counted (for the message). */
interface VcpuNeed {
  vcpus: number;
  /** e.g. `bounds.max 40 × 2 vCPUs (m5.large) = 80`. */
  how: string;
}

/** One launch option at bounds.max: its smallest and largest need (largest undefined: no upper bound). */
interface OptionNeeds {
  smallest: VcpuNeed;
  largest: VcpuNeed | undefined;
  /** Instances at bounds.max, for what an unbounded instance size may be. */
  instances: number;
}

/**
 * In units, bounds.max is instances, or capacity units with weights: ceil(max / weight) instances of the
 * option, since EC2 Auto Scaling launches whole instances until the capacity is met, overshooting if it must.
 * In vCPUs, bounds.max is the need itself. An instance type EC2 gave no vCPU count for: no need known.
 */
function needsOf(
  option: Ec2LaunchOption,
  max: number,
  unit: Ec2CapacityUnit,
  byType: Record<string, number>,
): OptionNeeds[] {
  if (unit === 'vcpu') {
    const need = { vcpus: max, how: `bounds.max ${max} vCPUs (the group counts capacity in vCPUs)` };
    return [{ smallest: need, largest: need, instances: max }];
  }
  const instances = Math.ceil(max / option.weight);
  const counted =
    option.weight === 1 ? `bounds.max ${max}` : `ceil(bounds.max ${max} / weight ${option.weight}) = ${instances}`;
  const need = (vcpus: number, what: string) => ({
    vcpus: instances * vcpus,
    how: `${counted} × ${vcpus} vCPUs (${what}) = ${instances * vcpus}`,
  });
  if ('instanceType' in option) {
    const vcpus = byType[option.instanceType];
    if (vcpus === undefined) return [];
    const each = need(vcpus, option.instanceType);
    return [{ smallest: each, largest: each, instances }];
  }
  const { min, max: most } = option.vcpus;
  const largest = most === undefined ? undefined : need(most, 'VCpuCount.Max');
  return [{ smallest: need(min, 'VCpuCount.Min'), largest, instances }];
}

/**
 * The verdict over every option: the smallest need of all decides the error, the largest bounded one the
 * warning; an option without an upper bound can only fail on its smallest.
 */
function vcpuVerdict(needs: OptionNeeds[], limit: number): { verdict: 'ok' | 'warning' | 'error'; message: string } {
  const smallest = needs.map((n) => n.smallest).reduce((a, b) => (b.vcpus < a.vcpus ? b : a));
  const unbounded = needs.find((n) => n.largest === undefined);
  const bounded = needs.flatMap((n) => (n.largest ? [n.largest] : []));
  const quotaName = `the On-Demand Standard instances quota of ${limit} vCPUs (Service Quotas ec2 L-1216C47A)`;
  if (smallest.vcpus > limit)
    return {
      verdict: 'error',
      message: `${smallest.how} > ${quotaName}: request a quota increase or lower bounds.max`,
    };
  // Every bounded largest need is at least the smallest one, so starting from it changes nothing.
  const largest = bounded.reduce((a, b) => (b.vcpus > a.vcpus ? b : a), smallest);
  if (largest.vcpus > limit)
    return {
      verdict: 'warning',
      message: `${largest.how} > ${quotaName}; it fits only if smaller types launch`,
    };
  // No upper bound: nothing says the largest fits, so the message gives the size that does instead.
  if (unbounded)
    return {
      verdict: 'ok',
      message: `${smallest.vcpus} vCPUs at bounds.max with the smallest instances within ${quotaName}, but VCpuCount has no Max: it fits only while instances have at most ${Math.floor(limit / unbounded.instances)} vCPUs`,
    };
  return { verdict: 'ok', message: `${largest.vcpus} vCPUs at bounds.max within ${quotaName}` };
}

/**
 * Who else scales the resource. A desired-managed group with scaling policies of its own is pulled two ways
 * (each controller undoes the other's DesiredCapacity): refused, with the way out. Scheduled actions only move
 * the group at their times: a warning. Floor-managed resources keep their own policies by design; the
 * message says which policy owns what.
 */
function coexistence(
  target: Target,
  own: OwnScaling,
  finding: (verdict: LiveVerdict, message: string) => LiveFinding,
  within: string,
): LiveFinding {
  const names = (list: string[]) => list.join(', ');
  if (isFloorManaged(target)) {
    const owners = [...own.policies, ...own.scheduledActions];
    return finding(
      'ok',
      `${within}; Drivetrain owns the floor only${owners.length ? `, ${names(owners)} keep the current capacity` : ''}`,
    );
  }
  if (own.policies.length > 0)
    return finding(
      'error',
      `${within}, but the group's own scaling policies (${names(own.policies)}) also set DesiredCapacity: the two would undo each other. Set resource.manage: floor (Drivetrain then owns only MinSize) or remove the policies`,
    );
  if (own.scheduledActions.length > 0)
    return finding(
      'warning',
      `${within}; scheduled actions (${names(own.scheduledActions)}) also change the group at their times, and Drivetrain's next decision moves it back`,
    );
  return finding('ok', `${within}; no scaling policies or scheduled actions of its own`);
}

function isCredentialsError(error: unknown): boolean {
  return causeChain(error).some(
    (e) =>
      e.name === 'CredentialsProviderError' ||
      e.name === 'ExpiredTokenException' ||
      (typeof e.message === 'string' && /Could not load credentials|Region is missing/i.test(e.message)),
  );
}

/**
 * What a failed check means: a missing hosted zone is an answer (the policy can never be applied); access
 * denied and throttling mean it was not checked, with the IAM action to grant or the advice to retry.
 */
export function explainLiveError(error: unknown, target: Target): Pick<LiveFinding, 'verdict' | 'message'> {
  for (const e of causeChain(error)) {
    const name = typeof e.name === 'string' ? e.name : '';
    const message = typeof e.message === 'string' ? e.message : '';
    if (name === 'NoSuchHostedZone') return { verdict: 'error', message: `hosted zone not found: ${message}` };
    if (e instanceof LaunchSourceNotFoundError)
      return { verdict: 'error', message: `${message}: it cannot launch instances until it names one that exists` };
    if (/AccessDenied|UnauthorizedOperation|AuthorizationError/.test(name))
      return {
        verdict: 'unchecked',
        message: `access denied: the operator needs ${LIVE_CHECK_ACTIONS[targetKind(target)].join(', ')} (${message})`,
      };
    if (/Throttl|TooManyRequests|RequestLimitExceeded|Rate exceeded|PriorRequestNotComplete/.test(`${name} ${message}`))
      return { verdict: 'unchecked', message: `throttled by AWS (${name}): not checked; run again in a minute` };
  }
  const e = causeChain(error)[0];
  const name = typeof e?.name === 'string' ? `${e.name}: ` : '';
  return {
    verdict: 'unchecked',
    message: `could not check: ${name}${typeof e?.message === 'string' ? e.message : String(error)}`,
  };
}
