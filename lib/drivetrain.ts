/**
 * Drivetrain in one construct: give it a config (targets, policies, allowed sources) and it builds
 *   - Tables (lib/tables.ts): drivers, decisions (the audit trail), state, idempotency;
 *   - Functions (lib/functions.ts): ingest, tick, shard workers, the operator endpoint, their queues and grants;
 *   - Ingress (lib/ingress.ts): the alarm rule on the default bus, the business bus with its resource policy,
 *     the SNS topic for classic alarm notifications, direct alarm actions, the reconciliation schedule;
 *   - Observability (lib/observability.ts): the dashboard and the alarms on the control plane.
 *
 * The config is validated here with the runtime's own validator (and a few checks only the infrastructure
 * needs), so a bad config stops the synth with the validator's messages before anything is built.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULT_SHARD_CONCURRENCY, SHARD_WORKER_TIMEOUT_SECONDS } from '../functions/app/shards';
import { DECISION_EVENT_SOURCE } from '../functions/contracts';
import { deployedConfigSizeIssue } from '../functions/adapters/dynamodb/deployed-config-item';
import {
  type ConfigIssue,
  type DrivetrainConfig,
  type DrivetrainConfigInput,
  InvalidConfigError,
  validateConfig,
} from '../functions/domain/config';
import type { DrivetrainFunction } from './drivetrain-function';
import { DrivetrainFunctions } from './functions';
import { HANDLER_NAMES, type HandlerName, handlerBundleDir } from './handlers';
import { type DecisionNotifications, DrivetrainIngress } from './ingress';
import { DrivetrainObservability } from './observability';
import type { OperatorEndpoint } from './operator-endpoint';
import {
  type AllocationResources,
  allocationResources,
  configuredAlarmNames,
  operatorPrincipals,
  overridePrincipals,
  type SourceSenders,
  sourceSenders,
} from './resource-arns';
import { type DrivetrainTableMap, DrivetrainTables } from './tables';

export { TICK_TIMEOUT_SECONDS } from './functions';

/** The pre-built bundle directory of every handler (lib/handlers.ts lists them), by handler name. */
export const DEFAULT_HANDLERS = Object.fromEntries(
  HANDLER_NAMES.map((name) => [name, handlerBundleDir(name)]),
) as Record<HandlerName, string>;

/**
 * One Lambda permission statement per alarm keeps the direct alarm-action grant exact, but a function's
 * resource policy is capped at 20 KB; past this many alarms the grant would no longer fit beside the
 * EventBridge and SNS statements.
 */
export const MAX_DIRECT_ALARM_ACTIONS = 40;

export interface DrivetrainProps {
  /** Targets, policies, driver catalogue, allowed sources. Validated again here, so raw input is fine. */
  readonly config: DrivetrainConfig | DrivetrainConfigInput;
  /** Names the config's file in validation messages. @default '<inline>' */
  readonly configFile?: string;
  /** Notified when a control-plane alarm fires and when it recovers. @default - alarms without actions */
  readonly alarmTopic?: sns.ITopic;
  /** Retention of the functions' log groups. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Keep the tables and log groups, with deletion protection on the tables, when the stack or a resource
   * is removed. Turn off only for throw-away environments. @default true
   */
  readonly retainData?: boolean;
  /** How often the reconciliation tick runs; whole minutes. @default Duration.minutes(1) */
  readonly tickInterval?: Duration;
  /** Executor failure rate (percent of actions over five minutes) that raises the alarm. @default 10 */
  readonly actionFailureRatePercent?: number;
  /**
   * Let the configured CloudWatch alarms invoke the ingest function directly as an alarm action (one
   * permission per alarm, at most MAX_DIRECT_ALARM_ACTIONS). The EventBridge rule and the SNS topic deliver
   * the same alarms either way. @default true
   */
  readonly directAlarmActions?: boolean;
  /** Directories of the handlers' pre-built bundles (`handler.mjs` exporting `handler`). @default DEFAULT_HANDLERS */
  readonly handlers?: Record<HandlerName, string>;
  /**
   * Shard workers that may run at once (the event source mapping's maximum concurrency, 2-1000). Raise it
   * with the account's concurrency quota for thousands of targets (see docs/reliability.md, "Scale").
   * @default DEFAULT_SHARD_CONCURRENCY
   */
  readonly shardConcurrency?: number;
  /**
   * Send decision events (docs/events.md) to an SNS topic: an EventBridge rule on the business bus, filtered to
   * `statuses` (default applied, failed and degraded) and on-fallback decisions. Every decision event is on the bus anyway,
   * for rules of your own. @default - no topic
   */
  readonly decisionNotifications?: DecisionNotifications;
  /**
   * How long every accepted driver is kept (whole days, 0-3650; 0: neither): the business bus's EventBridge
   * archive keeps the events sent to the bus, and the history table one item per accepted observation of
   * every channel (alarms, metrics, business signals, overrides) for `drivetrain replay --since`. Thirty days
   * covers a monthly review of what a deployment saw and a replay of the last few weeks against a proposed
   * policy; archive storage is billed per GB, and driver events are small.
   * @default Duration.days(30)
   */
  readonly driverHistoryRetention?: Duration;
}

