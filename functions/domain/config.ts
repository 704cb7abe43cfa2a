/**
 * The deployment configuration (`drivetrain.config.yaml`): the driver catalogue and the targets with their
 * policies. The same schema validates it in `cdk synth`, in `drivetrain validate` and in every Lambda.
 */
import { z } from 'zod';
import { DRIVER_KINDS, identifier, targetSchema, type Target, type TargetInput } from './model';

const DEFAULT_TTL_SECONDS: Record<(typeof DRIVER_KINDS)[number], number> = {
  // Alarms only emit on state change, so their last state stays true until the next event arrives.
  alarm: 7 * 24 * 3600,
  // A metric snapshot is a sample: once an hour old it no longer describes the present.
  metric: 3600,
  // Business drivers and overrides carry their own window/expiry; this only bounds forgotten ones.
  business: 30 * 24 * 3600,
  override: 24 * 3600,
};

export const driverDeclarationSchema = z
  .object({
    name: identifier,
    kind: z.enum(DRIVER_KINDS),
    targets: z.array(identifier).min(1),
    /** For alarm drivers: the CloudWatch alarm names whose state changes feed this driver. */
    alarmNames: z.array(z.string().min(1).max(255)).optional(),
    /** For metric drivers: unit expected on snapshots (informational, checked on ingest when set). */
    unit: z.string().max(64).optional(),
    /** Record lifetime; also the DynamoDB TTL. */
    ttlSeconds: z.number().int().positive().max(365 * 24 * 3600).optional(),
    description: z.string().max(512).optional(),
  })
  .strict();
export type DriverDeclaration = z.infer<typeof driverDeclarationSchema>;

export const configSchema = z
  .object({
    version: z.literal(1),
    /** Deployment name; prefixes resource names so several deployments can share an account. */
    name: identifier.default('drivetrain'),
    drivers: z.array(driverDeclarationSchema).default([]),
    targets: z.array(targetSchema).min(1),
    /** AWS account ids allowed to put business drivers on the custom bus (besides this account). */
    businessBusAccounts: z.array(z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id')).default([]),
    /** Retention of decision records (DynamoDB TTL). */
    decisionRetentionDays: z.number().int().positive().max(3650).default(90),
  })
  .strict();
export type DrivetrainConfig = z.infer<typeof configSchema>;
export type DrivetrainConfigInput = z.input<typeof configSchema>;

/** Typed helper for configs written in TypeScript. */
export function defineConfig(config: DrivetrainConfigInput): DrivetrainConfigInput {
  return config;
}
export function defineTarget(target: TargetInput): TargetInput {
  return target;
}

export function driverTtlSeconds(declaration: DriverDeclaration): number {
  return declaration.ttlSeconds ?? DEFAULT_TTL_SECONDS[declaration.kind];
}

export interface ConfigIssue {
  /** File the config came from (or `<inline>`). */
  file: string;
  /** Path inside the document, e.g. `targets[0].policy.bounds.min`. */
  path: string;
  message: string;
}

export type ConfigValidation =
  | { ok: true; config: DrivetrainConfig; issues: [] }
  | { ok: false; issues: ConfigIssue[] };

export function formatIssue(issue: ConfigIssue): string {
  return `${issue.file}: ${issue.path || '<root>'}: ${issue.message}`;
}

export class InvalidConfigError extends Error {
  override readonly name = 'InvalidConfigError';
  constructor(readonly issues: ConfigIssue[]) {
    super(`invalid Drivetrain config:\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`);
  }
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

/** Turns zod's issues into messages that name what is allowed, not just what is wrong. */
function zodIssues(error: z.ZodError, file: string, input: unknown): ConfigIssue[] {
  return error.issues.map((issue) => {
    let message = issue.message;
    if (issue.code === 'invalid_value' && 'values' in issue) {
      message = `got ${JSON.stringify(valueAt(issue.path))}; allowed: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    } else if (issue.code === 'unrecognized_keys') {
      message = `unknown key(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    } else if (issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator') {
      message = `${issue.message}; allowed: ${allowedDiscriminators(issue.path)}`;
    }
    return { file, path: formatPath(issue.path), message };
  });
  function valueAt(path: ReadonlyArray<PropertyKey>): unknown {
    return path.reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined), input);
  }
}

function allowedDiscriminators(path: ReadonlyArray<PropertyKey>): string {
  const last = path[path.length - 2];
  if (last === 'rules') return '"alarm", "metric", "business", "override" (key: kind)';
  if (path[path.length - 1] === 'resource') return '"ec2-asg", "lambda-provisioned-concurrency", "route53-weighted" (key: kind)';
  return 'see the schema';
}

/**
 * Parses and cross-checks a config. Structural problems come from the schema; the rest are rules that
 * span fields (bounds, windows, references), each reported with the exact path to fix.
 */
export function validateConfig(input: unknown, file = '<inline>'): ConfigValidation {
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) return { ok: false, issues: zodIssues(parsed.error, file, input) };
  const config = parsed.data;
  const issues: ConfigIssue[] = [];
  const report = (path: string, message: string) => issues.push({ file, path, message });

  const targetIds = new Map<string, number>();
  config.targets.forEach((target, i) => {
    if (targetIds.has(target.id)) report(`targets[${i}].id`, `duplicate target id "${target.id}" (also targets[${targetIds.get(target.id)}])`);
    targetIds.set(target.id, i);
  });
  const driversByName = new Map<string, { declaration: DriverDeclaration; index: number }>();
  config.drivers.forEach((declaration, i) => {
    const previous = driversByName.get(declaration.name);
    if (previous) report(`drivers[${i}].name`, `duplicate driver name "${declaration.name}" (also drivers[${previous.index}])`);
    driversByName.set(declaration.name, { declaration, index: i });
    declaration.targets.forEach((t, j) => {
      if (!targetIds.has(t)) report(`drivers[${i}].targets[${j}]`, `unknown target "${t}"; declared targets: ${[...targetIds.keys()].join(', ')}`);
    });
    if (declaration.kind === 'alarm' && !declaration.alarmNames?.length) {
      report(`drivers[${i}].alarmNames`, 'an alarm driver needs at least one CloudWatch alarm name');
    }
    if (declaration.kind !== 'alarm' && declaration.alarmNames) {
      report(`drivers[${i}].alarmNames`, `only alarm drivers take alarmNames (this one is "${declaration.kind}")`);
    }
  });
  const alarmOwners = new Map<string, string>();
  for (const { declaration } of driversByName.values()) {
    for (const alarm of declaration.alarmNames ?? []) {
      const owner = alarmOwners.get(alarm);
      if (owner && owner !== declaration.name) {
        report(`drivers`, `alarm "${alarm}" feeds both "${owner}" and "${declaration.name}"; an alarm may feed one driver`);
      }
      alarmOwners.set(alarm, declaration.name);
    }
  }

  config.targets.forEach((target, i) => checkTarget(target, `targets[${i}]`, driversByName, report));
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, config, issues: [] };
}

