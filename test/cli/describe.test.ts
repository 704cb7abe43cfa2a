/**
 * Pure descriptions used by `drivers` and `explain`: a driver's state must agree with what the engine will
 * do with it, and every code the engine can emit must have an explanation.
 */
import { decisionNote, newestFirst } from '../../cli/commands/decisions';
import {
  describeAction,
  describeAllocation,
  precedenceLines,
  rankConsidered,
  servingLines,
} from '../../cli/commands/explain';
import { isoSeconds } from '../../cli/format';
import { OUTCOME_MEANING, REASON_MEANING, describeDriver, describeSignal, outcomeRank } from '../../cli/describe';
import { decide } from '../../functions/domain/engine';
import { DRIVER_OUTCOMES, REASON_CODES, type Driver } from '../../functions/domain/model';
import type { DecisionRecord } from '../../functions/ports';
import { NOW, shippedConfig } from './harness';

const config = shippedConfig();
const web = config.targets.find((t) => t.id === 'web-asg')!;
const routing = config.targets.find((t) => t.id === 'api-routing')!;
const lineage = { eventId: 'e', channel: 'eventbridge', receivedAt: NOW };

function alarm(name: string, alarmName: string, state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA', age: number): Driver {
  return {
    id: alarmName,
    name,
    kind: 'alarm',
    source: 'aws.cloudwatch',
    targets: ['web-asg', 'api-routing'],
    observedAt: NOW - age,
    expiresAt: NOW + 86400,
    lineage,
    signal: { alarmName, state },
  };
}
function metric(age: number, expiresIn = 3600): Driver {
  return {
    id: 'm',
    name: 'requests',
    kind: 'metric',
    source: 'drivetrain.metrics',
    targets: ['web-asg'],
    observedAt: NOW - age,
    expiresAt: NOW + expiresIn,
    lineage,
    signal: { value: 1000 },
  };
}
function window(start: number, end: number, leadTimeSeconds?: number): Driver {
  return {
    id: 'b',
    name: 'flash-sale',
    kind: 'business',
    source: 'com.acme.marketing',
    targets: ['web-asg'],
    observedAt: NOW - 10,
    expiresAt: NOW + 86400,
    lineage,
    signal: {
      type: 'demand',
      demand: { multiplier: 2 },
      windowStart: NOW + start,
      windowEnd: NOW + end,
      ...(leadTimeSeconds ? { leadTimeSeconds } : {}),
    },
  };
}

describe('describeDriver', () => {
  it.each([
    ['fresh metric', web, metric(60), 'live', 'stale in 9m'],
    ['metric past the policy staleness (600s)', web, metric(601), 'stale', 'seen 10m1s ago, limit 10m'],
    [
      'expired but not yet deleted by TTL',
      web,
      metric(60, -30),
      'expired',
      'expired 30s ago; awaiting TTL deletion, ignored by decisions',
    ],
    [
      'alarm in ALARM never ages',
      web,
      alarm('cpu-high', 'web-prod-cpu-high', 'ALARM', 5 * 86400),
      'live',
      'holds until the next state change',
    ],
    [
      'alarm with insufficient data',
      web,
      alarm('cpu-high', 'web-prod-cpu-high', 'INSUFFICIENT_DATA', 60),
      'insufficient-data',
      'web-prod-cpu-high has insufficient data',
    ],
    [
      'drain alarm on a routing target',
      routing,
      alarm('use1-health', 'api-use1-5xx', 'ALARM', 3600),
      'live',
      'holds until the next state change',
    ],
    [
      'alarm no rule of the target uses',
      routing,
      alarm('cpu-high', 'web-prod-cpu-high', 'ALARM', 60),
      'unused',
      'no rule of api-routing\'s policy uses "cpu-high"',
    ],
    [
      'window far ahead (rule lead 15m)',
      web,
      window(7200, 10800),
      'scheduled',
      'window opens in 2h, pre-warm in 1h45m',
    ],
    ['window in its lead time', web, window(600, 3600), 'pre-warm', 'window opens in 10m; pre-warming (lead 15m)'],
    [
      "event lead longer than the rule's",
      web,
      window(1800, 3600, 3600),
      'pre-warm',
      'window opens in 30m; pre-warming (lead 1h)',
    ],
    ['open window', web, window(-60, 3600), 'active', 'window open, ends in 1h'],
    ['ended window not yet expired', web, window(-7200, -60), 'ended', 'window ended 1m ago'],
  ])('%s', (_name, target, driver, state, detail) => {
    expect(describeDriver(driver, target, NOW)).toMatchObject({ targetId: target.id, state, stateDetail: detail });
  });

  it('agrees with the engine on stale and expired drivers', () => {
    const drivers = [metric(601), { ...metric(60, -1), id: 'old' }];
    const decision = decide(web, drivers, undefined, NOW);
    expect(decision.considered.map((c) => c.outcome)).toEqual(['stale', 'expired']);
    expect(drivers.map((d) => describeDriver(d, web, NOW).state)).toEqual(['stale', 'expired']);
  });

  it.each([
    [alarm('cpu-high', 'web-prod-cpu-high', 'ALARM', 0), 'web-prod-cpu-high ALARM'],
    [metric(0), '1000'],
    [window(0, 60), 'demand ×2'],
  ])('describes the signal %#', (driver, text) => expect(describeSignal(driver)).toBe(text));
});

describe('explanations cover the engine vocabulary', () => {
  it.each(REASON_CODES.map((c) => [c]))('reason %s', (code) =>
    expect(REASON_MEANING[code]).toEqual(expect.any(String)),
  );
  it.each(DRIVER_OUTCOMES.map((c) => [c]))('outcome %s', (outcome) => {
    expect(OUTCOME_MEANING[outcome]).toEqual(expect.any(String));
    expect(outcomeRank(outcome)).toEqual(expect.any(Number));
  });
});

