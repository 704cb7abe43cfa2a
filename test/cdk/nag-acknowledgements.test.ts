/**
 * Every cdk-nag acknowledgement must answer a finding that actually exists: a suppression that outlives its
 * finding would silently cover the next, different problem on the same resource.
 *
 * Runs with `Validations.acknowledge` recorded instead of applied (this file's own module registry, so no
 * other test sees the patch), then checks acknowledged ids == raw finding ids, per construct path.
 */
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { join } from 'node:path';
import { DEFAULT_CONFIG_FILE, loadConfigFile } from '../../lib/config-file';
import { DrivetrainStack } from '../../lib/drivetrain-stack';
import { REPO_ROOT, appWithoutBundling, fixtureConfig } from './support';

function fail(message: string): never {
  throw new Error(message);
}

const recorded: Array<{ path: string; id: string; reason: string }> = [];
const original = Validations.prototype.acknowledge;
beforeAll(() => {
  Validations.prototype.acknowledge = function (this: { scope: IConstruct }, ...rules) {
    for (const rule of rules) recorded.push({ path: this.scope.node.path, id: rule.id, reason: rule.reason });
  };
});
afterAll(() => {
  Validations.prototype.acknowledge = original;
});

const repoDefault = loadConfigFile(join(REPO_ROOT, DEFAULT_CONFIG_FILE));

test.each([
  ['the test fixture', () => fixtureConfig()],
  [
    `the repository's ${DEFAULT_CONFIG_FILE} (what \`npm run synth\` deploys)`,
    () => (repoDefault.ok ? repoDefault.config : fail(repoDefault.messages.join('\n'))),
  ],
])(
  '%s: acknowledged findings are exactly the raw findings, each on the construct (or an ancestor) it applies to',
  (_, config) => {
    recorded.length = 0;
    const app = appWithoutBundling();
    new DrivetrainStack(app, 'Raw', { config: config() });
    const raw = new AwsSolutionsChecks()
      .validateScope(app)
      .violations.flatMap((v) => v.violatingResources.map((r) => ({ id: v.ruleName, path: r.constructPath ?? '' })));
    expect(raw.length).toBeGreaterThan(0);

    const covered = (finding: { id: string; path: string }) =>
      recorded.some(
        (ack) => ack.id === finding.id && (finding.path === ack.path || finding.path.startsWith(`${ack.path}/`)),
      );
    expect(raw.filter((finding) => !covered(finding))).toEqual([]);

    const used = (ack: { id: string; path: string }) =>
      raw.some(
        (finding) => finding.id === ack.id && (finding.path === ack.path || finding.path.startsWith(`${ack.path}/`)),
      );
    expect(recorded.filter((ack) => !used(ack)).map(({ path, id }) => `${id} on ${path}`)).toEqual([]);
  },
);
