/**
 * Table-driven tests of `decide`: every rule, reason code and driver outcome, for capacity (EC2 Auto Scaling,
 * Lambda provisioned concurrency) and routing (Route 53 weighted) targets. Each row states the whole
 * verdict — allocation, exact reason codes, who won, why each other driver lost — and the key rows pin the
 * one-line summary an operator reads.
 */
import {
  ALARM_STEP_MIN_REPEAT_SECONDS,
  budgetCapacity,
  decide,
  formatDuration,
  shareWeights,
} from '../../../functions/domain/engine';
import {
  DRIVER_OUTCOMES,
  REASON_CODES,
  decisionSchema,
  type Decision,
  type Driver,
  type DriverOutcome,
  type ReasonCode,
  type Target,
  type TargetState,
} from '../../../functions/domain/model';
import { deepFreeze } from '../../../functions/domain/config';
import type { MetricHistories } from '../../../functions/domain/history';
import {
  ONCALL,
  T0,
  alarm,
  budget,
  capacityState,
  capacityTarget,
  demand,
  freeze,
  history,
  lambdaTarget,
  metric,
  override,
  routingTarget,
  weightsState,
} from './builders';

interface Expected {
  desired?: number;
  floor?: number;
  weights?: Record<string, number>;
  /** Whether the decision carries an action (false: actions is empty). */
  changed: boolean;
  /** Defaults to `changed` (enforce mode). */
  apply?: boolean;
  reasons: ReasonCode[];
  /** `null`: no winner. */
  winner?: string | null;
  summary?: string;
  /** By driver id. */
  outcomes?: Record<string, DriverOutcome>;
}

interface Case {
  name: string;
  target: Target;
  drivers: Driver[];
  state?: TargetState;
  now?: number;
  /** Metric histories by driver name (DecisionInputs.history). */
  history?: MetricHistories;
  expect: Expected;
}

const LONG_AGO = { lastChangeAt: T0 - 86_400, lastScaleUpAt: T0 - 86_400, lastScaleDownAt: T0 - 86_400 };
const BY = `override ops-override by ${ONCALL}`;
const web = capacityTarget();
const trackingOnly = capacityTarget({ rules: [{ kind: 'metric', driver: 'requests', targetPerUnit: 250 }] });

