/**
 * Who may publish to the alarm-notification topic: CloudWatch alarms of this account and region, nobody
 * else. An Allow for the CloudWatch service principal is not enough on its own, because in this account any
 * role whose identity policy allows sns:Publish could post a fake "ALARM" notification that drives scaling;
 * the Denies close that: everything that is not an AWS service publishing on behalf of one of this
 * account's alarms is refused, whatever its identity policy says.
 */
import * as iam from 'aws-cdk-lib/aws-iam';

export const ALARM_TOPIC_SIDS = {
  allowCloudWatch: 'CloudWatchAlarmsOfThisAccountMayPublish',
  denyNonServices: 'DenyPublishByAnyoneButAwsServices',
  denyOtherSources: 'DenyPublishOnBehalfOfOtherResources',
} as const;

export function alarmTopicStatements(input: {
  topicArn: string;
  account: string;
  alarmArnPattern: string;
}): iam.PolicyStatement[] {
  const onTopic = { actions: ['sns:Publish'], resources: [input.topicArn] };
  return [
    new iam.PolicyStatement({
      sid: ALARM_TOPIC_SIDS.allowCloudWatch,
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      ...onTopic,
      conditions: {
        StringEquals: { 'aws:SourceAccount': input.account },
        ArnLike: { 'aws:SourceArn': input.alarmArnPattern },
      },
    }),
    new iam.PolicyStatement({
      sid: ALARM_TOPIC_SIDS.denyNonServices,
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      ...onTopic,
      conditions: { Bool: { 'aws:PrincipalIsAWSService': 'false' } },
    }),
    // A service principal's request carries the resource it acts for; only this account's alarms qualify
    // (the confused-deputy guard the SNS and CloudWatch guides prescribe).
    new iam.PolicyStatement({
      sid: ALARM_TOPIC_SIDS.denyOtherSources,
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      ...onTopic,
      conditions: {
        StringNotEquals: { 'aws:SourceAccount': input.account },
        Bool: { 'aws:PrincipalIsAWSService': 'true' },
      },
    }),
    new iam.PolicyStatement({
      sid: `${ALARM_TOPIC_SIDS.denyOtherSources}Arn`,
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      ...onTopic,
      conditions: {
        ArnNotLike: { 'aws:SourceArn': input.alarmArnPattern },
        Bool: { 'aws:PrincipalIsAWSService': 'true' },
      },
    }),
  ];
}
