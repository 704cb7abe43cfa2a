/**
 * CDK app: `cdk deploy` with the config file named by the `drivetrain:config` context key
 * (cdk.json defaults it to drivetrain.config.yaml; override with `--context drivetrain:config=<path>`).
 *
 * A config the validator rejects ends the synth here with its messages, one per line, and exit code 1:
 * nothing is synthesized and no stack trace buries the message.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { resolve } from 'node:path';
import { InvalidConfigError, formatIssue } from '../functions/domain/config';
import { stackName } from '../functions/domain/naming';
import { CONFIG_CONTEXT_KEY, DEFAULT_CONFIG_FILE, loadConfigFile } from '../lib/config-file';
import { DrivetrainStack } from '../lib/drivetrain-stack';

function reject(messages: readonly string[]): never {
  process.stderr.write(
    `Drivetrain config rejected, nothing was synthesized:\n${messages.map((m) => `  ${m}`).join('\n')}\n`,
  );
  process.exit(1);
}

const app = new App();
const configPath = String(app.node.tryGetContext(CONFIG_CONTEXT_KEY) ?? DEFAULT_CONFIG_FILE);
const loaded = loadConfigFile(resolve(configPath));
if (!loaded.ok) reject(loaded.messages);

// The config validator already checked the name against CloudFormation's stack-name rules (naming.ts).
const stackId = stackName(loaded.config.name);
try {
  new DrivetrainStack(app, stackId, {
    description: `Drivetrain driver-based allocation control plane (${loaded.config.name}, from ${loaded.file})`,
    config: loaded.config,
    configFile: loaded.file,
    // The decisions table is the audit trail of production changes: deleting the stack takes a deliberate step.
    terminationProtection: true,
  });
} catch (error) {
  // The construct's own checks (what only the infrastructure needs) report the same way as the validator.
  if (error instanceof InvalidConfigError) reject(error.issues.map(formatIssue));
  throw error;
}

// Every AwsSolutions finding fails the synth unless it is acknowledged, with a reason, next to its resource.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
