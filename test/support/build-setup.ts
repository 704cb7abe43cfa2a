/**
 * globalSetup of the unit tests: builds the Lambda bundles (dist/lambda) the CDK tests synthesize and the
 * bundle tests run, so no test sees a bundle older than the handlers' sources.
 */
import { buildLambdaBundles } from '../../scripts/build-lambdas';

export default async function buildSetup(): Promise<void> {
  await buildLambdaBundles();
}
