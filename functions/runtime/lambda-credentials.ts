/**
 * The AWS SDK's default credential chain, as the Lambda bundles see it (scripts/build-lambdas.ts aliases
 * `@aws-sdk/credential-provider-node` to this module; tests and the CLI keep the real chain).
 *
 * Lambda always hands a function its execution role's credentials in AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, so the rest of the default chain (SSO, shared ini files,
 * credential processes, web identity, container and instance metadata) can never be reached there: it only
 * adds about 90 KB of bundled code — SSO and STS clients included — to parse at every cold start.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider: typeof fromEnv = (init) => fromEnv(init);
