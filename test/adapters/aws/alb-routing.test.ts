/**
 * The alb-weighted executor on the real ELBv2 adapter, with the SDK mocked at the client boundary: weights
 * of a forward action changed by ModifyRule with every other part of the rule sent back as it was, no write
 * when the weights are already there, throttling retried, and a rule or target group that vanished failing
 * permanently with a message that says what to fix.
 */
import {
  type Action,
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
  ElasticLoadBalancingV2ServiceException,
  ModifyRuleCommand,
  RuleNotFoundException,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { AwsAlbRoutingAdapter } from '../../../functions/adapters/aws';
import type { Target } from '../../../functions/domain/model';
import { createExecutors } from '../../../functions/executors';
import { targetSchema } from '../../../functions/domain/model';
import { FakeClock, instantRetry } from '../../unit/executors/fakes';

const RULE =
  'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener-rule/app/web-prod/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';
const BLUE = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/blue/6d0ecf831eec9f09';
const GREEN = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/green/943f017f100becff';
/** In the rule, not in the configuration: Drivetrain must leave its weight alone. */
const CANARY = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/canary/1b2c3d4e5f601234';

const meta = { httpStatusCode: 400, requestId: 'r-1', attempts: 1, totalRetryDelay: 0 };

function albTarget(mode: Target['mode'] = 'enforce'): Target {
  return targetSchema.parse({
    id: 'web-alb',
    resource: {
      kind: 'alb-weighted',
      listenerRuleArn: RULE,
      targetGroups: [
        { arn: BLUE, weight: 90, minShare: 0.1, drainOn: ['blue-5xx'] },
        { arn: GREEN, weight: 10, drainOn: ['green-5xx'] },
      ],
    },
    mode,
    allowedSources: ['aws.cloudwatch'],
    policy: { version: 'p1', bounds: { min: 0, max: 255 }, fallback: { allocation: 0 } },
  });
}

const authenticate: Action = {
  Type: 'authenticate-oidc',
  Order: 1,
  AuthenticateOidcConfig: {
    Issuer: 'https://idp.example.com',
    AuthorizationEndpoint: 'https://idp.example.com/authorize',
    TokenEndpoint: 'https://idp.example.com/token',
    UserInfoEndpoint: 'https://idp.example.com/userinfo',
    ClientId: 'drivetrain-test',
  },
};

function forward(blue: number, green: number): Action {
  return {
    Type: 'forward',
    Order: 2,
    ForwardConfig: {
      TargetGroups: [
        { TargetGroupArn: BLUE, Weight: blue },
        { TargetGroupArn: GREEN, Weight: green },
        { TargetGroupArn: CANARY, Weight: 5 },
      ],
      TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 3600 },
    },
  };
}

const rule = (blue: number, green: number) => ({
  Rules: [
    {
      RuleArn: RULE,
      Priority: '10',
      IsDefault: false,
      Conditions: [{ Field: 'path-pattern', Values: ['/api/*'] }],
      Actions: [authenticate, forward(blue, green)],
    },
  ],
});

const throttling = () =>
  new ElasticLoadBalancingV2ServiceException({
    name: 'Throttling',
    $fault: 'client',
    $metadata: { ...meta, httpStatusCode: 400 },
    message: 'Rate exceeded',
  });

