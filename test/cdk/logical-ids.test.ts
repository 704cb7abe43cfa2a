/**
 * The logical ids of the resources that hold data or carry a fixed physical name. CloudFormation replaces a
 * resource whose logical id changes: for a named resource (tables, queues, the bus, the topic) the new copy
 * collides with the old name and the update fails; for a retained table the audit trail is orphaned. So a
 * refactor of the constructs must keep these ids (or pin them with `overrideLogicalId`) — this test fails
 * first. Changing an id here is a breaking change for every deployment and goes into the release notes.
 */
import { resourcesOf, synthStack } from './support';

const STATEFUL_TYPES = [
  'AWS::DynamoDB::Table',
  'AWS::SQS::Queue',
  'AWS::Events::EventBus',
  'AWS::Events::Archive',
  'AWS::SNS::Topic',
  'AWS::KMS::Key',
  'AWS::Logs::LogGroup',
];

test('stateful and named resources keep their logical ids', () => {
  const { template } = synthStack();
  const ids = STATEFUL_TYPES.flatMap((type) => Object.keys(resourcesOf(template, type)).map((id) => `${type} ${id}`));
  expect(ids.sort()).toMatchInlineSnapshot(`
[
  "AWS::DynamoDB::Table DrivetrainTablesDecisionsTableB3C46940",
  "AWS::DynamoDB::Table DrivetrainTablesDriversTable0A39905C",
  "AWS::DynamoDB::Table DrivetrainTablesHistoryTable04A70696",
  "AWS::DynamoDB::Table DrivetrainTablesIdempotencyTable9284F992",
  "AWS::DynamoDB::Table DrivetrainTablesStateTable3906EE97",
  "AWS::Events::Archive DrivetrainIngressBusinessBusDriverHistoryArchiveD73AB140",
  "AWS::Events::EventBus DrivetrainIngressBusinessBusB58C3189",
  "AWS::KMS::Key DrivetrainIngressAlarmNotificationsKeyA28D78D9",
  "AWS::Logs::LogGroup DrivetrainFunctionsIngestLogsF9F717DF",
  "AWS::Logs::LogGroup DrivetrainFunctionsOperatorHandlerLogs386F2073",
  "AWS::Logs::LogGroup DrivetrainFunctionsShardWorkerLogs0C7A05D4",
  "AWS::Logs::LogGroup DrivetrainFunctionsTickLogsA495473D",
  "AWS::SNS::Topic DrivetrainIngressAlarmNotifications620DB9EA",
  "AWS::SQS::Queue DrivetrainFunctionsDeliveryDlq1779FFAF",
  "AWS::SQS::Queue DrivetrainFunctionsFailuresDlq5F5B0033",
  "AWS::SQS::Queue DrivetrainFunctionsShardDlq2FE37F7A",
  "AWS::SQS::Queue DrivetrainFunctionsShardQueue54AF49FD",
]
`);
});
