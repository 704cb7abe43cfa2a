/**
 * A realistic Friday morning in DynamoDB Local, written through the real stores and decided by the real
 * engine: the drivers the demo's web fleet sees during a flash sale, and a few decisions (applied, failed,
 * shadow) for the CLI to list and explain.
 */
import { decide } from '../../functions/domain/engine';
import type { DrivetrainConfig } from '../../functions/domain/config';
import type { Driver } from '../../functions/domain/model';
import type { DecisionRecord } from '../../functions/ports';
import { DynamoDecisionStore } from '../../functions/adapters/dynamodb/decision-store';
import { DynamoDriverStore } from '../../functions/adapters/dynamodb/driver-store';
import type { LocalTables } from '../support/dynamodb';
import { NOW } from './harness';

export const ONCALL = 'arn:aws:sts::111122223333:assumed-role/oncall-alice/alice';

/** A driver without its lineage (derived here), distributed over the kinds so each keeps its own fields. */
type DriverInput = Driver extends infer D
  ? D extends Driver
    ? Omit<D, 'lineage' | 'source'> & { source?: string }
    : never
  : never;

function driver(partial: DriverInput): Driver {
  return {
    source: 'aws.cloudwatch',
    lineage: {
      eventId: `evt-${partial.id}-${partial.observedAt}`,
      channel: 'eventbridge',
      receivedAt: partial.observedAt,
    },
    ...partial,
  } as Driver;
}

export const SEEDED_DRIVERS: Driver[] = [
  driver({
    id: 'web-prod-cpu-high',
    name: 'cpu-high',
    kind: 'alarm',
    targets: ['web-asg'],
    observedAt: NOW - 300,
    expiresAt: NOW + 7 * 86400,
    signal: { alarmName: 'web-prod-cpu-high', state: 'OK', previousState: 'ALARM' },
  }),
  driver({
    id: 'web-prod-cpu-low',
    name: 'cpu-low',
    kind: 'alarm',
    targets: ['web-asg'],
    observedAt: NOW - 7200,
    expiresAt: NOW + 6 * 86400,
    signal: { alarmName: 'web-prod-cpu-low', state: 'ALARM', datapoint: 21.5 },
  }),
  // The metric publisher stopped 20 minutes ago: its newest snapshot is stale (policy limit 10 minutes).
  driver({
    id: 'requests/alb-web',
    name: 'requests',
    kind: 'metric',
    source: 'drivetrain.metrics',
    targets: ['web-asg'],
    observedAt: NOW - 1200,
    expiresAt: NOW + 2400,
    signal: { value: 1180, unit: 'Count/Second' },
  }),
  // An hour-old snapshot past its expiry that DynamoDB's TTL has not deleted yet.
  driver({
    id: 'requests/alb-web-old',
    name: 'requests',
    kind: 'metric',
    source: 'drivetrain.metrics',
    targets: ['web-asg'],
    observedAt: NOW - 4200,
    expiresAt: NOW - 600,
    signal: { value: 900, unit: 'Count/Second' },
  }),
  driver({
    id: 'campaign/black-friday-2026/morning',
    name: 'flash-sale',
    kind: 'business',
    source: 'com.acme.marketing',
    targets: ['web-asg', 'checkout-fn'],
    observedAt: NOW - 3600,
    expiresAt: NOW + 7200,
    signal: {
      type: 'demand',
      label: 'Black Friday morning',
      demand: { multiplier: 3 },
      windowStart: NOW - 1800,
      windowEnd: NOW + 7200,
    },
  }),
  driver({
    id: 'finance/q4-cap',
    name: 'cost-budget',
    kind: 'business',
    source: 'com.acme.finance',
    targets: ['web-asg'],
    observedAt: NOW - 86400,
    expiresAt: NOW + 30 * 86400,
    signal: { type: 'budget', maxHourlyCost: 2.5, windowStart: NOW - 86400, windowEnd: NOW + 30 * 86400 },
  }),
  driver({
    id: 'override/api-routing/inc-4821',
    name: 'ops-override',
    kind: 'override',
    source: 'drivetrain.operator',
    targets: ['api-routing'],
    observedAt: NOW - 600,
    expiresAt: NOW + 3000,
    reason: 'INC-4821: keep eu-west-1 warm',
    signal: { action: 'freeze' },
  }),
].map((d) => ({ ...d, lineage: d.source === 'drivetrain.operator' ? { ...d.lineage, principal: ONCALL } : d.lineage }));

export interface Seeded {
  webApplied: DecisionRecord;
  checkoutFailed: DecisionRecord;
  routingShadow: DecisionRecord;
}

export async function seed(local: LocalTables, config: DrivetrainConfig): Promise<Seeded> {
  const drivers = new DynamoDriverStore(local.doc, local.names.drivers);
  const decisions = new DynamoDecisionStore(local.doc, {
    decisionsTable: local.names.decisions,
    stateTable: local.names.state,
    retentionDays: 90,
    targets: config.targets,
  });
  for (const d of SEEDED_DRIVERS) expect(await drivers.put(d)).toBe('stored');
  const target = (id: string) => config.targets.find((t) => t.id === id)!;

  // web-asg: the flash sale wins, applied two minutes ago.
  const webAt = NOW - 120;
  const webDecision = decide(target('web-asg'), await drivers.all('web-asg'), undefined, webAt);
  const webPlanned = await decisions.record(webDecision, undefined, 'planned');
  await decisions.markOutcome(webPlanned, 'applied', {
    at: webAt + 2,
    detail: 'SetDesiredCapacity web-prod 12, MinSize 12',
  });
  const webApplied = (await decisions.get(webPlanned.decisionId))!;

  // checkout-fn: the pre-warm fails permanently (account concurrency).
  const checkoutAt = NOW - 60;
  const checkoutDecision = decide(target('checkout-fn'), await drivers.all('checkout-fn'), undefined, checkoutAt);
  const checkoutPlanned = await decisions.record(checkoutDecision, undefined, 'planned');
  await decisions.markOutcome(checkoutPlanned, 'failed', {
    at: checkoutAt + 1,
    detail: 'PutProvisionedConcurrencyConfig checkout:live 60',
    error: {
      name: 'InvalidParameterValueException',
      message: "Requested provisioned concurrency exceeds the account's unreserved concurrency",
      retryable: false,
    },
  });
  const checkoutFailed = (await decisions.get(checkoutPlanned.decisionId))!;

  // api-routing: put in shadow by an operator, then decided in shadow.
  await decisions.setMode('api-routing', 'shadow', { by: 'alice', reason: 'trying the new drain alarms' }, NOW - 900);
  const routingState = await decisions.getState('api-routing');
  const routingDecision = decide(target('api-routing'), await drivers.all('api-routing'), routingState, NOW - 30);
  const routingShadow = await decisions.record(routingDecision, routingState?.version, 'shadow');
  return { webApplied, checkoutFailed, routingShadow };
}
