/** The follow-through's verdict (pure): serving → settled, failed → degraded, in progress until the timeout. */
import { SERVING_TIMEOUT_SECONDS, judge } from '../../../functions/app/follow-through';
import type { Following } from '../../../functions/ports';

const following: Following = {
  decisionId: 'web-asg:7',
  decisionKey: 'k',
  appliedAt: 1000,
  desired: { kind: 'capacity', desired: 12, floor: 2 },
  scaleOut: true,
};

describe('judge', () => {
  test('serving settles with the time since the apply', () => {
    expect(judge(following, { state: 'serving', detail: '12 of 12 instances InService' }, 1420)).toEqual({
      status: 'settled',
      serving: { at: 1420, detail: 'serving after 7m: 12 of 12 instances InService', timeToServeSeconds: 420 },
    });
  });

  test('a failure degrades at once, with its cause', () => {
    expect(judge(following, { state: 'failed', cause: 'provisioned concurrency FAILED: X' }, 1060)).toMatchObject({
      status: 'degraded',
      serving: { cause: 'provisioned concurrency FAILED: X' },
    });
  });

  test('in progress (or unreadable) records nothing until the timeout, then degrades saying why', () => {
    const late = 1000 + SERVING_TIMEOUT_SECONDS;
    expect(judge(following, { state: 'in-progress', detail: '8 of 12 instances InService' }, late - 1)).toBeUndefined();
    expect(judge(following, { state: 'unreadable', error: 'Throttling: Rate exceeded' }, late - 1)).toBeUndefined();
    expect(judge(following, { state: 'in-progress', detail: '8 of 12 instances InService' }, late)).toEqual({
      status: 'degraded',
      serving: {
        at: late,
        cause: 'not serving 30m after the apply (limit 30m): 8 of 12 instances InService',
        detail: 'degraded: not serving 30m after the apply (limit 30m): 8 of 12 instances InService',
      },
    });
    expect(judge(following, { state: 'unreadable', error: 'AccessDenied: no' }, late)?.serving.cause).toBe(
      'not serving 30m after the apply (limit 30m): cannot be observed: AccessDenied: no',
    );
  });
});
