/**
 * Drivetrain in one construct: give it a config (targets, policies, allowed sources) and it builds the
 * tables, the event routing (default-bus alarm rule, a business-driver bus with a resource policy, an SNS
 * topic for classic alarm notifications, direct alarm actions, the reconciliation tick), the two functions
 * with permissions scoped to the configured resources, and the dashboard and alarms on the control plane.
 *
 * The config is validated here with the runtime's own validator (and a few checks only the infrastructure
 * needs), so a bad config stops the synth with the validator's messages before anything is built.
 */
import { Aws, CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DETAIL_TYPES, ENV } from '../functions/contracts';
import { DEFAULT_SHARD_CONCURRENCY, SHARD_WORKER_TIMEOUT_SECONDS } from '../functions/app/shards';
import { businessBusName } from '../functions/domain/naming';
import {
  InvalidConfigError,
  validateConfig,
  type ConfigIssue,
  type DrivetrainConfig,
  type DrivetrainConfigInput,
} from '../functions/domain/config';
import { AllocationPolicy } from './allocation-policy';
import { alarmTopicStatements } from './alarm-topic-policy';
import { BUS_DETAIL_TYPES, businessBusPolicy } from './bus-policy';
import { DrivetrainFunction } from './drivetrain-function';
import { HANDLER_NAMES, handlerBundleDir, type HandlerName } from './handlers';
import { DrivetrainObservability } from './observability';
import { pendingGraceSeconds } from './pending-grace';
import { OperatorEndpoint } from './operator-endpoint';
import {
  allocationResources,
  configuredAlarmNames,
  operatorPrincipals,
  overridePrincipals,
  sourceSenders,
} from './resource-arns';
import { DrivetrainTables, type DrivetrainTableMap } from './tables';

/** The pre-built bundle directory of every handler (lib/handlers.ts lists them), by handler name. */
export const DEFAULT_HANDLERS = Object.fromEntries(
  HANDLER_NAMES.map((name) => [name, handlerBundleDir(name)]),
) as Record<HandlerName, string>;

/** The tick only plans and enqueues shards: a few SendMessageBatch calls, whatever the number of targets. */
export const TICK_TIMEOUT_SECONDS = 30;

/** Receives of a shard message before it is kept in the shard DLQ: only an unreadable message gets that far. */
const SHARD_MAX_RECEIVES = 3;

/**
 * One Lambda permission statement per alarm keeps the direct alarm-action grant exact, but a function's
 * resource policy is capped at 20 KB; past this many alarms the grant would no longer fit beside the
 * EventBridge and SNS statements.
 */
export const MAX_DIRECT_ALARM_ACTIONS = 40;

/**
 * EventBridge rejects event patterns over 2048 characters unless the quota was raised; alarm names and
 * sources are split across rules so that each pattern stays well below it.
 */
const EVENT_PATTERN_VALUES_BUDGET = 1500;

export interface DrivetrainProps {
  /** Targets, policies, driver catalogue, allowed sources. Validated again here, so raw input is fine. */
  config: DrivetrainConfig | DrivetrainConfigInput;
  /** Names the config's file in validation messages. @default '<inline>' */
  configFile?: string;
  /** Notified when a control-plane alarm fires and when it recovers. @default - alarms without actions */
  alarmTopic?: sns.ITopic;
  /** Retention of the functions' log groups. @default logs.RetentionDays.ONE_MONTH */
  logRetention?: logs.RetentionDays;
  /**
   * Keep the tables and log groups, with deletion protection on the tables, when the stack or a resource
   * is removed. Turn off only for throw-away environments. @default true
   */
  retainData?: boolean;
  /** How often the reconciliation tick runs; whole minutes. @default Duration.minutes(1) */
  tickInterval?: Duration;
  /** Executor failure rate (percent of actions over five minutes) that raises the alarm. @default 10 */
  actionFailureRatePercent?: number;
  /**
   * Let the configured CloudWatch alarms invoke the ingest function directly as an alarm action (one
   * permission per alarm, at most MAX_DIRECT_ALARM_ACTIONS). The EventBridge rule and the SNS topic deliver
   * the same alarms either way. @default true
   */
  directAlarmActions?: boolean;
  /** Directories of the handlers' pre-built bundles (`handler.mjs` exporting `handler`). @default DEFAULT_HANDLERS */
  handlers?: Record<HandlerName, string>;
  /**
   * Shard workers that may run at once (the event source mapping's maximum concurrency, 2-1000). Raise it
   * with the account's concurrency quota for thousands of targets (see docs/reliability.md, "Scale").
   * @default DEFAULT_SHARD_CONCURRENCY
   */
  shardConcurrency?: number;
}

