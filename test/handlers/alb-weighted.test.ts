/**
 * alb-weighted end to end through the real handlers on DynamoDB Local, with ELBv2 mocked at the SDK: a
 * CloudWatch alarm on one target group drains it with one ModifyRule, a redelivered event changes nothing,
 * and the group comes back only after its alarm has been quiet for routing.restoreAfterSeconds — the same
 * semantics as route53-weighted.
 */
import { DescribeRulesCommand, ModifyRuleCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import 'aws-sdk-client-mock-jest';
import type { DrivetrainConfigInput } from '../../functions/domain/config';
import type { LooseJson } from '../support/loose-json';
import { configInput, createHarness, fixture, t, type Harness } from './harness';

const ACCOUNT = '111122223333';
const RULE = `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:listener-rule/app/web-prod/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`;
const BLUE = `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:targetgroup/blue/6d0ecf831eec9f09`;
const GREEN = `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:targetgroup/green/943f017f100becff`;
const ALARM_AT = t('2019-10-02T17:04:40Z');

function config(): DrivetrainConfigInput {
  const base = configInput();
  return {
    ...base,
    drivers: [
      ...(base.drivers ?? []),
      { name: 'blue-5xx', kind: 'alarm', alarmNames: ['web-blue-5xx'], targets: ['web-alb'] },
    ],
    targets: [
      ...base.targets,
      {
        id: 'web-alb',
        resource: {
          kind: 'alb-weighted',
          listenerRuleArn: RULE,
          targetGroups: [
            { arn: BLUE, weight: 80, drainOn: ['blue-5xx'] },
            { arn: GREEN, weight: 20, minShare: 0.1 },
          ],
        },
        mode: 'enforce',
        allowedSources: ['aws.cloudwatch'],
        policy: {
          version: 'alb-1',
          bounds: { min: 0, max: 255 },
          routing: { restoreAfterSeconds: 300 },
          fallback: { allocation: 0 },
        },
      },
    ],
  };
}

/** The shipped EventBridge alarm fixture, for the blue target group's alarm, in `state` at `at`. */
function blueAlarm(state: 'ALARM' | 'OK', at: number, id: string): Record<string, unknown> {
  const event = fixture<LooseJson>('eventbridge-alarm-single-metric');
  const iso = new Date(at * 1000).toISOString();
  event.id = id;
  event.time = iso.replace(/\.\d+Z$/, 'Z');
  event.resources = [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-blue-5xx`];
  event.detail.alarmName = 'web-blue-5xx';
  event.detail.previousState.value = state === 'ALARM' ? 'OK' : 'ALARM';
  event.detail.state.value = state;
  event.detail.state.timestamp = iso.replace('Z', '+0000');
  delete event.detail.state.reasonData;
  return event;
}

describe('alb-weighted through ingest and tick (DynamoDB Local, ELBv2 SDK mock)', () => {
  let h: Harness;
  afterEach(() => h?.close());

  it('drains on alarm with one ModifyRule, ignores a redelivery, restores after the quiet period', async () => {
    h = await createHarness({
      config: config(),
      now: ALARM_AT + 2,
      aws: { albRules: { [RULE]: { [BLUE]: 80, [GREEN]: 20 } } },
    });

    await h.ingest(blueAlarm('ALARM', ALARM_AT, 'evt-alarm'));
    expect(h.elbv2).toHaveReceivedCommandTimes(ModifyRuleCommand, 1);
    expect(h.aws.albRules[RULE]).toEqual({ [BLUE]: 0, [GREEN]: 100 });
    const [drained] = await h.decisions.list('web-alb');
    expect(drained).toMatchObject({
      status: 'applied',
      targetKind: 'alb-weighted',
      desired: { kind: 'weights', weights: { blue: 0, green: 100 } },
      reasons: expect.arrayContaining(['endpoint-drained']),
    });

    // Redelivered: no second write.
    h.now.value += 30;
    await h.ingest(blueAlarm('ALARM', ALARM_AT, 'evt-alarm'));
    expect(h.elbv2).toHaveReceivedCommandTimes(ModifyRuleCommand, 1);

    // The alarm clears; blue stays drained until it has been quiet for restoreAfterSeconds.
    const okAt = ALARM_AT + 120;
    h.now.value = okAt + 1;
    await h.ingest(blueAlarm('OK', okAt, 'evt-ok'));
    expect(h.aws.albRules[RULE]).toEqual({ [BLUE]: 0, [GREEN]: 100 });
    expect((await h.decisions.list('web-alb', { limit: 1 }))[0]).toMatchObject({
      reasons: expect.arrayContaining(['restore-delayed']),
    });

    h.now.value = okAt + 301;
    await h.tick({ targetIds: ['web-alb'] });
    expect(h.elbv2).toHaveReceivedCommandTimes(ModifyRuleCommand, 2);
    expect(h.aws.albRules[RULE]).toEqual({ [BLUE]: 80, [GREEN]: 20 });
    expect((await h.decisions.list('web-alb', { limit: 1 }))[0]).toMatchObject({
      status: 'applied',
      reasons: expect.arrayContaining(['endpoint-restored']),
    });
    expect(h.elbv2).toHaveReceivedCommandWith(DescribeRulesCommand, { RuleArns: [RULE] });
  });

  it('a rule deleted behind Drivetrain fails the target permanently and leaves the others alone', async () => {
    h = await createHarness({ config: config(), now: ALARM_AT + 2, aws: { albRules: {} } });
    const summary = (await h.tick()) as { failed: Array<{ targetId: string; error: string; retryable: boolean }> };
    expect(summary.failed).toEqual([
      { targetId: 'web-alb', error: expect.stringContaining(`listener rule ${RULE} does not exist`), retryable: false },
    ]);
    expect(h.elbv2).not.toHaveReceivedCommand(ModifyRuleCommand);
  });
});
