/**
 * Invariants of `decide` over random valid policies, drivers, states and times (fast-check). Every policy
 * is generated as a whole config and must pass `validateConfig`, so the engine is only held to promises
 * it makes for configs that can actually be deployed.
 */
import fc from 'fast-check';
import { ALARM_STEP_MIN_REPEAT_SECONDS, decide } from '../../../functions/domain/engine';
import { validateConfig } from '../../../functions/domain/config';
import {
  driverSchema,
  targetSchema,
  type Decision,
  type Driver,
  type PolicyInput,
  type Target,
  type TargetState,
} from '../../../functions/domain/model';

const NOW_MIN = 1_795_000_000;
/** Kept small so the file runs in a few seconds; soak with e.g. FC_NUM_RUNS=5000. */
const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 150);

// ---------------------------------------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------------------------------------

const CATALOGUE = [
  { name: 'cpu-high', kind: 'alarm', alarmNames: ['cpu-high-a', 'cpu-high-b'] },
  { name: 'cpu-low', kind: 'alarm', alarmNames: ['cpu-low'] },
  { name: 'requests', kind: 'metric' },
  { name: 'queue', kind: 'metric' },
  { name: 'flash-sale', kind: 'business' },
  { name: 'forecast', kind: 'business' },
  { name: 'finance', kind: 'business' },
  { name: 'change-freeze', kind: 'business' },
  { name: 'ops', kind: 'override' },
  { name: 'h-a', kind: 'alarm', alarmNames: ['h-a'] },
  { name: 'h-b', kind: 'alarm', alarmNames: ['h-b'] },
  { name: 'h-c', kind: 'alarm', alarmNames: ['h-c'] },
] as const;
const DRIVER_NAMES = [...CATALOGUE.map((d) => d.name), 'unknown'];

/** A whole config around one target, validated: the arbitrary itself fails if it ever builds a bad policy. */
function validated(target: Record<string, unknown>): Target {
  const config = {
    version: 1,
    drivers: CATALOGUE.map((d) => ({ ...d, targets: [target.id as string] })),
    targets: [target],
  };
  const result = validateConfig(config, 'property.yaml');
  if (!result.ok)
    throw new Error(
      `arbitrary built an invalid policy:\n${result.issues.map((i) => `${i.path}: ${i.message}`).join('\n')}`,
    );
  return targetSchema.parse(target);
}

interface PolicyOptions {
  /** Rules that act inside stabilization windows by design (overrides, budgets) and schedules. */
  withOverridesAndBudgets: boolean;
}

