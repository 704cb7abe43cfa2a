/**
 * The config seal: how a deployed Lambda knows its config was validated at synth, so its cold start can skip
 * building the config schemas and parsing the config again (about a third of a handler's cold import).
 *
 * The construct validates the config (parseConfig) at synth and writes the result, as JSON, into the entry
 * module of the deployed code, with `configSeal(buildId, json)`. `buildId` names the sources and dependency
 * versions the bundles were built from (scripts/build-lambdas.ts compiles it into every bundle and writes it
 * next to them); the construct seals only bundles of its own build, so the validator that checked the config
 * at synth is the one compiled into the bundle. At cold start the bundle recomputes the seal:
 * - it matches: the JSON is parseConfig's output for this build, so it is used as it is (deep-frozen);
 * - there is no seal (a config from the environment: the demo, tests, a hand-made deployment): full validation;
 * - it does not match (another build's config, or a JSON edited after synth): refused, the init fails.
 *
 * Why trusting it is safe: the config and its seal are in the deployment package, which Lambda runs exactly as
 * uploaded. Whoever could change them could change the validator in the same package too, so validating the
 * same bytes again at every cold start guarded against nothing the seal does not. It is an integrity check
 * against mixing builds, not a secret: nothing here authenticates a caller (identity comes from IAM).
 */
import { createHash } from 'node:crypto';

const SEAL_CONTEXT = 'drivetrain-config-seal-v1';

export function configSeal(buildId: string, configJson: string): string {
  return createHash('sha256').update(`${SEAL_CONTEXT}\0${buildId}\0`).update(configJson).digest('hex');
}

declare const __DRIVETRAIN_BUILD_ID__: string | undefined;

/** The build id compiled into this bundle (esbuild `define`); undefined when not bundled (tests, the demo). */
export const BUNDLE_BUILD_ID: string | undefined =
  typeof __DRIVETRAIN_BUILD_ID__ === 'string' ? __DRIVETRAIN_BUILD_ID__ : undefined;
