/** Shared helpers of the CDK tests: the fixture config, apps that skip bundling, template utilities. */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { join } from 'node:path';
import type { DrivetrainConfig, DrivetrainConfigInput } from '../../functions/domain/config';
import { loadConfigFile } from '../../lib/config-file';
import { resolveIntrinsics } from '../support/iam-simulator';
import { DrivetrainStack, type DrivetrainStackProps } from '../../lib/drivetrain-stack';

export const FIXTURE_CONFIG_FILE = join(__dirname, 'fixtures/drivetrain.config.yaml');
export const REPO_ROOT = join(__dirname, '../..');

export function fixtureConfig(): DrivetrainConfig {
  const loaded = loadConfigFile(FIXTURE_CONFIG_FILE);
  if (!loaded.ok) throw new Error(`fixture config is invalid:\n${loaded.messages.join('\n')}`);
  // A structural copy: tests edit it freely.
  return structuredClone(loaded.config);
}

/**
 * esbuild bundling is what makes a synth slow (two bundles per stack on two shared cores); the CloudFormation
 * template does not depend on it, so every test but the bundling tests skips it.
 */
export function appWithoutBundling(): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [] } });
}

export interface SynthResult {
  app: App;
  stack: DrivetrainStack;
  template: Template;
}

export function synthStack(
  props: Partial<Omit<DrivetrainStackProps, 'config'>> & { config?: DrivetrainConfig | DrivetrainConfigInput } = {},
): SynthResult {
  const app = appWithoutBundling();
  const stack = new DrivetrainStack(app, 'DrivetrainTest', { config: props.config ?? fixtureConfig(), ...props });
  return { app, stack, template: Template.fromStack(stack) };
}

/** Resources of one type, by logical id. */
export function resourcesOf(
  template: Template,
  type: string,
): Record<string, { Properties: Record<string, unknown>; [key: string]: unknown }> {
  return template.findResources(type) as Record<string, { Properties: Record<string, unknown> }>;
}

/** Replaces asset hashes (64 hex digits, in S3 keys and asset paths) so a snapshot survives code changes. */
export function blankAssetHashes(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value).replace(/[0-9a-f]{64}/g, '<asset-hash>'));
}

/**
 * Resolves the CloudFormation intrinsics this stack uses for pseudo parameters into readable placeholders,
 * so tests can compare ARNs as strings: {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ...]]} →
 * "arn:${AWS::Partition}:...".
 */
export function flatten(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(flatten);
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length === 1 && keys[0] === 'Ref') return `\${${String(record.Ref)}}`;
    if (keys.length === 1 && keys[0] === 'Fn::GetAtt') return `\${${(record['Fn::GetAtt'] as string[]).join('.')}}`;
    if (keys.length === 1 && keys[0] === 'Fn::Join') {
      const [separator, parts] = record['Fn::Join'] as [string, unknown[]];
      return parts.map((part) => String(flatten(part))).join(separator);
    }
    return Object.fromEntries(keys.map((key) => [key, flatten(record[key])]));
  }
  return value;
}

/**
 * Everything a function's role may do by its identity policies, as the simulator reads it: the role's inline
 * policies and the managed policies it carries (the allocation policy), with every table resolved to its ARN
 * in the simulator's account and region, and any other Ref/GetAtt to a value no table action matches.
 */
export function roleIdentityPolicy(
  template: Template,
  roleFragment: string,
  arns: { account: string; region: string },
): { role: string; policy: unknown } {
  const resources = template.toJSON().Resources as Record<
    string,
    { Type: string; Properties: Record<string, unknown> }
  >;
  const [roleId, role] = Object.entries(resources).find(
    ([id, r]) => r.Type === 'AWS::IAM::Role' && id.includes(roleFragment),
  ) ?? [undefined, undefined];
  if (!roleId || !role) throw new Error(`no role whose logical id contains ${roleFragment}`);
  const tableArn = (id: string) =>
    `arn:aws:dynamodb:${arns.region}:${arns.account}:table/${String(resources[id]?.Properties.TableName)}`;
  const refs = new Proxy({} as Record<string, string>, {
    get: (_t, key: string) => {
      const id = key.replace(/\.Arn$/, '');
      if (resources[id]?.Type === 'AWS::DynamoDB::Table' && key.endsWith('.Arn')) return tableArn(id);
      return key.endsWith('.Arn') ? `arn:aws:iam::${arns.account}:role/${id}` : `ref-${key}`;
    },
  });
  const managed = new Set(
    ((role.Properties.ManagedPolicyArns ?? []) as Array<{ Ref?: string }>).map((ref) => ref.Ref).filter(Boolean),
  );
  const statements = Object.entries(resources)
    .filter(
      ([id, r]) =>
        (r.Type === 'AWS::IAM::Policy' &&
          (r.Properties.Roles as Array<{ Ref: string }>).some((ref) => ref.Ref === roleId)) ||
        (r.Type === 'AWS::IAM::ManagedPolicy' && managed.has(id)),
    )
    .flatMap(([, r]) => (r.Properties.PolicyDocument as { Statement: unknown[] }).Statement);
  return {
    role: `arn:aws:iam::${arns.account}:role/${roleId}`,
    policy: resolveIntrinsics({ Version: '2012-10-17', Statement: statements }, refs),
  };
}