const capacityCases: Case[] = [
  // ---- fallback, initial allocation, no demand
  {
    name: 'first decision without any driver falls back (telemetry rules, none fresh)',
    target: web,
    drivers: [],
    expect: {
      desired: 6,
      floor: 2,
      changed: true,
      reasons: ['fallback-stale-drivers'],
      winner: 'fallback',
      summary: 'set 6 (floor 2): fallback (drivers stale)',
    },
  },
  {
    name: 'every telemetry driver stale or without data → fallback, even when that scales in',
    target: web,
    drivers: [
      metric('requests', 5000, { id: 'req', at: T0 - 601 }),
      alarm('cpu-high', 'INSUFFICIENT_DATA', { id: 'ins', at: T0 - 30 }),
    ],
    state: capacityState(10, LONG_AGO),
    expect: {
      desired: 6,
      changed: true,
      reasons: ['fallback-stale-drivers'],
      winner: 'fallback',
      summary: 'scale 10→6: fallback (drivers stale)',
      outcomes: { req: 'stale', ins: 'insufficient-data' },
    },
  },
  {
    name: 'a metric exactly at its stale limit is still fresh',
    target: web,
    drivers: [metric('requests', 2000, { id: 'req', at: T0 - 600 })],
    state: capacityState(10, LONG_AGO),
    expect: { desired: 8, changed: true, reasons: ['target-tracking'], winner: 'requests', outcomes: { req: 'won' } },
  },
  {
    name: 'alarms in OK with no other demand hold the allocation',
    target: web,
    drivers: [
      metric('requests', 9000, { id: 'req', at: T0 - 700 }),
      alarm('cpu-high', 'OK', { id: 'ok', at: T0 - 9000 }),
    ],
    state: capacityState(8, LONG_AGO),
    expect: {
      desired: 8,
      changed: false,
      reasons: ['no-demand-hold', 'no-change'],
      winner: null,
      summary: 'hold 8: no driver demands a change',
      outcomes: { req: 'stale', ok: 'alarm-ok' },
    },
  },
  {
    name: 'before the first decision an alarm step starts from the fallback allocation',
    target: web,
    drivers: [alarm('cpu-high', 'ALARM', { id: 'hi', at: T0 - 30 })],
    expect: {
      desired: 8,
      floor: 2,
      changed: true,
      reasons: ['alarm-step'],
      winner: 'cpu-high',
      summary: 'set 8 (floor 2): cpu-high',
    },
  },
  {
    name: 'a policy without telemetry and no current allocation starts at the fallback',
    target: lambdaTarget(),
    drivers: [],
    expect: {
      desired: 0,
      floor: 0,
      changed: true,
      reasons: ['initial-allocation'],
      winner: null,
      summary: 'set 0 (floor 0): no driver demands capacity yet: fallback allocation 0',
    },
  },
  {
    name: 'a policy without telemetry returns to its fallback once the business window is over',
    target: lambdaTarget(),
    drivers: [demand('flash-sale', { multiplier: 3 }, T0 - 7200, T0 - 3600, { id: 'sale' })],
    state: capacityState(60, { ...LONG_AGO, floor: 0 }),
    expect: {
      desired: 0,
      floor: 0,
      changed: true,
      reasons: ['no-demand-fallback'],
      winner: null,
      summary: 'scale 60→0: no active demand: fallback allocation 0',
      outcomes: { sale: 'out-of-window' },
    },
  },
  {
    name: '… but only after the scale-down window',
    target: lambdaTarget(),
    drivers: [demand('flash-sale', { multiplier: 3 }, T0 - 7200, T0 - 3600, { id: 'sale' })],
    state: capacityState(60, { floor: 0, lastChangeAt: T0 - 300 }),
    expect: {
      desired: 60,
      changed: false,
      reasons: ['no-demand-fallback', 'cooldown-scale-down', 'no-change'],
      summary: 'hold 60: no active demand: fallback allocation 0; scale-in to 0 held by cooldown until 08:10:00Z',
    },
  },

  // ---- target tracking
  {
    name: 'target tracking: ceil(value / targetPerUnit)',
    target: web,
    drivers: [metric('requests', 2600, { id: 'req' }), alarm('cpu-low', 'OK', { id: 'low', at: T0 - 5000 })],
    state: capacityState(8, LONG_AGO),
    expect: {
      desired: 11,
      changed: true,
      reasons: ['target-tracking'],
      winner: 'requests',
      summary: 'scale 8→11: requests',
      outcomes: { req: 'won', low: 'alarm-ok' },
    },
  },
  {
    name: 'target tracking does not round an exact multiple up',
    target: web,
    drivers: [metric('requests', 2500, { id: 'req' })],
    state: capacityState(10, LONG_AGO),
    expect: {
      desired: 10,
      changed: false,
      apply: false,
      reasons: ['target-tracking', 'no-change'],
      winner: 'requests',
      summary: 'hold 10: requests',
    },
  },
  {
    name: 'the newest snapshot of a metric supersedes older ones',
    target: web,
    drivers: [
      metric('requests', 5000, { id: 'old', at: T0 - 300 }),
      metric('requests', 1000, { id: 'new', at: T0 - 30 }),
    ],
    state: capacityState(8, LONG_AGO),
    expect: {
      desired: 4,
      changed: true,
      reasons: ['target-tracking'],
      summary: 'scale 8→4: requests',
      outcomes: { old: 'superseded', new: 'won' },
    },
  },

  // ---- target tracking scale-in tolerance (hysteresis)
  {
    name: 'scale-in tolerance: a load just under a boundary does not shrink the fleet',
    target: trackingOnly,
    drivers: [metric('requests', 1000, { id: 'req' })],
    state: capacityState(5, LONG_AGO),
    expect: {
      desired: 5,
      changed: false,
      reasons: ['target-tracking', 'no-change'],
      summary: 'hold 5: requests',
      outcomes: { req: 'won' },
    },
  },
  {
    name: 'scale-in tolerance: shrinks once the smaller fleet keeps 10% headroom',
    target: trackingOnly,
    drivers: [metric('requests', 900, { id: 'req' })],
    state: capacityState(5, LONG_AGO),
    expect: {
      desired: 4,
      changed: true,
      reasons: ['target-tracking'],
      summary: 'scale 5→4: requests',
      outcomes: { req: 'won' },
    },
  },
  {
    name: 'scale-in tolerance never delays a scale-out',
    target: trackingOnly,
    drivers: [metric('requests', 1300, { id: 'req' })],
    state: capacityState(5, LONG_AGO),
    expect: {
      desired: 6,
      changed: true,
      reasons: ['target-tracking'],
      summary: 'scale 5→6: requests',
      outcomes: { req: 'won' },
    },
  },

  // ---- alarm steps and stabilization
  {
    name: 'cooldown does not hold an urgent scale-out (first step of an ALARM episode)',
    target: web,
    drivers: [alarm('cpu-high', 'ALARM', { id: 'hi', at: T0 - 10 }), metric('requests', 2000, { id: 'req' })],
    state: capacityState(10, { lastChangeAt: T0 - 30, lastScaleUpAt: T0 - 30 }),
    expect: {
      desired: 12,
      changed: true,
      reasons: ['alarm-step'],
      winner: 'cpu-high',
      summary: 'scale 10→12: cpu-high outranks requests',
      outcomes: { hi: 'won', req: 'lost-to-higher-demand' },
    },
  },
  {
    name: 'cooldown holds a non-urgent scale-out',
    target: web,
    drivers: [metric('requests', 4000, { id: 'req' })],
    state: capacityState(10, { lastChangeAt: T0 - 30, lastScaleUpAt: T0 - 30 }),
    expect: {
      desired: 10,
      changed: false,
      reasons: ['target-tracking', 'cooldown-scale-up', 'no-change'],
      winner: 'requests',
      summary: 'hold 10: requests; scale-out to 16 (requests) held by cooldown until 08:01:30Z',
      outcomes: { req: 'held-by-cooldown' },
    },
  },
  {
    name: 'a held non-urgent scale-out does not hold back a smaller urgent one',
    target: web,
    drivers: [metric('requests', 5000, { id: 'req' }), alarm('cpu-high', 'ALARM', { id: 'hi', at: T0 - 10 })],
    state: capacityState(10, { lastChangeAt: T0 - 30, lastScaleUpAt: T0 - 30 }),
    expect: {
      desired: 12,
      changed: true,
      reasons: ['target-tracking', 'cooldown-scale-up', 'alarm-step'],
      winner: 'cpu-high',
      summary: 'scale 10→12: cpu-high; scale-out to 20 (requests) held by cooldown until 08:01:30Z',
      outcomes: { req: 'held-by-cooldown', hi: 'won' },
    },
  },
  {
    name: 'an alarm step already applied in this episode waits for the scale-up window before repeating',
    target: web,
    drivers: [alarm('cpu-high', 'ALARM', { id: 'hi', at: T0 - 300 })],
    state: capacityState(12, { lastChangeAt: T0 - 60, lastScaleUpAt: T0 - 60 }),
    expect: {
      desired: 12,
      changed: false,
      reasons: ['alarm-step', 'cooldown-scale-up', 'no-change'],
      winner: 'cpu-high',
      summary: 'hold 12: cpu-high; scale-out to 14 (cpu-high) held by cooldown until 08:01:00Z',
      outcomes: { hi: 'held-by-cooldown' },
    },
  },
  {
    // CloudWatch state times carry milliseconds; the pipeline's clock (and so lastScaleUpAt) whole seconds. A
    // step applied within the second the alarm fired has acted on this episode: it must not count as a fresh
    // urgent first step and be taken a second time.
    name: 'an alarm step applied within the second the alarm fired counts as taken',
    target: web,
    drivers: [alarm('cpu-high', 'ALARM', { id: 'hi', at: T0 - 30 + 0.4 })],
    state: capacityState(12, { lastChangeAt: T0 - 30, lastScaleUpAt: T0 - 30 }),
    expect: {
      desired: 12,
      changed: false,
      reasons: ['alarm-step', 'cooldown-scale-up', 'no-change'],
      summary: 'hold 12: cpu-high; scale-out to 14 (cpu-high) held by cooldown until 08:01:30Z',
      outcomes: { hi: 'held-by-cooldown' },
    },
  },
  {
    name: 'the step repeats while the alarm stays in ALARM once the window has passed',
    target: web,
    drivers: [alarm('cpu-high', 'ALARM', { id: 'hi', at: T0 - 300 })],
    state: capacityState(12, { lastChangeAt: T0 - 200, lastScaleUpAt: T0 - 200 }),
    expect: {
      desired: 14,
      changed: true,
      reasons: ['alarm-step'],
      summary: 'scale 12→14: cpu-high',
      outcomes: { hi: 'won' },
    },
  },
  {
    name: `a repeated step waits at least ${ALARM_STEP_MIN_REPEAT_SECONDS}s even without a scale-up window`,
    target: capacityTarget({ stabilization: { scaleUpSeconds: 0, scaleDownSeconds: 600 } }),
    drivers: [alarm('cpu-high', 'ALARM', { id: 'hi', at: T0 - 300 })],
    state: capacityState(12, { lastChangeAt: T0 - 30, lastScaleUpAt: T0 - 30 }),
    expect: {
      desired: 12,
      changed: false,
      reasons: ['alarm-step', 'cooldown-scale-up', 'no-change'],
      summary: 'hold 12: cpu-high; scale-out to 14 (cpu-high) held by cooldown until 08:00:30Z',
    },
  },
  {
    name: 'cooldown holds a scale-in',
    target: web,
    drivers: [alarm('cpu-low', 'ALARM', { id: 'lo', at: T0 - 100 })],
    state: capacityState(10, { lastChangeAt: T0 - 200 }),
    expect: {
      desired: 10,
      changed: false,
      reasons: ['alarm-step', 'cooldown-scale-down', 'no-change'],
      winner: 'cpu-low',
      summary: 'hold 10: cpu-low; scale-in to 9 (cpu-low) held by cooldown until 08:06:40Z',
      outcomes: { lo: 'held-by-cooldown' },
    },
  },
  {
    name: 'scale-in goes through after the scale-down window',
    target: web,
    drivers: [alarm('cpu-low', 'ALARM', { id: 'lo', at: T0 - 100 })],
    state: capacityState(10, { lastChangeAt: T0 - 700 }),
    expect: {
      desired: 9,
      changed: true,
      reasons: ['alarm-step'],
      summary: 'scale 10→9: cpu-low',
      outcomes: { lo: 'won' },
    },
  },
  {
    name: 'two alarms of one driver in ALARM ask for one step, not two',
    target: web,
    drivers: [
      alarm('cpu-high', 'ALARM', { id: 'a', alarmName: 'cpu-a', at: T0 - 20 }),
      alarm('cpu-high', 'ALARM', { id: 'b', alarmName: 'cpu-b', at: T0 - 10 }),
    ],
    state: capacityState(10, LONG_AGO),
    expect: {
      desired: 12,
      changed: true,
      reasons: ['alarm-step'],
      winner: 'cpu-high',
      summary: 'scale 10→12: cpu-high',
      outcomes: { a: 'won', b: 'superseded' },
    },
  },
  {
    name: 'equal demands: the earlier rule wins',
    target: web,
    drivers: [
      demand('flash-sale', { absolute: 12 }, T0 - 600, T0 + 3600, { id: 'sale' }),
      alarm('cpu-high', 'ALARM', { id: 'hi', at: T0 - 10 }),
    ],
    state: capacityState(10, LONG_AGO),
    expect: {
      desired: 12,
      floor: 12,
      changed: true,
      reasons: ['alarm-step'],
      winner: 'cpu-high',
      outcomes: { hi: 'won', sale: 'lost-to-earlier-rule' },
    },
  },
  {
    name: 'combine: priority — the first rule with a demand wins even when another asks for more',
    target: capacityTarget({ combine: 'priority' }),
    drivers: [metric('requests', 5000, { id: 'req' }), alarm('cpu-high', 'ALARM', { id: 'hi', at: T0 - 10 })],
    state: capacityState(10, LONG_AGO),
    expect: {
      desired: 12,
      changed: true,
      reasons: ['alarm-step'],
      winner: 'cpu-high',
      summary: 'scale 10→12: cpu-high outranks requests',
      outcomes: { hi: 'won', req: 'lost-to-earlier-rule' },
    },
  },

  // ---- guardrails
  {
    name: 'step limit up',
    target: web,
    drivers: [demand('flash-sale', { absolute: 30 }, T0 - 600, T0 + 3600, { id: 'sale', label: 'flash-sale' })],
    state: capacityState(10, LONG_AGO),
    expect: {
      desired: 22,
      floor: 22,
      changed: true,
      reasons: ['business-window', 'step-limited-up'],
      summary: 'scale 10→22 (floor 2→22): flash-sale outranks fallback; step-limited to +12',
    },
  },
  {
    name: 'step limit down',
    target: web,
    drivers: [metric('requests', 700, { id: 'req' })],
    state: capacityState(12, LONG_AGO),
    expect: {
      desired: 8,
      changed: true,
      reasons: ['target-tracking', 'step-limited-down'],
      summary: 'scale 12→8: requests; step-limited to -4',
    },
  },
  {
    name: 'clamped to min',
    target: web,
    drivers: [metric('requests', 0, { id: 'req' })],
    state: capacityState(3, LONG_AGO),
    expect: {
      desired: 2,
      changed: true,
      reasons: ['target-tracking', 'clamped-to-min'],
      summary: 'scale 3→2: requests; raised to min 2',
    },
  },
  {
    name: 'clamped to max (guardrails outrank an override pin)',
    target: web,
    drivers: [override('ops-override', { action: 'pin', allocation: 50 }, { id: 'pin' })],
    state: capacityState(36, LONG_AGO),
    expect: {
      desired: 40,
      changed: true,
      reasons: ['override-pin', 'step-limited-up', 'clamped-to-max'],
      winner: 'ops-override',
      summary: `scale 36→40: ${BY} outranks fallback; step-limited to +12; clamped to max 40`,
      outcomes: { pin: 'won' },
    },
  },
  {
    name: 'the issue example on provisioned concurrency: pre-warm outranks the alarm, budget caps',
    target: lambdaTarget({
      rules: [
        { kind: 'alarm', driver: 'cpu-high', step: 2, urgent: true },
        { kind: 'business', driver: 'flash-sale', baseline: 4, leadTimeSeconds: 900 },
      ],
      budget: { unitHourlyPrice: 0.5, maxHourlyCost: 6 },
    }),
    drivers: [
      demand('flash-sale', { multiplier: 4 }, T0 + 600, T0 + 4200, { id: 'sale' }),
      alarm('cpu-high', 'ALARM', { id: 'hi', at: T0 - 30 }),
    ],
    state: capacityState(4, { ...LONG_AGO, floor: 0 }),
    expect: {
      desired: 12,
      floor: 0,
      changed: true,
      reasons: ['business-lead-time', 'budget-capped'],
      winner: 'flash-sale',
      summary: 'scale 4→12: flash-sale (lead 15m) outranks cpu-high; capped by budget at 12',
      outcomes: { sale: 'won', hi: 'lost-to-higher-demand' },
    },
  },
  {
    name: 'the same on an ASG also raises the floor (MinSize) for the pre-warm, within the cap',
    target: capacityTarget({ budget: { unitHourlyPrice: 0.5, maxHourlyCost: 6 } }),
    drivers: [
      demand('flash-sale', { multiplier: 4 }, T0 + 600, T0 + 4200, { id: 'sale' }),
      alarm('cpu-high', 'ALARM', { id: 'hi', at: T0 - 30 }),
    ],
    state: capacityState(4, LONG_AGO),
    expect: {
      desired: 12,
      floor: 12,
      changed: true,
      reasons: ['business-lead-time', 'budget-capped'],
      summary: 'scale 4→12 (floor 2→12): flash-sale (lead 15m) outranks cpu-high; capped by budget at 12',
    },
  },
  {
    name: 'a budget driver tightens the policy cap: budget wins over demand',
    target: web,
    drivers: [budget('cost-budget', 5, T0 - 3600, T0 + 3600, { id: 'bud' }), metric('requests', 5000, { id: 'req' })],
    state: capacityState(10, LONG_AGO),
    expect: {
      desired: 10,
      changed: false,
      reasons: ['target-tracking', 'budget-capped', 'no-change'],
      winner: 'requests',
      summary: 'hold 10: requests; capped by budget at 10 (cost-budget 5/h)',
      outcomes: { bud: 'used', req: 'won' },
    },
  },
  {
    name: 'a budget cut lands at once: inside the scale-down window and past the step limit',
    target: web,
    drivers: [
      budget('cost-budget', 2, T0 - 3600, T0 + 3600, { id: 'bud' }),
      alarm('cpu-high', 'OK', { id: 'ok', at: T0 - 9000 }),
    ],
    state: capacityState(10, { lastChangeAt: T0 - 60 }),
    expect: {
      desired: 4,
      changed: true,
      reasons: ['no-demand-hold', 'budget-capped'],
      summary: 'scale 10→4: no driver demands a change; capped by budget at 4 (cost-budget 2/h)',
    },
  },
  {
    name: 'a budget below the cost of min keeps min',
    target: web,
    drivers: [budget('cost-budget', 0.5, T0 - 3600, T0 + 3600, { id: 'bud' }), metric('requests', 1000, { id: 'req' })],
    state: capacityState(4, LONG_AGO),
    expect: {
      desired: 2,
      changed: true,
      reasons: ['target-tracking', 'budget-capped', 'budget-below-min'],
      summary: 'scale 4→2: requests; budget allows 1 (cost-budget 0.5/h) but min is 2: kept 2',
    },
  },
  {
    name: 'a budget driver cannot lift the policy cap; an out-of-window one is ignored',
    target: capacityTarget({ budget: { unitHourlyPrice: 0.5, maxHourlyCost: 6 } }),
    drivers: [
      budget('cost-budget', 100, T0 - 3600, T0 + 3600, { id: 'rich' }),
      budget('cost-budget', 1, T0 + 3600, T0 + 7200, { id: 'later' }),
      metric('requests', 5000, { id: 'req' }),
    ],
    state: capacityState(10, LONG_AGO),
    expect: {
      desired: 12,
      changed: true,
      reasons: ['target-tracking', 'budget-capped'],
      summary: 'scale 10→12: requests; capped by budget at 12',
      outcomes: { rich: 'used', later: 'out-of-window' },
    },
  },
  {
    name: 'a budget driver on a policy without a unit price has no rule to apply',
    target: capacityTarget({ budget: undefined }),
    drivers: [budget('cost-budget', 1, T0 - 3600, T0 + 3600, { id: 'bud' }), metric('requests', 2500, { id: 'req' })],
    state: capacityState(10, LONG_AGO),
    expect: { desired: 10, changed: false, reasons: ['target-tracking', 'no-change'], outcomes: { bud: 'no-rule' } },
  },

  // ---- business windows, lead time, freeze
  {
    name: 'business window open: capacity for the expected demand (baseline × multiplier), floor raised',
    target: web,
    drivers: [demand('flash-sale', { multiplier: 3 }, T0 - 600, T0 + 3000, { id: 'sale', label: 'flash-sale' })],
    state: capacityState(6, LONG_AGO),
    expect: {
      desired: 12,
      floor: 12,
      changed: true,
      reasons: ['business-window'],
      winner: 'flash-sale',
      summary: 'scale 6→12 (floor 2→12): flash-sale outranks fallback',
      outcomes: { sale: 'won' },
    },
  },
  {
    name: 'lead time starts a pre-warm early (exactly windowStart - leadTime)',
    target: web,
    drivers: [demand('flash-sale', { multiplier: 3 }, T0 + 900, T0 + 4500, { id: 'sale' })],
    state: capacityState(6, LONG_AGO),
    expect: {
      desired: 12,
      floor: 12,
      changed: true,
      reasons: ['business-lead-time'],
      summary: 'scale 6→12 (floor 2→12): flash-sale (lead 15m) outranks fallback',
      outcomes: { sale: 'won' },
    },
  },
  {
    name: 'one second before the lead time the window is not open yet',
    target: web,
    drivers: [demand('flash-sale', { multiplier: 3 }, T0 + 901, T0 + 4500, { id: 'sale' })],
    state: capacityState(6, LONG_AGO),
    expect: {
      desired: 6,
      changed: false,
      reasons: ['fallback-stale-drivers', 'no-change'],
      outcomes: { sale: 'out-of-window' },
    },
  },
  {
    name: "the signal's own lead time wins when it is longer than the rule's",
    target: web,
    drivers: [demand('flash-sale', { absolute: 14 }, T0 + 1800, T0 + 5400, { id: 'sale', leadTimeSeconds: 3600 })],
    state: capacityState(6, LONG_AGO),
    expect: {
      desired: 14,
      floor: 14,
      changed: true,
      reasons: ['business-lead-time'],
      summary: 'scale 6→14 (floor 2→14): flash-sale (lead 1h) outranks fallback',
    },
  },
  {
    name: 'after the window telemetry takes over and the floor comes back down',
    target: web,
    drivers: [
      demand('flash-sale', { multiplier: 3 }, T0 - 7200, T0, { id: 'sale' }),
      metric('requests', 2000, { id: 'req' }),
    ],
    state: capacityState(12, { ...LONG_AGO, floor: 12 }),
    expect: {
      desired: 8,
      floor: 2,
      changed: true,
      reasons: ['target-tracking'],
      summary: 'scale 12→8 (floor 12→2): requests',
      outcomes: { sale: 'out-of-window' },
    },
  },
  {
    name: 'a change freeze holds a scale-in',
    target: web,
    drivers: [freeze('change-freeze', T0 - 3600, T0 + 3600, { id: 'frz' }), metric('requests', 1000, { id: 'req' })],
    state: capacityState(10, LONG_AGO),
    expect: {
      desired: 10,
      changed: false,
      reasons: ['target-tracking', 'business-freeze', 'no-change'],
      summary: 'hold 10: requests; scale-in to 4 (requests) held by change freeze change-freeze',
      outcomes: { frz: 'used', req: 'held-by-cooldown' },
    },
  },
  {
    name: 'a change freeze holds a non-urgent scale-out but lets an urgent alarm step through',
    target: web,
    drivers: [
      freeze('change-freeze', T0 - 3600, T0 + 3600, { id: 'frz' }),
      metric('requests', 4000, { id: 'req' }),
      alarm('cpu-high', 'ALARM', { id: 'hi', at: T0 - 10 }),
    ],
    state: capacityState(10, LONG_AGO),
    expect: {
      desired: 12,
      changed: true,
      reasons: ['target-tracking', 'business-freeze', 'alarm-step'],
      winner: 'cpu-high',
      summary: 'scale 10→12: cpu-high; scale-out to 16 (requests) held by change freeze change-freeze',
      outcomes: { req: 'held-by-cooldown', hi: 'won', frz: 'used' },
    },
  },
  {
    name: 'a planned pre-warm is not held by a change freeze',
    target: web,
    drivers: [
      freeze('change-freeze', T0 - 3600, T0 + 3600, { id: 'frz' }),
      demand('flash-sale', { multiplier: 3 }, T0 + 600, T0 + 4200, { id: 'sale' }),
    ],
    state: capacityState(6, LONG_AGO),
    expect: { desired: 12, floor: 12, changed: true, reasons: ['business-lead-time'], winner: 'flash-sale' },
  },
  {
    name: 'a freeze outside its window is ignored',
    target: web,
    drivers: [freeze('change-freeze', T0 + 3600, T0 + 7200, { id: 'frz' }), metric('requests', 1000, { id: 'req' })],
    state: capacityState(10, LONG_AGO),
    expect: {
      desired: 6,
      changed: true,
      reasons: ['target-tracking', 'step-limited-down'],
      outcomes: { frz: 'out-of-window' },
    },
  },

  // ---- overrides and schedules
  {
    name: 'an override pin wins over demand until it expires (inside the cooldown too)',
    target: web,
    drivers: [
      override('ops-override', { action: 'pin', allocation: 20 }, { id: 'pin', at: T0 - 60, ttl: 660 }),
      alarm('cpu-high', 'ALARM', { id: 'hi', at: T0 - 10 }),
      metric('requests', 2000, { id: 'req', at: T0 - 60 }),
    ],
    state: capacityState(10, { lastChangeAt: T0 - 30, lastScaleUpAt: T0 - 30 }),
    expect: {
      desired: 20,
      changed: true,
      reasons: ['override-pin'],
      winner: 'ops-override',
      summary: `scale 10→20: ${BY} outranks cpu-high, requests`,
      outcomes: { pin: 'won', hi: 'lost-precedence', req: 'lost-precedence' },
    },
  },
  {
    name: '… and stops counting the second it expires',
    target: web,
    drivers: [
      override('ops-override', { action: 'pin', allocation: 20 }, { id: 'pin', at: T0 - 60, ttl: 660 }),
      alarm('cpu-high', 'ALARM', { id: 'hi', at: T0 - 10 }),
      metric('requests', 2000, { id: 'req', at: T0 - 60 }),
    ],
    state: capacityState(10, { lastChangeAt: T0 - 30, lastScaleUpAt: T0 - 30 }),
    now: T0 + 600,
    expect: {
      desired: 12,
      changed: true,
      reasons: ['alarm-step'],
      winner: 'cpu-high',
      outcomes: { pin: 'expired', req: 'stale', hi: 'won' },
    },
  },
  {
    name: 'an override freeze holds against any demand',
    target: web,
    drivers: [override('ops-override', { action: 'freeze' }, { id: 'frz' }), metric('requests', 4000, { id: 'req' })],
    state: capacityState(10, LONG_AGO),
    expect: {
      desired: 10,
      changed: false,
      reasons: ['override-freeze', 'no-change'],
      winner: 'ops-override',
      summary: `hold 10: ${BY} outranks requests`,
      outcomes: { frz: 'won', req: 'lost-precedence' },
    },
  },
  {
    name: 'the newest override supersedes older ones; an override scale-in skips the cooldown',
    target: web,
    drivers: [
      override('ops-override', { action: 'pin', allocation: 20 }, { id: 'old', at: T0 - 600, ttl: 3600 }),
      override('ops-override', { action: 'pin', allocation: 8 }, { id: 'new', at: T0 - 60 }),
    ],
    state: capacityState(10, { lastChangeAt: T0 - 30 }),
    expect: { desired: 8, changed: true, reasons: ['override-pin'], outcomes: { old: 'superseded', new: 'won' } },
  },
  {
    name: 'an override scale-in is still step-limited',
    target: web,
    drivers: [override('ops-override', { action: 'pin', allocation: 2 }, { id: 'pin' })],
    state: capacityState(10, { lastChangeAt: T0 - 30 }),
    expect: { desired: 6, changed: true, reasons: ['override-pin', 'step-limited-down'] },
  },
  {
    name: 'pin-weights on a capacity target is treated as a freeze',
    target: web,
    drivers: [override('ops-override', { action: 'pin-weights', weights: { a: 1 } }, { id: 'pw' })],
    state: capacityState(10, LONG_AGO),
    expect: {
      desired: 10,
      changed: false,
      reasons: ['override-freeze', 'no-change'],
      summary: `hold 10: ${BY} outranks fallback; pin-weights does not apply to a capacity target; treated as freeze`,
    },
  },
  {
    name: 'a scheduled pin outranks demand (ISO timestamps in the policy)',
    target: capacityTarget({
      schedule: [
        {
          name: 'black-friday',
          start: '2026-11-27T07:00:00Z',
          end: '2026-11-27T10:00:00+01:00',
          action: 'pin',
          allocation: 30,
          reason: 'BF floor',
        },
      ],
    }),
    drivers: [metric('requests', 1000, { id: 'req' })],
    state: capacityState(20, LONG_AGO),
    expect: {
      desired: 30,
      changed: true,
      reasons: ['scheduled-pin'],
      winner: 'schedule:black-friday',
      summary: 'scale 20→30: schedule black-friday outranks requests',
      outcomes: { req: 'lost-precedence' },
    },
  },
  {
    name: 'a scheduled freeze holds the allocation',
    target: capacityTarget({
      schedule: [{ name: 'release', start: T0 - 60, end: T0 + 60, action: 'freeze', reason: 'release train' }],
    }),
    drivers: [metric('requests', 1000, { id: 'req' })],
    state: capacityState(20, LONG_AGO),
    expect: { desired: 20, changed: false, reasons: ['scheduled-freeze', 'no-change'], winner: 'schedule:release' },
  },
  {
    name: 'a schedule window is half-open: inactive at its end',
    target: capacityTarget({
      schedule: [{ name: 'release', start: T0 - 60, end: T0, action: 'freeze', reason: 'release train' }],
    }),
    drivers: [metric('requests', 2500, { id: 'req' })],
    state: capacityState(20, LONG_AGO),
    expect: { desired: 16, changed: true, reasons: ['target-tracking', 'step-limited-down'], winner: 'requests' },
  },
  {
    name: 'a live override outranks an active schedule',
    target: capacityTarget({
      schedule: [{ name: 'black-friday', start: T0 - 60, end: T0 + 60, action: 'pin', allocation: 30, reason: 'BF' }],
    }),
    drivers: [override('ops-override', { action: 'pin', allocation: 12 }, { id: 'pin' })],
    state: capacityState(20, LONG_AGO),
    expect: { desired: 16, changed: true, reasons: ['override-pin', 'step-limited-down'], winner: 'ops-override' },
  },

  // ---- screening
  {
    name: 'insufficient data, expired, foreign, unknown and mismatched drivers never count',
    target: web,
    drivers: [
      alarm('cpu-high', 'INSUFFICIENT_DATA', { id: 'ins', at: T0 - 30 }),
      alarm('cpu-high', 'ALARM', { id: 'exp', at: T0 - 8 * 86_400 }),
      metric('requests', 9000, { id: 'other', targets: ['checkout-fn'] }),
      metric('queue-depth', 9000, { id: 'unk' }),
      alarm('requests', 'ALARM', { id: 'mis' }),
    ],
    state: capacityState(8, LONG_AGO),
    expect: {
      desired: 6,
      changed: true,
      reasons: ['fallback-stale-drivers'],
      outcomes: { ins: 'insufficient-data', exp: 'expired', other: 'not-for-target', unk: 'no-rule', mis: 'no-rule' },
    },
  },
  {
    name: 'an alarm rule with staleAfterSeconds ignores an old state',
    target: capacityTarget({
      rules: [
        { kind: 'alarm', driver: 'cpu-high', step: 2, urgent: true, staleAfterSeconds: 300 },
        { kind: 'metric', driver: 'requests', targetPerUnit: 250 },
      ],
    }),
    drivers: [alarm('cpu-high', 'ALARM', { id: 'hi', at: T0 - 301 }), metric('requests', 2000, { id: 'req' })],
    state: capacityState(8, LONG_AGO),
    expect: {
      desired: 8,
      changed: false,
      reasons: ['target-tracking', 'no-change'],
      outcomes: { hi: 'stale', req: 'won' },
    },
  },

  // ---- modes
  {
    name: 'shadow mode produces the decision but marks it not to apply',
    target: capacityTarget({}, { mode: 'shadow' }),
    drivers: [metric('requests', 4000, { id: 'req' })],
    state: capacityState(10, LONG_AGO),
    expect: {
      desired: 16,
      changed: true,
      apply: false,
      reasons: ['target-tracking', 'shadow-mode'],
      summary: 'scale 10→16: requests [shadow: not applied]',
    },
  },
  {
    name: 'paused by an operator: decided, recorded, not applied',
    target: web,
    drivers: [metric('requests', 4000, { id: 'req' })],
    state: capacityState(10, {
      ...LONG_AGO,
      modeOverride: { mode: 'paused', by: ONCALL, reason: 'INC-4711', at: T0 - 600 },
    }),
    expect: {
      desired: 16,
      changed: true,
      apply: false,
      reasons: ['target-tracking', 'paused'],
      summary: 'scale 10→16: requests [paused: not applied]',
    },
  },
  {
    name: "an operator's enforce wins over the configured shadow mode",
    target: capacityTarget({}, { mode: 'shadow' }),
    drivers: [metric('requests', 4000, { id: 'req' })],
    state: capacityState(10, {
      ...LONG_AGO,
      modeOverride: { mode: 'enforce', by: ONCALL, reason: 'promoted after review', at: T0 - 600 },
    }),
    expect: { desired: 16, changed: true, apply: true, reasons: ['target-tracking'] },
  },
  {
    name: 'Lambda provisioned concurrency pre-warm: floor stays at min',
    target: lambdaTarget(),
    drivers: [demand('flash-sale', { multiplier: 5 }, T0 + 600, T0 + 4200, { id: 'sale' })],
    state: capacityState(0, { ...LONG_AGO, floor: 0 }),
    expect: {
      desired: 100,
      floor: 0,
      changed: true,
      reasons: ['business-lead-time'],
      summary: 'scale 0→100: flash-sale (lead 10m)',
    },
  },
];

