/**
 * The defaults every Drivetrain Lambda shares, in one place: Node 22 on ARM64, esbuild bundling on the
 * build machine (no Docker), X-Ray tracing, JSON logs into a log group with a retention, a role that starts
 * with nothing but writing its own logs, and async-invocation failures kept in a dead-letter queue.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV, METRICS_NAMESPACE, SERVICE_NAME } from '../functions/contracts';
import type { DrivetrainConfig } from '../functions/domain/config';

/** The runtime the handlers are built and tested for; cdk-nag's "latest runtime" rule is acknowledged below. */
export const DRIVETRAIN_RUNTIME = lambda.Runtime.NODEJS_22_X;

export interface DrivetrainFunctionProps {
  /** TypeScript entry exporting `handler`. */
  entry: string;
  description: string;
  /** The validated config, inlined into the bundle (see `bundleBanner`). */
  config: Readonly<DrivetrainConfig>;
  environment?: Record<string, string>;
  timeout: Duration;
  /** @default 512 — on ARM64 memory also buys CPU, which zod parsing and cold starts are bound by. */
  memorySize?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  logRetention?: logs.RetentionDays;
  /** What happens to the log group when the stack is deleted. @default RemovalPolicy.RETAIN */
  logRemovalPolicy?: RemovalPolicy;
  /** Only where overlapping invocations are harmful; leave unset otherwise (it carves the account pool). */
  reservedConcurrentExecutions?: number;
  /**
   * Where failed asynchronous invocations go after `retryAttempts`. Unset (with the two below) for a function
   * only an event source mapping invokes: those invocations are synchronous and its queue has the DLQ.
   */
  failureQueue?: sqs.IQueue;
  /** Lambda's own retries of a failed asynchronous invocation (0-2). */
  retryAttempts?: number;
  /** Asynchronous events older than this are dropped to the failure queue instead of being run. */
  maxEventAge?: Duration;
}

export class DrivetrainFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: DrivetrainFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    // An explicit role instead of the default one with AWSLambdaBasicExecutionRole: that managed policy lets
    // the function write to every log group in the account; this one may write to its own only.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Drivetrain ${id} function`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: DRIVETRAIN_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      tracing: lambda.Tracing.ACTIVE,
      // Drivetrain never invokes itself; a loop (e.g. a misrouted rule) must be stopped, not paid for.
      recursiveLoop: lambda.RecursiveLoop.TERMINATE,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      ...(props.failureQueue ? { onFailure: new destinations.SqsDestination(props.failureQueue) } : {}),
      retryAttempts: props.retryAttempts,
      maxEventAge: props.maxEventAge,
      environment: {
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        // Stack traces point at the TypeScript sources instead of the minified bundle.
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        minify: true,
        sourceMap: true,
        // esbuild's warnings still show; its per-file size summary would only clutter `cdk synth --quiet`.
        logLevel: LogLevel.WARNING,
        target: 'node22',
        format: OutputFormat.ESM,
        banner: bundleBanner(props.config),
        mainFields: ['module', 'main'],
        // The SDK is bundled rather than taken from the runtime, so the deployed code runs the exact
        // client versions it was tested with.
        bundleAwsSDK: true,
      },
    });

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason: `Pinned to ${DRIVETRAIN_RUNTIME.name}: the runtime the handlers are built (esbuild target node22) and tested for; moving to a newer runtime is a deliberate upgrade, not a drift.`,
    });
    // Tracing.ACTIVE adds xray:PutTraceSegments/PutTelemetryRecords, which have no resource-level permissions.
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions (Service Authorization Reference), so they need Resource "*".',
    });
  }
}

/**
 * Runs before the bundled code.
 *
 * - ESM output lets handlers use top-level await, but CommonJS dependencies bundled into it still call
 *   require() for Node built-ins, which an ES module lacks until it is recreated from import.meta.url.
 * - The validated config is inlined here rather than passed as an environment variable: it can outgrow
 *   Lambda's 4 KB environment limit, and a bundle always carries the config it was validated with. Setting
 *   it on process.env before any module initialises means the runtime reads it exactly as in tests.
 */
export function bundleBanner(config: Readonly<DrivetrainConfig>): string {
  return [
    "import { createRequire as __drivetrainCreateRequire } from 'node:module';",
    'const require = __drivetrainCreateRequire(import.meta.url);',
    `process.env.${ENV.config} = ${JSON.stringify(JSON.stringify(config))};`,
  ].join(' ');
}
