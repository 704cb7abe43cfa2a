/**
 * First deploy in a real account (issue 11, items 5, 7, 9, 10), as CDK assertions on synthesized stacks:
 * deployment names every service accepts, stack tags kept off resources that cannot take them, a
 * per-deployment metrics dimension, and a redeploy path for the retained tables.
 */
import { validateConfig } from '../../functions/domain/config';
import { deploymentNameProblems, NAME_RULES, physicalNames } from '../../functions/domain/naming';
import { UNTAGGABLE_RESOURCE_TYPES } from '../../lib/drivetrain-stack';
import { fixtureConfig, synthStack } from './support';

describe('deployment names are validated against every service they end up in', () => {
  const withName = (name: string) => ({ ...fixtureConfig(), name });

  it.each([
    [
      'a "." (SQS, SNS and CloudFormation refuse it)',
      'dt.test',
      ['SQS queue name', 'SNS topic name', 'CloudFormation stack name', 'CloudWatch dashboard name'],
    ],
    ['an "_" (CloudFormation stack names refuse it)', 'dt_test', ['CloudFormation stack name']],
    ['a leading digit (fine: the stack name starts with "Drivetrain-")', '1dt', []],
    ['63 characters (SQS: "-delivery-dlq" leaves 67, fine)', `a${'b'.repeat(62)}`, []],
  ])('%s', (_label, name, services) => {
    const problems = deploymentNameProblems(name);
    expect(
      problems.map((p) => Object.values(NAME_RULES).find((r) => p.startsWith(`the ${r.service} `))?.service).sort(),
    ).toEqual([...services].sort());
    const result = validateConfig(withName(name), 'f.yaml');
    expect(result.ok).toBe(services.length === 0);
    if (!result.ok) expect(result.issues.every((i) => i.path === 'name')).toBe(true);
  });

  it('each rule is checked against the physical name the stack builds (the synthesized template uses the same names)', () => {
    const { template } = synthStack();
    const json = JSON.stringify(template.toJSON());
    for (const { rule, value } of physicalNames('dt-test')) {
      if (rule === 'cloudFormationStack' || rule === 'metricDimension') continue;
      expect(json).toContain(`"${value}"`);
    }
  });

  it('…and every physical name the template builds from the deployment name is one the validator checks', () => {
    const { template } = synthStack();
    const resources = Object.values(
      template.toJSON().Resources as Record<string, { Properties?: Record<string, unknown> }>,
    );
    const nameProps = ['QueueName', 'TopicName', 'AlarmName', 'TableName', 'Name', 'DashboardName'];
    const built = resources.flatMap((r) =>
      nameProps
        .map((p) => r.Properties?.[p])
        .filter((v): v is string => typeof v === 'string' && v.startsWith('dt-test')),
    );
    const checked = new Set(physicalNames('dt-test').map((n) => n.value));
    expect(built.length).toBeGreaterThan(10);
    expect(built.filter((name) => !checked.has(name))).toEqual([]);
  });

  it('every rule rejects what its service rejects and takes the longest name the service takes', () => {
    for (const rule of Object.values(NAME_RULES)) {
      const ok = 'A'.repeat(rule.maxLength);
      expect(rule.pattern.test(ok)).toBe(true);
      expect(rule.pattern.test('a\u0000b')).toBe(false);
    }
    expect(NAME_RULES.sqsQueue.pattern.test('a.b')).toBe(false);
    expect(NAME_RULES.snsTopic.pattern.test('a.b')).toBe(false);
    expect(NAME_RULES.dynamoDbTable.pattern.test('a.b')).toBe(true);
    expect(NAME_RULES.cloudFormationStack.pattern.test('Drivetrain-a_b')).toBe(false);
    expect(NAME_RULES.metricDimension.pattern.test(':x')).toBe(false);
  });
});