const routing = routingTarget();
const ROUTED = { 'us-east-1': 70, 'eu-west-1': 30 };
const USE1_DRAINED = { 'us-east-1': 0, 'eu-west-1': 100 };

const routingCases: Case[] = [
  {
    name: 'first decision routes the configured weights',
    target: routing,
    drivers: [
      alarm('use1-health', 'OK', { id: 'u', at: T0 - 3600 }),
      alarm('euw1-health', 'OK', { id: 'e', at: T0 - 3600 }),
    ],
    expect: {
      weights: ROUTED,
      changed: true,
      reasons: [],
      winner: null,
      summary: 'route us-east-1 70, eu-west-1 30: configured weights',
      outcomes: { u: 'alarm-ok', e: 'alarm-ok' },
    },
  },
  {
    name: 'an alarm drains its endpoint, below its minimum share',
    target: routing,
    drivers: [
      alarm('use1-health', 'ALARM', { id: 'u', at: T0 - 60 }),
      alarm('euw1-health', 'OK', { id: 'e', at: T0 - 3600 }),
    ],
    state: weightsState(ROUTED, LONG_AGO),
    expect: {
      weights: USE1_DRAINED,
      changed: true,
      reasons: ['endpoint-drained'],
      winner: 'use1-health',
      summary: 'route us-east-1 70→0, eu-west-1 30→100: use1-health in ALARM drained us-east-1',
      outcomes: { u: 'won', e: 'alarm-ok' },
    },
  },
  {
    name: 'a drained endpoint stays drained until its alarm has been quiet for restoreAfterSeconds',
    target: routing,
    drivers: [
      alarm('use1-health', 'OK', { id: 'u', at: T0 - 100 }),
      alarm('euw1-health', 'OK', { id: 'e', at: T0 - 3600 }),
    ],
    state: weightsState(USE1_DRAINED, { lastChangeAt: T0 - 2000 }),
    expect: {
      weights: USE1_DRAINED,
      changed: false,
      reasons: ['restore-delayed', 'no-change'],
      summary: 'hold us-east-1 0, eu-west-1 100: us-east-1 recovering; us-east-1 stays drained until 08:03:20Z',
    },
  },
  {
    name: '… and comes back once it has',
    target: routing,
    drivers: [
      alarm('use1-health', 'OK', { id: 'u', at: T0 - 300 }),
      alarm('euw1-health', 'OK', { id: 'e', at: T0 - 3600 }),
    ],
    state: weightsState(USE1_DRAINED, { lastChangeAt: T0 - 2000 }),
    expect: {
      weights: ROUTED,
      changed: true,
      reasons: ['endpoint-restored'],
      summary: 'route us-east-1 0→70, eu-west-1 100→30: restored us-east-1',
    },
  },
  {
    name: 'INSUFFICIENT_DATA on a drained endpoint counts as quiet (no traffic, no data)',
    target: routing,
    drivers: [
      alarm('use1-health', 'INSUFFICIENT_DATA', { id: 'u', at: T0 - 400 }),
      alarm('euw1-health', 'OK', { id: 'e', at: T0 - 3600 }),
    ],
    state: weightsState(USE1_DRAINED, { lastChangeAt: T0 - 2000 }),
    expect: { weights: ROUTED, changed: true, reasons: ['endpoint-restored'], outcomes: { u: 'insufficient-data' } },
  },
  {
    name: 'every endpoint in ALARM: fail open to the configured weights',
    target: routing,
    drivers: [
      alarm('use1-health', 'ALARM', { id: 'u', at: T0 - 60 }),
      alarm('euw1-health', 'ALARM', { id: 'e', at: T0 - 60 }),
    ],
    state: weightsState(ROUTED, LONG_AGO),
    expect: {
      weights: ROUTED,
      changed: false,
      reasons: ['all-endpoints-drained-fail-open', 'no-change'],
      winner: null,
      summary:
        'hold us-east-1 70, eu-west-1 30: configured weights; every endpoint is in ALARM: failing open to configured weights',
      outcomes: { u: 'lost-precedence', e: 'lost-precedence' },
    },
  },
  {
    name: 'a recovering endpoint comes back early rather than leave traffic nowhere',
    target: routing,
    drivers: [
      alarm('use1-health', 'OK', { id: 'u', at: T0 - 60 }),
      alarm('euw1-health', 'ALARM', { id: 'e', at: T0 - 30 }),
    ],
    state: weightsState(USE1_DRAINED, { lastChangeAt: T0 - 2000 }),
    expect: {
      weights: { 'us-east-1': 100, 'eu-west-1': 0 },
      changed: true,
      reasons: ['endpoint-drained', 'endpoint-restored'],
      winner: 'euw1-health',
      summary:
        'route us-east-1 0→100, eu-west-1 100→0: euw1-health in ALARM drained eu-west-1; us-east-1 restored early: every other endpoint is draining',
    },
  },
  {
    name: 'min shares are enforced on the configured weights',
    target: routingTarget({}, [
      { setIdentifier: 'us-east-1', weight: 95, minShare: 0.2, drainOn: ['use1-health'] },
      { setIdentifier: 'eu-west-1', weight: 5, minShare: 0.2, drainOn: ['euw1-health'] },
    ]),
    drivers: [],
    state: weightsState({ 'us-east-1': 95, 'eu-west-1': 5 }, LONG_AGO),
    expect: {
      weights: { 'us-east-1': 80, 'eu-west-1': 20 },
      changed: true,
      reasons: ['fallback-stale-drivers', 'min-share-enforced'],
      summary: 'route us-east-1 95→80, eu-west-1 5→20: configured weights; no fresh drain alarm',
    },
  },
  {
    name: 'a pin-weights override outranks a drain alarm but not the minimum share',
    target: routing,
    drivers: [
      override('ops-override', { action: 'pin-weights', weights: { 'us-east-1': 100, 'eu-west-1': 0 } }, { id: 'pw' }),
      alarm('use1-health', 'ALARM', { id: 'u', at: T0 - 60 }),
    ],
    state: weightsState(ROUTED, LONG_AGO),
    expect: {
      weights: { 'us-east-1': 80, 'eu-west-1': 20 },
      changed: true,
      reasons: ['override-pin', 'min-share-enforced'],
      winner: 'ops-override',
      summary: `route us-east-1 70→80, eu-west-1 30→20: ${BY} outranks use1-health`,
      outcomes: { pw: 'won', u: 'lost-precedence' },
    },
  },
  {
    name: 'a freeze override keeps the current weights despite an alarm',
    target: routing,
    drivers: [
      override('ops-override', { action: 'freeze' }, { id: 'frz' }),
      alarm('euw1-health', 'ALARM', { id: 'e', at: T0 - 60 }),
    ],
    state: weightsState(ROUTED, LONG_AGO),
    expect: {
      weights: ROUTED,
      changed: false,
      reasons: ['override-freeze', 'no-change'],
      winner: 'ops-override',
      outcomes: { frz: 'won', e: 'lost-precedence' },
    },
  },
  {
    name: 'a freeze override lifts frozen weights that sit below a minimum share (guardrails outrank overrides)',
    target: routing,
    drivers: [override('ops-override', { action: 'freeze' }, { id: 'frz' })],
    state: weightsState({ 'us-east-1': 0, 'eu-west-1': 100 }, LONG_AGO),
    expect: {
      weights: { 'us-east-1': 20, 'eu-west-1': 80 },
      changed: true,
      reasons: ['fallback-stale-drivers', 'override-freeze', 'min-share-enforced'],
      winner: 'ops-override',
      summary: `route us-east-1 0→20, eu-west-1 100→80: ${BY}; no fresh drain alarm; frozen weights lifted to the minimum shares`,
      outcomes: { frz: 'won' },
    },
  },
  {
    name: 'a scheduled freeze keeps the current weights',
    target: routingTarget({
      schedule: [{ name: 'migration', start: T0 - 60, end: T0 + 3600, action: 'freeze', reason: 'DNS migration' }],
    }),
    drivers: [alarm('use1-health', 'ALARM', { id: 'u', at: T0 - 60 })],
    state: weightsState({ 'us-east-1': 50, 'eu-west-1': 50 }, LONG_AGO),
    expect: {
      weights: { 'us-east-1': 50, 'eu-west-1': 50 },
      changed: false,
      reasons: ['scheduled-freeze', 'no-change'],
      winner: 'schedule:migration',
      outcomes: { u: 'lost-precedence' },
    },
  },
  {
    name: 'weights are integers adding up to 100 (largest remainder, ties by setIdentifier)',
    target: routingTarget({}, [
      { setIdentifier: 'c', weight: 1 },
      { setIdentifier: 'a', weight: 1 },
      { setIdentifier: 'b', weight: 1 },
    ]),
    drivers: [],
    expect: { weights: { c: 33, a: 34, b: 33 }, changed: true, reasons: [] },
  },
  {
    name: 'routing in shadow mode',
    target: routingTarget({}, undefined),
    drivers: [alarm('use1-health', 'ALARM', { id: 'u', at: T0 - 60 })],
    state: weightsState(ROUTED, {
      ...LONG_AGO,
      modeOverride: { mode: 'shadow', by: ONCALL, reason: 'trial', at: T0 - 600 },
    }),
    expect: { weights: USE1_DRAINED, changed: true, apply: false, reasons: ['endpoint-drained', 'shadow-mode'] },
  },
];