describe('explain helpers', () => {
  const base: DecisionRecord = {
    targetId: 'web-asg',
    targetKind: 'ec2-asg',
    at: NOW,
    policyVersion: 'v',
    mode: 'enforce',
    desired: { kind: 'capacity', desired: 12, floor: 4 },
    actions: [{ type: 'set-capacity', desired: 12, floor: 4 }],
    apply: true,
    reasons: ['business-window'],
    summary: 's',
    winner: 'flash-sale',
    considered: [
      { driverId: '1', name: 'requests', kind: 'metric', outcome: 'lost-to-higher-demand', demand: 5 },
      { driverId: '2', name: 'old', kind: 'metric', outcome: 'expired', detail: 'expired 1m ago' },
      { driverId: '3', name: 'flash-sale', kind: 'business', outcome: 'won', demand: 12, rule: 'rules[3] business' },
      { driverId: '4', name: 'other', kind: 'business', outcome: 'not-for-target' },
    ],
    decisionId: 'web-asg:7',
    decisionKey: 'k',
    version: 7,
    status: 'applied',
  };

  it('ranks the winner first and the ignored last, keeping input order within a rank', () => {
    expect(rankConsidered(base.considered).map((c) => c.name)).toEqual(['flash-sale', 'requests', 'old', 'other']);
  });

  it.each([
    [
      'combine max',
      'lost-to-higher-demand',
      'requests (asked for 5): lost to flash-sale, which asked for 12: the highest demand wins (combine: max)',
    ],
    [
      'combine priority',
      'lost-to-earlier-rule',
      'requests (asked for 5): lost to flash-sale: its rule comes first (combine: priority)',
    ],
  ] as const)('names what beat a losing driver (%s)', (_name, outcome, line) => {
    const record = { ...base, considered: base.considered.map((c) => (c.name === 'requests' ? { ...c, outcome } : c)) };
    expect(precedenceLines(record)).toEqual([
      'flash-sale won asking for 12 (rules[3] business)',
      line,
      'old: ignored: past its expiry (TTL deletion is late) — expired 1m ago',
    ]);
  });

  it('a tie under combine: max goes to the earlier rule, and the line does not claim combine: priority', () => {
    // The engine breaks a tie of equal demands by rule order whatever `combine` is, and records it as
    // lost-to-earlier-rule (test/unit/domain/engine.test.ts): the shipped policy (combine: max) does it in the demo.
    const record = {
      ...base,
      considered: base.considered.map((c) =>
        c.name === 'requests' ? { ...c, outcome: 'lost-to-earlier-rule' as const, demand: 12 } : c,
      ),
    };
    expect(precedenceLines(record)[1]).toBe(
      'requests (asked for 12): lost to flash-sale, which asked for as much: a tie goes to the earlier rule',
    );
  });

  it('names the override that outranked demand', () => {
    const record: DecisionRecord = {
      ...base,
      winner: 'override ops-override by arn:x',
      considered: [
        { driverId: '1', name: 'requests', kind: 'metric', outcome: 'lost-precedence', demand: 5 },
        { driverId: '9', name: 'ops-override', kind: 'override', outcome: 'won', demand: 20, detail: 'pin: INC' },
      ],
    };
    expect(precedenceLines(record)).toEqual([
      'ops-override won asking for 20',
      'requests (asked for 5): outranked by ops-override: overrides and scheduled windows come before demand',
    ]);
  });

  it('says when no driver won', () => {
    expect(precedenceLines({ ...base, winner: undefined, considered: [] })).toEqual([
      'no driver won: the allocation came from the policy (hold, fallback or bounds)',
    ]);
  });

  it('describes allocations, actions and decision notes', () => {
    expect(describeAllocation({ kind: 'weights', weights: { a: 80, b: 20 } })).toBe('a=80, b=20');
    expect(describeAction({ type: 'set-weights', weights: { a: 0, b: 100 } })).toBe('set weights: a=0, b=100');
    expect(decisionNote({ ...base, status: 'planned' })).toBe('s [not confirmed yet]');
    expect(
      decisionNote({
        ...base,
        status: 'superseded',
        outcome: {
          at: NOW,
          detail: 'not in place when repaired',
          observed: { kind: 'capacity', desired: 10, floor: 2 },
        },
      }),
    ).toBe('s [not in place when repaired; decided afresh]');
    expect(
      decisionNote({
        ...base,
        status: 'failed',
        outcome: {
          at: NOW,
          detail: 'd',
          error: { name: 'ThrottlingException', message: 'Rate exceeded', retryable: true },
        },
      }),
    ).toBe('s [ThrottlingException: Rate exceeded, will retry]');
    const replaced = {
      ...base,
      status: 'replaced' as const,
      replacedBy: 'web-asg:8',
      outcome: { at: NOW - 120, detail: 'SetDesiredCapacity web-prod 4→6' },
      serving: { at: NOW, detail: 'replaced before it served by web-asg:8 (applied 2m after it)' },
    };
    expect(decisionNote(replaced)).toBe('s [replaced by web-asg:8 before it served]');
    expect(servingLines(replaced, NOW)).toBe(
      `  replaced at ${isoSeconds(NOW)}: replaced before it served by web-asg:8 (applied 2m after it)\n`,
    );
  });

  it('orders decisions newest first, then by state version', () => {
    const a = { ...base, at: NOW, version: 3 };
    const b = { ...base, at: NOW, version: 4 };
    const c = { ...base, at: NOW - 1, version: 9 };
    expect([c, a, b].sort(newestFirst).map((r) => r.version)).toEqual([4, 3, 9]);
  });
});