export class Drivetrain extends Construct {
  /** The validated config the functions were built with. */
  readonly config: DrivetrainConfig;
  readonly tables: DrivetrainTableMap;
  readonly functions: DrivetrainFunctions;
  readonly ingress: DrivetrainIngress;
  readonly observability: DrivetrainObservability;
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
  /** The IAM-authenticated function URL for overrides, hand-sent drivers and mode changes. */
  readonly operatorEndpoint: OperatorEndpoint;

  constructor(scope: Construct, id: string, props: DrivetrainProps) {
    super(scope, id);
    const options = withDefaults(props);
    const { config, senders, resources, alarmNames } = this.validate(props, options);
    this.config = config;
    const name = config.name;

    const tables = new DrivetrainTables(this, 'Tables', { prefix: name, retainData: options.retainData });
    this.tables = tables.tables;
    this.functions = new DrivetrainFunctions(this, 'Functions', {
      config,
      tables,
      resources,
      handlers: options.handlers,
      tickInterval: options.tickInterval,
      shardConcurrency: options.shardConcurrency,
      retainData: options.retainData,
      driverHistoryRetention: options.driverHistoryRetention,
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
    });
    const fns = this.functions;
    [this.ingest, this.tick, this.shardWorker, this.operatorEndpoint] = [
      fns.ingest,
      fns.tick,
      fns.shardWorker,
      fns.operatorEndpoint,
    ];
    [this.shardQueue, this.shardDeadLetterQueue] = [fns.shardQueue, fns.shardDeadLetterQueue];
    [this.deliveryDeadLetterQueue, this.failedInvocationsQueue] = [
      fns.deliveryDeadLetterQueue,
      fns.failedInvocationsQueue,
    ];
    this.allocationPolicy = fns.allocationPolicy;

    this.ingress = new DrivetrainIngress(this, 'Ingress', {
      name,
      ingest: fns.ingest.function,
      tick: fns.tick.function,
      deliveryDeadLetterQueue: fns.deliveryDeadLetterQueue,
      alarmNames,
      senders,
      directAlarmActions: options.directAlarmActions,
      tickInterval: options.tickInterval,
      retainData: options.retainData,
      decisionPublishers: fns.decisionPublishers,
      driverHistoryRetention: options.driverHistoryRetention,
      ...(props.decisionNotifications ? { decisionNotifications: props.decisionNotifications } : {}),
    });
    [this.businessBus, this.alarmNotificationTopic] = [this.ingress.businessBus, this.ingress.alarmNotificationTopic];

    this.observability = new DrivetrainObservability(this, 'Observability', {
      name,
      deployment: name,
      ingest: fns.ingest.function,
      tick: fns.tick.function,
      operator: fns.operatorEndpoint.handler.function,
      tickInterval: options.tickInterval,
      shards: {
        worker: fns.shardWorker.function,
        queue: fns.shardQueue,
        workerTimeout: Duration.seconds(SHARD_WORKER_TIMEOUT_SECONDS),
      },
      deadLetterQueues: [
        { label: 'Delivery', queue: fns.deliveryDeadLetterQueue },
        { label: 'Failures', queue: fns.failedInvocationsQueue },
        { label: 'Shard', queue: fns.shardDeadLetterQueue },
      ],
      decisionsTableName: tables.names.decisions,
      targets: config.targets,
      actionFailureRatePercent: options.actionFailureRatePercent,
      ...(props.alarmTopic ? { alarmTopic: props.alarmTopic } : {}),
    });
  }

