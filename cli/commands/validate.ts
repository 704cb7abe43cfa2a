/**
 * `drivetrain validate [config]`: policy CI. The same validator as `cdk synth` and the Lambdas, with every
 * problem located in the file; `--replay` also runs the policy over the shipped driver traces.
 */
import type { DrivetrainConfig } from '../../functions/domain/config';
import { budgetCapacity } from '../../functions/domain/engine';
import type { Target } from '../../functions/domain/model';
import { flag, stringOption } from '../args';
import type { Command } from '../command';
import { formatLocatedIssue, loadConfigFile, type LocatedIssue } from '../config-file';
import type { Context } from '../context';
import { EXIT, UsageError, type ExitCode } from '../errors';
import { renderTable } from '../format';
import { LIVE_CHECK_ACTIONS, checkLive, type LiveFinding } from '../live-check';
import { SHIPPED_TRACES_DIR, runPolicyReplay, type ReplayOutcome } from '../replay';
import { kindTraits, manageMode, routingEndpoints } from '../../functions/domain/target-kinds';

/** What a capacity target can cost at its bounds, known before anything is applied. */
export interface TargetCost {
  id: string;
  unitHourlyPrice: number;
  /** bounds.max × unit price: the most an hour can cost under this policy. */
  worstCaseHourly: number;
  maxHourlyCost: number;
  /** The largest allocation the policy's budget pays for (the engine's own budgetCapacity). */
  budgetBindsAt: number;
  /** False when bounds.max is within the budget: the cap never binds. */
  binds: boolean;
}

/** Per capacity target with a unit price (policy.budget); routing targets and unpriced ones have no cost. */
export function targetCosts(config: DrivetrainConfig): TargetCost[] {
  return config.targets.flatMap((t: Target): TargetCost[] => {
    const budget = t.policy.budget;
    if (!budget) return [];
    const budgetBindsAt = budgetCapacity(t.policy, budget.maxHourlyCost)!;
    return [
      {
        id: t.id,
        unitHourlyPrice: budget.unitHourlyPrice,
        worstCaseHourly: Number((t.policy.bounds.max * budget.unitHourlyPrice).toFixed(4)),
        maxHourlyCost: budget.maxHourlyCost,
        budgetBindsAt,
        binds: budgetBindsAt < t.policy.bounds.max,
      },
    ];
  });
}

const LIVE_MARK = { ok: '✓', warning: '!', error: '✗', unchecked: '?' } as const satisfies Record<
  LiveFinding['verdict'],
  string
>;

/** Advice that does not make a config invalid but is almost always a mistake in production. */
export interface ConfigWarning {
  path: string;
  message: string;
}

export function configWarnings(config: DrivetrainConfig): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  const used = new Set<string>();
  for (const target of config.targets) {
    for (const rule of target.policy.rules) used.add(rule.driver);
    for (const e of routingEndpoints(target.resource) ?? []) for (const d of e.drainOn) used.add(d);
  }
  config.drivers.forEach((driver, i) => {
    if (!used.has(driver.name))
      warnings.push({
        path: `drivers[${i}]`,
        message: `driver "${driver.name}" is declared but no policy uses it: its events are stored and ignored`,
      });
  });
  config.targets.forEach((target, i) => {
    warnings.push(...coexistenceWarnings(target, i));
  });
  config.targets.forEach((target, i) => {
    const hasOverrideRule = target.policy.rules.some((r) => r.kind === 'override');
    if (hasOverrideRule && target.overridePrincipals.length === 0) {
      warnings.push({
        path: `targets[${i}].overridePrincipals`,
        message: `target "${target.id}" has an override rule but no overridePrincipals: nobody can send an override`,
      });
    }
  });
  return warnings;
}

/**
 * What the config cannot know offline: whether the resource has scaling policies of its own. A
 * `desired`-managed resource that has some is pulled two ways; a `floor`-managed one is fine, but its alarm
 * and metric rules then raise the floor, not the capacity.
 */
