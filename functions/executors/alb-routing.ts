/**
 * ALB weighted routing executor. The allocation is the weight of each configured target group of a listener
 * rule's forward action, keyed by target group name (functions/domain/target-kinds.ts); the port speaks ARNs.
 * Target groups of the action that the configuration does not name are never touched.
 *
 * getWeights is one DescribeRules request; setWeights is a DescribeRules (the adapter copies the rule's
 * actions verbatim) and one ModifyRule. ELBv2's control plane is throttled per account and region, and the
 * shared retry (withRetry with jitter) is what paces it; a decision changes a rule at most once a tick.
 */
import type { Target } from '../domain/model';
import { routingEndpoints } from '../domain/target-kinds';
import type { AlbRoutingPort, AllocationExecutor } from '../ports';
import { assertEnforced, converge, resourceOf, weightsAction, type Plan } from './converge';
import { EXECUTOR_ERROR_CODES, PermanentExecutorError } from '../ports/errors';
import { type RetryOptions, withRetry } from './retry';

interface RuleGroups {
  ruleArn: string;
  /** Configured target groups: endpoint key (name) → ARN, in configuration order. */
  arnByKey: Map<string, string>;
}

export function createAlbRoutingExecutor(port: AlbRoutingPort, retry: Partial<RetryOptions> = {}): AllocationExecutor {
  return {
    async observe(target: Target) {
      const rule = ruleGroups(target);
      const byArn = await withRetry(() => port.getWeights(rule.ruleArn), {
        ...retry,
        label: `DescribeRules ${rule.ruleArn}`,
      });
      return { kind: 'weights', weights: weightsByKey(rule, byArn) };
    },

    async apply(target, action, actionId) {
      const rule = ruleGroups(target);
      const wanted = weightsAction(target, action, actionId, [...rule.arnByKey.keys()]);
      assertEnforced(target, actionId);
      return converge(
        { ...retry, label: `${actionId} ${rule.ruleArn}` },
        async () => weightsByKey(rule, await port.getWeights(rule.ruleArn)),
        (current) => planAlbWeights(rule, current, wanted, (changed) => port.setWeights(rule.ruleArn, changed)),
      );
    },
  };
}

export function planAlbWeights(
  rule: RuleGroups,
  current: Record<string, number>,
  wanted: Record<string, number>,
  write: (changedByArn: Record<string, number>) => Promise<void>,
): Plan {
  const changed = Object.entries(wanted).filter(([key, weight]) => current[key] !== weight);
  if (changed.length === 0) {
    return {
      unchanged: `listener rule ${rule.ruleArn} already forwards ${Object.entries(wanted)
        .map(([key, w]) => `${key} ${w}`)
        .join(', ')}`,
    };
  }
  return {
    detail: `ModifyRule ${rule.ruleArn} forward ${changed.map(([key, w]) => `${key} ${current[key]}→${w}`).join(', ')}`,
    write: () => write(Object.fromEntries(changed.map(([key, w]) => [rule.arnByKey.get(key)!, w]))),
  };
}

function ruleGroups(target: Target): RuleGroups {
  const resource = resourceOf(target, 'alb-weighted');
  const keys = routingEndpoints(resource)!.map((e) => e.setIdentifier);
  return {
    ruleArn: resource.listenerRuleArn,
    arnByKey: new Map(keys.map((key, i) => [key, resource.targetGroups[i]!.arn])),
  };
}

/** The configured target groups' weights by key; a configured group missing from the rule is a config error. */
function weightsByKey(rule: RuleGroups, byArn: Record<string, number>): Record<string, number> {
  const missing = [...rule.arnByKey].filter(([, arn]) => byArn[arn] === undefined);
  if (missing.length) {
    const present = Object.keys(byArn);
    throw new PermanentExecutorError(
      `listener rule ${rule.ruleArn}: its forward action has no target group ${missing.map(([key]) => key).join(', ')} ` +
        `(it forwards to ${present.length ? present.join(', ') : 'no target group'}); add the target group to the rule or fix the target's targetGroups`,
      { code: EXECUTOR_ERROR_CODES.unknownTargetGroup },
    );
  }
  return Object.fromEntries([...rule.arnByKey].map(([key, arn]) => [key, byArn[arn]!]));
}