describe('stack-wide tags skip resource types that are not taggable everywhere', () => {
  const { template } = synthStack();
  const resources = template.toJSON().Resources as Record<
    string,
    { Type: string; Properties?: { Tags?: Array<{ Key: string }> } }
  >;

  it('the dashboard carries no Tags (cfn-lint E3002 in me-south-1 / me-central-1)', () => {
    const dashboards = Object.values(resources).filter((r) =>
      (UNTAGGABLE_RESOURCE_TYPES as readonly string[]).includes(r.Type),
    );
    expect(dashboards).toHaveLength(1);
    for (const dashboard of dashboards) expect(dashboard.Properties?.Tags).toBeUndefined();
  });

  it('... while taggable resources keep the deployment tag', () => {
    const tagged = Object.values(resources).filter((r) =>
      r.Properties?.Tags?.some((t) => t.Key === 'drivetrain:deployment'),
    );
    expect(new Set(tagged.map((r) => r.Type))).toEqual(expect.objectContaining({ size: expect.any(Number) }));
    expect(tagged.map((r) => r.Type)).toEqual(
      expect.arrayContaining([
        'AWS::DynamoDB::Table',
        'AWS::SQS::Queue',
        'AWS::Lambda::Function',
        'AWS::Events::EventBus',
      ]),
    );
  });
});

describe('two deployments in one account keep their metrics, dashboards and alarms apart', () => {
  const other = fixtureConfig();
  other.name = 'dt-other';
  const mine = JSON.stringify(synthStack().template.toJSON());
  const theirs = JSON.stringify(synthStack({ config: other }).template.toJSON());

  // The dashboard body is a JSON string inside the template: unescape it to read its metric arrays.
  const unescapeJson = (json: string) => json.replace(/\\"/g, '"');

  it('every application metric of the dashboard and the alarms carries deployment=<name>', () => {
    expect(unescapeJson(mine)).toContain(
      '"Drivetrain","DecisionsRecorded","deployment","dt-test","service","drivetrain"',
    );
    expect(unescapeJson(theirs)).toContain(
      '"Drivetrain","DecisionsRecorded","deployment","dt-other","service","drivetrain"',
    );
    expect(mine).not.toContain('dt-other');
    // No application metric without the dimension: every Drivetrain-namespace metric names its deployment ...
    for (const json of [mine, theirs])
      expect(unescapeJson(json).match(/"Drivetrain","[A-Za-z]+","service"/g)).toBeNull();
    // ... and so does every alarm on one.
    const alarms = Object.values(synthStack().template.findResources('AWS::CloudWatch::Alarm')) as Array<{
      Properties: {
        Namespace?: string;
        Dimensions?: unknown;
        Metrics?: Array<{ MetricStat?: { Metric: { Namespace: string; Dimensions: unknown } } }>;
      };
    }>;
    const dimensionSets = alarms.flatMap((a) => [
      ...(a.Properties.Namespace === 'Drivetrain' ? [a.Properties.Dimensions] : []),
      ...(a.Properties.Metrics ?? [])
        .filter((m) => m.MetricStat?.Metric.Namespace === 'Drivetrain')
        .map((m) => m.MetricStat!.Metric.Dimensions),
    ]);
    expect(dimensionSets.length).toBeGreaterThanOrEqual(3);
    for (const dimensions of dimensionSets)
      expect(dimensions).toEqual(expect.arrayContaining([{ Name: 'deployment', Value: 'dt-test' }]));
  });
});

describe('retained tables have a redeploy path (cdk deploy --import-existing-resources)', () => {
  const { template } = synthStack();
  const resources = template.toJSON().Resources as Record<
    string,
    { Type: string; DeletionPolicy?: string; UpdateReplacePolicy?: string; Properties: Record<string, unknown> }
  >;

  it('every retained resource either has a fixed name and Retain on both policies (importable), or a generated name (no clash)', () => {
    const retained = Object.entries(resources).filter(([, r]) => r.DeletionPolicy === 'Retain');
    expect(retained.map(([, r]) => r.Type).sort()).toEqual(
      [
        'AWS::DynamoDB::Table',
        'AWS::DynamoDB::Table',
        'AWS::DynamoDB::Table',
        'AWS::DynamoDB::Table',
        'AWS::DynamoDB::Table',
        'AWS::KMS::Key',
        'AWS::Logs::LogGroup',
        'AWS::Logs::LogGroup',
        'AWS::Logs::LogGroup',
        'AWS::Logs::LogGroup',
      ].sort(),
    );
    for (const [, r] of retained) {
      expect(r.UpdateReplacePolicy).toBe('Retain');
      if (r.Type === 'AWS::DynamoDB::Table')
        expect(r.Properties.TableName).toEqual(
          expect.stringMatching(/^dt-test-(drivers|decisions|state|idempotency|history)$/),
        );
      if (r.Type === 'AWS::Logs::LogGroup') expect(r.Properties.LogGroupName).toBeUndefined();
    }
  });
});
