/**
 * Decision events and per-target telemetry in the synthesized template: who may publish (IAM), that the
 * ingest rules never match a decision event (no loop), the optional SNS notification rule, and that the
 * dashboard's per-target widgets read exactly the metric names and dimensions the handlers emit (both from
 * functions/contracts.ts; test/handlers/decision-events.test.ts checks the EMF side).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import {
  DECISION_EVENT_SOURCE,
  DEPLOYMENT_DIMENSION,
  DETAIL_TYPES,
  ENV,
  METRICS_NAMESPACE,
  PER_TARGET_TELEMETRY_MAX,
  perTargetTelemetryIds,
  SERVICE_NAME,
  STATUS_DIMENSION,
  TARGET_DIMENSION,
  TARGET_METRIC,
} from '../../functions/contracts';
import { businessBusName } from '../../functions/domain/naming';
import { DECISION_STATUSES } from '../../functions/ports';
import { DrivetrainStack } from '../../lib';
import { resolveIntrinsics, simulate, STACK_ACCOUNT, STACK_REGION } from '../support/iam-simulator';
import { appWithoutBundling, fixtureConfig, flatten, resourcesOf, synthStack } from './support';

const config = fixtureConfig();
const { template } = synthStack({ config });
const busName = businessBusName(config.name);
const busArn = `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:event-bus/${busName}`;

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown };
function statementsOfRoleNamed(fragment: string): Statement[] {
  const policies = resourcesOf(template, 'AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(fragment))
    .flatMap((p) => (flatten(p.Properties.PolicyDocument) as { Statement: Statement[] }).Statement);
}

describe('decision events: publishing', () => {
  it.each(['Ingest', 'ShardWorker', 'Operator'])(
    '%s may PutEvents on the business bus only, and knows its name',
    (fn) => {
      const puts = statementsOfRoleNamed(fn).filter((s) => [s.Action].flat().includes('events:PutEvents'));
      expect(puts).toEqual([expect.objectContaining({ Sid: 'PublishDecisionEvents', Resource: busArn })]);
      const functions = Object.values(resourcesOf(template, 'AWS::Lambda::Function')).filter((f) =>
        String((f.Properties as { Description?: string }).Description).includes(
          fn === 'Ingest' ? 'store drivers' : fn === 'ShardWorker' ? 'one shard' : 'operator',
        ),
      );
      expect(functions.length).toBeGreaterThan(0);
      for (const f of functions)
        expect(
          (f.Properties as { Environment: { Variables: Record<string, string> } }).Environment.Variables,
        ).toMatchObject({ [ENV.businessBusName]: busName });
    },
  );

  it('the tick (which records no decision when deployed) may not publish', () => {
    expect(statementsOfRoleNamed('Tick').some((s) => [s.Action].flat().includes('events:PutEvents'))).toBe(false);
  });

  it('no ingest rule on the bus matches a decision event: decision events never loop back into ingest', () => {
    const rules = Object.values(resourcesOf(template, 'AWS::Events::Rule'));
    const ingestRules = rules.filter((r) => String(r.Properties.Description).includes('business drivers'));
    expect(ingestRules.length).toBeGreaterThan(0);
    for (const rule of ingestRules) {
      const pattern = rule.Properties.EventPattern as { source: string[]; 'detail-type': string[] };
      expect(pattern.source).not.toContain(DECISION_EVENT_SOURCE);
      expect(pattern['detail-type']).not.toContain(DETAIL_TYPES.decision);
      expect(pattern['detail-type'].length).toBeGreaterThan(0);
    }
  });

  it('a config may not claim the decision events source as a business source', () => {
    const bad = fixtureConfig();
    bad.sourcePrincipals[DECISION_EVENT_SOURCE] = ['arn:aws:iam::111122223333:role/x'];
    bad.targets[0]!.allowedSources.push(DECISION_EVENT_SOURCE);
    expect(() => new DrivetrainStack(appWithoutBundling(), 'Bad', { config: bad })).toThrow(
      /source of Drivetrain's own decision events/,
    );
  });
});

describe('decision notifications (optional SNS topic)', () => {
  it('absent by default', () => {
    template.resourcePropertiesCountIs(
      'AWS::Events::Rule',
      { EventPattern: Match.objectLike({ source: [DECISION_EVENT_SOURCE] }) },
      0,
    );
  });

  it('a rule on the bus, applied/failed/degraded or on-fallback decision events, to the topic through an input transformer', () => {
    const app = appWithoutBundling();
    const topicStack = new Stack(app, 'Topics');
    const topic = new sns.Topic(topicStack, 'Ops');
    const stack = new DrivetrainStack(app, 'WithTopic', { config, decisionNotifications: { topic } });
    const rules = Object.values(resourcesOf(Template.fromStack(stack), 'AWS::Events::Rule')).filter((r) =>
      String(JSON.stringify(r.Properties.EventPattern)).includes(DECISION_EVENT_SOURCE),
    );
    expect(rules).toHaveLength(1);
    const rule = rules[0]!.Properties as {
      EventPattern: unknown;
      EventBusName: unknown;
      Targets: Array<{ InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: string } }>;
    };
    expect(rule.EventPattern).toEqual({
      source: [DECISION_EVENT_SOURCE],
      'detail-type': [DETAIL_TYPES.decision],
      detail: { $or: [{ status: ['applied', 'failed', 'degraded'] }, { onFallback: [true] }] },
    });
    const transformer = rule.Targets[0]!.InputTransformer;
    expect(Object.values(transformer.InputPathsMap).sort()).toEqual(
      [
        '$.detail.decisionId',
        '$.detail.deployment',
        '$.detail.mode',
        '$.detail.status',
        '$.detail.summary',
        '$.detail.targetId',
      ].sort(),
    );
    expect(transformer.InputTemplate).toContain('drivetrain explain');
  });

  describe('the topic policy (IAM simulator): EventBridge may publish for the rules of this bus only', () => {
    const app = appWithoutBundling();
    const topicStack = new Stack(app, 'Topics');
    const topic = new sns.Topic(topicStack, 'Ops');
    new DrivetrainStack(app, 'WithTopic', { config, decisionNotifications: { topic } });
    const topicId = topicStack.getLogicalId(topic.node.defaultChild as sns.CfnTopic);
    const TOPIC_ARN = `arn:aws:sns:${STACK_REGION}:${STACK_ACCOUNT}:ops`;
    const [policy] = Object.values(resourcesOf(Template.fromStack(topicStack), 'AWS::SNS::TopicPolicy'));
    const resourcePolicy = resolveIntrinsics(policy?.Properties.PolicyDocument, { [topicId]: TOPIC_ARN });
    const ruleArn = (account: string, bus: string) => `arn:aws:events:${STACK_REGION}:${account}:rule/${bus}/notify`;
    const publish = (sourceArn: string) =>
      simulate({
        principal: 'events.amazonaws.com',
        action: 'sns:Publish',
        resource: TOPIC_ARN,
        context: { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': sourceArn.split(':')[4]! },
        resourcePolicy,
      });

    it('a rule on the business bus of this account may publish', async () => {
      await expect(publish(ruleArn(STACK_ACCOUNT, businessBusName(config.name)))).resolves.toBe('Allowed');
    });

    it.each([
      ['a rule of another account (the confused deputy)', ruleArn('999999999999', businessBusName(config.name))],
      ['a rule of another account on its default bus', ruleArn('999999999999', 'default')],
      ['a rule of this account on another bus', ruleArn(STACK_ACCOUNT, 'default')],
    ])('%s may not', async (_label, sourceArn) => {
      await expect(publish(sourceArn)).resolves.not.toBe('Allowed');
    });

    it("a KMS-encrypted topic's key lets EventBridge use it, as CDK's own SNS target does", () => {
      const keyed = appWithoutBundling();
      const keyStack = new Stack(keyed, 'Keyed');
      const masterKey = new kms.Key(keyStack, 'Key');
      const encrypted = new sns.Topic(keyStack, 'Ops', { masterKey });
      new DrivetrainStack(keyed, 'WithKeyedTopic', { config, decisionNotifications: { topic: encrypted } });
      const [key] = Object.values(resourcesOf(Template.fromStack(keyStack), 'AWS::KMS::Key'));
      expect(JSON.stringify(key?.Properties.KeyPolicy)).toContain('events.amazonaws.com');
    });
  });
});

describe('dashboard: a section per target, reading exactly what the handlers emit', () => {
  const body = (() => {
    const [dashboard] = Object.values(resourcesOf(template, 'AWS::CloudWatch::Dashboard'));
    return JSON.parse(String(flatten(dashboard!.Properties.DashboardBody))) as {
      widgets: Array<{ type: string; properties: { title?: string; markdown?: string; metrics?: unknown[][] } }>;
    };
  })();
  /** [namespace, name, k1, v1, k2, v2, ..., options] → name and dimensions. */
  const parse = (row: unknown[]) => {
    const cells = row.filter((c) => typeof c === 'string') as string[];
    const [namespace, name, ...pairs] = cells;
    const dimensions: Record<string, string> = {};
    for (let i = 0; i + 1 < pairs.length; i += 2) dimensions[pairs[i]!] = pairs[i + 1]!;
    return { namespace, name, dimensions };
  };
  const targetMetrics = body.widgets
    .flatMap((w) => w.properties.metrics ?? [])
    .map(parse)
    .filter((m) => m.dimensions[TARGET_DIMENSION] !== undefined);

  it('one header and two graphs per configured target', () => {
    for (const id of perTargetTelemetryIds(config.targets)) {
      expect(body.widgets.filter((w) => w.properties.markdown === `### Target \`${id}\``)).toHaveLength(1);
      expect(body.widgets.filter((w) => w.properties.title?.startsWith(`${id}: `))).toHaveLength(2);
    }
  });

  it('every per-target widget metric is a TARGET_METRIC name with the handlers’ dimensions', () => {
    const names = new Set<string>(Object.values(TARGET_METRIC));
    expect(targetMetrics.length).toBeGreaterThan(0);
    for (const m of targetMetrics) {
      expect(m.namespace).toBe(METRICS_NAMESPACE);
      expect(names.has(m.name!)).toBe(true);
      const expected = {
        service: SERVICE_NAME,
        [DEPLOYMENT_DIMENSION]: config.name,
        [TARGET_DIMENSION]: expect.any(String),
      };
      if (m.name === TARGET_METRIC.decisions)
        expect(m.dimensions).toEqual({ ...expected, [STATUS_DIMENSION]: expect.stringMatching(/./) });
      else expect(m.dimensions).toEqual(expected);
    }
    // Every metric of the contract is on every target's section, and decisions by every status. The handlers
    // emit every one of them (test/handlers/decision-events.test.ts asserts the set over an applied plan's
    // life), so a widget can only reference an emitted metric.
    expect(new Set(targetMetrics.map((m) => m.name))).toEqual(names);
    for (const id of perTargetTelemetryIds(config.targets)) {
      const ofTarget = targetMetrics.filter((m) => m.dimensions[TARGET_DIMENSION] === id);
      expect(new Set(ofTarget.map((m) => m.name))).toEqual(names);
      expect(
        ofTarget.filter((m) => m.name === TARGET_METRIC.decisions).map((m) => m.dimensions[STATUS_DIMENSION]),
      ).toEqual([...DECISION_STATUSES]);
    }
  });

  it('targets past PER_TARGET_TELEMETRY_MAX get no section, and the dashboard says so', () => {
    const many = Array.from({ length: PER_TARGET_TELEMETRY_MAX + 3 }, (_, i) => ({ id: `t-${i}` }));
    expect(perTargetTelemetryIds(many)).toEqual(many.slice(0, PER_TARGET_TELEMETRY_MAX).map((t) => t.id));
    // The dashboard reads the same function, so the handlers' and the dashboard's targets are the same ones.
    const note = body.widgets.find((w) => w.properties.markdown?.startsWith('## Targets'));
    expect(note?.properties.markdown).toContain(`\`${TARGET_DIMENSION}\``);
  });
});