function capacityTargetArb(options: PolicyOptions = { withOverridesAndBudgets: true }): fc.Arbitrary<Target> {
  return fc
    .record({
      kind: fc.constantFrom('ec2-asg' as const, 'lambda-provisioned-concurrency' as const),
      mode: fc.constantFrom('enforce' as const, 'shadow' as const, 'paused' as const),
      min: fc.integer({ min: 0, max: 20 }),
      span: fc.integer({ min: 0, max: 60 }),
      maxStepUp: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
      maxStepDown: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
      combine: fc.constantFrom('max' as const, 'priority' as const),
      scaleUpSeconds: fc.integer({ min: 0, max: 600 }),
      scaleDownSeconds: fc.integer({ min: 0, max: 1200 }),
      fallbackOffset: fc.nat(),
      staleAfterSeconds: fc.integer({ min: 60, max: 1800 }),
      budget: fc.option(
        fc.record({ priceCents: fc.integer({ min: 1, max: 500 }), headroomCents: fc.integer({ min: 0, max: 5000 }) }),
        { nil: undefined },
      ),
      rules: fc
        .shuffledSubarray(
          [
            fc.record({
              kind: fc.constant('alarm' as const),
              driver: fc.constant('cpu-high'),
              step: fc.integer({ min: 1, max: 5 }),
              urgent: fc.boolean(),
              staleAfterSeconds: fc.option(fc.integer({ min: 60, max: 3600 }), { nil: undefined }),
            }),
            fc.record({
              kind: fc.constant('alarm' as const),
              driver: fc.constant('cpu-low'),
              step: fc.integer({ min: -5, max: -1 }),
            }),
            fc.record({
              kind: fc.constant('metric' as const),
              driver: fc.constant('requests'),
              targetPerUnit: fc.integer({ min: 1, max: 500 }),
            }),
            fc.record({
              kind: fc.constant('metric' as const),
              driver: fc.constant('queue'),
              targetPerUnit: fc.integer({ min: 1, max: 100 }),
              staleAfterSeconds: fc.option(fc.integer({ min: 60, max: 3600 }), { nil: undefined }),
            }),
            fc.record({
              kind: fc.constant('business' as const),
              driver: fc.constant('flash-sale'),
              leadTimeSeconds: fc.integer({ min: 0, max: 3600 }),
            }),
            fc.record({ kind: fc.constant('business' as const), driver: fc.constant('forecast') }),
            fc.record({ kind: fc.constant('business' as const), driver: fc.constant('finance') }),
            fc.record({ kind: fc.constant('business' as const), driver: fc.constant('change-freeze') }),
            fc.record({ kind: fc.constant('override' as const), driver: fc.constant('ops') }),
          ].map((arb) => arb as fc.Arbitrary<Record<string, unknown>>),
          { minLength: 0 },
        )
        .chain((arbs): fc.Arbitrary<Record<string, unknown>[]> => (arbs.length ? fc.tuple(...arbs) : fc.constant([]))),
      schedule: fc.array(
        fc.record({
          startIn: fc.integer({ min: -7200, max: 7200 }),
          length: fc.integer({ min: 1, max: 3600 }),
          pin: fc.boolean(),
          at: fc.nat(),
        }),
        { maxLength: 2 },
      ),
    })
    .map((p) => {
      const max = p.min + p.span;
      const rules = (p.rules as Record<string, unknown>[]).filter(
        (r) => options.withOverridesAndBudgets || (r.driver !== 'ops' && r.driver !== 'finance'),
      );
      const policy: PolicyInput = {
        version: 'prop-v1',
        bounds: { min: p.min, max, maxStepUp: p.maxStepUp, maxStepDown: p.maxStepDown },
        rules: rules as PolicyInput['rules'],
        combine: p.combine,
        stabilization: { scaleUpSeconds: p.scaleUpSeconds, scaleDownSeconds: p.scaleDownSeconds },
        fallback: { allocation: p.min + (p.fallbackOffset % (p.span + 1)), staleAfterSeconds: p.staleAfterSeconds },
      };
      if (p.budget && options.withOverridesAndBudgets) {
        const price = p.budget.priceCents / 100;
        policy.budget = {
          unitHourlyPrice: price,
          maxHourlyCost: Math.ceil(p.min * p.budget.priceCents + p.budget.headroomCents) / 100,
        };
      }
      if (options.withOverridesAndBudgets) {
        // Non-overlapping windows, relative to NOW_MIN + a fixed offset so they land near the generated clocks.
        let cursor = NOW_MIN;
        policy.schedule = p.schedule.map((w, i) => {
          const start = cursor + Math.abs(w.startIn);
          cursor = start + w.length;
          return w.pin
            ? {
                name: `window-${i}`,
                start,
                end: cursor,
                action: 'pin' as const,
                allocation: p.min + (w.at % (p.span + 1)),
                reason: 'property',
              }
            : { name: `window-${i}`, start, end: cursor, action: 'freeze' as const, reason: 'property' };
        });
      }
      const resource =
        p.kind === 'ec2-asg'
          ? { kind: 'ec2-asg', autoScalingGroupName: 'asg' }
          : { kind: 'lambda-provisioned-concurrency', functionName: 'fn', qualifier: 'live' };
      return validated({
        id: 'target-a',
        kind: p.kind,
        resource,
        mode: p.mode,
        allowedSources: ['aws.cloudwatch'],
        policy,
      });
    });
}