const produced = { reasons: new Set<ReasonCode>(), outcomes: new Set<DriverOutcome>() };

// ---- stability and forecast: the same engine given the metric's recent history ---------------------------
/** ±100 around 1000 every other minute: σ ≈ 210 from the differences, a dead band of ±419. */
const noise = Array.from({ length: 30 }, (_, i) => (i % 2 ? 1100 : 900));
const noisy = (tail: number[] = []) => history([...noise.slice(tail.length), ...tail]);
const calm = (tail: number[]) => history([...Array.from({ length: 30 - tail.length }, () => 1000), ...tail]);
/** Two days of ~1000 rps with a 3000 rps burst yesterday from 08:05 to 08:15 (T0 is 08:00). */
const seasonal = history(
  Array.from({ length: 2 * 1440 }, (_, i) => (i >= 1440 + 5 && i < 1440 + 15 ? 3000 : 1000 + (i % 3) * 10)),
  T0,
);
const forecastTarget = (mode: 'shadow' | 'enforce') =>
  capacityTarget({
    rules: [{ kind: 'metric', driver: 'requests', targetPerUnit: 250, forecast: { mode, leadTimeSeconds: 600 } }],
  });
const windowed = capacityTarget({ bounds: { min: 2, max: 40, maxStepUp: 12, stepWindowSeconds: 300 } });