describe('alb-weighted executor over the ELBv2 adapter', () => {
  const elbMock = mockClient(ElasticLoadBalancingV2Client);
  const client = new ElasticLoadBalancingV2Client({ region: 'us-east-1' });
  let executors: ReturnType<typeof createExecutors>;

  beforeEach(() => {
    elbMock.reset();
    const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('not this port')) });
    executors = createExecutors(
      {
        autoScaling: unused as never,
        applicationAutoScaling: unused as never,
        provisionedConcurrency: unused as never,
        weightedRouting: unused as never,
        albRouting: new AwsAlbRoutingAdapter(client),
      },
      { retry: instantRetry(new FakeClock(0)) },
    );
  });
  afterAll(() => client.destroy());

  it('observes the configured target groups by name', async () => {
    elbMock.on(DescribeRulesCommand).resolves(rule(90, 10));
    await expect(executors['alb-weighted'].observe(albTarget())).resolves.toEqual({
      kind: 'weights',
      weights: { blue: 90, green: 10 },
    });
    expect(elbMock).toHaveReceivedCommandWith(DescribeRulesCommand, { RuleArns: [RULE] });
  });

  it('drains blue with one ModifyRule that keeps stickiness, the other actions and the unconfigured group', async () => {
    elbMock.on(DescribeRulesCommand).resolves(rule(90, 10));
    elbMock.on(ModifyRuleCommand).resolves({});
    await expect(
      executors['alb-weighted'].apply(albTarget(), { type: 'set-weights', weights: { blue: 0, green: 100 } }, 'a#0'),
    ).resolves.toEqual({ status: 'applied', detail: `ModifyRule ${RULE} forward blue 90→0, green 10→100` });
    expect(elbMock).toHaveReceivedCommandTimes(ModifyRuleCommand, 1);
    const sent = elbMock.commandCalls(ModifyRuleCommand)[0]!.args[0].input;
    // No Conditions and no Priority: ELB keeps what the rule has.
    expect(sent).toEqual({ RuleArn: RULE, Actions: [authenticate, forward(0, 100)] });
  });

  it('writes nothing when the weights are already there', async () => {
    elbMock.on(DescribeRulesCommand).resolves(rule(0, 100));
    await expect(
      executors['alb-weighted'].apply(albTarget(), { type: 'set-weights', weights: { blue: 0, green: 100 } }, 'a#1'),
    ).resolves.toMatchObject({ status: 'unchanged' });
    expect(elbMock).not.toHaveReceivedCommand(ModifyRuleCommand);
  });

  it('retries throttling, then lands the change once', async () => {
    elbMock.on(DescribeRulesCommand).resolves(rule(90, 10));
    elbMock.on(ModifyRuleCommand).rejectsOnce(throttling()).rejectsOnce(throttling()).resolves({});
    await expect(
      executors['alb-weighted'].apply(albTarget(), { type: 'set-weights', weights: { blue: 50, green: 50 } }, 'a#2'),
    ).resolves.toEqual({
      status: 'applied',
      detail: `ModifyRule ${RULE} forward blue 90→50, green 10→50 (attempt 3)`,
    });
    expect(elbMock).toHaveReceivedCommandTimes(ModifyRuleCommand, 3);
  });

  it('a deleted rule fails permanently, saying which rule and what to fix', async () => {
    elbMock
      .on(DescribeRulesCommand)
      .rejects(new RuleNotFoundException({ $metadata: meta, message: 'One or more rules not found' }));
    await expect(executors['alb-weighted'].observe(albTarget())).rejects.toMatchObject({
      retryable: false,
      code: 'ResourceNotFound',
      message: expect.stringContaining(`listener rule ${RULE} does not exist`),
    });
    expect(elbMock).toHaveReceivedCommandTimes(DescribeRulesCommand, 1);
  });

  it('a target group deleted under the rule fails permanently without a retry storm', async () => {
    elbMock.on(DescribeRulesCommand).resolves(rule(90, 10));
    elbMock
      .on(ModifyRuleCommand)
      .rejects(new TargetGroupNotFoundException({ $metadata: meta, message: 'One or more target groups not found' }));
    await expect(
      executors['alb-weighted'].apply(albTarget(), { type: 'set-weights', weights: { blue: 0, green: 100 } }, 'a#3'),
    ).rejects.toMatchObject({
      retryable: false,
      message: expect.stringContaining('a target group of its forward action no longer exists'),
    });
    expect(elbMock).toHaveReceivedCommandTimes(ModifyRuleCommand, 1);
  });

  it('a configured target group missing from the forward action fails permanently before any write', async () => {
    elbMock.on(DescribeRulesCommand).resolves({
      Rules: [
        {
          RuleArn: RULE,
          Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: BLUE, Weight: 1 }] } }],
        },
      ],
    });
    await expect(
      executors['alb-weighted'].apply(albTarget(), { type: 'set-weights', weights: { blue: 0, green: 100 } }, 'a#4'),
    ).rejects.toMatchObject({
      retryable: false,
      code: 'UnknownTargetGroup',
      message: expect.stringContaining('green'),
    });
    expect(elbMock).not.toHaveReceivedCommand(ModifyRuleCommand);
  });

  it('the default rule of a listener is refused before any write: ModifyRule cannot change its actions', async () => {
    // The ModifyRule API reference: "To modify the actions for the default rule, use ModifyListener."
    const defaultRule = rule(90, 10);
    defaultRule.Rules[0]!.IsDefault = true;
    elbMock.on(DescribeRulesCommand).resolves(defaultRule);
    await expect(
      executors['alb-weighted'].apply(albTarget(), { type: 'set-weights', weights: { blue: 0, green: 100 } }, 'a#5'),
    ).rejects.toMatchObject({
      retryable: false,
      code: 'InvalidAction',
      message: expect.stringContaining('is the default rule of its listener'),
    });
    expect(elbMock).not.toHaveReceivedCommand(ModifyRuleCommand);
  });

  it('a rule without a forward action is refused', async () => {
    elbMock.on(DescribeRulesCommand).resolves({
      Rules: [{ RuleArn: RULE, Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } }] }],
    });
    await expect(executors['alb-weighted'].observe(albTarget())).rejects.toMatchObject({
      retryable: false,
      message: expect.stringContaining('has no forward action (actions: fixed-response)'),
    });
  });

  it('refuses to act on a shadow target before any AWS call', async () => {
    await expect(
      executors['alb-weighted'].apply(
        albTarget('shadow'),
        { type: 'set-weights', weights: { blue: 0, green: 100 } },
        'a#5',
      ),
    ).rejects.toMatchObject({ retryable: false, code: 'TargetNotEnforced' });
    expect(elbMock).not.toHaveReceivedCommand(DescribeRulesCommand);
  });
});