function coexistenceWarnings(target: DrivetrainConfig['targets'][number], i: number): ConfigWarning[] {
  const manage = kindTraits(target.resource.kind).manage;
  if (!manage) return [];
  // An explicit `manage: desired` is the owner saying the resource has no policies of its own; only the
  // default is worth a warning.
  const written = 'manage' in target.resource && target.resource.manage !== undefined;
  if (manageMode(target.resource) === 'desired') {
    if (written) return [];
    return [
      {
        path: `targets[${i}].resource.manage`,
        message:
          `target "${target.id}" sets ${manage.capacityField} itself (manage defaults to desired): if the resource ` +
          `has scaling policies or scheduled actions of its own, they pull it the other way. Write manage: floor ` +
          `to own only ${manage.floorField} and leave ${manage.capacityField} to them, or manage: desired to ` +
          `confirm it has none`,
      },
    ];
  }
  const reactive = target.policy.rules.filter((r) => r.kind === 'alarm' || r.kind === 'metric').length;
  if (reactive === 0) return [];
  return [
    {
      path: `targets[${i}].policy.rules`,
      message:
        `target "${target.id}" is floor-managed: its ${reactive} alarm/metric rule(s) raise ${manage.floorField}, ` +
        `not ${manage.capacityField}; reactive scaling is the resource's own policies' job`,
    },
  ];
}

export const validateCommand: Command = {
  name: 'validate',
  synopsis: 'validate [config] [--replay] [--live]',
  summary: 'check a config (policy CI): exit 1 with located messages when it is invalid',
  description: [
    'Validates the config with the same schema and cross-field rules as `cdk synth` and the Lambdas.',
    'Problems are printed as FILE:LINE:COL: PATH: MESSAGE. Warnings (unused drivers, override rules',
    'nobody may use) do not fail the check. With --replay the policy is also run over the driver traces',
    'shipped with the repository, and a replayed decision that breaks its bounds fails the check.',
    'Per capacity target with a unit price it prints the worst-case hourly cost (bounds.max × price) and',
    'the allocation at which the budget binds. With --live (AWS credentials) it also checks the bounds',
    'against the resources and the account: ASG MinSize/MaxSize, Lambda unreserved or reserved',
    'concurrency, the Route 53 weighted records; a policy that can never be applied fails the check.',
    'Read-only IAM for --live, per target kind:',
    ...Object.entries(LIVE_CHECK_ACTIONS).map(([kind, actions]) => `  ${kind}: ${actions.join(', ')}`),
  ].join('\n'),
  options: {
    replay: { type: 'boolean', description: 'also replay the shipped driver traces through the policy' },
    traces: {
      type: 'string',
      value: 'DIR',
      description: 'trace directory with a manifest.json (default: the shipped traces/)',
    },
    verbose: { type: 'boolean', short: 'v', description: 'with --replay: print every replayed decision report' },
    live: {
      type: 'boolean',
      description: 'also check bounds against the live resources and account limits (needs AWS credentials)',
    },
  },
  positionals: [
    { name: 'config', required: false, description: 'config file (same as --config; default drivetrain.config.yaml)' },
  ],
  examples: [
    'drivetrain validate',
    'drivetrain validate deploy/prod.yaml --json',
    'drivetrain validate --replay',
    'drivetrain validate --live --profile prod',
  ],
  async run(context: Context): Promise<ExitCode> {
    const positional = context.parsed.positionals[0];
    if (positional !== undefined && stringOption(context.parsed, 'config') !== undefined) {
      throw new UsageError('give the config either as an argument or with --config, not both', 'validate');
    }
    const file = positional !== undefined ? context.resolvePath(positional) : context.configFile();
    for (const name of ['traces', 'verbose']) {
      if (context.parsed.values[name] !== undefined && !flag(context.parsed, 'replay'))
        throw new UsageError(`--${name} only makes sense with --replay`, 'validate');
    }
    const load = await loadConfigFile(file, context.displayPath(file));
    if (!load.ok) {
      report(context, load.file, load.issues, [], undefined);
      return EXIT.failed;
    }
    const warnings = configWarnings(load.config);
    let replay: ReplayOutcome | undefined;
    if (flag(context.parsed, 'replay')) {
      const traces = stringOption(context.parsed, 'traces');
      const dir = traces === undefined ? SHIPPED_TRACES_DIR : context.resolvePath(traces);
      replay = await context.progress.run('replaying traces', () =>
        runPolicyReplay(load.config, file, dir, context.displayPath(dir)),
      );
    }
    let live: LiveFinding[] | undefined;
    if (flag(context.parsed, 'live')) {
      const ports = await context.livePorts();
      live = await context.aws(
        'checking bounds against the live resources',
        () => checkLive(load.config, ports),
        'sts',
      );
    }
    report(context, load.file, [], warnings, replay, load.config, live);
    const liveFailed = live?.some((f) => f.verdict === 'error') ?? false;
    return (replay && !replay.ok) || liveFailed ? EXIT.failed : EXIT.ok;
  },
};