const stabilityCases: Case[] = [
  {
    name: 'a breach inside the metric noise band holds (not sustained)',
    target: trackingOnly,
    drivers: [metric('requests', 1100, { id: 'req' })],
    state: capacityState(4, LONG_AGO),
    history: { requests: noisy() },
    expect: {
      desired: 4,
      changed: false,
      reasons: ['target-tracking', 'within-noise-band', 'no-change'],
      winner: 'requests',
      summary: 'hold 4: requests',
    },
  },
  {
    name: 'a single datapoint beyond the noise band (an outlier) waits for a second one',
    target: trackingOnly,
    drivers: [metric('requests', 1500, { id: 'req' })],
    state: capacityState(4, LONG_AGO),
    history: { requests: noisy([1500]) },
    expect: {
      desired: 4,
      changed: false,
      reasons: ['target-tracking', 'within-noise-band', 'no-change'],
      winner: 'requests',
    },
  },
  {
    name: 'two datapoints beyond the noise band scale out, proportionally to the lower one',
    target: trackingOnly,
    drivers: [metric('requests', 1800, { id: 'req' })],
    state: capacityState(4, LONG_AGO),
    history: { requests: noisy([1500, 1800]) },
    expect: { desired: 6, changed: true, reasons: ['target-tracking'], winner: 'requests' },
  },
  {
    name: 'a small breach sustained for 3 datapoints scales out to the lowest of them',
    target: trackingOnly,
    drivers: [metric('requests', 1300, { id: 'req' })],
    state: capacityState(4, LONG_AGO),
    history: { requests: noisy([1260, 1280, 1300]) },
    expect: { desired: 6, changed: true, reasons: ['target-tracking'], winner: 'requests' },
  },
  {
    name: 'scale-in goes to the highest recommendation over the scale-down window, right after a change',
    target: trackingOnly,
    drivers: [metric('requests', 1000, { id: 'req' })],
    state: capacityState(8, { lastChangeAt: T0 - 60, lastScaleUpAt: T0 - 60 }),
    history: { requests: calm([1400, 1000, 1000, 1000]) },
    expect: {
      desired: 7,
      changed: true,
      reasons: ['target-tracking', 'stabilized-scale-down'],
      winner: 'requests',
      summary: 'scale 8→7: requests',
    },
  },
  {
    name: 'a stabilized scale-in that removes less than the 10 % tolerance holds (20→19 waits)',
    target: trackingOnly,
    drivers: [metric('requests', 4000, { id: 'req' })],
    state: capacityState(20, LONG_AGO),
    history: { requests: history([...Array.from({ length: 26 }, () => 4000), 4200, 4000, 4000, 4000]) },
    expect: {
      desired: 20,
      changed: false,
      reasons: ['target-tracking', 'within-scale-in-tolerance', 'no-change'],
      winner: 'requests',
      summary: 'hold 20: requests',
    },
  },
  {
    name: 'a stabilized scale-in of at least the tolerance goes in one step (20→18)',
    target: trackingOnly,
    drivers: [metric('requests', 3800, { id: 'req' })],
    state: capacityState(20, LONG_AGO),
    history: { requests: history([...Array.from({ length: 26 }, () => 3800), 3900, 3800, 3800, 3800]) },
    expect: {
      desired: 18,
      changed: true,
      reasons: ['target-tracking', 'stabilized-scale-down'],
      winner: 'requests',
      summary: 'scale 20→18: requests',
    },
  },
  {
    name: 'without history, the same scale-in waits for the after-change cooldown as before',
    target: trackingOnly,
    drivers: [metric('requests', 1000, { id: 'req' })],
    state: capacityState(8, { lastChangeAt: T0 - 60, lastScaleUpAt: T0 - 60 }),
    expect: {
      desired: 8,
      changed: false,
      reasons: ['target-tracking', 'cooldown-scale-down', 'no-change'],
      outcomes: { req: 'held-by-cooldown' },
    },
  },
  {
    name: 'an enforced forecast pre-warms for the burst yesterday had at this time',
    target: forecastTarget('enforce'),
    drivers: [metric('requests', 1000, { id: 'req' })],
    state: capacityState(4, LONG_AGO),
    history: { requests: seasonal },
    expect: {
      desired: 12,
      changed: true,
      reasons: ['forecast'],
      winner: 'requests',
      summary: 'scale 4→12: requests forecast (lead 10m)',
    },
  },
  {
    name: 'a shadow forecast is explained, not acted on',
    target: forecastTarget('shadow'),
    drivers: [metric('requests', 1000, { id: 'req' })],
    state: capacityState(4, LONG_AGO),
    history: { requests: seasonal },
    expect: { desired: 4, changed: false, reasons: ['target-tracking', 'no-change'], winner: 'requests' },
  },
  {
    name: 'step limits hold over a window: the next scale-out waits (4→16 then 24 only after 5 minutes)',
    target: windowed,
    drivers: [demand('flash-sale', { multiplier: 6 }, T0 + 600, T0 + 4200, { id: 'sale' })],
    state: capacityState(16, { lastChangeAt: T0 - 5, lastScaleUpAt: T0 - 5 }),
    // the pre-warm floor (MinSize) still follows, up to the capacity held
    expect: {
      desired: 16,
      floor: 16,
      changed: true,
      reasons: ['business-lead-time', 'step-limited-up'],
      winner: 'flash-sale',
      summary:
        'hold 16 (floor 2→16): flash-sale (lead 15m) outranks fallback; scale-out to 24 waits for the step window until 08:04:55Z (+12 per 5m)',
    },
  },
  {
    name: 'after the step window has passed the next step goes',
    target: windowed,
    drivers: [demand('flash-sale', { multiplier: 6 }, T0 + 600, T0 + 4200, { id: 'sale' })],
    state: capacityState(16, { lastChangeAt: T0 - 300, lastScaleUpAt: T0 - 300 }),
    expect: { desired: 24, changed: true, reasons: ['business-lead-time'], winner: 'flash-sale' },
  },
];

