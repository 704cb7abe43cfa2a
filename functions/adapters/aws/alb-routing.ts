/**
 * AlbRoutingPort on the Elastic Load Balancing v2 API.
 *
 * ModifyRule replaces the rule's whole action list, so the adapter reads the rule first (DescribeRules) and
 * sends every action back exactly as ELB returned it, with only the forward action's target group weights
 * changed: authenticate actions, their order and the forward action's stickiness (TargetGroupStickinessConfig)
 * survive. Conditions and priority are not sent, so ELB keeps them. Building the actions from the
 * configuration instead would silently drop an authentication step someone added by hand.
 */
import {
  type Action,
  DescribeRulesCommand,
  type ElasticLoadBalancingV2Client,
  ModifyRuleCommand,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { EXECUTOR_ERROR_CODES, PermanentExecutorError } from '../../ports/errors';
import type { AlbRoutingPort } from '../../ports';

const RULE_NOT_FOUND = new Set(['RuleNotFoundException', 'RuleNotFound']);
const TARGET_GROUP_NOT_FOUND = new Set(['TargetGroupNotFoundException', 'TargetGroupNotFound']);

export class AwsAlbRoutingAdapter implements AlbRoutingPort {
  constructor(private readonly client: ElasticLoadBalancingV2Client) {}

  async getWeights(listenerRuleArn: string): Promise<Record<string, number>> {
    const rule = await this.readRule(listenerRuleArn);
    return forwardWeights(listenerRuleArn, rule.Actions ?? []);
  }

  async setWeights(listenerRuleArn: string, weights: Record<string, number>): Promise<void> {
    const rule = await this.readRule(listenerRuleArn);
    if (rule.IsDefault) {
      // ModifyRule cannot change a default rule's actions (its API reference: use ModifyListener); sent
      // anyway, ELB would refuse it with an OperationNotPermitted that does not say why.
      throw new PermanentExecutorError(
        `listener rule ${listenerRuleArn} is the default rule of its listener, whose actions only ModifyListener changes; weight a non-default rule (add one that matches every request, e.g. path-pattern /*) and point the target's listenerRuleArn at it`,
        { code: EXECUTOR_ERROR_CODES.invalidAction },
      );
    }
    const actions = rule.Actions ?? [];
    const current = forwardWeights(listenerRuleArn, actions);
    const missing = Object.keys(weights).filter((arn) => current[arn] === undefined);
    if (missing.length) {
      throw new PermanentExecutorError(
        `listener rule ${listenerRuleArn}: its forward action has no target group ${missing.join(', ')}` +
          ` (it forwards to ${Object.keys(current).join(', ') || 'no target group'})`,
        { code: EXECUTOR_ERROR_CODES.unknownTargetGroup },
      );
    }
    if (Object.entries(weights).every(([arn, weight]) => current[arn] === weight)) return;
    try {
      await this.client.send(
        new ModifyRuleCommand({ RuleArn: listenerRuleArn, Actions: actions.map((a) => reweighted(a, weights)) }),
      );
    } catch (error) {
      throw vanished(error, listenerRuleArn) ?? error;
    }
  }

  private async readRule(listenerRuleArn: string): Promise<Rule> {
    let rules: Rule[] | undefined;
    try {
      ({ Rules: rules } = await this.client.send(new DescribeRulesCommand({ RuleArns: [listenerRuleArn] })));
    } catch (error) {
      throw vanished(error, listenerRuleArn) ?? error;
    }
    const rule = rules?.find((r) => r.RuleArn === listenerRuleArn);
    if (!rule) throw ruleGone(listenerRuleArn, undefined);
    return rule;
  }
}

/** The forward action's weights by target group ARN (a plain forward to one group weighs 1, as ELB treats it). */
function forwardWeights(listenerRuleArn: string, actions: readonly Action[]): Record<string, number> {
  const forward = actions.find((a) => a.Type === 'forward');
  if (!forward) {
    throw new PermanentExecutorError(
      `listener rule ${listenerRuleArn} has no forward action (actions: ${actions.map((a) => a.Type).join(', ') || 'none'}); Drivetrain only weights a rule that forwards to target groups`,
      { code: EXECUTOR_ERROR_CODES.unknownTargetGroup },
    );
  }
  const groups = forward.ForwardConfig?.TargetGroups;
  if (groups?.length) {
    return Object.fromEntries(
      groups.filter((g) => g.TargetGroupArn !== undefined).map((g) => [g.TargetGroupArn!, g.Weight ?? 1]),
    );
  }
  return forward.TargetGroupArn ? { [forward.TargetGroupArn]: 1 } : {};
}

/** The action as ELB returned it; the forward action with the new weights (and its stickiness kept). */
function reweighted(action: Action, weights: Record<string, number>): Action {
  if (action.Type !== 'forward') return action;
  const groups =
    action.ForwardConfig?.TargetGroups ??
    (action.TargetGroupArn ? [{ TargetGroupArn: action.TargetGroupArn, Weight: 1 }] : []);
  // With a ForwardConfig, ELB refuses a TargetGroupArn next to it unless it is the only group: send only the
  // ForwardConfig, which says everything the TargetGroupArn did.
  const { TargetGroupArn: _single, ...rest } = action;
  return {
    ...rest,
    ForwardConfig: {
      ...action.ForwardConfig,
      TargetGroups: groups.map((g) => ({
        ...g,
        Weight:
          g.TargetGroupArn !== undefined && weights[g.TargetGroupArn] !== undefined
            ? weights[g.TargetGroupArn]
            : g.Weight,
      })),
    },
  };
}

function errorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const shape = error as { name?: unknown; Code?: unknown };
  return typeof shape.name === 'string' ? shape.name : typeof shape.Code === 'string' ? shape.Code : undefined;
}

/** A rule or target group that no longer exists: permanent, with what to do about it. */
function vanished(error: unknown, listenerRuleArn: string): PermanentExecutorError | undefined {
  const name = errorName(error);
  if (name && RULE_NOT_FOUND.has(name)) return ruleGone(listenerRuleArn, error);
  if (name && TARGET_GROUP_NOT_FOUND.has(name)) {
    return new PermanentExecutorError(
      `listener rule ${listenerRuleArn}: a target group of its forward action no longer exists (${name}); re-create it or fix the rule and the target's targetGroups`,
      { code: EXECUTOR_ERROR_CODES.resourceNotFound, cause: error },
    );
  }
  return undefined;
}

function ruleGone(listenerRuleArn: string, cause: unknown): PermanentExecutorError {
  return new PermanentExecutorError(
    `listener rule ${listenerRuleArn} does not exist (deleted, or in another account or region); fix the target's listenerRuleArn`,
    { code: EXECUTOR_ERROR_CODES.resourceNotFound, cause },
  );
}
