/**
 * The resource policy of the business-driver bus. Who may send what is enforced by EventBridge itself:
 *
 * - business drivers and metric snapshots: this account and `businessBusAccounts`, with one of the
 *   configured sources;
 * - overrides: only principals matching a target's `overridePrincipals` (aws:PrincipalArn, StringLike).
 *   An explicit Deny does the limiting, because an Allow cannot: in the bus's own account any principal
 *   whose identity policy allows events:PutEvents may put events regardless of the bus policy, and only a
 *   Deny in the resource policy overrides that. The Allow is what lets override senders in other accounts in.
 *
 * Conditions follow the EventBridge user guide's cross-account example (events:detail-type with
 * StringEquals, events:source with ForAllValues:StringEquals). EventBridge events carry no sender identity,
 * so this policy is the only place where "who sent the override" can be checked.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import { DETAIL_TYPES } from '../functions/contracts';
import type { OverridePrincipals } from './resource-arns';

export interface BusinessBusPolicyInput {
  busArn: string;
  /** The bus's own account (a token in env-agnostic stacks). */
  account: string;
  /** Other accounts allowed to send business drivers and metric snapshots. */
  senderAccounts: readonly string[];
  /** Allowed `source` values; empty means no business sender is configured. */
  sources: readonly string[];
  overrides: OverridePrincipals;
}

export const BUS_POLICY_SIDS = {
  drivers: 'AcceptDriversFromAllowedAccounts',
  overrides: 'AcceptOverridesFromConfiguredPrincipals',
  denyOverrides: 'DenyOverridesFromOtherPrincipals',
} as const;

export function businessBusPolicy(input: BusinessBusPolicyInput): iam.PolicyDocument {
  const statements: iam.PolicyStatement[] = [];
  const sourceCondition = { 'ForAllValues:StringEquals': { 'events:source': [...input.sources] } };

  if (input.sources.length > 0) {
    const accounts = [input.account, ...new Set(input.senderAccounts)];
    statements.push(
      new iam.PolicyStatement({
        sid: BUS_POLICY_SIDS.drivers,
        effect: iam.Effect.ALLOW,
        principals: accounts.map((account) => new iam.AccountPrincipal(account)),
        actions: ['events:PutEvents'],
        resources: [input.busArn],
        conditions: {
          StringEquals: { 'events:detail-type': [DETAIL_TYPES.businessDriver, DETAIL_TYPES.metricSnapshot] },
          ...sourceCondition,
        },
      }),
    );
    if (input.overrides.patterns.length > 0) {
      statements.push(
        new iam.PolicyStatement({
          sid: BUS_POLICY_SIDS.overrides,
          effect: iam.Effect.ALLOW,
          principals: input.overrides.accounts.map((account) => new iam.AccountPrincipal(account)),
          actions: ['events:PutEvents'],
          resources: [input.busArn],
          conditions: {
            StringEquals: { 'events:detail-type': DETAIL_TYPES.override },
            StringLike: { 'aws:PrincipalArn': [...input.overrides.patterns] },
            ...sourceCondition,
          },
        }),
      );
    }
  }

  // Always present: with no override principals configured nobody may send an override ("Empty: nobody").
  statements.push(
    new iam.PolicyStatement({
      sid: BUS_POLICY_SIDS.denyOverrides,
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['events:PutEvents'],
      resources: [input.busArn],
      conditions: {
        StringEquals: { 'events:detail-type': DETAIL_TYPES.override },
        ...(input.overrides.patterns.length > 0 ? { StringNotLike: { 'aws:PrincipalArn': [...input.overrides.patterns] } } : {}),
      },
    }),
  );

  return new iam.PolicyDocument({ statements });
}
