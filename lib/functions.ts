/**
 * Drivetrain's compute: the ingest function, the tick, the shard workers and the operator endpoint, the queues
 * between them (the shard queue and the dead-letter queues), and what they may touch — table grants, the
 * allocation policy scoped to the configured resources, metric-history reads — plus the pending grace every
 * reconciling function must agree on.
 */
import { Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SHARD_WORKER_TIMEOUT_SECONDS } from '../functions/app/shards';
import { ENV } from '../functions/contracts';
import type { DrivetrainConfig } from '../functions/domain/config';
import { businessBusName } from '../functions/domain/naming';
import { DECISIONS_TABLE, DEPLOYED_CONFIG_KEY } from '../functions/adapters/dynamodb/tables';
import { AllocationPolicy } from './allocation-policy';
import { DrivetrainFunction, type DrivetrainFunctionProps } from './drivetrain-function';
import type { HandlerName } from './handlers';
import { OperatorEndpoint } from './operator-endpoint';
import { pendingGraceSeconds } from './pending-grace';
import type { AllocationResources } from './resource-arns';
import type { DrivetrainTables } from './tables';

/** The tick only plans and enqueues shards: a few SendMessageBatch calls, whatever the number of targets. */
export const TICK_TIMEOUT_SECONDS = 30;

/** Receives of a shard message before it is kept in the shard DLQ: only an unreadable message gets that far. */
const SHARD_MAX_RECEIVES = 3;

/** What every function of the deployment shares: the config, the table environment and the log settings. */
type CommonFunctionProps = Pick<DrivetrainFunctionProps, 'config' | 'logRemovalPolicy' | 'logRetention'> & {
  environment: Record<string, string>;
  logRemovalPolicy: RemovalPolicy;
};

export interface DrivetrainFunctionsProps {
  /** The validated config every function is built with. */
  readonly config: DrivetrainConfig;
  readonly tables: DrivetrainTables;
  /** The configured resources the allocation policy grants actions on (lib/resource-arns.ts). */
  readonly resources: AllocationResources;
  /** Directories of the handlers' pre-built bundles. */
  readonly handlers: Readonly<Record<HandlerName, string>>;
  /** How often the tick runs (the tick's environment and its maximum event age). */
  readonly tickInterval: Duration;
  /** Shard workers that may run at once (the event source mapping's maximum concurrency). */
  readonly shardConcurrency: number;
  /** Retention of the functions' log groups. @default the DrivetrainFunction default */
  readonly logRetention?: logs.RetentionDays;
  /** Keep log groups when the stack is removed. */
  readonly retainData: boolean;
  /** How long ingest and the operator keep accepted drivers in the history table (0: no history items). */
  readonly driverHistoryRetention: Duration;
}

export class DrivetrainFunctions extends Construct {
  readonly ingest: DrivetrainFunction;
  readonly tick: DrivetrainFunction;
  readonly shardWorker: DrivetrainFunction;
  readonly shardQueue: sqs.Queue;
  readonly shardDeadLetterQueue: sqs.Queue;
  readonly deliveryDeadLetterQueue: sqs.Queue;
  readonly failedInvocationsQueue: sqs.Queue;
  readonly operatorEndpoint: OperatorEndpoint;
  readonly allocationPolicy: iam.ManagedPolicy;
  /** The roles that publish decision events on the business bus (the bus policy lets only them). */
  readonly decisionPublishers: iam.IRole[];

