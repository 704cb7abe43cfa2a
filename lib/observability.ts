/**
 * How an operator sees Drivetrain itself: one dashboard (decisions, actions applied/failed, decision
 * latency, driver freshness, churn, the two functions, the dead-letter queues) and alarms on the control
 * plane — a DLQ holding anything, executors failing, targets running on fallback because their telemetry
 * went stale, functions erroring, the reconciliation tick no longer running.
 *
 * The application metrics are the handlers' EMF metrics: namespace METRICS_NAMESPACE, names from METRIC,
 * dimensions `service` = SERVICE_NAME (Powertools' default) and `deployment` = the deployment name, so two
 * deployments in one account each read and alarm on their own metrics only.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  DEPLOYMENT_DIMENSION,
  METRIC,
  METRICS_NAMESPACE,
  PER_TARGET_TELEMETRY_MAX,
  perTargetTelemetryIds,
  SERVICE_NAME,
  STATUS_DIMENSION,
  TARGET_DIMENSION,
  TARGET_METRIC,
} from '../functions/contracts';
import { DECISION_STATUSES } from '../functions/ports';

export interface ObservabilityProps {
  /** Dashboard name and alarm-name prefix. */
  readonly name: string;
  /** The deployment name: value of the `deployment` dimension every application metric carries. */
  readonly deployment: string;
  readonly ingest: lambda.IFunction;
  readonly tick: lambda.IFunction;
  /**
   * The operator endpoint's function (errors alarm and dashboard graph).
   * @default - no operator endpoint: neither its alarm nor its graph
   */
  readonly operator?: lambda.IFunction;
  readonly tickInterval: Duration;
  /** The sharded reconciliation: its worker, its queue and the worker's timeout (the duration alarm's scale). */
  readonly shards: { readonly worker: lambda.IFunction; readonly queue: sqs.IQueue; readonly workerTimeout: Duration };
  readonly deadLetterQueues: ReadonlyArray<{ readonly label: string; readonly queue: sqs.IQueue }>;
  readonly decisionsTableName: string;
  /** Percentage of executor actions failing (over 5 minutes) that raises the alarm. */
  readonly actionFailureRatePercent: number;
  /**
   * Notified when an alarm fires and when it recovers.
   * @default - the alarms only change state; nothing is notified
   */
  readonly alarmTopic?: sns.ITopic;
  /** The configured targets, in config order: the first PER_TARGET_TELEMETRY_MAX get a dashboard section. */
  readonly targets: ReadonlyArray<{ readonly id: string }>;
}

const FIVE_MINUTES = Duration.minutes(5);

