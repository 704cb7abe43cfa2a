/**
 * 'drivetrain/config': what a config file or a validation script needs — the config types, `defineConfig`
 * and the validator the stack and every Lambda use — without loading aws-cdk-lib.
 */
export {
  configSchema,
  defineConfig,
  defineTarget,
  formatIssue,
  InvalidConfigError,
  parseConfig,
  validateConfig,
  type ConfigIssue,
  type ConfigValidation,
  type DriverDeclaration,
  type DrivetrainConfig,
  type DrivetrainConfigInput,
} from '../functions/domain/config';
export type { Target, TargetInput } from '../functions/domain/model';