  constructor(scope: Construct, id: string, props: DrivetrainFunctionsProps) {
    super(scope, id);
    const name = props.config.name;
    const common: CommonFunctionProps = {
      config: props.config,
      environment: {
        [ENV.driversTable]: props.tables.names.drivers,
        [ENV.decisionsTable]: props.tables.names.decisions,
        [ENV.stateTable]: props.tables.names.state,
        [ENV.idempotencyTable]: props.tables.names.idempotency,
        [ENV.homeAccount]: Aws.ACCOUNT_ID,
        ...historyEnvironment(props),
      },
      logRemovalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
    };
    [this.deliveryDeadLetterQueue, this.failedInvocationsQueue, this.shardDeadLetterQueue] =
      this.deadLetterQueues(name);
    this.ingest = new DrivetrainFunction(this, 'Ingest', {
      ...common,
      bundleDir: props.handlers.ingest,
      description: `Drivetrain ${name}: store drivers (alarms, metrics, business signals, overrides) and decide/act for the targets they affect`,
      // Inline decide/act for the few targets one event touches: DynamoDB plus 1-3 control-plane calls
      // per target, each bounded by the executors' 5 s request timeout and their retry deadline.
      timeout: Duration.seconds(30),
      failureQueue: this.failedInvocationsQueue,
      retryAttempts: 2,
      // A driver that could not be handled for 6 hours is stale news; it waits in the DLQ for a person.
      maxEventAge: Duration.hours(6),
    });
    this.shardQueue = this.buildShardQueue(name);
    this.tick = this.buildTick(props, common);
    this.shardWorker = new DrivetrainFunction(this, 'ShardWorker', {
      ...common,
      bundleDir: props.handlers.shard,
      description: `Drivetrain ${name}: reconcile one shard of targets (expiring drivers, scheduled overrides, drift) from the shard queue`,
      timeout: Duration.seconds(SHARD_WORKER_TIMEOUT_SECONDS),
    });
    this.shardWorker.function.addEventSource(
      new SqsEventSource(this.shardQueue, {
        // One shard per invocation: shards are sized to the worker's timeout (functions/app/shards.ts).
        batchSize: 1,
        maxConcurrency: props.shardConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    this.operatorEndpoint = new OperatorEndpoint(this, 'Operator', {
      ...common,
      bundleDir: props.handlers.operator,
      failureQueue: this.failedInvocationsQueue,
    });
    this.grantTables(props.tables.tables);
    // Every function that reconciles must appear here: a plan is taken over only after the longest of them.
    // (The tick reconciles inline only without a shard queue — the demo and tests — but it parses the same env.)
    const reconcilers = [this.ingest, this.tick, this.shardWorker, this.operatorEndpoint.handler];
    const grace = pendingGraceSeconds(reconcilers.map((fn) => fn.function.timeout));
    for (const fn of reconcilers) fn.function.addEnvironment(ENV.pendingGraceSeconds, String(grace));

    const acting = [this.ingest.role, this.shardWorker.role, this.operatorEndpoint.handler.role];
    this.allocationPolicy = new AllocationPolicy(this, 'Allocation', { resources: props.resources }).policy;
    for (const role of acting) role.addManagedPolicy(this.allocationPolicy);
    grantMetricHistory(props.config, acting);
    this.decisionPublishers = acting;
    grantDecisionEvents(name, [this.ingest, this.shardWorker, this.operatorEndpoint.handler]);
  }

  /** Delivery (EventBridge targets, SNS), failed asynchronous invocations, unreadable shard messages. */
  private deadLetterQueues(name: string): [sqs.Queue, sqs.Queue, sqs.Queue] {
    // 14 days, the SQS maximum: a DLQ is read by a person, possibly after a weekend.
    const dlqProps: sqs.QueueProps = {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    };
    const delivery = new sqs.Queue(this, 'DeliveryDlq', { ...dlqProps, queueName: `${name}-delivery-dlq` });
    const failures = new sqs.Queue(this, 'FailuresDlq', { ...dlqProps, queueName: `${name}-failures-dlq` });
    const shard = new sqs.Queue(this, 'ShardDlq', { ...dlqProps, queueName: `${name}-shard-dlq` });
    // (The shard DLQ needs no acknowledgement: cdk-nag sees that the shard queue uses it as its DLQ.)
    for (const queue of [delivery, failures]) {
      Validations.of(queue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is itself a dead-letter queue (of EventBridge targets, an SNS subscription or Lambda asynchronous invocations); a DLQ of a DLQ would only move the problem.',
      });
    }
    return [delivery, failures, shard];
  }

  private buildShardQueue(name: string): sqs.Queue {
    return new sqs.Queue(this, 'ShardQueue', {
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
  }

  private buildTick(props: DrivetrainFunctionsProps, common: CommonFunctionProps): DrivetrainFunction {
    const tickSeconds = props.tickInterval.toSeconds();
    const tick = new DrivetrainFunction(this, 'Tick', {
      ...common,
      bundleDir: props.handlers.tick,
      description: `Drivetrain ${props.config.name}: reconcile every target every ${props.tickInterval.toHumanString()}: plan the reconciliation in shards and queue them for the shard workers`,
      environment: {
        ...common.environment,
        [ENV.shardQueueUrl]: this.shardQueue.queueUrl,
        [ENV.tickIntervalSeconds]: String(tickSeconds),
      },
      timeout: Duration.seconds(TICK_TIMEOUT_SECONDS),
      // No reserved concurrency: it fails on accounts with the default quota, and nothing needs it. Two
      // overlapping ticks only queue the same shards twice; every reconcile is guarded per target by the
      // state version (docs/reliability.md, "Scale").
      failureQueue: this.failedInvocationsQueue,
      // A failed tick is retried by the next one, with fresher inputs.
      retryAttempts: 0,
      maxEventAge: Duration.seconds(Math.max(60, tickSeconds)),
    });
    // SendMessageBatch is authorized as sqs:SendMessage; grantSendMessages would add reads the tick never makes.
    tick.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.shardQueue.queueArn] }),
    );
    // In this account an identity policy alone lets a principal send; only a Deny here keeps the queue the
    // tick's: a forged shard makes the workers reconcile, and a flood of them holds every worker. (Redriving
    // the shard DLQ into this queue is refused too; a redriven shard is stale and would only be dropped.)
    this.shardQueue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyTheTickSendsShards',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['sqs:SendMessage'],
        resources: [this.shardQueue.queueArn],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': tick.role.roleArn } },
      }),
    );
    return tick;
  }

  /**
   * Each role gets, per table, exactly the DynamoDB actions its code sends (TABLE_ACTIONS), not the CDK grant
   * helpers' sets: those add Scan, Batch*, DeleteItem and ConditionCheckItem, which no function uses and which
   * would let a compromised one delete or bulk-rewrite the decision audit trail. Ingest and the operator write
   * drivers; the shard workers only read them. The tick touches one item: the deployed config in the state
   * table (functions/adapters/dynamodb/deployed-config.ts).
   */
  private grantTables(t: DrivetrainTables['tables']): void {
    // GetItem and PutItem on the reserved key only (dynamodb:LeadingKeys): the tick can neither read nor
    // overwrite a target's state, and needs no Query, Update or Delete.
    this.tick.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        resources: [t.state.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [DEPLOYED_CONFIG_KEY] } },
      }),
    );
    const operatorRole = this.operatorEndpoint.handler.role;
    const grant = (role: iam.IRole, actions: readonly string[], resources: string[]) =>
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...actions], resources }));
    // The reconcile's lookups of a decision by id (follow-through, pending repair) query the one GSI by name.
    const decisionIndex = `${t.decisions.tableArn}/index/${DECISIONS_TABLE.globalSecondaryIndexes![0]!.indexName}`;
    for (const role of [this.ingest.role, this.shardWorker.role, operatorRole]) {
      grant(role, TABLE_ACTIONS.decisions, [t.decisions.tableArn]);
      grant(role, ['dynamodb:Query'], [decisionIndex]);
      grant(role, TABLE_ACTIONS.state, [t.state.tableArn]);
    }
    for (const role of [this.ingest.role, operatorRole]) grant(role, TABLE_ACTIONS.storeDrivers, [t.drivers.tableArn]);
    grant(this.shardWorker.role, TABLE_ACTIONS.readDrivers, [t.drivers.tableArn]);
    grant(this.ingest.role, TABLE_ACTIONS.idempotency, [t.idempotency.tableArn]);
    // Only the functions that store drivers keep their history, and they never read it (the CLI does).
    for (const role of [this.ingest.role, operatorRole]) grant(role, TABLE_ACTIONS.history, [t.history.tableArn]);
  }
}