export class Drivetrain extends Construct {
  /** The validated config the functions were built with. */
  readonly config: DrivetrainConfig;
  readonly tables: DrivetrainTableMap;
  readonly businessBus: events.EventBus;
  readonly alarmNotificationTopic: sns.Topic;
  readonly ingest: DrivetrainFunction;
  readonly tick: DrivetrainFunction;
  /** Reconciles one shard of targets per invocation, from the shard queue. */
  readonly shardWorker: DrivetrainFunction;
  /** The tick's shards, waiting for a worker. */
  readonly shardQueue: sqs.Queue;
  /** Shard messages no worker could read. */
  readonly shardDeadLetterQueue: sqs.Queue;
  /** Events EventBridge or SNS could not deliver to the ingest function. */
  readonly deliveryDeadLetterQueue: sqs.Queue;
  /** Asynchronous invocations that failed after Lambda's retries. */
  readonly failedInvocationsQueue: sqs.Queue;
  readonly allocationPolicy: iam.ManagedPolicy;
  readonly observability: DrivetrainObservability;
  /** The IAM-authenticated function URL for overrides, hand-sent drivers and mode changes. */
  readonly operatorEndpoint: OperatorEndpoint;

  constructor(scope: Construct, id: string, props: DrivetrainProps) {
    super(scope, id);
    const file = props.configFile ?? '<inline>';
    const tickInterval = props.tickInterval ?? Duration.minutes(1);
    const actionFailureRatePercent = props.actionFailureRatePercent ?? 10;
    const retainData = props.retainData ?? true;
    const directAlarmActions = props.directAlarmActions ?? true;
    const handlers = props.handlers ?? DEFAULT_HANDLERS;
    const shardConcurrency = props.shardConcurrency ?? DEFAULT_SHARD_CONCURRENCY;

    // --- validation: the runtime's validator first, then what only the infrastructure needs -------------
    const validation = validateConfig(props.config, file);
    if (!validation.ok) throw new InvalidConfigError(validation.issues);
    const config = validation.config;
    this.config = config;
    const issues: ConfigIssue[] = [];
    const report = (issue: Omit<ConfigIssue, 'file'>) => issues.push({ file, ...issue });
    overridePrincipals(config, report);
    operatorPrincipals(config, report);
    const senders = sourceSenders(config, report);
    const resources = allocationResources(config.targets, report, Stack.of(this));
    const alarmNames = configuredAlarmNames(config);
    const sources = senders.map((s) => s.source);
    if (directAlarmActions && alarmNames.length > MAX_DIRECT_ALARM_ACTIONS) {
      report({
        path: 'drivers',
        message: `${alarmNames.length} alarm names need ${alarmNames.length} direct alarm-action permissions; at most ${MAX_DIRECT_ALARM_ACTIONS} fit in a Lambda resource policy. Set directAlarmActions: false (the EventBridge rule and the SNS topic still deliver every alarm)`,
      });
    }
    checkOptions(report, { tickInterval, actionFailureRatePercent, shardConcurrency });
    if (issues.length > 0) throw new InvalidConfigError(issues);
    const name = config.name;

    // --- state ---------------------------------------------------------------------------------------------
    const tables = new DrivetrainTables(this, 'Tables', { prefix: name, retainData });
    this.tables = tables.tables;

    // 14 days, the SQS maximum: a DLQ is read by a person, possibly after a weekend.
    const dlqProps: sqs.QueueProps = {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    };
    this.deliveryDeadLetterQueue = new sqs.Queue(this, 'DeliveryDlq', {
      ...dlqProps,
      queueName: `${name}-delivery-dlq`,
    });
    this.failedInvocationsQueue = new sqs.Queue(this, 'FailuresDlq', {
      ...dlqProps,
      queueName: `${name}-failures-dlq`,
    });
    this.shardDeadLetterQueue = new sqs.Queue(this, 'ShardDlq', { ...dlqProps, queueName: `${name}-shard-dlq` });
    // (The shard DLQ needs no acknowledgement: cdk-nag sees that the shard queue uses it as its DLQ.)
    for (const queue of [this.deliveryDeadLetterQueue, this.failedInvocationsQueue]) {
      Validations.of(queue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is itself a dead-letter queue (of EventBridge targets, an SNS subscription or Lambda asynchronous invocations); a DLQ of a DLQ would only move the problem.',
      });
    }