function report(
  context: Context,
  file: string,
  issues: LocatedIssue[],
  warnings: ConfigWarning[],
  replay: ReplayOutcome | undefined,
  config?: DrivetrainConfig,
  live?: LiveFinding[],
): void {
  if (context.json) {
    context.outJson({
      ok: issues.length === 0 && (replay?.ok ?? true) && !(live ?? []).some((f) => f.verdict === 'error'),
      file,
      issues,
      warnings,
      ...(config
        ? {
            targets: config.targets.map((t) => ({
              id: t.id,
              kind: t.resource.kind,
              mode: t.mode,
              policyVersion: t.policy.version,
            })),
          }
        : {}),
      ...(config ? { cost: targetCosts(config) } : {}),
      ...(live ? { live } : {}),
      ...(replay ? { replay: replay.json } : {}),
    });
    return;
  }
  if (issues.length > 0) {
    context.out(issues.map((i) => `${formatLocatedIssue(i)}\n`).join(''));
    context.out(`\n✗ ${file}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n`);
    return;
  }
  for (const w of warnings) context.out(`${file}: ${w.path}: warning: ${w.message}\n`);
  if (config) {
    context.out(
      `✓ ${file}: valid (${config.targets.length} target${config.targets.length === 1 ? '' : 's'}, ${config.drivers.length} driver${config.drivers.length === 1 ? '' : 's'})\n\n`,
    );
    context.out(
      renderTable(
        config.targets,
        [
          { header: 'TARGET', value: (t) => t.id },
          { header: 'KIND', value: (t) => t.resource.kind },
          { header: 'MODE', value: (t) => t.mode },
          { header: 'POLICY', value: (t) => t.policy.version },
          { header: 'BOUNDS', value: (t) => `${t.policy.bounds.min}..${t.policy.bounds.max}` },
          {
            header: 'RULES',
            value: (t) => t.policy.rules.map((r) => `${r.kind}:${r.driver}`).join(', ') || '-',
            flexible: true,
          },
        ],
        { maxWidth: context.io.columns },
      ),
    );
  }
  if (config) reportCost(context, config);
  if (live) reportLive(context, live);
  if (replay) context.out(`\n${replay.text}${flag(context.parsed, 'verbose') ? `\n${replay.details}` : ''}`);
}

function reportCost(context: Context, config: DrivetrainConfig): void {
  const costs = targetCosts(config);
  if (costs.length === 0) return;
  context.out('\nCost at the bounds (policy.budget: unit price and hourly cap):\n');
  context.out(
    renderTable(
      costs,
      [
        { header: 'TARGET', value: (c) => c.id },
        { header: 'UNIT/H', value: (c) => String(c.unitHourlyPrice) },
        { header: 'WORST CASE/H', value: (c) => c.worstCaseHourly.toFixed(2) },
        { header: 'BUDGET/H', value: (c) => String(c.maxHourlyCost) },
        {
          header: 'BUDGET BINDS AT',
          value: (c) => (c.binds ? String(c.budgetBindsAt) : `never (max within budget up to ${c.budgetBindsAt})`),
          flexible: true,
        },
      ],
      { maxWidth: context.io.columns },
    ),
  );
}

function reportLive(context: Context, live: LiveFinding[]): void {
  context.out('\nLive limits (read-only AWS calls):\n');
  context.out(
    renderTable(
      live,
      [
        { header: 'TARGET', value: (f) => f.targetId },
        { header: 'CHECK', value: (f) => `${LIVE_MARK[f.verdict]} ${f.verdict}` },
        { header: 'DETAIL', value: (f) => f.message, flexible: true },
      ],
      { maxWidth: context.io.columns },
    ),
  );
  const never = live.filter((f) => f.verdict === 'error');
  if (never.length) context.out(`\n✗ can never be applied as written: ${never.map((f) => f.targetId).join(', ')}\n`);
}
