/**
 * The package entry (`import { Drivetrain } from 'drivetrain'`): the construct and its props, the stack the
 * repository deploys, and the config types, `defineConfig` and the validator. Config files that only need
 * the last group import 'drivetrain/config' instead, which does not load aws-cdk-lib.
 */
export { Drivetrain, DEFAULT_HANDLERS, MAX_DIRECT_ALARM_ACTIONS, type DrivetrainProps } from './drivetrain';
export { DEFAULT_NOTIFIED_STATUSES, type DecisionNotifications } from './ingress';
export { DrivetrainStack, type DrivetrainStackProps } from './drivetrain-stack';
export { DrivetrainFunction, DRIVETRAIN_RUNTIME, type DrivetrainFunctionProps } from './drivetrain-function';
export { loadConfigFile, CONFIG_CONTEXT_KEY, DEFAULT_CONFIG_FILE, type ConfigFileResult } from './config-file';
export { HANDLER_NAMES, handlerBundleDir, type HandlerName } from './handlers';
export * from './config';