    // --- functions -----------------------------------------------------------------------------------------
    const environment = {
      [ENV.driversTable]: tables.names.drivers,
      [ENV.decisionsTable]: tables.names.decisions,
      [ENV.stateTable]: tables.names.state,
      [ENV.idempotencyTable]: tables.names.idempotency,
      [ENV.homeAccount]: Aws.ACCOUNT_ID,
    };
    const logRemovalPolicy = retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.ingest = new DrivetrainFunction(this, 'Ingest', {
      bundleDir: handlers.ingest,
      description: `Drivetrain ${name}: store drivers (alarms, metrics, business signals, overrides) and decide/act for the targets they affect`,
      config,
      environment,
      // Inline decide/act for the few targets one event touches: DynamoDB plus 1-3 control-plane calls
      // per target, each bounded by the executors' 5 s request timeout and their retry deadline.
      timeout: Duration.seconds(30),
      logRetention: props.logRetention,
      logRemovalPolicy,
      failureQueue: this.failedInvocationsQueue,
      retryAttempts: 2,
      // A driver that could not be handled for 6 hours is stale news; it waits in the DLQ for a person.
      maxEventAge: Duration.hours(6),
    });
    const tickSeconds = tickInterval.toSeconds();
    this.shardQueue = new sqs.Queue(this, 'ShardQueue', {
      queueName: `${name}-shards`,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // What Lambda asks of a queue behind an event source mapping: six times the function timeout, so a batch
      // that Lambda throttled and retried is not delivered to a second worker while the first still runs.
      visibilityTimeout: Duration.seconds(6 * SHARD_WORKER_TIMEOUT_SECONDS),
      // A shard older than one tick interval is dropped by the worker as superseded; an hour only bounds
      // what a long outage of the workers leaves behind.
      retentionPeriod: Duration.hours(1),
      deadLetterQueue: { queue: this.shardDeadLetterQueue, maxReceiveCount: SHARD_MAX_RECEIVES },
    });
    this.tick = new DrivetrainFunction(this, 'Tick', {
      bundleDir: handlers.tick,
      description: `Drivetrain ${name}: reconcile every target every ${tickInterval.toHumanString()}: plan the reconciliation in shards and queue them for the shard workers`,
      config,
      environment: {
        ...environment,
        [ENV.shardQueueUrl]: this.shardQueue.queueUrl,
        [ENV.tickIntervalSeconds]: String(tickSeconds),
      },
      timeout: Duration.seconds(TICK_TIMEOUT_SECONDS),
      logRetention: props.logRetention,
      logRemovalPolicy,
      // No reserved concurrency: it fails on accounts with the default quota, and nothing needs it. Two
      // overlapping ticks only queue the same shards twice; every reconcile is guarded per target by the
      // state version (docs/reliability.md, "Scale").
      failureQueue: this.failedInvocationsQueue,
      // A failed tick is retried by the next one, with fresher inputs.
      retryAttempts: 0,
      maxEventAge: Duration.seconds(Math.max(60, tickSeconds)),
    });
    this.shardWorker = new DrivetrainFunction(this, 'ShardWorker', {
      bundleDir: handlers.shard,
      description: `Drivetrain ${name}: reconcile one shard of targets (expiring drivers, scheduled overrides, drift) from the shard queue`,
      config,
      environment,
      timeout: Duration.seconds(SHARD_WORKER_TIMEOUT_SECONDS),
      logRetention: props.logRetention,
      logRemovalPolicy,
    });
    this.shardWorker.function.addEventSource(
      new SqsEventSource(this.shardQueue, {
        // One shard per invocation: shards are sized to the worker's timeout (functions/app/shards.ts).
        batchSize: 1,
        maxConcurrency: shardConcurrency,
        reportBatchItemFailures: true,
      }),
    );

