/**
 * The deployable unit: one Drivetrain per stack, environment-agnostic (no lookups, so `cdk synth` needs no
 * credentials), with the outputs an operator needs after `cdk deploy`.
 */
import { CfnOutput, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Drivetrain, type DrivetrainProps } from './drivetrain';

/** Resource types that stack-wide tags skip: not taggable in every region Drivetrain may be deployed to. */
export const UNTAGGABLE_RESOURCE_TYPES = ['AWS::CloudWatch::Dashboard'] as const;

export interface DrivetrainStackProps extends StackProps, DrivetrainProps {}

export class DrivetrainStack extends Stack {
  readonly drivetrain: Drivetrain;

  constructor(scope: Construct, id: string, props: DrivetrainStackProps) {
    super(scope, id, props);
    this.drivetrain = new Drivetrain(this, 'Drivetrain', props);
    const d = this.drivetrain;
    // Not on the dashboard: AWS::CloudWatch::Dashboard takes no Tags in every region (cfn-lint E3002 in
    // me-south-1 and me-central-1), and a stack-wide tag there fails the whole deployment.
    Tags.of(this).add('drivetrain:deployment', d.config.name, { excludeResourceTypes: [...UNTAGGABLE_RESOURCE_TYPES] });

    const output = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    output('DriversTableName', d.tables.drivers.tableName, 'Canonical driver records (TTL on expiresAt)');
    output(
      'DecisionsTableName',
      d.tables.decisions.tableName,
      'Decision audit trail: one item per decision, partition = target id',
    );
    output('StateTableName', d.tables.state.tableName, 'Per-target state (version, current allocation, operator mode)');
    output(
      'IdempotencyTableName',
      d.tables.idempotency.tableName,
      'Powertools idempotency records of the ingest function',
    );
    output(
      'HistoryTableName',
      d.tables.history.tableName,
      'Every accepted driver, kept for driverHistoryRetention (`drivetrain replay --since`)',
    );
    output(
      'BusinessBusName',
      d.businessBus.eventBusName,
      'Send business drivers and metric snapshots here (overrides only through the operator endpoint)',
    );
    output('BusinessBusArn', d.businessBus.eventBusArn, 'ARN of the business-driver bus (for cross-account senders)');
    output(
      'AlarmNotificationTopicArn',
      d.alarmNotificationTopic.topicArn,
      'Add as an alarm action to deliver classic alarm notifications',
    );
    output(
      'IngestFunctionArn',
      d.ingest.function.functionArn,
      'Add as a Lambda alarm action on the configured alarms (direct alarm actions)',
    );
    output('DeliveryDlqUrl', d.deliveryDeadLetterQueue.queueUrl, 'Events EventBridge or SNS could not deliver');
    output('FailuresDlqUrl', d.failedInvocationsQueue.queueUrl, 'Asynchronous invocations that failed after retries');
    output(
      'ShardDlqUrl',
      d.shardDeadLetterQueue.queueUrl,
      'Shard messages of the tick that no shard worker could read',
    );
    output('DashboardUrl', d.observability.dashboardUrl, 'CloudWatch dashboard of this deployment');
    output(
      'OperatorEndpointUrl',
      d.operatorEndpoint.url.url,
      'IAM-authenticated operator endpoint (drivetrain put-driver / pause / resume / shadow / enforce sign requests to it with SigV4)',
    );
  }
}
