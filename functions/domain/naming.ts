/**
 * The deployment name ends up in the physical name of resources of many services, each with its own rules.
 * One validator checks a name against every one of them, using the exact names the stack builds (so a
 * rule and a suffix can never drift apart): a name that passes deploys everywhere, one that fails is
 * refused with the service that would have rejected it, at validate/synth time instead of mid-deploy.
 *
 * Rules from each service's API reference (CreateQueue, CreateTopic, CreateTable, CreateEventBus,
 * PutDashboard, PutMetricAlarm, CreateStack, the CloudWatch Dimension type).
 */

export interface NameRule {
  service: string;
  /** Characters allowed, as a regular expression over the whole name. */
  pattern: RegExp;
  minLength: number;
  maxLength: number;
  /** Allowed characters, for the message. */
  allowed: string;
}

/** The rule of every service a deployment name lands in. */
export const NAME_RULES = {
  cloudFormationStack: {
    service: 'CloudFormation stack name',
    pattern: /^[A-Za-z][A-Za-z0-9-]*$/,
    minLength: 1,
    maxLength: 128,
    allowed: 'letters, digits and "-", starting with a letter',
  },
  sqsQueue: {
    service: 'SQS queue name',
    pattern: /^[A-Za-z0-9_-]+$/,
    minLength: 1,
    maxLength: 80,
    allowed: 'letters, digits, "-" and "_"',
  },
  snsTopic: {
    service: 'SNS topic name',
    pattern: /^[A-Za-z0-9_-]+$/,
    minLength: 1,
    maxLength: 256,
    allowed: 'letters, digits, "-" and "_"',
  },
  dynamoDbTable: {
    service: 'DynamoDB table name',
    pattern: /^[A-Za-z0-9_.-]+$/,
    minLength: 3,
    maxLength: 255,
    allowed: 'letters, digits, "_", "-" and "."',
  },
  eventBus: {
    service: 'EventBridge event bus name',
    pattern: /^[A-Za-z0-9/._-]+$/,
    minLength: 1,
    maxLength: 256,
    allowed: 'letters, digits, "/", ".", "_" and "-"',
  },
  dashboard: {
    service: 'CloudWatch dashboard name',
    pattern: /^[A-Za-z0-9_-]+$/,
    minLength: 1,
    maxLength: 255,
    allowed: 'letters, digits, "-" and "_"',
  },
  alarm: {
    service: 'CloudWatch alarm name',
    pattern: /^[\x20-\x7e]+$/,
    minLength: 1,
    maxLength: 255,
    allowed: 'printable ASCII',
  },
  metricDimension: {
    service: 'CloudWatch metric dimension value',
    pattern: /^[^:][\x20-\x7e]*$/,
    minLength: 1,
    maxLength: 1024,
    allowed: 'printable ASCII, not starting with ":"',
  },
} as const satisfies Record<string, NameRule>;
export type NameRuleId = keyof typeof NAME_RULES;

/** Suffix of every alarm the stack creates (the longest decides the limit). */
export const ALARM_SUFFIXES = [
  'delivery-dlq-not-empty',
  'failures-dlq-not-empty',
  'action-failure-rate',
  'stale-targets',
  'ingest-errors',
  'tick-errors',
  'operator-errors',
  'reconciliation-stalled',
  'shard-dlq-not-empty',
  'shard-worker-errors',
  'shard-duration',
  'shard-backlog',
] as const;

/** Every physical name built from a deployment name, with the rule it must satisfy. */
export function physicalNames(name: string): Array<{ rule: NameRuleId; value: string }> {
  return [
    { rule: 'cloudFormationStack', value: stackName(name) },
    { rule: 'sqsQueue', value: `${name}-delivery-dlq` },
    { rule: 'sqsQueue', value: `${name}-failures-dlq` },
    { rule: 'sqsQueue', value: `${name}-shards` },
    { rule: 'sqsQueue', value: `${name}-shard-dlq` },
    { rule: 'snsTopic', value: `${name}-alarm-notifications` },
    ...['drivers', 'decisions', 'state', 'idempotency', 'history'].map((table) => ({
      rule: 'dynamoDbTable' as const,
      value: `${name}-${table}`,
    })),
    { rule: 'eventBus', value: businessBusName(name) },
    { rule: 'dashboard', value: name },
    ...ALARM_SUFFIXES.map((suffix) => ({ rule: 'alarm' as const, value: `${name}-${suffix}` })),
    { rule: 'metricDimension', value: name },
  ];
}

export function stackName(name: string): string {
  return `Drivetrain-${name}`;
}

export function businessBusName(name: string): string {
  return `${name}-business-drivers`;
}

/** Why `name` cannot be a deployment name: one message per service that would refuse it (empty: fine). */
export function deploymentNameProblems(name: string): string[] {
  const problems: string[] = [];
  const seen = new Set<NameRuleId>();
  for (const { rule: id, value } of physicalNames(name)) {
    if (seen.has(id)) continue;
    const rule: NameRule = NAME_RULES[id];
    if (value.length < rule.minLength || value.length > rule.maxLength) {
      problems.push(
        `the ${rule.service} "${value}" would be ${value.length} characters; allowed: ${rule.minLength}-${rule.maxLength}`,
      );
      seen.add(id);
    } else if (!rule.pattern.test(value)) {
      problems.push(`the ${rule.service} "${value}" is not allowed; allowed: ${rule.allowed}`);
      seen.add(id);
    }
  }
  return problems;
}