/**
 * The IAM actions of what the functions send (functions/adapters/dynamodb; test/cdk/function-roles-iam.test.ts
 * keeps the two in step). TransactWriteItems is authorized per item, as PutItem or UpdateItem.
 */
const TABLE_ACTIONS = {
  // Driver store: transactional puts of the latest driver per target, queries of a target's live drivers.
  storeDrivers: ['dynamodb:PutItem', 'dynamodb:Query'],
  readDrivers: ['dynamodb:Query'],
  // Decision store: gets and queries of a target's decisions, puts of new ones, updates of their outcome.
  decisions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
  // State items are only read and updated (an update creates a target's first state item).
  state: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
  // Powertools' DynamoDBPersistenceLayer.
  idempotency: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
  history: ['dynamodb:PutItem'],
} as const;

/** The history table and retention, only when history is kept (absent: the functions write no history). */
function historyEnvironment(props: DrivetrainFunctionsProps): Record<string, string> {
  const seconds = props.driverHistoryRetention.toSeconds();
  if (seconds === 0) return {};
  return { [ENV.historyTable]: props.tables.names.history, [ENV.historyRetentionSeconds]: String(seconds) };
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

/**
 * The functions that reconcile (and so record decisions) publish them on the business bus: the bus name in
 * their environment, events:PutEvents on that one bus. (The deployed tick only plans shards; it records none.)
 */
function grantDecisionEvents(name: string, fns: DrivetrainFunction[]): void {
  const busName = businessBusName(name);
  const busArn = `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/${busName}`;
  for (const fn of fns) {
    fn.function.addEnvironment(ENV.businessBusName, busName);
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'PublishDecisionEvents', actions: ['events:PutEvents'], resources: [busArn] }),
    );
  }
}
