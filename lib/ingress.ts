/**
 * How drivers reach the ingest function, and the tick its schedule: CloudWatch alarm state changes on the
 * default bus, the business bus (with its resource policy binding each source to its senders), the SNS topic
 * for classic alarm notifications, direct alarm actions, and the reconciliation schedule.
 */
import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DECISION_EVENT_SOURCE, DETAIL_TYPES } from '../functions/contracts';
import type { DecisionStatus } from '../functions/ports';
import { businessBusName } from '../functions/domain/naming';
import { alarmTopicStatements } from './alarm-topic-policy';
import { BUS_DETAIL_TYPES, businessBusPolicy } from './bus-policy';
import type { SourceSenders } from './resource-arns';

/**
 * EventBridge rejects event patterns over 2048 characters unless the quota was raised; alarm names and
 * sources are split across rules so that each pattern stays well below it.
 */
const EVENT_PATTERN_VALUES_BUDGET = 1500;

export interface DrivetrainIngressProps {
  /** The deployment name (physical names and descriptions). */
  readonly name: string;
  /** Receives every driver. */
  readonly ingest: lambda.IFunction;
  /** Run on the schedule. */
  readonly tick: lambda.IFunction;
  /** Where EventBridge and SNS keep what they could not deliver. */
  readonly deliveryDeadLetterQueue: sqs.IQueue;
  /** The CloudWatch alarms the config names (lib/resource-arns.ts `configuredAlarmNames`). */
  readonly alarmNames: readonly string[];
  /** Each business source with the principals allowed to send it (lib/resource-arns.ts `sourceSenders`). */
  readonly senders: SourceSenders[];
  /** Grant each configured alarm a direct alarm action on the ingest function. */
  readonly directAlarmActions: boolean;
  readonly tickInterval: Duration;
  /** Keep the topic's KMS key when the stack is removed. */
  readonly retainData: boolean;
  /** How long the business bus's archive keeps every driver event sent to it (0: no archive). */
  readonly driverHistoryRetention: Duration;
  /** The roles that publish decision events on the business bus (lib/functions.ts). */
  readonly decisionPublishers: readonly iam.IRole[];
  /** Where applied/failed/degraded (and on-fallback) decision events are sent. @default - no topic */
  readonly decisionNotifications?: DecisionNotifications;
}

/**
 * The decision statuses a notification topic gets by default: the ones that changed something, failed to, or
 * were applied but do not serve (`degraded`, from the follow-through).
 */
export const DEFAULT_NOTIFIED_STATUSES = ['applied', 'failed', 'degraded'] as const satisfies readonly DecisionStatus[];

export interface DecisionNotifications {
  /** Receives one message per matching decision. A KMS-encrypted topic's key must let events.amazonaws.com use it. */
  readonly topic: sns.ITopic;
  /** @default DEFAULT_NOTIFIED_STATUSES */
  readonly statuses?: readonly DecisionStatus[];
  /** Also notify every decision made on the fallback allocation (all telemetry stale). @default true */
  readonly onFallback?: boolean;
}

