/**
 * The X-Ray SDK's patcher for the AWS SDK v2 (`captureAWS`, `captureAWSClient`), as the Lambda bundles see it:
 * scripts/build-lambdas.ts resolves aws-xray-sdk-core's `./patchers/aws_p` to this module.
 *
 * Drivetrain uses the AWS SDK v3 only, traced through Powertools' `captureAWSv3Client` (the SDK's v3 patcher,
 * which stays bundled), so nothing in the bundles can call these. The real patcher would cost every cold
 * start `semver` (about 28 KB, and its regular expressions compiled at load) just to check a v2 SDK version.
 */
function notBundled(): never {
  throw new Error('the X-Ray patcher for the AWS SDK v2 is not bundled: Drivetrain traces SDK v3 clients only');
}

export const captureAWS = notBundled;
export const captureAWSClient = notBundled;
