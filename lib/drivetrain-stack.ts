/**
 * The deployable unit: one Drivetrain per stack, environment-agnostic (no lookups, so `cdk synth` needs no
 * credentials), with the outputs an operator needs after `cdk deploy`.
 */
import { CfnOutput, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Drivetrain, type DrivetrainProps } from './drivetrain';

export interface DrivetrainStackProps extends StackProps, DrivetrainProps {}

export class DrivetrainStack extends Stack {
  readonly drivetrain: Drivetrain;

  constructor(scope: Construct, id: string, props: DrivetrainStackProps) {
    super(scope, id, props);
    this.drivetrain = new Drivetrain(this, 'Drivetrain', props);
    const d = this.drivetrain;
    Tags.of(this).add('drivetrain:deployment', d.config.name);

    const output = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    output('DriversTableName', d.tables.drivers.tableName, 'Canonical driver records (TTL on expiresAt)');
    output('DecisionsTableName', d.tables.decisions.tableName, 'Decision audit trail: one item per decision, partition = target id');
    output('StateTableName', d.tables.state.tableName, 'Per-target state (version, current allocation, operator mode)');
    output('IdempotencyTableName', d.tables.idempotency.tableName, 'Powertools idempotency records of the ingest function');
    output('BusinessBusName', d.businessBus.eventBusName, 'Send business drivers, metric snapshots and overrides here');
    output('BusinessBusArn', d.businessBus.eventBusArn, 'ARN of the business-driver bus (for cross-account senders)');
    output('AlarmNotificationTopicArn', d.alarmNotificationTopic.topicArn, 'Add as an alarm action to deliver classic alarm notifications');
    output('IngestFunctionArn', d.ingest.function.functionArn, 'Add as a Lambda alarm action on the configured alarms (direct alarm actions)');
    output('DeliveryDlqUrl', d.deliveryDeadLetterQueue.queueUrl, 'Events EventBridge or SNS could not deliver');
    output('FailuresDlqUrl', d.failedInvocationsQueue.queueUrl, 'Asynchronous invocations that failed after retries');
    output('ShardDlqUrl', d.shardDeadLetterQueue.queueUrl, 'Shard messages of the tick that no shard worker could read');
    output('DashboardUrl', d.observability.dashboardUrl, 'CloudWatch dashboard of this deployment');
  }
}
