/**
 * The defaults every Drivetrain Lambda shares, in one place: Node 22 on ARM64, the handler bundle pre-built
 * into the package (see lib/handlers.ts for why) plus the stack's config, X-Ray tracing, JSON logs into a log
 * group with a retention, a role that starts with nothing but writing its own logs, and async-invocation
 * failures kept in a dead-letter queue.
 */
import { type Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENV, METRICS_NAMESPACE, SERVICE_NAME } from '../functions/contracts';
import type { DrivetrainConfig } from '../functions/domain/config';
import { BUNDLE_FILE } from './handlers';

/** The runtime the handlers are built and tested for; cdk-nag's "latest runtime" rule is acknowledged below. */
export const DRIVETRAIN_RUNTIME = lambda.Runtime.NODEJS_22_X;

export interface DrivetrainFunctionProps {
  /** Directory holding the pre-built bundle (`handler.mjs`, exporting `handler`), e.g. `handlerBundleDir('ingest')`. */
  readonly bundleDir: string;
  readonly description: string;
  /** The validated config, written into the deployed code (see `lambdaEntrySource`). */
  readonly config: Readonly<DrivetrainConfig>;
  /**
   * Added to the Powertools service name and metrics namespace every function gets.
   * @default - no other variables
   */
  readonly environment?: Readonly<Record<string, string>>;
  readonly timeout: Duration;
  /** @default 512 — on ARM64 memory also buys CPU, which zod parsing and cold starts are bound by. */
  readonly memorySize?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** What happens to the log group when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Only where overlapping invocations are harmful; leave unset otherwise (it carves the account pool).
   * @default - unreserved: the function draws on the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Where failed asynchronous invocations go after `retryAttempts`. Unset (with the two below) for a function
   * only an event source mapping invokes: those invocations are synchronous and its queue has the DLQ.
   * @default - no on-failure destination
   */
  readonly failureQueue?: sqs.IQueue;
  /**
   * Lambda's own retries of a failed asynchronous invocation (0-2).
   * @default 2 (Lambda's default)
   */
  readonly retryAttempts?: number;
  /**
   * Asynchronous events older than this are dropped to the failure queue instead of being run.
   * @default Duration.hours(6) (Lambda's default)
   */
  readonly maxEventAge?: Duration;
}

export class DrivetrainFunction extends Construct {
  readonly function: lambda.Function;
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

    this.function = new lambda.Function(this, 'Function', {
      code: lambda.Code.fromAsset(stageLambdaCode(props.bundleDir, props.config)),
      handler: 'index.handler',
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
      // No NODE_OPTIONS: `--enable-source-maps` made Node read and parse the bundle's source map at every
      // cold start. The map stays in the package (dist/lambda/<name>/handler.mjs.map) for symbolicating a trace.
      environment: {
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        ...props.environment,
      },
    });

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason: `Pinned to ${DRIVETRAIN_RUNTIME.name}: the runtime the handlers are built (esbuild target node22) and tested for; moving to a newer runtime is a deliberate upgrade, not a drift.`,
    });
    // Tracing.ACTIVE adds xray:PutTraceSegments/PutTelemetryRecords, which have no resource-level permissions.
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions (Service Authorization Reference), so they need Resource "*".',
    });
  }
}

/**
 * The deployed entry module, `index.mjs`: sets the stack's config, then loads the pre-built handler.
 *
 * The validated config is written into the code rather than passed as an environment variable: it can
 * outgrow Lambda's 4 KB environment limit, and the code always carries the config it was validated with.
 * The handler is imported dynamically so that the config is on process.env before any of its modules
 * initialise (static imports would run first), so the runtime reads it exactly as the tests set it.
 */
export function lambdaEntrySource(config: Readonly<DrivetrainConfig>): string {
  return [
    '// Written by the Drivetrain construct at synth time.',
    `process.env.${ENV.config} = ${JSON.stringify(JSON.stringify(config))};`,
    `export const { handler } = await import('./${BUNDLE_FILE}');`,
    '',
  ].join('\n');
}

/**
 * The asset directory of one function: the bundle and its entry module, in a directory named by their
 * content hash. Named by content, it is written once and reused by every synth (and by parallel ones: each
 * writes a private copy and renames it into place, and a losing rename leaves the winner's identical copy).
 */
export function stageLambdaCode(bundleDir: string, config: Readonly<DrivetrainConfig>): string {
  const bundle = join(bundleDir, BUNDLE_FILE);
  if (!existsSync(bundle)) {
    throw new Error(
      `${bundle} is missing: the Lambda bundles are built by \`npm run build\` (in a checkout of Drivetrain; an installed package ships them)`,
    );
  }
  const entry = lambdaEntrySource(config);
  const hash = createHash('sha256').update(readFileSync(bundle)).update('\0').update(entry).digest('hex').slice(0, 32);
  const staged = join(tmpdir(), 'drivetrain-lambda-code', hash);
  if (existsSync(join(staged, 'index.mjs'))) return staged;
  const scratch = `${staged}.${process.pid}.${randomBytes(4).toString('hex')}`;
  mkdirSync(scratch, { recursive: true });
  copyFileSync(bundle, join(scratch, BUNDLE_FILE));
  writeFileSync(join(scratch, 'index.mjs'), entry);
  try {
    renameSync(scratch, staged);
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    if (!existsSync(join(staged, 'index.mjs'))) throw error;
  }
  return staged;
}