export class DrivetrainIngress extends Construct {
  readonly businessBus: events.EventBus;
  readonly alarmNotificationTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: DrivetrainIngressProps) {
    super(scope, id);
    const driverTarget = () =>
      new targets.LambdaFunction(props.ingest, {
        deadLetterQueue: props.deliveryDeadLetterQueue,
        // Retries cover Lambda throttling or unavailability; two hours covers a regional blip without
        // delivering alarm states so old they could only be discarded as out of order.
        retryAttempts: 8,
        maxEventAge: Duration.hours(2),
      });
    this.alarmStateChangeRules(props, driverTarget);
    this.businessBus = this.buildBusinessBus(props, driverTarget);
    this.alarmNotificationTopic = this.buildAlarmTopic(props);
    if (props.decisionNotifications) this.notifyDecisions(props.name, this.businessBus, props.decisionNotifications);
    if (props.directAlarmActions) {
      props.alarmNames.forEach((alarmName, i) => {
        props.ingest.addPermission(`AlarmAction${i + 1}`, {
          principal: new iam.ServicePrincipal('lambda.alarms.cloudwatch.amazonaws.com'),
          action: 'lambda:InvokeFunction',
          sourceAccount: Aws.ACCOUNT_ID,
          sourceArn: `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:${alarmName}`,
        });
      });
    }
    new events.Rule(this, 'ReconciliationTick', {
      description: `Drivetrain ${props.name}: reconcile every target every ${props.tickInterval.toHumanString()}`,
      schedule: events.Schedule.rate(props.tickInterval),
      targets: [
        new targets.LambdaFunction(props.tick, {
          deadLetterQueue: props.deliveryDeadLetterQueue,
          retryAttempts: 2,
          // A tick that could not start within a minute is superseded by the next one.
          maxEventAge: Duration.minutes(1),
        }),
      ],
    });
  }

  private alarmStateChangeRules(props: DrivetrainIngressProps, driverTarget: () => events.IRuleTarget): void {
    chunkByLength(props.alarmNames, EVENT_PATTERN_VALUES_BUDGET).forEach((chunk, i) => {
      new events.Rule(this, `AlarmStateChanges${i === 0 ? '' : i + 1}`, {
        description: `Drivetrain ${props.name}: state changes of the configured CloudWatch alarms${i === 0 ? '' : ` (part ${i + 1})`}`,
        // Pinned to this account and region: a same-named alarm of another account forwarded to this bus
        // (cross-account event routing) must not drive scaling here. Ingest checks the same again.
        eventPattern: {
          source: ['aws.cloudwatch'],
          detailType: [DETAIL_TYPES.alarmStateChange],
          account: [Aws.ACCOUNT_ID],
          region: [Aws.REGION],
          detail: { alarmName: chunk },
        },
        targets: [driverTarget()],
      });
    });
  }

  private buildBusinessBus(props: DrivetrainIngressProps, driverTarget: () => events.IRuleTarget): events.EventBus {
    const busName = businessBusName(props.name);
    const bus = new events.EventBus(this, 'BusinessBus', {
      eventBusName: busName,
      description: `Drivetrain ${props.name}: business drivers and metric snapshots`,
    });
    // The policy is set inline on the bus instead of as EventBusPolicy resources: one atomic document, and
    // no statement ids that CloudFormation requires to be unique across every stack in the account.
    const busArn = `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/${busName}`;
    (bus.node.defaultChild as events.CfnEventBus).policy = businessBusPolicy({
      busArn,
      senders: props.senders,
      decisionPublishers: props.decisionPublishers.map((role) => role.roleArn),
    });
    const sources = props.senders.map((s) => s.source);
    // The driver history of the bus: every driver event put on it (not Drivetrain's own decision events),
    // replayable with StartReplay; replayed events are recorded with lineage channel `replay`.
    if (props.driverHistoryRetention.toDays() > 0)
      bus.archive('DriverHistory', {
        description: `Drivetrain ${props.name}: every driver event on the business bus`,
        eventPattern: { detailType: [...BUS_DETAIL_TYPES] },
        retention: props.driverHistoryRetention,
      });
    chunkByLength(sources, EVENT_PATTERN_VALUES_BUDGET).forEach((chunk, i) => {
      new events.Rule(this, `BusinessDrivers${i === 0 ? '' : i + 1}`, {
        description: `Drivetrain ${props.name}: business drivers and metric snapshots from the allowed sources${i === 0 ? '' : ` (part ${i + 1})`}`,
        eventBus: bus,
        eventPattern: { source: chunk, detailType: [...BUS_DETAIL_TYPES] },
        targets: [driverTarget()],
      });
    });
    return bus;
  }

  /**
   * Decision events → SNS without code: a rule on the bus filtered to the statuses (or on fallback), with an
   * input transformer that turns the event into a one-line message an operator can read on a phone.
   */
  private notifyDecisions(name: string, bus: events.IEventBus, options: DecisionNotifications): void {
    const statuses = [...(options.statuses ?? DEFAULT_NOTIFIED_STATUSES)];
    const onFallback = options.onFallback ?? true;
    const field = (path: string) => events.EventField.fromPath(`$.detail.${path}`);
    new events.Rule(this, 'DecisionNotifications', {
      description: `Drivetrain ${name}: decision events (${statuses.join(', ')}${onFallback ? ', on fallback' : ''}) to SNS`,
      eventBus: bus,
      eventPattern: decisionNotificationPattern(statuses, onFallback),
      targets: [
        decisionTopicTarget(
          options.topic,
          events.RuleTargetInput.fromText(
            `Drivetrain ${field('deployment')} ${field('targetId')}: ${field('status')} (${field('mode')}) ` +
              `${field('summary')} [drivetrain explain ${field('decisionId')}]`,
          ),
          businessBusName(name),
        ),
      ],
    });
  }

  private buildAlarmTopic(props: DrivetrainIngressProps): sns.Topic {
    const alarmArnPattern = `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*`;
    const topicKey = new kms.Key(this, 'AlarmNotificationsKey', {
      description: `Drivetrain ${props.name}: encrypts the alarm-notification topic`,
      enableKeyRotation: true,
      // Deleting a key makes whatever it encrypted unreadable; throw-away environments schedule deletion.
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    // The AWS managed aws/sns key cannot be used here: CloudWatch alarms can only publish to a topic whose
    // key policy lets the CloudWatch service principal generate data keys.
    topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisAccountMayPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': alarmArnPattern },
        },
      }),
    );
    const topic = new sns.Topic(this, 'AlarmNotifications', {
      topicName: `${props.name}-alarm-notifications`,
      displayName: `Drivetrain ${props.name} alarm notifications`,
      masterKey: topicKey,
      enforceSSL: true,
    });
    for (const statement of alarmTopicStatements({
      topicArn: topic.topicArn,
      account: Aws.ACCOUNT_ID,
      alarmArnPattern,
    })) {
      topic.addToResourcePolicy(statement);
    }
    topic.addSubscription(
      new subscriptions.LambdaSubscription(props.ingest, { deadLetterQueue: props.deliveryDeadLetterQueue }),
    );
    return topic;
  }
}