  /** The runtime's validator first, then what only the infrastructure needs; every issue reported at once. */
  private validate(props: DrivetrainProps, options: Options): ValidatedInfrastructure {
    const validation = validateConfig(props.config, options.file);
    if (!validation.ok) throw new InvalidConfigError(validation.issues);
    const config = validation.config;
    const issues: ConfigIssue[] = [];
    const report = (issue: Omit<ConfigIssue, 'file'>) => issues.push({ file: options.file, ...issue });
    overridePrincipals(config, report);
    operatorPrincipals(config, report);
    const senders = sourceSenders(config, report);
    if (senders.some((s) => s.source === DECISION_EVENT_SOURCE))
      report({
        path: `sourcePrincipals.${DECISION_EVENT_SOURCE}`,
        message: `"${DECISION_EVENT_SOURCE}" is the source of Drivetrain's own decision events; use another source name`,
      });
    const resources = allocationResources(config.targets, report, Stack.of(this));
    const alarmNames = configuredAlarmNames(config);
    if (options.directAlarmActions && alarmNames.length > MAX_DIRECT_ALARM_ACTIONS) {
      report({
        path: 'drivers',
        message: `${alarmNames.length} alarm names need ${alarmNames.length} direct alarm-action permissions; at most ${MAX_DIRECT_ALARM_ACTIONS} fit in a Lambda resource policy. Set directAlarmActions: false (the EventBridge rule and the SNS topic still deliver every alarm)`,
      });
    }
    checkOptions(report, options);
    const tooLarge = deployedConfigSizeIssue(config);
    if (tooLarge) report({ path: '<root>', message: tooLarge });
    if (issues.length > 0) throw new InvalidConfigError(issues);
    return { config, senders, resources, alarmNames };
  }
}

interface ValidatedInfrastructure {
  config: DrivetrainConfig;
  senders: SourceSenders[];
  resources: AllocationResources;
  alarmNames: string[];
}

type Options = ReturnType<typeof withDefaults>;

/** Every optional prop with its documented default, in one place. */
function withDefaults(props: DrivetrainProps) {
  return {
    file: props.configFile ?? '<inline>',
    tickInterval: props.tickInterval ?? Duration.minutes(1),
    actionFailureRatePercent: props.actionFailureRatePercent ?? 10,
    retainData: props.retainData ?? true,
    directAlarmActions: props.directAlarmActions ?? true,
    handlers: props.handlers ?? DEFAULT_HANDLERS,
    shardConcurrency: props.shardConcurrency ?? DEFAULT_SHARD_CONCURRENCY,
    driverHistoryRetention: props.driverHistoryRetention ?? Duration.days(30),
  };
}

function checkOptions(
  report: (issue: Omit<ConfigIssue, 'file'>) => void,
  options: {
    tickInterval: Duration;
    actionFailureRatePercent: number;
    shardConcurrency: number;
    driverHistoryRetention: Duration;
  },
): void {
  const history = options.driverHistoryRetention.toSeconds({ integral: false });
  // EventBridge archives keep events for whole days; 10 years is the longest decision retention too.
  if (!(history % 86_400 === 0 && history >= 0 && history <= 3650 * 86_400))
    report({
      path: 'driverHistoryRetention',
      message: `${options.driverHistoryRetention.toHumanString()}; allowed: whole days from 0 (no archive) to 3650`,
    });
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