function run(c: Case): Decision {
  // Frozen inputs prove the engine never mutates what it is given (strict mode throws on a write).
  deepFreeze(c.drivers);
  deepFreeze(c.state);
  deepFreeze(c.target);
  const decision = decide(c.target, c.drivers, c.state, c.now ?? T0, c.history ? { history: c.history } : undefined);
  for (const r of decision.reasons) produced.reasons.add(r);
  for (const d of decision.considered) produced.outcomes.add(d.outcome);
  return decision;
}

function check(c: Case): void {
  const decision = run(c);
  const e = c.expect;
  expect(decisionSchema.parse(decision)).toEqual(decision);
  expect(decision.reasons).toEqual(e.reasons);
  if (e.desired !== undefined || e.floor !== undefined) {
    expect(decision.desired.kind).toBe('capacity');
    if (decision.desired.kind !== 'capacity') return;
    if (e.desired !== undefined) expect(decision.desired.desired).toBe(e.desired);
    if (e.floor !== undefined) expect(decision.desired.floor).toBe(e.floor);
    expect(decision.actions).toEqual(
      e.changed ? [{ type: 'set-capacity', desired: decision.desired.desired, floor: decision.desired.floor }] : [],
    );
  }
  if (e.weights) {
    expect(decision.desired).toEqual({ kind: 'weights', weights: e.weights });
    expect(decision.actions).toEqual(e.changed ? [{ type: 'set-weights', weights: e.weights }] : []);
  }
  expect(decision.apply).toBe(e.apply ?? e.changed);
  if (e.winner !== undefined) expect(decision.winner).toBe(e.winner ?? undefined);
  if (e.summary !== undefined) expect(decision.summary).toBe(e.summary);
  expect(decision.considered).toHaveLength(c.drivers.length);
  c.drivers.forEach((driver, i) => {
    expect(decision.considered[i]).toMatchObject({ driverId: driver.id, name: driver.name, kind: driver.kind });
  });
  for (const [id, outcome] of Object.entries(e.outcomes ?? {})) {
    expect({ id, outcome: decision.considered.find((d) => d.driverId === id)?.outcome }).toEqual({ id, outcome });
  }
  expect(decision.policyVersion).toBe(c.target.policy.version);
  expect(decision.at).toBe(c.now ?? T0);
}

