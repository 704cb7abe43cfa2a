import fc from 'fast-check';
import { ROUTE53_RATE_LIMIT, TokenBucketLimiter } from '../../../functions/executors/rate-limiter';
import { FakeClock } from './fakes';

/**
 * Runs takes as concurrent callers would: every take() is issued at its arrival time, and each caller's
 * send time is arrival + the wait the limiter asked for.
 */
async function sendTimes(
  limiter: TokenBucketLimiter,
  clock: FakeClock,
  arrivals: Array<{ at: number; requests?: number }>,
): Promise<number[]> {
  const sent: number[] = [];
  for (const { at, requests = 1 } of arrivals) {
    clock.time = at;
    // The wait is computed synchronously at call time; a concurrent caller would be sleeping meanwhile.
    const waited = await limiter.take(requests);
    for (let i = 0; i < requests; i++) sent.push(at + waited);
  }
  return sent.sort((a, b) => a - b);
}

function maxInAnyWindow(times: number[], windowMs: number): number {
  let max = 0;
  for (let i = 0; i < times.length; i++) {
    let count = 0;
    for (let j = i; j < times.length && times[j]! < times[i]! + windowMs; j++) count++;
    max = Math.max(max, count);
  }
  return max;
}

describe('TokenBucketLimiter (Route 53 pacing)', () => {
  it('paces a burst of six requests 200 ms apart at 5 req/s: the sixth goes out a full second after the first', async () => {
    const clock = new FakeClock(0, { frozen: true });
    const limiter = new TokenBucketLimiter({ ...ROUTE53_RATE_LIMIT, clock });
    const waits = await Promise.all(Array.from({ length: 6 }, () => limiter.take()));
    expect(waits).toEqual([0, 200, 400, 600, 800, 1000]);
  });

  it('lets a request through at once after the bucket has refilled', async () => {
    const clock = new FakeClock(0);
    const limiter = new TokenBucketLimiter({ ...ROUTE53_RATE_LIMIT, clock });
    await limiter.take();
    clock.time = 5_000;
    expect(await limiter.take()).toBe(0);
  });

  it('keeps clear intervals around a two-request group (getWeights then setWeights)', async () => {
    const clock = new FakeClock(0);
    const limiter = new TokenBucketLimiter({ ...ROUTE53_RATE_LIMIT, clock });
    const sent = await sendTimes(limiter, clock, [{ at: 0 }, { at: 0, requests: 2 }, { at: 0 }, { at: 0 }, { at: 0 }]);
    expect(sent).toEqual([0, 400, 400, 800, 1000, 1200]);
    expect(maxInAnyWindow(sent, 1000)).toBeLessThanOrEqual(5);
  });

  it('allows a configured burst back to back, then paces', async () => {
    const clock = new FakeClock(0, { frozen: true });
    const limiter = new TokenBucketLimiter({ ratePerSecond: 5, burst: 3, clock });
    const waits = await Promise.all(Array.from({ length: 5 }, () => limiter.take()));
    expect(waits).toEqual([0, 0, 0, 200, 400]);
  });

  it('never lets more than 5 requests into any one-second window, whatever the arrival pattern', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 700 }), requests: fc.integer({ min: 1, max: 2 }) }), {
          minLength: 1,
          maxLength: 40,
        }),
        async (arrivals) => {
          const clock = new FakeClock(0);
          const limiter = new TokenBucketLimiter({ ...ROUTE53_RATE_LIMIT, clock });
          let at = 0;
          const timed = arrivals.map(({ gap, requests }) => {
            at += gap;
            return { at, requests };
          });
          const sent = await sendTimes(limiter, clock, timed);
          expect(maxInAnyWindow(sent, 1000)).toBeLessThanOrEqual(5);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects impossible settings', () => {
    const clock = new FakeClock();
    expect(() => new TokenBucketLimiter({ ratePerSecond: 0, burst: 1, clock })).toThrow(RangeError);
    expect(() => new TokenBucketLimiter({ ratePerSecond: 5, burst: 0, clock })).toThrow(RangeError);
  });
});
