/**
 * The operator endpoint: a Lambda function URL with AuthType AWS_IAM in front of the operator handler
 * (functions/handlers/operator.ts). Lambda verifies the caller's SigV4 signature and hands the handler the
 * caller ARN in the request context, so who sent an override, a hand-made business driver or a mode change
 * is an identity AWS verified, and per-target authorization (overridePrincipals, operatorPrincipals,
 * sourcePrincipals) is decided on it.
 *
 * Why a function URL and not API Gateway: the CLI is the only client, one POST per command, and IAM auth
 * on a function URL gives exactly the verified caller ARN with no extra service, stage or authorizer to run.
 *
 * Who reaches it: the resource policy admits the accounts of the configured principals (a principal in
 * this account also needs lambda:InvokeFunctionUrl in its identity policy, as for any IAM-authenticated
 * URL); the handler then matches the exact principal per target. Since October 2025 a function URL also
 * needs lambda:InvokeFunction, granted only with lambda:InvokedViaFunctionUrl so it opens no direct
 * invocation path.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DrivetrainConfig } from '../functions/domain/config';
import { DrivetrainFunction } from './drivetrain-function';
import { operatorEndpointPrincipals } from './resource-arns';

export interface OperatorEndpointProps {
  /** The operator handler's pre-built bundle directory (lib/handlers.ts). */
  readonly bundleDir: string;
  readonly config: Readonly<DrivetrainConfig>;
  readonly environment: Readonly<Record<string, string>>;
  readonly failureQueue: sqs.IQueue;
  /** @default logs.RetentionDays.ONE_MONTH (DrivetrainFunction's) */
  readonly logRetention?: logs.RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
}

export class OperatorEndpoint extends Construct {
  readonly handler: DrivetrainFunction;
  readonly url: lambda.FunctionUrl;
  /** Accounts the resource policy admits (those of the configured operator, override and source principals). */
  readonly accounts: readonly string[];

  constructor(scope: Construct, id: string, props: OperatorEndpointProps) {
    super(scope, id);
    const name = props.config.name;
    this.handler = new DrivetrainFunction(this, 'Handler', {
      bundleDir: props.bundleDir,
      description: `Drivetrain ${name}: operator endpoint (IAM-authenticated function URL) for overrides, hand-sent drivers and mode changes`,
      config: props.config,
      environment: props.environment,
      // Same work as one ingest event: store, then decide/act for the few targets named.
      timeout: Duration.seconds(30),
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      failureQueue: props.failureQueue,
      // Called synchronously by the CLI, which reports failures itself; async retries never apply.
      retryAttempts: 0,
      maxEventAge: Duration.minutes(1),
    });
    this.url = this.handler.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });

    this.accounts = operatorEndpointPrincipals(props.config).accounts;
    this.accounts.forEach((account, i) => {
      this.handler.function.addPermission(`InvokeUrl${i + 1}`, {
        principal: new iam.AccountPrincipal(account),
        action: 'lambda:InvokeFunctionUrl',
        functionUrlAuthType: lambda.FunctionUrlAuthType.AWS_IAM,
      });
      this.handler.function.addPermission(`InvokeViaUrl${i + 1}`, {
        principal: new iam.AccountPrincipal(account),
        action: 'lambda:InvokeFunction',
        invokedViaFunctionUrl: true,
      });
    });
  }
}