describe('decide: capacity targets', () => {
  it.each(capacityCases.map((c) => [c.name, c] as const))('%s', (_name, c) => check(c));
});

describe('decide: capacity targets with metric history (stability, forecast)', () => {
  it.each(stabilityCases.map((c) => [c.name, c] as const))('%s', (_name, c) => check(c));
});

describe('decide: routing targets', () => {
  it.each(routingCases.map((c) => [c.name, c] as const))('%s', (_name, c) => check(c));
});

describe('decision explanations', () => {
  it('every driver a decision ignores says why, and the winner is marked won', () => {
    const c = capacityCases.find((x) => x.name.startsWith('an override pin wins'))!;
    const decision = decide(c.target, c.drivers, c.state, T0);
    expect(decision.considered).toEqual([
      expect.objectContaining({
        driverId: 'pin',
        outcome: 'won',
        rule: 'rules[6] override',
        demand: 20,
        detail: 'pin: INC-4711 load test (expires in 10m)',
      }),
      expect.objectContaining({ driverId: 'hi', outcome: 'lost-precedence', rule: 'rules[0] alarm', demand: 12 }),
      expect.objectContaining({ driverId: 'req', outcome: 'lost-precedence', rule: 'rules[2] metric', demand: 8 }),
    ]);
  });

  it('a pre-warm explains when the window opens', () => {
    const decision = decide(
      web,
      [demand('flash-sale', { multiplier: 3 }, T0 + 900, T0 + 4500, { id: 'sale', label: 'black-friday' })],
      capacityState(6, LONG_AGO),
      T0,
    );
    expect(decision.considered[0]).toMatchObject({
      outcome: 'won',
      demand: 12,
      detail: 'black-friday pre-warm: window opens in 15m (lead 15m)',
    });
    const early = decide(
      web,
      [demand('flash-sale', { multiplier: 3 }, T0 + 2700, T0 + 4500, { id: 'sale' })],
      capacityState(6, LONG_AGO),
      T0,
    );
    expect(early.considered[0]).toMatchObject({
      outcome: 'out-of-window',
      detail: 'window opens in 45m, pre-warm starts in 30m',
    });
  });

  it('budget and freeze labels appear in the explanation', () => {
    const drivers = [
      { ...budget('cost-budget', 5, T0 - 3600, T0 + 3600, { id: 'bud' }) },
      { ...freeze('change-freeze', T0 - 3600, T0 + 3600, { id: 'frz' }) },
    ].map((d) =>
      d.kind === 'business' && d.signal.type !== 'demand'
        ? { ...d, signal: { ...d.signal, label: d.signal.type === 'budget' ? 'Q4 spend cap' : 'year-end freeze' } }
        : d,
    );
    const decision = decide(web, drivers, capacityState(10, LONG_AGO), T0);
    expect(decision.considered.map((d) => d.detail)).toEqual([
      'Q4 spend cap: budget 5/h',
      'year-end freeze: change freeze: no scale-in, only urgent scale-out',
    ]);
  });

  it('a repeated alarm step is labelled as a repeat', () => {
    const decision = decide(
      web,
      [alarm('cpu-high', 'ALARM', { id: 'hi', at: T0 - 300, alarmName: 'web-prod-cpu-high' })],
      capacityState(12, { lastChangeAt: T0 - 200, lastScaleUpAt: T0 - 200 }),
      T0,
    );
    expect(decision.considered[0]).toMatchObject({ outcome: 'won', detail: 'web-prod-cpu-high in ALARM: +2 (repeat)' });
  });

  it('a forecast explains what it predicts, when, from how much history and how sure', () => {
    const decision = decide(
      forecastTarget('enforce'),
      [metric('requests', 1000, { id: 'req' })],
      capacityState(4, LONG_AGO),
      T0,
      { history: { requests: seasonal } },
    );
    expect(decision.considered[0]).toMatchObject({
      outcome: 'won',
      demand: 12,
      detail: '1000 / 250 per unit; forecast 3000 by 08:10:00Z from 1d of history ±0% → 12',
    });
    const abstains = decide(
      forecastTarget('enforce'),
      [metric('requests', 1000, { id: 'req' })],
      capacityState(4, LONG_AGO),
      T0,
      { history: { requests: history([1000, 1000]) } },
    );
    expect(abstains.considered[0]).toMatchObject({
      outcome: 'won',
      demand: 4,
      detail: '1000 / 250 per unit; forecast abstains: history too short: 2 of 60 minutes',
    });
    expect(abstains.reasons).toEqual(['target-tracking', 'no-change']);
  });

  it('a long list of losers is abbreviated in the summary', () => {
    const target = capacityTarget({
      rules: ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => ({
        kind: 'metric' as const,
        driver: `m-${n}`,
        targetPerUnit: 1,
      })),
    });
    const drivers = ['a', 'b', 'c', 'd', 'e', 'f'].map((n, i) => metric(`m-${n}`, 10 + i, { id: n }));
    expect(decide(target, drivers, capacityState(10, LONG_AGO), T0).summary).toBe(
      'scale 10→15: m-f outranks m-a, m-b, m-c, 2 more',
    );
  });
});