    const t = this.tables;
    t.drivers.grantReadWriteData(this.ingest.role);
    t.decisions.grantReadWriteData(this.ingest.role);
    t.state.grantReadWriteData(this.ingest.role);
    t.idempotency.grantReadWriteData(this.ingest.role);
    t.drivers.grantReadData(this.shardWorker.role);
    t.decisions.grantReadWriteData(this.shardWorker.role);
    t.state.grantReadWriteData(this.shardWorker.role);
    // SendMessageBatch is authorized as sqs:SendMessage; grantSendMessages would add reads the tick never makes.
    this.tick.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.shardQueue.queueArn] }),
    );
    for (const fn of [this.ingest, this.shardWorker]) {
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(t.decisions)}.Arn>/index/*]`,
        reason:
          'Queries on the decisions table GSI (byDecisionId: `drivetrain explain <decision id>`); the grant covers the indexes of this one table only.',
      });
    }

    // --- the operator endpoint (overrides, hand-sent drivers, mode changes; AWS-verified caller) ------------
    this.operatorEndpoint = new OperatorEndpoint(this, 'Operator', {
      bundleDir: handlers.operator,
      config,
      environment,
      failureQueue: this.failedInvocationsQueue,
      logRemovalPolicy,
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
    });
    const operatorRole = this.operatorEndpoint.handler.role;

    // Every function that reconciles must appear here: a plan is taken over only after the longest of them.
    // (The tick reconciles inline only without a shard queue — the demo and tests — but it parses the same env.)
    const reconcilers = [this.ingest, this.tick, this.shardWorker, this.operatorEndpoint.handler];
    const grace = pendingGraceSeconds(reconcilers.map((fn) => fn.function.timeout));
    for (const fn of reconcilers) fn.function.addEnvironment(ENV.pendingGraceSeconds, String(grace));
    t.drivers.grantReadWriteData(operatorRole);
    t.decisions.grantReadWriteData(operatorRole);
    t.state.grantReadWriteData(operatorRole);
    Validations.of(operatorRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(t.decisions)}.Arn>/index/*]`,
      reason:
        'Queries on the decisions table GSI (the history `resume` reads); the grant covers the indexes of this one table only.',
    });

    const allocation = new AllocationPolicy(this, 'Allocation', { resources });
    this.allocationPolicy = allocation.policy;
    this.ingest.role.addManagedPolicy(allocation.policy);
    this.shardWorker.role.addManagedPolicy(allocation.policy);
    operatorRole.addManagedPolicy(allocation.policy);
    grantMetricHistory(config, [this.ingest.role, this.shardWorker.role, operatorRole]);

    // --- drivers in: CloudWatch alarms on the default bus ---------------------------------------------------
    const driverTarget = (fn: lambda.IFunction) =>
      new targets.LambdaFunction(fn, {
        deadLetterQueue: this.deliveryDeadLetterQueue,
        // Retries cover Lambda throttling or unavailability; two hours covers a regional blip without
        // delivering alarm states so old they could only be discarded as out of order.
        retryAttempts: 8,
        maxEventAge: Duration.hours(2),
      });
    chunkByLength(alarmNames, EVENT_PATTERN_VALUES_BUDGET).forEach((chunk, i) => {
      new events.Rule(this, `AlarmStateChanges${i === 0 ? '' : i + 1}`, {
        description: `Drivetrain ${name}: state changes of the configured CloudWatch alarms${i === 0 ? '' : ` (part ${i + 1})`}`,
        // Pinned to this account and region: a same-named alarm of another account forwarded to this bus
        // (cross-account event routing) must not drive scaling here. Ingest checks the same again.
        eventPattern: {
          source: ['aws.cloudwatch'],
          detailType: [DETAIL_TYPES.alarmStateChange],
          account: [Aws.ACCOUNT_ID],
          region: [Aws.REGION],
          detail: { alarmName: chunk },
        },
        targets: [driverTarget(this.ingest.function)],
      });
    });

    // --- drivers in: the business bus ---------------------------------------------------------------------
    const busName = businessBusName(name);
    this.businessBus = new events.EventBus(this, 'BusinessBus', {
      eventBusName: busName,
      description: `Drivetrain ${name}: business drivers and metric snapshots`,
    });
    // The policy is set inline on the bus instead of as EventBusPolicy resources: one atomic document, and
    // no statement ids that CloudFormation requires to be unique across every stack in the account.
    const busArn = `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/${busName}`;
    (this.businessBus.node.defaultChild as events.CfnEventBus).policy = businessBusPolicy({ busArn, senders });
    chunkByLength(sources, EVENT_PATTERN_VALUES_BUDGET).forEach((chunk, i) => {
      new events.Rule(this, `BusinessDrivers${i === 0 ? '' : i + 1}`, {
        description: `Drivetrain ${name}: business drivers and metric snapshots from the allowed sources${i === 0 ? '' : ` (part ${i + 1})`}`,
        eventBus: this.businessBus,
        eventPattern: { source: chunk, detailType: [...BUS_DETAIL_TYPES] },
        targets: [driverTarget(this.ingest.function)],
      });
    });

    // --- drivers in: classic alarm notifications over SNS -------------------------------------------------
    const alarmArnPattern = `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*`;
    const topicKey = new kms.Key(this, 'AlarmNotificationsKey', {
      description: `Drivetrain ${name}: encrypts the alarm-notification topic`,
      enableKeyRotation: true,
      // Deleting a key makes whatever it encrypted unreadable; throw-away environments schedule deletion.
      removalPolicy: retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
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
    this.alarmNotificationTopic = new sns.Topic(this, 'AlarmNotifications', {
      topicName: `${name}-alarm-notifications`,
      displayName: `Drivetrain ${name} alarm notifications`,
      masterKey: topicKey,
      enforceSSL: true,
    });
    for (const statement of alarmTopicStatements({
      topicArn: this.alarmNotificationTopic.topicArn,
      account: Aws.ACCOUNT_ID,
      alarmArnPattern,
    })) {
      this.alarmNotificationTopic.addToResourcePolicy(statement);
    }
    this.alarmNotificationTopic.addSubscription(
      new subscriptions.LambdaSubscription(this.ingest.function, { deadLetterQueue: this.deliveryDeadLetterQueue }),
    );

    // --- drivers in: direct CloudWatch alarm actions --------------------------------------------------------
    if (directAlarmActions) {
      alarmNames.forEach((alarmName, i) => {
        this.ingest.function.addPermission(`AlarmAction${i + 1}`, {
          principal: new iam.ServicePrincipal('lambda.alarms.cloudwatch.amazonaws.com'),
          action: 'lambda:InvokeFunction',
          sourceAccount: Aws.ACCOUNT_ID,
          sourceArn: `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:${alarmName}`,
        });
      });
    }

    // --- the reconciliation tick ----------------------------------------------------------------------------
    new events.Rule(this, 'ReconciliationTick', {
      description: `Drivetrain ${name}: reconcile every target every ${tickInterval.toHumanString()}`,
      schedule: events.Schedule.rate(tickInterval),
      targets: [
        new targets.LambdaFunction(this.tick.function, {
          deadLetterQueue: this.deliveryDeadLetterQueue,
          retryAttempts: 2,
          // A tick that could not start within a minute is superseded by the next one.
          maxEventAge: Duration.minutes(1),
        }),
      ],
    });

    // --- observability ------------------------------------------------------------------------------------
    this.observability = new DrivetrainObservability(this, 'Observability', {
      name,
      deployment: name,
      ingest: this.ingest.function,
      tick: this.tick.function,
      operator: this.operatorEndpoint.handler.function,
      tickInterval,
      shards: {
        worker: this.shardWorker.function,
        queue: this.shardQueue,
        workerTimeout: Duration.seconds(SHARD_WORKER_TIMEOUT_SECONDS),
      },
      deadLetterQueues: [
        { label: 'Delivery', queue: this.deliveryDeadLetterQueue },
        { label: 'Failures', queue: this.failedInvocationsQueue },
        { label: 'Shard', queue: this.shardDeadLetterQueue },
      ],
      decisionsTableName: tables.names.decisions,
      actionFailureRatePercent,
      ...(props.alarmTopic ? { alarmTopic: props.alarmTopic } : {}),
    });
  }
}

/**
 * Metric drivers that declare their CloudWatch metric get its history read by the reconcile (stabilization,
 * forecasts): cloudwatch:GetMetricData only, on "*" because GetMetricData supports no resource-level permissions.
 */