const SET_IDS = ['use1', 'euw1', 'apse2', 'usw2', 'euc1'];

function routingTargetArb(): fc.Arbitrary<Target> {
  return fc
    .record({
      count: fc.integer({ min: 2, max: 5 }),
      weights: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 5, maxLength: 5 }),
      // Per mille, so rounding to whole weight points matters (0.075 needs 8 of 100); the running budget
      // below keeps the rounded-up minimums within 100 points, as the validator demands.
      minPerMille: fc.array(fc.integer({ min: 0, max: 600 }), { minLength: 5, maxLength: 5 }),
      drainOn: fc.array(fc.subarray(['h-a', 'h-b', 'h-c']), { minLength: 5, maxLength: 5 }),
      restoreAfterSeconds: fc.integer({ min: 0, max: 900 }),
      mode: fc.constantFrom('enforce' as const, 'shadow' as const),
      freezeWindow: fc.option(fc.integer({ min: 0, max: 3600 }), { nil: undefined }),
    })
    .map((p) => {
      let pointsLeft = 100;
      const endpoints = SET_IDS.slice(0, p.count).map((setIdentifier, i) => {
        const perMille = Math.min(p.minPerMille[i]!, pointsLeft * 10);
        pointsLeft -= Math.ceil(perMille / 10);
        return { setIdentifier, weight: p.weights[i]!, minShare: perMille / 1000, drainOn: p.drainOn[i]! };
      });
      if (endpoints.every((e) => e.weight === 0)) endpoints[0]!.weight = 1;
      const schedule =
        p.freezeWindow === undefined
          ? []
          : [
              {
                name: 'freeze',
                start: NOW_MIN,
                end: NOW_MIN + p.freezeWindow + 1,
                action: 'freeze' as const,
                reason: 'property',
              },
            ];
      return validated({
        id: 'target-a',
        kind: 'route53-weighted',
        resource: {
          kind: 'route53-weighted',
          hostedZoneId: 'Z0123456789ABC',
          recordName: 'api.example.com',
          recordType: 'CNAME',
          endpoints,
        },
        mode: p.mode,
        allowedSources: ['aws.cloudwatch'],
        policy: {
          version: 'prop-v1',
          bounds: { min: 0, max: 255 },
          rules: [{ kind: 'override', driver: 'ops' }],
          routing: { restoreAfterSeconds: p.restoreAfterSeconds },
          fallback: { allocation: 0 },
          schedule,
        },
      });
    });
}

// ---------------------------------------------------------------------------------------------------------
// Drivers: generated relative to a clock, so the same spec can be replayed at every tick of a simulation
// ---------------------------------------------------------------------------------------------------------

type Signal = Record<string, unknown>;
interface DriverSpec {
  kind: Driver['kind'];
  name: string;
  signal: (now: number) => Signal;
  age: number;
  ttl: number;
  foreign: boolean;
}

const windowArb = fc.record({
  startIn: fc.integer({ min: -7200, max: 7200 }),
  length: fc.integer({ min: 1, max: 7200 }),
});