describe('driver history: the business bus archive', () => {
  it('keeps every driver event on the bus (not the decision events) for 30 days by default', () => {
    const archives = Object.values(resourcesOf(template, 'AWS::Events::Archive'));
    expect(archives).toHaveLength(1);
    expect(archives[0]!.Properties).toMatchObject({
      RetentionDays: 30,
      EventPattern: { 'detail-type': [DETAIL_TYPES.businessDriver, DETAIL_TYPES.metricSnapshot] },
    });
    expect(JSON.stringify(archives[0]!.Properties.EventPattern)).not.toContain(DETAIL_TYPES.decision);
  });

  it('retention is configurable in whole days; 0 means no archive; anything else is refused', () => {
    const build = (days: Duration) =>
      Template.fromStack(new DrivetrainStack(appWithoutBundling(), 'H', { config, driverHistoryRetention: days }));
    build(Duration.days(7)).hasResourceProperties('AWS::Events::Archive', { RetentionDays: 7 });
    build(Duration.days(0)).resourceCountIs('AWS::Events::Archive', 0);
    expect(() => build(Duration.hours(36))).toThrow(/driverHistoryRetention: 1 day 12 hours; allowed: whole days/);
    expect(() => build(Duration.days(4000))).toThrow(/driverHistoryRetention/);
  });
});