/**
 * The SNS target of the decision-notification rule. CDK's SnsTopic target lets events.amazonaws.com publish
 * with no condition, so a rule of any account could post a forged decision to the people on the topic: here
 * the grant is held to rules on Drivetrain's business bus of this account (aws:SourceArn, aws:SourceAccount),
 * the confused-deputy guard the SNS guide prescribes. A pattern rather than the rule's own ARN, so a topic of
 * another stack takes the grant without a reference cycle between the stacks. An imported topic takes no
 * policy (as with CDK's target): its owner grants EventBridge.
 */
function decisionTopicTarget(topic: sns.ITopic, message: events.RuleTargetInput, busName: string): events.IRuleTarget {
  return {
    bind: () => {
      topic.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: {
            StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
            ArnLike: {
              'aws:SourceArn': `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:rule/${busName}/*`,
            },
          },
        }),
      );
      // What CDK's target grants on a KMS-encrypted topic's key, unchanged (the key only serves the topic).
      topic.masterKey?.grant(new iam.ServicePrincipal('events.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
      return { arn: topic.topicArn, input: message, targetResource: topic };
    },
  };
}

/** Splits values so that each chunk's JSON stays under `budget` characters (a value longer than that goes alone). */
export function chunkByLength(values: readonly string[], budget: number): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let length = 0;
  for (const value of values) {
    const size = JSON.stringify(value).length + 1;
    if (current.length > 0 && length + size > budget) {
      chunks.push(current);
      current = [];
      length = 0;
    }
    current.push(value);
    length += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** The event pattern of the decision-notification rule: Drivetrain's decision events with a listed status, or on fallback. */
export function decisionNotificationPattern(statuses: readonly string[], onFallback: boolean): events.EventPattern {
  const byStatus = { status: [...statuses] };
  return {
    source: [DECISION_EVENT_SOURCE],
    detailType: [DETAIL_TYPES.decision],
    detail: onFallback ? { $or: [byStatus, { onFallback: [true] }] } : byStatus,
  };
}