const signalArbs: Record<Driver['kind'], fc.Arbitrary<(now: number) => Signal>> = {
  alarm: fc
    .record({
      state: fc.constantFrom('OK', 'ALARM', 'INSUFFICIENT_DATA'),
      alarmName: fc.constantFrom('a1', 'a2', 'a3'),
    })
    .map((s) => () => s),
  metric: fc.integer({ min: 0, max: 20_000 }).map((value) => () => ({ value, unit: 'Count' })),
  business: fc.oneof(
    fc
      .record({
        w: windowArb,
        demand: fc.oneof(
          fc.record({ multiplier: fc.integer({ min: 1, max: 100 }).map((m) => m / 10) }),
          fc.record({ absolute: fc.integer({ min: 0, max: 200 }) }),
        ),
        lead: fc.option(fc.integer({ min: 0, max: 3600 }), { nil: undefined }),
      })
      .map(({ w, demand, lead }) => (now: number) => ({
        type: 'demand',
        demand,
        windowStart: now + w.startIn,
        windowEnd: now + w.startIn + w.length,
        ...(lead === undefined ? {} : { leadTimeSeconds: lead }),
      })),
    fc.record({ w: windowArb, cents: fc.integer({ min: 0, max: 10_000 }) }).map(({ w, cents }) => (now: number) => ({
      type: 'budget',
      maxHourlyCost: cents / 100,
      windowStart: now + w.startIn,
      windowEnd: now + w.startIn + w.length,
    })),
    windowArb.map((w) => (now: number) => ({
      type: 'freeze',
      windowStart: now + w.startIn,
      windowEnd: now + w.startIn + w.length,
    })),
  ),
  override: fc.oneof(
    fc.integer({ min: 0, max: 100 }).map((allocation) => () => ({ action: 'pin', allocation })),
    fc.constant(() => ({ action: 'freeze' })),
    fc
      .dictionary(fc.constantFrom(...SET_IDS), fc.integer({ min: 0, max: 255 }))
      .map((weights) => () => ({ action: 'pin-weights', weights })),
  ),
};

interface SpecOptions {
  /** Generate drivers that have expired by `now`. */
  expired?: boolean;
  /** Bias names and kinds toward what this target's policy listens to (it ignores everything else). */
  target?: Target;
}

function driverSpecArb(kinds: readonly Driver['kind'][], options: SpecOptions = {}): fc.Arbitrary<DriverSpec> {
  const { expired = false, target } = options;
  const routing = target?.resource.kind === 'route53-weighted';
  // Overrides win outright, so they are kept rare enough for the demand paths to be exercised.
  const kindWeight = (kind: Driver['kind']) => (kind === 'override' ? 1 : routing ? (kind === 'alarm' ? 8 : 1) : 3);
  return (
    fc
      .oneof(...kinds.map((kind) => ({ weight: kindWeight(kind), arbitrary: fc.constant(kind) })))
      .chain((kind) =>
        fc.record({
          kind: fc.constant(kind),
          // Mostly names the policy has a rule for; sometimes any name, to exercise no-rule.
          name: fc.oneof(
            { weight: 6, arbitrary: fc.constantFrom(...namesFor(kind, target)) },
            { weight: 1, arbitrary: fc.constantFrom(...DRIVER_NAMES) },
          ),
          signal: signalArbs[kind],
          age: expired ? fc.integer({ min: 1, max: 20_000 }) : fc.integer({ min: 0, max: 4000 }),
          ttl: fc.integer({ min: 1, max: 20_000 }),
          // One in ten drivers belongs to another target.
          foreign: fc.integer({ min: 0, max: 9 }).map((roll) => roll === 0),
        }),
      )
      // Expired: expiresAt = now - age + ttl <= now.
      .map((spec) => (expired ? { ...spec, ttl: 1 + (spec.ttl % spec.age) } : spec))
  );
}

function namesFor(kind: Driver['kind'], target: Target | undefined): string[] {
  let names: string[] = [];
  if (target?.resource.kind === 'route53-weighted' && kind === 'alarm')
    names = target.resource.endpoints.flatMap((e) => e.drainOn);
  else if (target) names = target.policy.rules.filter((r) => r.kind === kind).map((r) => r.driver);
  return names.length ? names : CATALOGUE.filter((d) => d.kind === kind).map((d) => d.name);
}

function toDriver(spec: DriverSpec, id: string, now: number): Driver {
  const observedAt = now - spec.age;
  return driverSchema.parse({
    id,
    name: spec.name,
    kind: spec.kind,
    source: 'property',
    targets: spec.foreign ? ['target-b'] : ['target-a'],
    observedAt,
    expiresAt: observedAt + spec.ttl,
    lineage: { eventId: `evt-${id}`, channel: 'simulator', receivedAt: observedAt },
    signal: spec.signal(now),
    ...(spec.kind === 'override' ? { reason: 'property' } : {}),
  });
}

