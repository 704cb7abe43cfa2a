/**
 * The resource policy of the business-driver bus. Who may send what is enforced by EventBridge itself:
 *
 * - each business `source` (business drivers and metric snapshots) only from the principals that
 *   `sourcePrincipals` names for it (aws:PrincipalArn, StringLike), in this account and in others;
 * - overrides never: an EventBridge event carries no sender identity, so an override that came through
 *   the bus could not record who sent it. Overrides (and mode changes) go through the IAM-authenticated
 *   operator endpoint, whose caller ARN AWS verifies (lib/operator-endpoint.ts).
 *
 * Allows let senders from other accounts in; Denies do the limiting, because in the bus's own account any
 * principal whose identity policy allows events:PutEvents may put events regardless of an Allow here, and
 * only an explicit Deny in the resource policy overrides that.
 *
 * Operators: the Service Authorization Reference types `events:source` and `events:detail-type` as
 * ArrayOfString (one value per entry of the PutEvents request), so they take the set operators: an Allow
 * needs every entry to qualify (ForAllValues, with a Null check so an absent key cannot satisfy it
 * vacuously) and a Deny fires when any entry is refused (ForAnyValue). Plain StringEquals on these keys
 * never matches a multivalued key, which is how a Deny silently stops firing.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import { DETAIL_TYPES } from '../functions/contracts';
import type { SourceSenders } from './resource-arns';

export interface BusinessBusPolicyInput {
  readonly busArn: string;
  /** Every business source with the principals allowed to send it. */
  readonly senders: readonly SourceSenders[];
}

export const BUS_POLICY_SIDS = {
  acceptSource: 'AcceptSource',
  denySourceFromOthers: 'DenySourceFromOtherPrincipals',
  denyUnconfiguredSources: 'DenyUnconfiguredSources',
  denyOverrides: 'DenyOverridesOnTheBus',
} as const;

/** Detail-types a business sender may put on the bus. */
export const BUS_DETAIL_TYPES = [DETAIL_TYPES.businessDriver, DETAIL_TYPES.metricSnapshot] as const;

export function businessBusPolicy(input: BusinessBusPolicyInput): iam.PolicyDocument {
  const statements: iam.PolicyStatement[] = [];
  const onBus = { actions: ['events:PutEvents'], resources: [input.busArn] };

  input.senders.forEach((sender, i) => {
    if (sender.patterns.length === 0) return;
    statements.push(
      new iam.PolicyStatement({
        sid: `${BUS_POLICY_SIDS.acceptSource}${i + 1}`,
        effect: iam.Effect.ALLOW,
        principals: sender.accounts.map((account) => new iam.AccountPrincipal(account)),
        ...onBus,
        conditions: {
          'ForAllValues:StringEquals': {
            'events:source': [sender.source],
            'events:detail-type': [...BUS_DETAIL_TYPES],
          },
          Null: { 'events:source': 'false', 'events:detail-type': 'false' },
          StringLike: { 'aws:PrincipalArn': [...sender.patterns] },
        },
      }),
      new iam.PolicyStatement({
        sid: `${BUS_POLICY_SIDS.denySourceFromOthers}${i + 1}`,
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        ...onBus,
        conditions: {
          'ForAnyValue:StringEquals': { 'events:source': [sender.source] },
          StringNotLike: { 'aws:PrincipalArn': [...sender.patterns] },
        },
      }),
    );
  });

  const sources = input.senders.filter((s) => s.patterns.length > 0).map((s) => s.source);
  // Nothing routes an unconfigured source, but refusing it at the door keeps the bus free of lookalikes.
  statements.push(
    new iam.PolicyStatement({
      sid: BUS_POLICY_SIDS.denyUnconfiguredSources,
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      ...onBus,
      conditions: sources.length > 0 ? { 'ForAnyValue:StringNotEquals': { 'events:source': sources } } : {},
    }),
    new iam.PolicyStatement({
      sid: BUS_POLICY_SIDS.denyOverrides,
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      ...onBus,
      conditions: { 'ForAnyValue:StringEquals': { 'events:detail-type': [DETAIL_TYPES.override] } },
    }),
  );
  return new iam.PolicyDocument({ statements });
}
