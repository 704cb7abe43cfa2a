/**
 * `@aws-lambda-powertools/jmespath` as Powertools idempotency sees it in the Lambda bundles:
 * scripts/build-lambdas.ts resolves the idempotency package's imports of it to this module.
 *
 * Idempotency evaluates JMESPath only for `eventKeyJmesPath` and `payloadValidationJmesPath`; ingest sets
 * neither (it makes the event ids the key, `dataIndexArgument`), so `search` is never called. The real engine
 * (about 23 KB) would otherwise be parsed at every ingest cold start. `PowertoolsFunctions` stays a class of
 * its own because idempotency builds one as the default of `jmesPathOptions` and compares their constructors.
 */
export function search(expression: string): never {
  throw new Error(
    `JMESPath is not bundled (expression ${JSON.stringify(expression)}): Drivetrain's idempotency keys are the event ids, not a JMESPath selection`,
  );
}

export class PowertoolsFunctions {}