const ALL_KINDS = ['alarm', 'metric', 'business', 'override'] as const;
const nowArb = fc.integer({ min: NOW_MIN, max: NOW_MIN + 10_000 });

function capacityStateArb(target: Target, now: number): fc.Arbitrary<TargetState | undefined> {
  const { min, max } = target.policy.bounds;
  const time = fc.option(fc.integer({ min: now - 3000, max: now }), { nil: undefined });
  return fc.option(
    fc
      .record({
        desired: fc.integer({ min: 0, max: max + 20 }),
        floorCut: fc.nat(),
        lastChangeAt: time,
        lastScaleUpAt: time,
        lastScaleDownAt: time,
      })
      .map(
        (s): TargetState => ({
          targetId: target.id,
          version: 1,
          current: { kind: 'capacity', desired: s.desired, floor: Math.min(s.desired, min + (s.floorCut % 5)) },
          ...(s.lastChangeAt === undefined ? {} : { lastChangeAt: s.lastChangeAt }),
          ...(s.lastScaleUpAt === undefined ? {} : { lastScaleUpAt: s.lastScaleUpAt }),
          ...(s.lastScaleDownAt === undefined ? {} : { lastScaleDownAt: s.lastScaleDownAt }),
        }),
      ),
    { nil: undefined },
  );
}

function routingStateArb(target: Target, now: number): fc.Arbitrary<TargetState | undefined> {
  if (target.resource.kind !== 'route53-weighted') throw new Error('routing target expected');
  const ids = target.resource.endpoints.map((e) => e.setIdentifier);
  return fc.option(
    // Zeros are common on purpose: a 0 on an endpoint with drain alarms is a drain in progress.
    fc
      .record({
        weights: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 100 })), {
          minLength: ids.length,
          maxLength: ids.length,
        }),
        lastChangeAt: fc.option(fc.integer({ min: now - 3000, max: now }), { nil: undefined }),
      })
      .map(
        (s): TargetState => ({
          targetId: target.id,
          version: 1,
          current: { kind: 'weights', weights: Object.fromEntries(ids.map((id, i) => [id, s.weights[i]!])) },
          ...(s.lastChangeAt === undefined ? {} : { lastChangeAt: s.lastChangeAt }),
        }),
      ),
    { nil: undefined },
  );
}

interface Scenario {
  target: Target;
  drivers: Driver[];
  state: TargetState | undefined;
  now: number;
}

function scenarioArb(
  targetArb: fc.Arbitrary<Target>,
  stateArb: (t: Target, now: number) => fc.Arbitrary<TargetState | undefined>,
): fc.Arbitrary<Scenario> {
  return fc.tuple(targetArb, nowArb).chain(([target, now]) =>
    fc.record({
      target: fc.constant(target),
      now: fc.constant(now),
      state: stateArb(target, now),
      drivers: fc
        .array(driverSpecArb(ALL_KINDS, { target }), { maxLength: 20 })
        .map((specs) => specs.map((spec, i) => toDriver(spec, `d${i}`, now))),
    }),
  );
}

const capacityScenario = scenarioArb(capacityTargetArb(), capacityStateArb);
const routingScenario = scenarioArb(routingTargetArb(), routingStateArb);

function capacityOf(decision: Decision): { desired: number; floor: number } {
  if (decision.desired.kind !== 'capacity') throw new Error('capacity decision expected');
  return decision.desired;
}

