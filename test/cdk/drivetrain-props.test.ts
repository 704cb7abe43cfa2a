/** One test (at least) per prop of the Drivetrain construct and its stack; bundling skipped throughout. */
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { join } from 'node:path';
import {
  InvalidConfigError,
  formatIssue,
  validateConfig,
  type DrivetrainConfigInput,
} from '../../functions/domain/config';
import { handlerBundleDir } from '../../lib/handlers';
import { Drivetrain, MAX_DIRECT_ALARM_ACTIONS } from '../../lib/drivetrain';
import { DrivetrainStack } from '../../lib/drivetrain-stack';
import { appWithoutBundling, fixtureConfig, flatten, synthStack } from './support';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string }>;
const resources = (template: Template) => (flatten(template.toJSON()) as { Resources: Resources }).Resources;
const ofType = (template: Template, type: string) => Object.values(resources(template)).filter((r) => r.Type === type);

/** The smallest useful config: one Auto Scaling target driven by a metric, nobody allowed to override. */
function minimalConfig(): DrivetrainConfigInput {
  return {
    version: 1,
    name: 'minimal',
    drivers: [{ name: 'requests', kind: 'metric', targets: ['web'] }],
    targets: [
      {
        id: 'web',
        kind: 'ec2-asg',
        resource: { kind: 'ec2-asg', autoScalingGroupName: 'web' },
        allowedSources: ['drivetrain.metrics'],
        policy: {
          version: '1',
          bounds: { min: 1, max: 10 },
          rules: [{ kind: 'metric', driver: 'requests', targetPerUnit: 100 }],
          fallback: { allocation: 2 },
        },
      },
    ],
    sourcePrincipals: { 'drivetrain.metrics': ['arn:aws:iam::111122223333:role/metrics-publisher'] },
  };
}

function construct(props: Partial<ConstructorParameters<typeof Drivetrain>[2]> = {}): Drivetrain {
  const stack = new Stack(appWithoutBundling(), 'PropsTest');
  return new Drivetrain(stack, 'Drivetrain', { config: fixtureConfig(), ...props });
}

function messagesOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidConfigError) return error.issues.map(formatIssue);
    throw error;
  }
  throw new Error('expected an InvalidConfigError');
}

describe('config', () => {
  test('builds only what the config needs: no alarm rule without alarm drivers, one source statement pair per source', () => {
    const { template } = synthStack({ config: minimalConfig() });
    const rules = ofType(template, 'AWS::Events::Rule');
    expect(
      rules.map(
        (r) =>
          (r.Properties.EventPattern as { source?: string[] } | undefined)?.source ?? r.Properties.ScheduleExpression,
      ),
    ).toEqual([['drivetrain.metrics'], 'rate(1 minute)']);
    expect(
      ofType(template, 'AWS::Lambda::Permission').filter(
        (p) => p.Properties.Principal === 'lambda.alarms.cloudwatch.amazonaws.com',
      ),
    ).toEqual([]);
    const policy = ofType(template, 'AWS::Events::EventBus')[0]!.Properties.Policy as {
      Statement: Array<{ Sid: string; Condition: Record<string, unknown> }>;
    };
    expect(policy.Statement.map((s) => s.Sid)).toEqual([
      'AcceptSource1',
      'DenySourceFromOtherPrincipals1',
      'DenyUnconfiguredSources',
      'DenyDecisionSourceFromOthers',
      'DenyDecisionDetailTypeFromOthers',
      'DenyOverridesOnTheBus',
    ]);
    // Overrides are denied on the bus to everyone, with no principal exception: they use the operator endpoint.
    expect(policy.Statement[5]!.Condition).toEqual({
      'ForAnyValue:StringEquals': { 'events:detail-type': ['Drivetrain Override'] },
    });
    const allocation = ofType(template, 'AWS::IAM::ManagedPolicy')[0]!.Properties.PolicyDocument as {
      Statement: Array<{ Sid: string }>;
    };
    expect(allocation.Statement.map((s) => s.Sid)).toEqual([
      'DescribeAutoScalingGroups',
      'SetCapacityOfConfiguredGroups',
      'SetFloorOfConfiguredGroups',
    ]);
    template.hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'minimal-decisions' });
  });

  test('raw (unparsed) input is validated with the runtime validator: defaults applied, errors thrown with paths', () => {
    const input = minimalConfig();
    const drivetrain = construct({ config: input });
    expect(drivetrain.config.targets[0]!.mode).toBe('shadow');
    const broken = {
      ...input,
      targets: [{ ...input.targets[0]!, policy: { ...input.targets[0]!.policy, bounds: { min: 5, max: 1 } } }],
    };
    const expected = validateConfig(broken);
    expect(expected.ok).toBe(false);
    const messages = messagesOf(() => construct({ config: broken }));
    expect(messages).toEqual(expected.issues.map(formatIssue));
    expect(messages.join('\n')).toMatch(/^<inline>: targets\[0\]\.policy\.bounds.*min \(5\) is greater than max \(1\)/);
  });

  test.each([
    [
      'an STS session ARN as override principal',
      (c: ReturnType<typeof fixtureConfig>) =>
        (c.targets[0]!.overridePrincipals = ['arn:aws:sts::111122223333:assumed-role/oncall/alice']),
      /targets\[0\]\.overridePrincipals\[0\]: .*STS session ARN; aws:PrincipalArn holds the role ARN/,
    ],
    [
      'an override principal without an account',
      (c: ReturnType<typeof fixtureConfig>) => (c.targets[0]!.overridePrincipals = ['arn:aws:iam::*:role/oncall']),
      /targets\[0\]\.overridePrincipals\[0\]: .*not an IAM principal ARN with a 12-digit account/,
    ],
    [
      'a function name carrying its own qualifier',
      (c: ReturnType<typeof fixtureConfig>) => {
        const resource = c.targets[1]!.resource;
        if (resource.kind === 'lambda-provisioned-concurrency') resource.functionName = 'checkout:live';
      },
      /targets\[1\]\.resource\.functionName: "checkout:live" carries a qualifier/,
    ],
  ])('infrastructure checks: %s', (_, edit, message) => {
    const config = fixtureConfig();
    edit(config);
    const messages = messagesOf(() => construct({ config }));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(message);
  });
});