describe('coverage of the vocabulary', () => {
  // Runs after the tables above (jest runs tests in declaration order within a file).
  it('every ReasonCode is produced by at least one case', () => {
    expect(REASON_CODES.filter((code) => !produced.reasons.has(code))).toEqual([]);
  });
  it('every DriverOutcome is produced by at least one case', () => {
    expect(DRIVER_OUTCOMES.filter((outcome) => !produced.outcomes.has(outcome))).toEqual([]);
  });
});

describe('helpers', () => {
  it.each([
    [0, '0s'],
    [59.4, '59s'],
    [60, '1m'],
    [90, '1m30s'],
    [3600, '1h'],
    [7170, '1h59m'],
    [5400, '1h30m'],
    [86_400, '1d'],
    [90_000, '1d1h'],
    [-5, '0s'],
  ])('formatDuration(%p) = %p', (seconds, text) => expect(formatDuration(seconds)).toBe(text));

  it.each([
    [0.1, 0.3, 3],
    [0.0832, 2.5, 30],
    [0.5, 0.49, 0],
    [3, 9, 3],
  ])('budgetCapacity(price %p, cap %p) = %p', (unitHourlyPrice, maxHourlyCost, units) => {
    const policy = capacityTarget({ budget: { unitHourlyPrice, maxHourlyCost: 20 } }).policy;
    expect(budgetCapacity(policy, maxHourlyCost)).toBe(units);
  });

  it.each([
    ['proportional', [70, 30], [0, 0], { a: 70, b: 30 }],
    ['all zero → equal split', [0, 0], [0, 0], { a: 50, b: 50 }],
    ['minimum share lifts a small endpoint', [99, 1], [0, 0.07], { a: 93, b: 7 }],
    ['float minimum (0.07 × 100 = 7.000000000000001) is not rounded up to 8', [50, 50], [0.07, 0.07], { a: 50, b: 50 }],
  ])('shareWeights: %s', (_name, weights, minShares, expected) => {
    const endpoints = ['a', 'b'].map((setIdentifier, i) => ({ setIdentifier, minShare: minShares[i]! }));
    const requested = { a: weights[0]!, b: weights[1]! };
    expect(shareWeights(endpoints, requested, undefined, [])).toEqual(expected);
  });
});