/** The cap the engine must honour: the policy's, tightened by any live, in-window budget driver. */
function budgetCapOf(target: Target, drivers: Driver[], now: number): number | undefined {
  const { policy } = target;
  if (!policy.budget) return undefined;
  const hasRule = (name: string) => policy.rules.some((r) => r.kind === 'business' && r.driver === name);
  let cap = policy.budget.maxHourlyCost;
  for (const d of drivers) {
    if (
      d.kind !== 'business' ||
      d.signal.type !== 'budget' ||
      !d.targets.includes(target.id) ||
      now >= d.expiresAt ||
      !hasRule(d.name)
    )
      continue;
    if (d.signal.windowStart <= now && now < d.signal.windowEnd) cap = Math.min(cap, d.signal.maxHourlyCost);
  }
  return cap;
}

function essence(decision: Decision) {
  return {
    desired: decision.desired,
    actions: decision.actions,
    apply: decision.apply,
    reasons: decision.reasons,
    winner: decision.winner,
    summary: decision.summary,
  };
}

// ---------------------------------------------------------------------------------------------------------

describe('decide: invariants (fast-check)', () => {
  it('capacity stays within bounds, floor never above desired', () => {
    fc.assert(
      fc.property(capacityScenario, ({ target, drivers, state, now }) => {
        const { desired, floor } = capacityOf(decide(target, drivers, state, now));
        const { min, max } = target.policy.bounds;
        expect(desired).toBeGreaterThanOrEqual(min);
        expect(desired).toBeLessThanOrEqual(max);
        expect(floor).toBeGreaterThanOrEqual(0);
        expect(floor).toBeLessThanOrEqual(desired);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('capacity never costs more than the budget (only bounds.min may exceed a cap set below it)', () => {
    fc.assert(
      fc.property(capacityScenario, ({ target, drivers, state, now }) => {
        const decision = decide(target, drivers, state, now);
        const { desired } = capacityOf(decision);
        const cap = budgetCapOf(target, drivers, now);
        if (cap === undefined) return;
        const price = target.policy.budget!.unitHourlyPrice;
        if (desired * price > cap + 1e-9) {
          expect(desired).toBe(target.policy.bounds.min);
          expect(decision.reasons).toContain('budget-below-min');
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('is deterministic: same inputs, same decision; shuffled drivers, same verdict', () => {
    fc.assert(
      fc.property(
        fc
          .oneof(capacityScenario, routingScenario)
          .chain((s) => fc.tuple(fc.constant(s), fc.shuffledSubarray(s.drivers, { minLength: s.drivers.length }))),
        ([{ target, drivers, state, now }, shuffled]) => {
          const first = decide(target, drivers, state, now);
          expect(decide(target, drivers, state, now)).toEqual(first);
          const reordered = decide(target, shuffled, state, now);
          expect(essence(reordered)).toEqual(essence(first));
          const byId = (d: Decision) => [...d.considered].sort((a, b) => (a.driverId < b.driverId ? -1 : 1));
          expect(byId(reordered)).toEqual(byId(first));
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('an expired driver never influences the result, however many are added and wherever', () => {
    fc.assert(
      fc.property(
        fc.oneof(capacityScenario, routingScenario).chain((s) =>
          fc.tuple(
            fc.constant(s),
            fc.array(fc.tuple(driverSpecArb(ALL_KINDS, { expired: true, target: s.target }), fc.nat()), {
              minLength: 1,
              maxLength: 10,
            }),
          ),
        ),
        ([{ target, drivers, state, now }, expired]) => {
          const mixed = [...drivers];
          expired.forEach(([spec, position], i) => {
            const driver = toDriver(spec, `x${i}`, now);
            expect(driver.expiresAt).toBeLessThanOrEqual(now);
            mixed.splice(position % (mixed.length + 1), 0, driver);
          });
          const withExpired = decide(target, mixed, state, now);
          expect(essence(withExpired)).toEqual(essence(decide(target, drivers, state, now)));
          for (const d of withExpired.considered)
            if (d.driverId.startsWith('x')) expect(['expired', 'not-for-target']).toContain(d.outcome);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('no flip-flop: no scale-in within scaleDownSeconds of any change; scale-outs inside the scale-up window are urgent', () => {
    // Overrides, schedules and budget drivers are excluded on purpose: an operator pin/freeze, a scheduled
    // window and a money cap are allowed to act inside a stabilization window (they outrank it). Every
    // other path to a scale-in must wait.
    // Drivers live in slots and persist across ticks unless replaced — like the driver table, where an
    // alarm stays in ALARM (same observedAt) until its next state change. A stuck alarm is what would make
    // a repeated step compound, so it must be common here.
    const SLOTS = 6;
    const simulation = fc
      .tuple(capacityTargetArb({ withOverridesAndBudgets: false }), nowArb)
      .chain(([target, start]) =>
        fc.record({
          target: fc.constant({ ...target, mode: 'enforce' as const }),
          start: fc.constant(start),
          ticks: fc.array(
            fc.record({
              dt: fc.integer({ min: 1, max: 400 }),
              updates: fc.array(
                fc.option(driverSpecArb(['alarm', 'metric', 'business'], { target }), { freq: 3, nil: undefined }),
                { minLength: SLOTS, maxLength: SLOTS },
              ),
            }),
            { minLength: 2, maxLength: 30 },
          ),
        }),
      );
    fc.assert(
      fc.property(simulation, ({ target, start, ticks }) => {
        const { scaleDownSeconds, scaleUpSeconds } = target.policy.stabilization;
        let state: TargetState | undefined;
        let now = start;
        const slots: (Driver | undefined)[] = new Array(SLOTS).fill(undefined);
        ticks.forEach((tick, t) => {
          now += tick.dt;
          tick.updates.forEach((spec, i) => {
            // A replacement is a fresh observation (at most two minutes old).
            if (spec && !(spec.kind === 'business' && spec.signal(now).type === 'budget'))
              slots[i] = toDriver({ ...spec, age: spec.age % 120 }, `t${t}-${i}`, now);
          });
          const drivers = slots.filter((d): d is Driver => d !== undefined);
          const decision = decide(target, drivers, state, now);
          const next = capacityOf(decision);
          const previous = state?.current?.kind === 'capacity' ? state.current : undefined;
          if (previous && next.desired < previous.desired && state?.lastChangeAt !== undefined) {
            expect({
              tick: t,
              sinceLastChange: now - state.lastChangeAt,
              heldLongEnough: now - state.lastChangeAt >= scaleDownSeconds,
            }).toMatchObject({ tick: t, heldLongEnough: true });
          }
          const lastScaleUpAt = state?.lastScaleUpAt;
          if (previous && next.desired > previous.desired && lastScaleUpAt !== undefined) {
            const since = now - lastScaleUpAt;
            const won = decision.considered.find((d) => d.outcome === 'won');
            const driver = drivers.find((d) => d.id === won?.driverId);
            // A first step belongs to an alarm that entered ALARM after the last scale-up.
            const firstStep = driver?.kind === 'alarm' && driver.observedAt > lastScaleUpAt;
            // Inside the scale-up window only urgent demand scales out: planned business demand or the first
            // step of an alarm's episode.
            if (since < scaleUpSeconds)
              expect({
                tick: t,
                winner: won?.driverId,
                urgent: driver?.kind === 'business' || firstStep,
              }).toMatchObject({ urgent: true });
            // A repeated step (the alarm stayed in ALARM) waits at least a minute whatever the window:
            // otherwise a stuck alarm would grow capacity on every tick.
            if (driver?.kind === 'alarm' && since < Math.max(scaleUpSeconds, ALARM_STEP_MIN_REPEAT_SECONDS))
              expect({ tick: t, winner: won?.driverId, firstStep }).toMatchObject({ firstStep: true });
          }
          // Feed the decision back the way the pipeline records an applied decision.
          if (!previous || previous.desired !== next.desired || previous.floor !== next.floor) {
            state = {
              targetId: target.id,
              version: (state?.version ?? 0) + 1,
              current: { kind: 'capacity', desired: next.desired, floor: next.floor },
              lastChangeAt: now,
              lastScaleUpAt: !previous || next.desired > previous.desired ? now : state?.lastScaleUpAt,
              lastScaleDownAt: previous && next.desired < previous.desired ? now : state?.lastScaleDownAt,
            };
          }
        });
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('routing: integer weights adding up to 100; no endpoint below its minimum share unless an alarm drained it', () => {
    fc.assert(
      fc.property(routingScenario, ({ target, drivers, state, now }) => {
        if (target.resource.kind !== 'route53-weighted') throw new Error('routing target expected');
        const decision = decide(target, drivers, state, now);
        if (decision.desired.kind !== 'weights') throw new Error('weights expected');
        const { weights } = decision.desired;
        const frozen = decision.reasons.some(
          (r) => r === 'override-freeze' || r === 'scheduled-freeze' || r === 'scheduled-pin',
        );
        if (frozen && state?.current && !decision.reasons.includes('min-share-enforced')) {
          // A freeze keeps whatever is there (the current weights) as long as they respect the minimum shares.
          expect(weights).toEqual(state.current.kind === 'weights' ? state.current.weights : undefined);
          return;
        }
        expect(Object.values(weights).reduce((a, b) => a + b, 0)).toBe(100);
        // Overrides and schedules (pins and lifted freezes) outrank the drain alarms but not the minimum shares.
        const overridden = decision.reasons.includes('override-pin') || frozen;
        const firing = new Set(
          drivers
            .filter(
              (d) =>
                d.kind === 'alarm' && d.signal.state === 'ALARM' && d.targets.includes(target.id) && now < d.expiresAt,
            )
            .map((d) => d.name),
        );
        for (const endpoint of target.resource.endpoints) {
          const weight = weights[endpoint.setIdentifier]!;
          expect(Number.isInteger(weight)).toBe(true);
          if (weight / 100 >= endpoint.minShare - 1e-9) continue;
          // Below its minimum: only allowed when one of its drain alarms fires, or it is still recovering
          // from such a drain (hysteresis), and never while an override or fail-open outranks the alarms.
          expect(overridden || decision.reasons.includes('all-endpoints-drained-fail-open')).toBe(false);
          const drainedNow = endpoint.drainOn.some((name) => firing.has(name));
          const recovering =
            decision.reasons.includes('restore-delayed') &&
            state?.current?.kind === 'weights' &&
            state.current.weights[endpoint.setIdentifier] === 0;
          expect({ endpoint: endpoint.setIdentifier, weight, drainedOrRecovering: drainedNow || recovering }).toEqual({
            endpoint: endpoint.setIdentifier,
            weight: 0,
            drainedOrRecovering: true,
          });
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('routing: an endpoint whose drain alarm fires gets no traffic unless an override, a schedule or fail-open outranks it', () => {
    fc.assert(
      fc.property(routingScenario, ({ target, drivers, state, now }) => {
        if (target.resource.kind !== 'route53-weighted') throw new Error('routing target expected');
        const decision = decide(target, drivers, state, now);
        if (decision.desired.kind !== 'weights') throw new Error('weights expected');
        const outranked = decision.reasons.some(
          (r) => r.startsWith('override-') || r.startsWith('scheduled-') || r === 'all-endpoints-drained-fail-open',
        );
        if (outranked) return;
        const firing = new Set(
          drivers
            .filter(
              (d) =>
                d.kind === 'alarm' && d.signal.state === 'ALARM' && d.targets.includes(target.id) && now < d.expiresAt,
            )
            .map((d) => d.name),
        );
        for (const endpoint of target.resource.endpoints) {
          if (!endpoint.drainOn.some((name) => firing.has(name))) continue;
          expect({
            endpoint: endpoint.setIdentifier,
            weight: decision.desired.weights[endpoint.setIdentifier],
          }).toEqual({ endpoint: endpoint.setIdentifier, weight: 0 });
          expect(decision.reasons).toContain('endpoint-drained');
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