function checkTarget(
  target: Target,
  at: string,
  drivers: Map<string, { declaration: DriverDeclaration; index: number }>,
  report: (path: string, message: string) => void,
): void {
  const { policy, resource } = target;
  if (target.kind !== resource.kind) {
    report(`${at}.resource.kind`, `resource kind "${resource.kind}" does not match target kind "${target.kind}"`);
  }
  const isRouting = target.kind === 'route53-weighted';
  const { min, max } = policy.bounds;
  if (min > max) report(`${at}.policy.bounds`, `min (${min}) is greater than max (${max}); allowed: min <= max`);
  if (!isRouting && (policy.fallback.allocation < min || policy.fallback.allocation > max)) {
    report(`${at}.policy.fallback.allocation`, `${policy.fallback.allocation} is outside bounds; allowed: ${min}..${max}`);
  }
  if (policy.budget) {
    const minCost = min * policy.budget.unitHourlyPrice;
    if (minCost > policy.budget.maxHourlyCost) {
      report(
        `${at}.policy.budget.maxHourlyCost`,
        `cap ${policy.budget.maxHourlyCost}/h is below the cost of the minimum capacity (${min} × ${policy.budget.unitHourlyPrice} = ${round(minCost)}/h); allowed: >= ${round(minCost)}`,
      );
    }
  }

  policy.rules.forEach((rule, r) => {
    const path = `${at}.policy.rules[${r}]`;
    const declared = drivers.get(rule.driver);
    if (!declared) {
      report(`${path}.driver`, `unknown driver "${rule.driver}"; declared drivers: ${[...drivers.keys()].join(', ') || '(none)'}`);
      return;
    }
    if (declared.declaration.kind !== rule.kind) {
      report(`${path}.kind`, `rule kind "${rule.kind}" does not match driver "${rule.driver}" which is "${declared.declaration.kind}"`);
    }
    if (!declared.declaration.targets.includes(target.id)) {
      report(`${path}.driver`, `driver "${rule.driver}" does not list target "${target.id}" in drivers[${declared.index}].targets`);
    }
    if (isRouting && rule.kind !== 'override') {
      report(`${path}.kind`, `routing targets are driven by resource.endpoints[].drainOn and overrides; allowed rule kinds: "override"`);
    }
    if (rule.kind === 'business' && rule.baseline !== undefined && (rule.baseline < min || rule.baseline > max)) {
      report(`${path}.baseline`, `${rule.baseline} is outside bounds; allowed: ${min}..${max}`);
    }
  });
  const ruleDrivers = new Set<string>();
  policy.rules.forEach((rule, r) => {
    if (ruleDrivers.has(rule.driver)) report(`${at}.policy.rules[${r}].driver`, `driver "${rule.driver}" has more than one rule`);
    ruleDrivers.add(rule.driver);
  });

  const windows = policy.schedule.map((entry, s) => ({ entry, s }));
  windows.forEach(({ entry, s }) => {
    const path = `${at}.policy.schedule[${s}]`;
    if (entry.end <= entry.start) report(`${path}.end`, `window ends (${iso(entry.end)}) before it starts (${iso(entry.start)})`);
    if (entry.action === 'pin' && entry.allocation === undefined) report(`${path}.allocation`, 'a pin needs an allocation');
    if (entry.action === 'freeze' && entry.allocation !== undefined) report(`${path}.allocation`, 'a freeze holds the current allocation; remove allocation');
    if (entry.action === 'pin' && entry.allocation !== undefined && !isRouting && (entry.allocation < min || entry.allocation > max)) {
      report(`${path}.allocation`, `${entry.allocation} is outside bounds; allowed: ${min}..${max}`);
    }
  });
  const sorted = [...windows].sort((a, b) => a.entry.start - b.entry.start);
  for (let k = 1; k < sorted.length; k++) {
    const prev = sorted[k - 1]!;
    const next = sorted[k]!;
    if (next.entry.start < prev.entry.end) {
      report(
        `${at}.policy.schedule[${next.s}]`,
        `window "${next.entry.name}" (${iso(next.entry.start)}–${iso(next.entry.end)}) overlaps "${prev.entry.name}" (schedule[${prev.s}], ${iso(prev.entry.start)}–${iso(prev.entry.end)}); scheduled overrides must not overlap`,
      );
    }
  }

  if (resource.kind === 'route53-weighted') {
    const ids = new Set<string>();
    let minShares = 0;
    resource.endpoints.forEach((endpoint, e) => {
      const path = `${at}.resource.endpoints[${e}]`;
      if (ids.has(endpoint.setIdentifier)) report(`${path}.setIdentifier`, `duplicate setIdentifier "${endpoint.setIdentifier}"`);
      ids.add(endpoint.setIdentifier);
      minShares += endpoint.minShare;
      endpoint.drainOn.forEach((name, d) => {
        const declared = drivers.get(name);
        if (!declared) report(`${path}.drainOn[${d}]`, `unknown driver "${name}"; declared drivers: ${[...drivers.keys()].join(', ') || '(none)'}`);
        else if (declared.declaration.kind !== 'alarm') report(`${path}.drainOn[${d}]`, `driver "${name}" is "${declared.declaration.kind}"; only alarm drivers can drain an endpoint`);
        else if (!declared.declaration.targets.includes(target.id)) report(`${path}.drainOn[${d}]`, `driver "${name}" does not list target "${target.id}"`);
      });
    });
    if (minShares > 1 + 1e-9) report(`${at}.resource.endpoints`, `minimum shares add up to ${round(minShares)}; allowed: at most 1`);
    if (resource.endpoints.every((e) => e.weight === 0)) report(`${at}.resource.endpoints`, 'every weight is 0; at least one endpoint must take traffic');
  }
  if (target.mode !== 'paused' && target.allowedSources.length === 0) {
    report(`${at}.allowedSources`, 'at least one source must be allowed');
  }
}

function round(n: number): number {
  return Math.round(n * 10000) / 10000;
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

/** Parse-or-throw for code paths (Lambda cold start, CDK synth) that must fail fast. */
export function parseConfig(input: unknown, file = '<inline>'): Readonly<DrivetrainConfig> {
  const result = validateConfig(input, file);
  if (!result.ok) throw new InvalidConfigError(result.issues);
  return deepFreeze(result.config);
}

export function deepFreeze<T>(value: T): Readonly<T> {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}
