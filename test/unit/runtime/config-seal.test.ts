/**
 * The config sealed at synth (functions/config-seal.ts): used as it is by the bundle of the build it
 * was sealed for, refused by any other, and exactly what validating it again would have produced.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ENV } from '../../../functions/contracts';
import { parseConfig } from '../../../functions/domain/config';
import { configSeal } from '../../../functions/config-seal';
import { EnvironmentError, parseEnv } from '../../../functions/runtime/env';
import { lambdaEntrySource } from '../../../lib/drivetrain-function';

const BUILD = 'build-a';
const validated = parseConfig(
  parseYaml(readFileSync(join(__dirname, '..', '..', '..', 'drivetrain.config.yaml'), 'utf8')),
);
const json = JSON.stringify(validated);

function env(config: string, seal?: string): NodeJS.ProcessEnv {
  return {
    [ENV.config]: config,
    ...(seal === undefined ? {} : { [ENV.configSeal]: seal }),
    [ENV.driversTable]: 'dt-drivers',
    [ENV.decisionsTable]: 'dt-decisions',
    [ENV.stateTable]: 'dt-state',
    [ENV.idempotencyTable]: 'dt-idempotency',
    [ENV.pendingGraceSeconds]: '150',
    [ENV.homeAccount]: '123456789012',
    AWS_REGION: 'us-east-1',
  };
}

describe('a sealed config', () => {
  it('is the config the validation would produce, deep-frozen, for the build it was sealed for', () => {
    const sealed = parseEnv(env(json, configSeal(BUILD, json)), BUILD);
    expect(sealed.config).toEqual(parseEnv(env(json)).config);
    expect(Object.isFrozen(sealed.config)).toBe(true);
    expect(Object.isFrozen(sealed.config.targets[0]!.policy.bounds)).toBe(true);
  });

  it('is not validated again: a value only the validation would refuse passes when sealed', () => {
    // What the seal saves: the schemas are not built and the config not parsed at cold start. (A construct
    // never seals such a config: it seals the output of parseConfig.)
    const unvalidated = JSON.stringify({ ...validated, decisionRetentionDays: 0 });
    expect(() => parseEnv(env(unvalidated))).toThrow(/decisionRetentionDays/);
    expect(parseEnv(env(unvalidated, configSeal(BUILD, unvalidated)), BUILD).config.decisionRetentionDays).toBe(0);
  });

  it.each([
    ['sealed for another build', configSeal('build-b', json), BUILD, json],
    ['changed after it was sealed', configSeal(BUILD, json), BUILD, json.replace('"enforce"', '"shadow"')],
    ['sealed, read by code that is not a bundle (no build id)', configSeal(BUILD, json), undefined, json],
    ['with an empty seal', '', BUILD, json],
  ])('is refused when %s', (_label, seal, buildId, config) => {
    expect(() => parseEnv(env(config, seal), buildId)).toThrow(EnvironmentError);
    expect(() => parseEnv(env(config, seal), buildId)).toThrow(/DRIVETRAIN_CONFIG_SEAL does not match/);
  });

  it('an unsealed config is validated in full, whatever the build', () => {
    expect(() => parseEnv(env(JSON.stringify({ ...validated, targets: [] })), BUILD)).toThrow(
      /DRIVETRAIN_CONFIG does not hold a valid Drivetrain config:[\s\S]*targets/,
    );
  });
});

describe('the deployed entry module', () => {
  it('seals the config it writes when given the build id of the bundle', () => {
    const source = lambdaEntrySource(validated, BUILD);
    expect(source).toContain(`process.env.${ENV.config} = ${JSON.stringify(json)};`);
    expect(source).toContain(`process.env.${ENV.configSeal} = ${JSON.stringify(configSeal(BUILD, json))};`);
    expect(lambdaEntrySource(validated)).not.toContain(ENV.configSeal);
  });
});