function grantMetricHistory(config: DrivetrainConfig, roles: iam.IRole[]): void {
  if (!config.drivers.some((d) => d.kind === 'metric' && d.cloudwatch)) return;
  for (const role of roles) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'ReadMetricHistory', actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
    );
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only cloudwatch:GetMetricData (read-only) is granted on "*": it supports no resource-level permissions. It reads the history of the metrics the config declares.',
    });
  }
}

function checkOptions(
  report: (issue: Omit<ConfigIssue, 'file'>) => void,
  options: { tickInterval: Duration; actionFailureRatePercent: number; shardConcurrency: number },
): void {
  const seconds = options.tickInterval.toSeconds();
  if (seconds < 60 || seconds % 60 !== 0) {
    report({
      path: 'tickInterval',
      message: `${options.tickInterval.toHumanString()} is not a whole number of minutes; allowed: 1 minute or more, in whole minutes (EventBridge rate expressions)`,
    });
  }
  const rate = options.actionFailureRatePercent;
  if (!(rate > 0 && rate < 100))
    report({ path: 'actionFailureRatePercent', message: `${rate}; allowed: more than 0 and less than 100` });
  const workers = options.shardConcurrency;
  // The range an SQS event source mapping's MaximumConcurrency accepts.
  if (!(Number.isInteger(workers) && workers >= 2 && workers <= 1000))
    report({ path: 'shardConcurrency', message: `${workers}; allowed: a whole number from 2 to 1000` });
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

function logicalIdOf(table: dynamodb.Table): string {
  return Stack.of(table).getLogicalId(table.node.defaultChild as CfnElement);
}