test('configFile names the file in every message', () => {
  const config = fixtureConfig();
  config.targets[0]!.overridePrincipals = ['oncall'];
  expect(messagesOf(() => construct({ config, configFile: 'accounts/prod.yaml' }))[0]).toMatch(
    /^accounts\/prod\.yaml: targets\[0\]\.overridePrincipals\[0\]: /,
  );
});

test('alarmTopic: every control-plane alarm notifies it on ALARM and on OK', () => {
  const stack = new Stack(appWithoutBundling(), 'PropsTest');
  const topic = new sns.Topic(stack, 'OpsTopic');
  new Drivetrain(stack, 'Drivetrain', { config: fixtureConfig(), alarmTopic: topic });
  const topicRef = `\${${stack.getLogicalId(topic.node.defaultChild as sns.CfnTopic)}}`;
  const alarms = ofType(Template.fromStack(stack), 'AWS::CloudWatch::Alarm');
  expect(alarms).toHaveLength(12);
  for (const alarm of alarms) {
    expect(alarm.Properties.AlarmActions).toEqual([topicRef]);
    expect(alarm.Properties.OKActions).toEqual([topicRef]);
  }
});

test('logRetention applies to every function log group (ingest, tick, shard worker, operator endpoint)', () => {
  const { template } = synthStack({ logRetention: logs.RetentionDays.ONE_YEAR });
  expect(ofType(template, 'AWS::Logs::LogGroup').map((g) => g.Properties.RetentionInDays)).toEqual([
    365, 365, 365, 365,
  ]);
});

test('retainData: false lets tables and log groups go with the stack (throw-away environments)', () => {
  const { template } = synthStack({ retainData: false });
  const tables = ofType(template, 'AWS::DynamoDB::Table');
  expect(tables).toHaveLength(5);
  for (const table of tables) {
    expect(table.DeletionPolicy).toBe('Delete');
    expect(table.Properties.DeletionProtectionEnabled).toBe(false);
  }
  for (const group of ofType(template, 'AWS::Logs::LogGroup')) expect(group.DeletionPolicy).toBe('Delete');
  expect(ofType(template, 'AWS::KMS::Key').map((key) => key.DeletionPolicy)).toEqual(['Delete']);
  // The default keeps all of them.
  expect(ofType(synthStack().template, 'AWS::KMS::Key').map((key) => key.DeletionPolicy)).toEqual(['Retain']);
});