export class DrivetrainObservability extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboardUrl: string;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const metric = (metricName: string, statistic: string, period = FIVE_MINUTES, label?: string) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: SERVICE_NAME, [DEPLOYMENT_DIMENSION]: props.deployment },
        statistic,
        period,
        ...(label ? { label } : {}),
      });

    // --- alarms ------------------------------------------------------------------------------------------
    for (const { label, queue } of props.deadLetterQueues) {
      this.add(
        new cloudwatch.Alarm(this, `${label}DlqNotEmpty`, {
          alarmName: `${props.name}-${kebab(label)}-dlq-not-empty`,
          alarmDescription: `Events that Drivetrain could not process are waiting in the ${label} dead-letter queue (kept 14 days). Read them (the original event is in the message or its requestPayload), fix the cause, then send the events again.`,
          metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
        props.alarmTopic,
      );
    }

    const failureRate = new cloudwatch.MathExpression({
      // FILL: a period with failures but no successes has no ActionsApplied datapoint at all.
      expression:
        'IF((FILL(applied, 0) + FILL(failed, 0)) > 0, 100 * FILL(failed, 0) / (FILL(applied, 0) + FILL(failed, 0)), 0)',
      usingMetrics: { applied: metric(METRIC.actionsApplied, 'Sum'), failed: metric(METRIC.actionsFailed, 'Sum') },
      period: FIVE_MINUTES,
      label: 'Action failure rate (%)',
    });
    this.add(
      new cloudwatch.Alarm(this, 'ActionFailureRate', {
        alarmName: `${props.name}-action-failure-rate`,
        alarmDescription: `More than ${props.actionFailureRatePercent}% of executor actions (Auto Scaling, provisioned concurrency, Route 53) failed in 2 of the last 3 five-minute periods. Decisions are recorded but not applied: look at the failed decisions in the ${props.decisionsTableName} table (status "failed", outcome.error).`,
        metric: failureRate,
        threshold: props.actionFailureRatePercent,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      props.alarmTopic,
    );

    this.add(
      new cloudwatch.Alarm(this, 'StaleTargets', {
        alarmName: `${props.name}-stale-targets`,
        alarmDescription:
          'At least one target has had only stale telemetry for 10 minutes and runs on its fallback allocation. Check that the metric snapshots and alarm events for it still arrive (DriverAgeSeconds on the dashboard).',
        metric: metric(METRIC.staleTargets, 'Maximum'),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      props.alarmTopic,
    );

    const functions: Array<readonly [string, lambda.IFunction]> = [
      ['Ingest', props.ingest],
      ['Tick', props.tick],
      ['ShardWorker', props.shards.worker],
      ...(props.operator ? [['Operator', props.operator] as const] : []),
    ];
    for (const [label, fn] of functions) {
      this.add(
        new cloudwatch.Alarm(this, `${label}Errors`, {
          alarmName: `${props.name}-${kebab(label)}-errors`,
          alarmDescription: `The ${kebab(label).replace('-', ' ')} function has failed invocations in two consecutive five-minute periods. Its log group has the errors; failed asynchronous events are kept in the failed-invocations DLQ.`,
          metric: fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 2,
          datapointsToAlarm: 2,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
        props.alarmTopic,
      );
    }

    // Missing Invocations data is the failure here (nothing ran), so it counts as breaching.
    const stallWindow = Duration.minutes(Math.max(5, 2 * Math.ceil(props.tickInterval.toMinutes({ integral: false }))));
    this.add(
      new cloudwatch.Alarm(this, 'ReconciliationStalled', {
        alarmName: `${props.name}-reconciliation-stalled`,
        alarmDescription: `The reconciliation tick has not run for ${stallWindow.toMinutes() * 2} minutes: drivers still arrive but expiring drivers, scheduled overrides and drift are no longer acted on. Check the tick schedule rule and the tick function's throttles.`,
        metric: props.tick.metricInvocations({ period: stallWindow, statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 2,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
      props.alarmTopic,
    );

    // Shards are sized to take at most a quarter of the worker's timeout at their worst-case cost
    // (functions/app/shards.ts); p99 past half of it means the sizing assumption no longer holds.
    const halfTimeoutMs = props.shards.workerTimeout.toMilliseconds() / 2;
    this.add(
      new cloudwatch.Alarm(this, 'ShardDuration', {
        alarmName: `${props.name}-shard-duration`,
        alarmDescription: `Shard workers' p99 duration is above half their ${props.shards.workerTimeout.toSeconds()} s timeout in 2 of the last 3 five-minute periods: shards are approaching the timeout, after which targets are deferred to the next tick (ShardTargetsDeferred). Look for throttling in the worker's logs; lower SHARD_SIZE or raise shardConcurrency.`,
        metric: metric(METRIC.shardDuration, 'p99'),
        threshold: halfTimeoutMs,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      props.alarmTopic,
    );
    // A shard still waiting after one tick interval is superseded by the next tick's: the workers do not keep up.
    this.add(
      new cloudwatch.Alarm(this, 'ShardBacklog', {
        alarmName: `${props.name}-shard-backlog`,
        alarmDescription: `Shards have waited longer than one tick interval (${props.tickInterval.toHumanString()}) in the shard queue for 3 minutes: the shard workers cannot keep up (throttled, or shardConcurrency too low for the number of targets), so targets are reconciled less often than every tick.`,
        metric: props.shards.queue.metricApproximateAgeOfOldestMessage({
          period: Duration.minutes(1),
          statistic: 'Maximum',
        }),
        threshold: props.tickInterval.toSeconds(),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      props.alarmTopic,
    );

    // --- dashboard -------------------------------------------------------------------------------------
    const region = Stack.of(this).region;
    const consoleBase = `https://${region}.console.aws.amazon.com`;
    const dashboardName = props.name;
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName, defaultInterval: Duration.hours(3) });
    this.dashboardUrl = `${consoleBase}/cloudwatch/home?region=${region}#dashboards/dashboard/${dashboardName}`;

    const wide = 24;
    const third = 8;
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        width: wide,
        height: 3,
        markdown: [
          `## Drivetrain \`${props.name}\``,
          `Every decision, with its reasons and the drivers it considered, is in [${props.decisionsTableName}](${consoleBase}/dynamodbv2/home?region=${region}#item-explorer?table=${props.decisionsTableName}) (partition key = target id, newest last). ` +
            `Application metrics: namespace \`${METRICS_NAMESPACE}\`, dimensions \`service=${SERVICE_NAME}\`, \`${DEPLOYMENT_DIMENSION}=${props.deployment}\`.`,
        ].join('\n\n'),
      }),
    );
    this.dashboard.addWidgets(
      graph('Decisions', third, [
        metric(METRIC.decisionsRecorded, 'Sum', FIVE_MINUTES, 'recorded'),
        metric(METRIC.decisionConflicts, 'Sum', FIVE_MINUTES, 'conflicts (retried)'),
        // Crash repair: plans taken over after their owner's lease, and the two outcomes a person should look at.
        metric(METRIC.pendingRepaired, 'Sum', FIVE_MINUTES, 'unconfirmed plans repaired'),
        metric(METRIC.claimsLost, 'Sum', FIVE_MINUTES, 'claims lost (nothing marked)'),
        metric(METRIC.pendingOrphaned, 'Sum', FIVE_MINUTES, 'orphaned plans cleared'),
      ]),
      graph('Actions', third, [
        metric(METRIC.actionsApplied, 'Sum', FIVE_MINUTES, 'applied'),
        metric(METRIC.actionsFailed, 'Sum', FIVE_MINUTES, 'failed'),
        metric(METRIC.actionsUnchanged, 'Sum', FIVE_MINUTES, 'unchanged'),
      ]),
      graph('Action failure rate (%)', third, [failureRate], { min: 0, max: 100 }),
    );
    this.dashboard.addWidgets(
      graph('Decision latency (driver received → applied, ms)', third, [
        metric(METRIC.decisionLatency, 'p50', FIVE_MINUTES, 'p50'),
        metric(METRIC.decisionLatency, 'p90', FIVE_MINUTES, 'p90'),
        metric(METRIC.decisionLatency, 'p99', FIVE_MINUTES, 'p99'),
      ]),
      new cloudwatch.GraphWidget({
        title: 'Driver freshness',
        width: third,
        left: [
          metric(METRIC.driverAge, 'p50', FIVE_MINUTES, 'newest driver age p50 (s)'),
          metric(METRIC.driverAge, 'Maximum', FIVE_MINUTES, 'newest driver age max (s)'),
        ],
        right: [metric(METRIC.staleTargets, 'Maximum', FIVE_MINUTES, 'stale targets')],
        leftYAxis: { min: 0, label: 'seconds', showUnits: false },
        rightYAxis: { min: 0, label: 'targets', showUnits: false },
      }),
      graph('Churn (allocation changes per hour)', third, [
        metric(METRIC.allocationChanges, 'Sum', Duration.hours(1), 'changes'),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Drivers', third, [
        metric(METRIC.driversAccepted, 'Sum', FIVE_MINUTES, 'accepted'),
        metric(METRIC.driversRejected, 'Sum', FIVE_MINUTES, 'rejected'),
        metric(METRIC.driversOutOfOrder, 'Sum', FIVE_MINUTES, 'out of order'),
        metric(METRIC.poisonEvents, 'Sum', FIVE_MINUTES, 'unreadable events'),
        metric(METRIC.operatorRequestsRefused, 'Sum', FIVE_MINUTES, 'operator requests refused'),
      ]),
      functionGraph('Ingest function', third, props.ingest),
      functionGraph('Tick function', third, props.tick, [
        metric(METRIC.shardsDispatched, 'Sum', FIVE_MINUTES, 'shards queued'),
        metric(METRIC.shardDispatchFailures, 'Sum', FIVE_MINUTES, 'shards not queued'),
      ]),
    );
    this.dashboard.addWidgets(
      functionGraph('Shard workers', third, props.shards.worker, [
        metric(METRIC.reconcileErrors, 'Sum', FIVE_MINUTES, 'reconcile errors'),
      ]),
      graph('Shard duration (ms)', third, [
        metric(METRIC.shardDuration, 'p50', FIVE_MINUTES, 'p50'),
        metric(METRIC.shardDuration, 'p99', FIVE_MINUTES, 'p99'),
        metric(METRIC.shardDuration, 'Maximum', FIVE_MINUTES, 'max'),
      ]),
      new cloudwatch.GraphWidget({
        title: 'Shard queue',
        width: third,
        height: 6,
        left: [
          metric(METRIC.shardsSuperseded, 'Sum', FIVE_MINUTES, 'superseded shards'),
          metric(METRIC.shardTargetsDeferred, 'Sum', FIVE_MINUTES, 'deferred targets'),
          props.shards.queue.metricApproximateNumberOfMessagesVisible({
            period: FIVE_MINUTES,
            statistic: 'Maximum',
            label: 'shards waiting',
          }),
        ],
        right: [
          props.shards.queue.metricApproximateAgeOfOldestMessage({
            period: FIVE_MINUTES,
            statistic: 'Maximum',
            label: 'oldest shard (s)',
          }),
        ],
        leftYAxis: { min: 0 },
        rightYAxis: { min: 0 },
      }),
    );
    if (props.operator) this.dashboard.addWidgets(functionGraph('Operator endpoint function', third, props.operator));
    this.dashboard.addWidgets(
      graph(
        'Dead-letter queues (messages waiting)',
        12,
        props.deadLetterQueues.map(({ label, queue }) =>
          queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum', label }),
        ),
      ),
      new cloudwatch.AlarmStatusWidget({ title: 'Control-plane alarms', width: 12, height: 6, alarms: this.alarms }),
    );
    this.addTargetSections(props);
  }

  /**
   * A section per target (the first PER_TARGET_TELEMETRY_MAX, the same ones the handlers emit per-target
   * metrics for): demand vs desired vs current/serving allocation, and its decisions by status with staleness.
   */
  private addTargetSections(props: ObservabilityProps): void {
    const ids = perTargetTelemetryIds(props.targets);
    const left = props.targets.length - ids.length;
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        width: 24,
        height: 2,
        markdown:
          '## Targets\n\nPer-target metrics: dimensions `service`, `deployment`, `target` (decisions also `status`).' +
          (left > 0
            ? ` Only the first ${PER_TARGET_TELEMETRY_MAX} targets of the config have them and a section here` +
              ` (a dashboard holds 500 widgets); the other ${left} are in the deployment-wide graphs above.`
            : ''),
      }),
    );
    for (const id of ids) {
      const m = (name: string, statistic: string, label: string, extra: Record<string, string> = {}) =>
        new cloudwatch.Metric({
          namespace: METRICS_NAMESPACE,
          metricName: name,
          dimensionsMap: { ...targetMetricDimensions(props.deployment, id), ...extra },
          statistic,
          period: Duration.minutes(1),
          label,
        });
      this.dashboard.addWidgets(
        new cloudwatch.TextWidget({ width: 24, height: 1, markdown: `### Target \`${id}\`` }),
        graph(`${id}: demand vs desired vs current vs serving`, 12, [
          m(TARGET_METRIC.demand, 'Maximum', 'demand'),
          m(TARGET_METRIC.desiredAllocation, 'Maximum', 'desired'),
          m(TARGET_METRIC.currentAllocation, 'Maximum', 'current'),
          m(TARGET_METRIC.serving, 'Maximum', 'serving'),
        ]),
        new cloudwatch.GraphWidget({
          title: `${id}: decisions and stale drivers`,
          width: 12,
          height: 6,
          left: DECISION_STATUSES.map((status) =>
            m(TARGET_METRIC.decisions, 'Sum', status, { [STATUS_DIMENSION]: status }),
          ),
          right: [m(TARGET_METRIC.staleDrivers, 'Maximum', 'stale drivers (1 = on fallback)')],
          leftYAxis: { min: 0, label: 'decisions', showUnits: false },
          rightYAxis: { min: 0, max: 1, showUnits: false },
        }),
      );
    }
  }

  private add(alarm: cloudwatch.Alarm, topic: sns.ITopic | undefined): void {
    if (topic) {
      alarm.addAlarmAction(new actions.SnsAction(topic));
      alarm.addOkAction(new actions.SnsAction(topic));
    }
    this.alarms.push(alarm);
  }
}

function graph(
  title: string,
  width: number,
  metrics: cloudwatch.IMetric[],
  leftYAxis: cloudwatch.YAxisProps = { min: 0 },
): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({ title, width, height: 6, left: metrics, leftYAxis });
}

function functionGraph(
  title: string,
  width: number,
  fn: lambda.IFunction,
  extra: cloudwatch.IMetric[] = [],
): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({
    title,
    width,
    height: 6,
    left: [
      fn.metricInvocations({ period: FIVE_MINUTES, statistic: 'Sum', label: 'invocations' }),
      fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum', label: 'errors' }),
      fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum', label: 'throttles' }),
      ...extra,
    ],
    right: [fn.metricDuration({ period: FIVE_MINUTES, statistic: 'p99', label: 'duration p99 (ms)' })],
    leftYAxis: { min: 0 },
    rightYAxis: { min: 0 },
  });
}

function kebab(label: string): string {
  return label.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** The dimensions of a per-target metric as the handlers emit it (the status dimension aside). */
export function targetMetricDimensions(deployment: string, targetId: string): Record<string, string> {
  return { service: SERVICE_NAME, [DEPLOYMENT_DIMENSION]: deployment, [TARGET_DIMENSION]: targetId };
}
