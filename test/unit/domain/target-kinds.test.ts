/**
 * The target-kind registry: every layer's table has exactly the kinds of TARGET_KINDS (the compiler checks
 * the keys; this checks nothing extra slipped in at run time), the kind is stored once (in the resource), and
 * configs that still name it on the target keep validating as long as the two agree.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { validateConfig } from '../../../functions/domain/config';
import { TARGET_RESOURCE_SCHEMAS, targetSchema } from '../../../functions/domain/model';
import {
  TARGET_KINDS,
  TARGET_KIND_TRAITS,
  assertNever,
  configuredResourceWeights,
  isRoutingKind,
  routingEndpoints,
  targetKind,
} from '../../../functions/domain/target-kinds';
import { EXECUTOR_FACTORIES } from '../../../functions/executors';
import { KIND_STATEMENTS } from '../../../lib/allocation-policy';
import { SIMULATOR_MODELS } from '../../../local/simulator/models';

const shipped = () =>
  parse(readFileSync(join(__dirname, '../../../drivetrain.config.yaml'), 'utf8')) as {
    targets: Array<Record<string, unknown> & { resource: { kind: string } }>;
  };

describe('target-kind registry', () => {
  it.each([
    ['traits', TARGET_KIND_TRAITS],
    ['resource schemas', TARGET_RESOURCE_SCHEMAS],
    ['executors', EXECUTOR_FACTORIES],
    ['IAM statements', KIND_STATEMENTS],
    ['simulator models', SIMULATOR_MODELS],
  ])('the %s table has one entry per kind, no more', (_name, table) => {
    expect(Object.keys(table).sort()).toEqual([...TARGET_KINDS].sort());
  });

  it('routing kinds are exactly the kinds with weights and endpoints', () => {
    for (const kind of TARGET_KINDS) {
      const traits = TARGET_KIND_TRAITS[kind];
      expect(isRoutingKind(kind)).toBe(traits.shape === 'weights');
      expect('routing' in traits).toBe(traits.shape === 'weights');
    }
  });

  it('reads the kind from the resource and its routing endpoints from the resource only', () => {
    const config = validateConfig(shipped());
    if (!config.ok) throw new Error(JSON.stringify(config.issues));
    const byId = new Map(config.config.targets.map((t) => [t.id, t]));
    expect(targetKind(byId.get('web-asg')!)).toBe('ec2-asg');
    expect(routingEndpoints(byId.get('web-asg')!.resource)).toBeUndefined();
    expect(configuredResourceWeights(byId.get('api-routing')!.resource)).toEqual({ 'us-east-1': 70, 'eu-west-1': 30 });
  });

  it('stores the kind once: a parsed target has no kind of its own', () => {
    const config = validateConfig(shipped());
    if (!config.ok) throw new Error(JSON.stringify(config.issues));
    for (const target of config.config.targets) expect(Object.keys(target)).not.toContain('kind');
  });

  it('still accepts a target-level kind that agrees with the resource (configs from before), and drops it', () => {
    const doc = shipped();
    for (const target of doc.targets) target.kind = target.resource.kind;
    const config = validateConfig(doc);
    expect(config.ok).toBe(true);
    const parsed = targetSchema.parse({ ...doc.targets[0] });
    expect(parsed).not.toHaveProperty('kind');
    expect(parsed.resource.kind).toBe('ec2-asg');
  });

  it('refuses a target-level kind that names another kind than the resource', () => {
    const doc = shipped();
    doc.targets[0]!.kind = 'route53-weighted';
    const result = validateConfig(doc);
    expect(result.ok).toBe(false);
    expect(result.issues).toEqual([
      expect.objectContaining({
        path: 'targets[0].resource.kind',
        message: 'resource kind "ec2-asg" does not match target kind "route53-weighted"',
      }),
    ]);
  });

  it('assertNever names what it did not expect', () => {
    expect(() => assertNever('ecs-service' as never, 'target kind')).toThrow('unexpected target kind: "ecs-service"');
  });
});