describe('tickInterval', () => {
  test('sets the schedule, how long a shard is valid and the stall alarm window; the tick timeout stays short (it only plans)', () => {
    const { template } = synthStack({ tickInterval: Duration.minutes(5) });
    expect(
      ofType(template, 'AWS::Events::Rule')
        .filter((r) => r.Properties.ScheduleExpression)
        .map((r) => r.Properties.ScheduleExpression),
    ).toEqual(['rate(5 minutes)']);
    const tick = ofType(template, 'AWS::Lambda::Function').find((f) =>
      String(f.Properties.Description).includes('reconcile every target'),
    )!;
    expect(tick.Properties.Timeout).toBe(30);
    expect(
      (tick.Properties.Environment as { Variables: Record<string, unknown> }).Variables.TICK_INTERVAL_SECONDS,
    ).toBe('300');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'dt-test-reconciliation-stalled',
      Period: 600,
    });
  });

  test.each([Duration.seconds(90), Duration.seconds(30)])(
    'rejects %s (EventBridge rates are whole minutes)',
    (interval) => {
      expect(messagesOf(() => construct({ tickInterval: interval }))[0]).toMatch(
        /tickInterval: .* whole number of minutes/,
      );
    },
  );
});

describe('actionFailureRatePercent', () => {
  test('is the failure-rate alarm threshold', () => {
    const { template } = synthStack({ actionFailureRatePercent: 25 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'dt-test-action-failure-rate',
      Threshold: 25,
    });
  });

  test.each([0, 100, Number.NaN])('rejects %s', (rate) => {
    expect(messagesOf(() => construct({ actionFailureRatePercent: rate }))[0]).toMatch(
      /actionFailureRatePercent: .*allowed: more than 0 and less than 100/,
    );
  });
});

describe('directAlarmActions', () => {
  const manyAlarms = (count: number) => {
    const config = fixtureConfig();
    config.drivers[0]!.alarmNames = Array.from(
      { length: count },
      (_, i) => `web-fleet-cpu-high-in-availability-zone-${String(i).padStart(3, '0')}`,
    );
    return config;
  };

  test('false: no alarm-action permissions; the EventBridge rule still matches every alarm', () => {
    const { template } = synthStack({ directAlarmActions: false });
    expect(
      ofType(template, 'AWS::Lambda::Permission').filter(
        (p) => p.Properties.Principal === 'lambda.alarms.cloudwatch.amazonaws.com',
      ),
    ).toEqual([]);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { detail: { alarmName: ['api-euw1-5xx', 'api-use1-5xx', 'web-cpu-high', 'web-cpu-low'] } },
    });
  });

  test(`true with more than ${MAX_DIRECT_ALARM_ACTIONS} alarms fails with the way out in the message`, () => {
    expect(messagesOf(() => construct({ config: manyAlarms(MAX_DIRECT_ALARM_ACTIONS) }))[0]).toMatch(
      /at most 40 fit in a Lambda resource policy\. Set directAlarmActions: false/,
    );
  });

  test('many alarms are split over several rules, each pattern below the 2048-character default quota', () => {
    const { template } = synthStack({ config: manyAlarms(120), directAlarmActions: false });
    const alarmRules = ofType(template, 'AWS::Events::Rule').filter(
      (r) => (r.Properties.EventPattern as { source?: string[] } | undefined)?.source?.[0] === 'aws.cloudwatch',
    );
    expect(alarmRules.length).toBeGreaterThan(1);
    const names = alarmRules.flatMap(
      (r) => (r.Properties.EventPattern as { detail: { alarmName: string[] } }).detail.alarmName,
    );
    expect(names).toHaveLength(120 + 3);
    expect(new Set(names).size).toBe(names.length);
    for (const rule of alarmRules) expect(JSON.stringify(rule.Properties.EventPattern).length).toBeLessThan(2048);
  });
});

test('handlers: bundle directories must hold a bundle, and a missing one stops the synth naming it', () => {
  const missing = join(__dirname, 'fixtures/no-such-bundle');
  expect(() => construct({ handlers: { ingest: missing, tick: missing, shard: missing, operator: missing } })).toThrow(
    /no-such-bundle\/handler\.mjs is missing/,
  );
  expect(() =>
    construct({
      handlers: {
        ingest: handlerBundleDir('tick'),
        tick: handlerBundleDir('ingest'),
        shard: handlerBundleDir('shard'),
        operator: handlerBundleDir('operator'),
      },
    }),
  ).not.toThrow();
});

test('DrivetrainStack passes stack props through and tags every resource with the deployment name', () => {
  const app = appWithoutBundling();
  const stack = new DrivetrainStack(app, 'Tagged', {
    config: fixtureConfig(),
    terminationProtection: true,
    description: 'drivetrain under test',
  });
  expect(stack.terminationProtection).toBe(true);
  const template = Template.fromStack(stack);
  expect(template.toJSON().Description).toBe('drivetrain under test');
  template.hasResourceProperties('AWS::DynamoDB::Table', {
    Tags: [{ Key: 'drivetrain:deployment', Value: 'dt-test' }],
  });
});
