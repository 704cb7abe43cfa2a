/**
 * The pending grace the functions get follows from the timeouts the construct gives them (issue 10,
 * violation 4: a fixed 180 s grace against a 230 s or 590 s tick let an ingest repair a plan the tick was still
 * applying). CDK assertions on the synthesized template, bundling skipped.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ENV } from '../../functions/contracts';
import { PENDING_GRACE_RANGE } from '../../functions/runtime/env';
import { Drivetrain } from '../../lib/drivetrain';
import { SHARD_WORKER_TIMEOUT_SECONDS } from '../../functions/app/shards';
import { PENDING_GRACE_MARGIN_SECONDS, pendingGraceSeconds } from '../../lib/pending-grace';
import { appWithoutBundling, fixtureConfig } from './support';

interface LambdaProps {
  Timeout?: number;
  Environment?: { Variables?: Record<string, unknown> };
}

/** The Drivetrain functions (they carry the state table's name) with their timeout and grace. */
function reconcilers(tickMinutes: number): Array<{ timeout: number; grace: unknown }> {
  const stack = new Stack(appWithoutBundling(), `Grace${tickMinutes}`);
  new Drivetrain(stack, 'Drivetrain', { config: fixtureConfig(), tickInterval: Duration.minutes(tickMinutes) });
  const functions = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')).map(
    (r) => r.Properties as LambdaProps,
  );
  return functions
    .filter((f) => f.Environment?.Variables?.[ENV.stateTable] !== undefined)
    .map((f) => ({ timeout: f.Timeout ?? 3, grace: f.Environment?.Variables?.[ENV.pendingGraceSeconds] }));
}

/** Tick intervals the construct allows (whole minutes) that change the tick's timeout, and some beyond its 600 s cap. */
const INTERVALS = [...Array.from({ length: 11 }, (_, i) => i + 1), 15, 60, 360];

describe('pending grace from the functions timeouts', () => {
  test.each(INTERVALS)(
    'tick every %i min: every reconciling function gets one grace, longer than every such function runs',
    (minutes) => {
      const fns = reconcilers(minutes);
      expect(fns.length).toBeGreaterThanOrEqual(2);
      const graces = new Set(fns.map((f) => f.grace));
      expect(graces.size).toBe(1);
      const grace = Number([...graces][0]);
      expect(Number.isInteger(grace)).toBe(true);
      for (const fn of fns) expect(grace).toBeGreaterThan(fn.timeout);
      expect(grace).toBe(Math.max(...fns.map((f) => f.timeout)) + PENDING_GRACE_MARGIN_SECONDS);
      // …and the functions accept it at cold start.
      expect(grace).toBeGreaterThanOrEqual(PENDING_GRACE_RANGE.min);
      expect(grace).toBeLessThanOrEqual(PENDING_GRACE_RANGE.max);
    },
  );

  test('the 4- and 10-minute ticks of the issue: no function runs as long as its tick any more (the tick only queues shards; ingest, tick and operator endpoint 30 s); the grace exceeds the shard worker', () => {
    for (const minutes of [4, 10]) {
      const fns = reconcilers(minutes);
      expect(fns.map((f) => f.timeout).sort((a, b) => a - b)).toEqual([30, 30, 30, SHARD_WORKER_TIMEOUT_SECONDS]);
      expect(Number(fns[0]!.grace)).toBe(SHARD_WORKER_TIMEOUT_SECONDS + PENDING_GRACE_MARGIN_SECONDS);
    }
  });

  test('the derivation takes the longest of any number of functions (a shard worker adds its own)', () => {
    for (let minutes = 1; minutes <= 24 * 60; minutes++) {
      // Any function that runs up to its interval (the tick did, before shards: min(interval - 10 s, 600 s)).
      const tick = Math.min(minutes * 60 - 10, 600);
      const grace = pendingGraceSeconds([Duration.seconds(30), Duration.seconds(tick)]);
      expect(grace).toBeGreaterThan(Math.max(30, tick));
      expect(grace).toBeLessThanOrEqual(PENDING_GRACE_RANGE.max);
    }
    expect(pendingGraceSeconds([Duration.seconds(30), Duration.seconds(120), Duration.minutes(15)])).toBe(
      900 + PENDING_GRACE_MARGIN_SECONDS,
    );
    expect(pendingGraceSeconds([undefined])).toBe(3 + PENDING_GRACE_MARGIN_SECONDS);
    expect(() => pendingGraceSeconds([])).toThrow(RangeError);
  });
});
