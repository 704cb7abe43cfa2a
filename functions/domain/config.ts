/**
 * The deployment configuration (`drivetrain.config.yaml`): the driver catalogue and the targets with their
 * policies. The same schema validates it in `cdk synth`, in `drivetrain validate` and in every Lambda.
 */
import { z } from 'zod';
import { ROUTING_WEIGHT_TOTAL, budgetCapacity } from './engine';
import { deploymentNameProblems } from './naming';
import { DRIVER_KINDS, identifier, targetSchema, type Target, type TargetInput } from './model';
import { isRoutingTarget, kindTraits, routingEndpoints } from './target-kinds';

const DEFAULT_TTL_SECONDS: Record<(typeof DRIVER_KINDS)[number], number> = {
  // Alarms only emit on state change, so their last state stays true until the next event arrives.
  alarm: 7 * 24 * 3600,
  // A metric snapshot is a sample: once an hour old it no longer describes the present.
  metric: 3600,
  // Business drivers and overrides carry their own window/expiry; this only bounds forgotten ones.
  business: 30 * 24 * 3600,
  override: 24 * 3600,
};

/**
 * The CloudWatch metric a metric driver's snapshots sample, so the engine can be given its history
 * (GetMetricData, cached, read at most every few minutes). Optional: without it the driver has no history
 * and its rules decide from snapshots alone.
 */
export const cloudWatchMetricSchema = z.lazy(() =>
  z
    .object({
      namespace: z.string().min(1).max(255),
      metricName: z.string().min(1).max(255),
      dimensions: z
        .array(z.object({ name: z.string().min(1).max(255), value: z.string().min(1).max(1024) }).strict())
        .max(30)
        .default([]),
      statistic: z.enum(['Average', 'Sum', 'Minimum', 'Maximum', 'SampleCount']).default('Average'),
      /** Sum of counts per period (e.g. ALB RequestCount) → a rate per second, the unit snapshots carry. */
      perSecond: z.boolean().default(false),
    })
    .strict(),
);
export type CloudWatchMetric = z.infer<typeof cloudWatchMetricSchema>;

export const driverDeclarationSchema = z.lazy(() =>
  z
    .object({
      name: identifier,
      kind: z.enum(DRIVER_KINDS),
      targets: z.array(identifier).min(1),
      /** For alarm drivers: the CloudWatch alarm names whose state changes feed this driver. */
      alarmNames: z.array(z.string().min(1).max(255)).optional(),
      /** For metric drivers: unit expected on snapshots (informational, checked on ingest when set). */
      unit: z.string().max(64).optional(),
      /** For metric drivers: the CloudWatch metric whose history stabilization and forecasts may read. */
      cloudwatch: cloudWatchMetricSchema.optional(),
      /** Record lifetime; also the DynamoDB TTL. */
      ttlSeconds: z
        .number()
        .int()
        .positive()
        .max(365 * 24 * 3600)
        .optional(),
      description: z.string().max(512).optional(),
    })
    .strict(),
);
export type DriverDeclaration = z.infer<typeof driverDeclarationSchema>;

export const configSchema = z.lazy(() =>
  z
    .object({
      version: z.literal(1),
      /**
       * Deployment name; prefixes resource names so several deployments can share an account, and is the
       * `deployment` dimension of every metric. Checked against every service it ends up in (naming.ts).
       */
      name: identifier
        .superRefine((name, ctx) => {
          for (const message of deploymentNameProblems(name)) ctx.addIssue({ code: 'custom', message });
        })
        .default('drivetrain'),
      drivers: z.array(driverDeclarationSchema).default([]),
      targets: z.array(targetSchema).min(1),
      /** AWS account ids allowed to put business drivers on the custom bus (besides this account). */
      businessBusAccounts: z.array(z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id')).default([]),
      /**
       * Who may send each business `source` (business drivers and metric snapshots): IAM role/user ARNs, or
       * patterns ending in `*`. The bus policy lets only these principals put events with that source, and the
       * operator endpoint checks its AWS-verified caller against the same list. `aws.*` sources are AWS's own.
       */
      sourcePrincipals: z
        .record(z.string().min(1).max(256), z.array(z.string().min(1).max(2048)).min(1).max(50))
        .default({}),
      /** Retention of decision records (DynamoDB TTL). */
      decisionRetentionDays: z.number().int().positive().max(3650).default(90),
    })
    .strict(),
);
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

/** How far ahead of its receipt a business record may live when its declaration sets no ttlSeconds. */
export const BUSINESS_MAX_LIFETIME_SECONDS = 365 * 24 * 3600;

/**
 * Longest an override may last. An override pins production capacity regardless of every alarm and
 * forecast; one that is forgotten becomes the next incident. A week covers a long weekend or a launch; a
 * longer pin belongs in the policy's `schedule`, which is reviewed like code.
 */
export const OVERRIDE_MAX_SECONDS = 7 * 24 * 3600;

/**
 * The longest a record of this driver can stay live: ingest refuses any that would live longer. Alarms and
 * metric snapshots live exactly their TTL after their observation. Business records and overrides carry their
 * own end, bounded from their receipt: business by ttlSeconds (a year without), overrides by the shorter of
 * ttlSeconds and OVERRIDE_MAX_SECONDS (a declaration may shorten the longest override, never lengthen it).
 */
export function driverMaxLifetimeSeconds(declaration: DriverDeclaration): number {
  switch (declaration.kind) {
    case 'business':
      return declaration.ttlSeconds ?? BUSINESS_MAX_LIFETIME_SECONDS;
    case 'override':
      return Math.min(OVERRIDE_MAX_SECONDS, declaration.ttlSeconds ?? OVERRIDE_MAX_SECONDS);
    default:
      return driverTtlSeconds(declaration);
  }
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
    if (issue.code === 'invalid_value') {
      message = `got ${describe(valueAt(issue.path))}; allowed: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    } else if (issue.code === 'unrecognized_keys') {
      message = `unknown key(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}; remove them or check the spelling`;
    } else if (issue.code === 'invalid_union' && 'options' in issue && Array.isArray(issue.options)) {
      // A discriminated union whose tag matched no option (e.g. `kind: cron`): zod puts the tag in the path.
      message = `got ${describe(valueAt(issue.path))}; allowed: ${issue.options.map((v: unknown) => JSON.stringify(v)).join(', ')}`;
    } else if (issue.code === 'invalid_type' && valueAt(issue.path) === undefined) {
      message = `required: expected ${issue.expected}`;
    }
    return { file, path: formatPath(issue.path), message };
  });
  function valueAt(path: ReadonlyArray<PropertyKey>): unknown {
    return path.reduce<unknown>(
      (node, key) => (node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined),
      input,
    );
  }
}

function describe(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

/**
 * Parses and cross-checks a config. Structural problems come from the schema; the rest are rules that
 * span fields (bounds, windows, references), each reported with the exact path to fix.
 */
export function validateConfig(input: unknown, file = '<inline>'): ConfigValidation {
  // Without zod's JIT: a config is parsed once per process (a Lambda cold start, a synth, a CLI run), and
  // compiling a fast path for each of its object schemas cost more than the parse itself (measured with
  // `npm run bench:cold-start`: about 70 ms of a Lambda cold start).
  const parsed = configSchema.safeParse(input, { jitless: true });
  if (!parsed.success) return { ok: false, issues: zodIssues(parsed.error, file, input) };
  const config = parsed.data;
  const issues: ConfigIssue[] = [];
  const report = (path: string, message: string) => issues.push({ file, path, message });

  const targetIds = new Map<string, number>();
  config.targets.forEach((target, i) => {
    if (targetIds.has(target.id))
      report(`targets[${i}].id`, `duplicate target id "${target.id}" (also targets[${targetIds.get(target.id)}])`);
    targetIds.set(target.id, i);
  });
  const driversByName = new Map<string, { declaration: DriverDeclaration; index: number }>();
  config.drivers.forEach((declaration, i) => {
    const previous = driversByName.get(declaration.name);
    if (previous)
      report(`drivers[${i}].name`, `duplicate driver name "${declaration.name}" (also drivers[${previous.index}])`);
    driversByName.set(declaration.name, { declaration, index: i });
    declaration.targets.forEach((t, j) => {
      if (!targetIds.has(t))
        report(
          `drivers[${i}].targets[${j}]`,
          `unknown target "${t}"; declared targets: ${[...targetIds.keys()].join(', ')}`,
        );
    });
    if (declaration.kind === 'alarm' && !declaration.alarmNames?.length) {
      report(`drivers[${i}].alarmNames`, 'an alarm driver needs at least one CloudWatch alarm name');
    }
    if (declaration.kind !== 'alarm' && declaration.alarmNames) {
      report(`drivers[${i}].alarmNames`, `only alarm drivers take alarmNames (this one is "${declaration.kind}")`);
    }
    if (declaration.kind !== 'metric' && declaration.cloudwatch) {
      report(
        `drivers[${i}].cloudwatch`,
        `only metric drivers have a CloudWatch metric history (this one is "${declaration.kind}")`,
      );
    }
  });
  // An alarm state change is normalized into exactly one driver; two owners would make it ambiguous.
  const alarmOwners = new Map<string, { name: string; index: number }>();
  config.drivers.forEach((declaration, i) => {
    (declaration.alarmNames ?? []).forEach((alarm, j) => {
      const owner = alarmOwners.get(alarm);
      if (owner && owner.name !== declaration.name) {
        report(
          `drivers[${i}].alarmNames[${j}]`,
          `alarm "${alarm}" already feeds "${owner.name}" (drivers[${owner.index}]); allowed: one driver per alarm`,
        );
      } else if (!owner) alarmOwners.set(alarm, { name: declaration.name, index: i });
    });
  });

  config.targets.forEach((target, i) => {
    checkTarget(target, `targets[${i}]`, driversByName, report);
  });
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
  const isRouting = isRoutingTarget(target);
  const { min, max } = policy.bounds;
  if (min > max) report(`${at}.policy.bounds.min`, `min (${min}) is greater than max (${max}); allowed: min <= max`);
  // Checks against the bounds only make sense once the bounds themselves are valid.
  const boundsValid = min <= max;
  if (boundsValid && !isRouting && (policy.fallback.allocation < min || policy.fallback.allocation > max)) {
    report(
      `${at}.policy.fallback.allocation`,
      `${policy.fallback.allocation} is outside bounds; allowed: ${min}..${max}`,
    );
  }
  if (policy.budget && isRouting) {
    report(`${at}.policy.budget`, 'a budget caps capacity; routing targets have none; remove budget');
  } else if (policy.budget) {
    const minCost = min * policy.budget.unitHourlyPrice;
    // Same arithmetic as the engine (float-tolerant): 14 × 2.7 is 37.800000000000004, yet a 37.8 cap fits.
    if (budgetCapacity(policy, policy.budget.maxHourlyCost)! < min) {
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
      report(
        `${path}.driver`,
        `unknown driver "${rule.driver}"; declared drivers: ${[...drivers.keys()].join(', ') || '(none)'}`,
      );
      return;
    }
    if (declared.declaration.kind !== rule.kind) {
      report(
        `${path}.kind`,
        `rule kind "${rule.kind}" does not match driver "${rule.driver}" which is "${declared.declaration.kind}"`,
      );
    }
    if (!declared.declaration.targets.includes(target.id)) {
      report(
        `${path}.driver`,
        `driver "${rule.driver}" does not list target "${target.id}" in drivers[${declared.index}].targets`,
      );
    }
    if (isRouting && rule.kind !== 'override') {
      report(
        `${path}.kind`,
        `routing targets are driven by resource.endpoints[].drainOn and overrides; allowed rule kinds: "override"`,
      );
    }
    if (rule.kind === 'alarm' && rule.urgent && rule.step < 0) {
      report(
        `${path}.urgent`,
        `urgent only applies to scale-out steps (step > 0), this step is ${rule.step}; allowed: urgent: false or a positive step`,
      );
    }
    if (
      boundsValid &&
      rule.kind === 'business' &&
      rule.baseline !== undefined &&
      (rule.baseline < min || rule.baseline > max)
    ) {
      report(`${path}.baseline`, `${rule.baseline} is outside bounds; allowed: ${min}..${max}`);
    }
  });
  const ruleDrivers = new Set<string>();
  policy.rules.forEach((rule, r) => {
    if (ruleDrivers.has(rule.driver))
      report(`${at}.policy.rules[${r}].driver`, `driver "${rule.driver}" has more than one rule`);
    ruleDrivers.add(rule.driver);
  });

  const windows = policy.schedule.map((entry, s) => ({ entry, s }));
  const scheduleNames = new Map<string, number>();
  windows.forEach(({ entry, s }) => {
    const path = `${at}.policy.schedule[${s}]`;
    const sameName = scheduleNames.get(entry.name);
    if (sameName !== undefined)
      report(
        `${path}.name`,
        `duplicate schedule name "${entry.name}" (also schedule[${sameName}]); names identify windows in the audit trail`,
      );
    scheduleNames.set(entry.name, s);
    if (entry.end <= entry.start)
      report(
        `${path}.end`,
        `window ends (${iso(entry.end)}) before or when it starts (${iso(entry.start)}); allowed: end after start`,
      );
    if (isRouting && entry.action === 'pin')
      report(`${path}.action`, 'routing targets cannot pin a count on a schedule; allowed: "freeze"');
    if (entry.action === 'pin' && entry.allocation === undefined)
      report(`${path}.allocation`, `a pin needs an allocation; allowed: an integer in ${min}..${max}`);
    if (entry.action === 'freeze' && entry.allocation !== undefined)
      report(`${path}.allocation`, 'a freeze holds the current allocation; remove allocation');
    if (
      boundsValid &&
      entry.action === 'pin' &&
      entry.allocation !== undefined &&
      !isRouting &&
      (entry.allocation < min || entry.allocation > max)
    ) {
      report(`${path}.allocation`, `${entry.allocation} is outside bounds; allowed: ${min}..${max}`);
    }
  });
  // Sweep by start time against the window reaching furthest so far: comparing neighbours only would miss
  // a long window that overlaps several later short ones.
  const sorted = [...windows].sort((a, b) => a.entry.start - b.entry.start || a.s - b.s);
  let reach = sorted[0];
  for (let k = 1; k < sorted.length; k++) {
    const next = sorted[k]!;
    const prev = reach!;
    if (next.entry.start < prev.entry.end) {
      report(
        `${at}.policy.schedule[${next.s}]`,
        `window "${next.entry.name}" (${iso(next.entry.start)}–${iso(next.entry.end)}) overlaps "${prev.entry.name}" (schedule[${prev.s}], ${iso(prev.entry.start)}–${iso(prev.entry.end)}); allowed: scheduled overrides that do not overlap`,
      );
    }
    if (next.entry.end > prev.entry.end) reach = next;
  }

  const endpoints = routingEndpoints(resource);
  const routing = kindTraits(resource.kind).routing;
  if (endpoints && routing) {
    const ids = new Set<string>();
    let minShares = 0;
    endpoints.forEach((endpoint, e) => {
      const path = `${at}.resource.${routing.endpointsField}[${e}]`;
      if (ids.has(endpoint.setIdentifier))
        report(`${path}.${routing.keyField}`, `duplicate ${routing.keyField} "${endpoint.setIdentifier}"`);
      ids.add(endpoint.setIdentifier);
      minShares += endpoint.minShare;
      endpoint.drainOn.forEach((name, d) => {
        const declared = drivers.get(name);
        if (!declared)
          report(
            `${path}.drainOn[${d}]`,
            `unknown driver "${name}"; declared drivers: ${[...drivers.keys()].join(', ') || '(none)'}`,
          );
        else if (declared.declaration.kind !== 'alarm')
          report(
            `${path}.drainOn[${d}]`,
            `driver "${name}" is "${declared.declaration.kind}"; only alarm drivers can drain an endpoint`,
          );
        else if (!declared.declaration.targets.includes(target.id))
          report(`${path}.drainOn[${d}]`, `driver "${name}" does not list target "${target.id}"`);
      });
    });
    // The engine writes integer weights adding up to ROUTING_WEIGHT_TOTAL, so each minimum is honoured as
    // a whole number of weight points, rounded up: 3 × 0.333 fits in 1 but needs 3 × 34 = 102 of 100.
    const minPoints = endpoints.reduce((sum, e) => sum + Math.ceil(e.minShare * ROUTING_WEIGHT_TOTAL - 1e-9), 0);
    if (minShares > 1 + 1e-9)
      report(
        `${at}.resource.${routing.endpointsField}`,
        `minimum shares add up to ${round(minShares)}; allowed: at most 1`,
      );
    else if (minPoints > ROUTING_WEIGHT_TOTAL) {
      report(
        `${at}.resource.${routing.endpointsField}`,
        `minimum shares need ${minPoints} of ${ROUTING_WEIGHT_TOTAL} weight points once rounded up to whole points; allowed: at most ${ROUTING_WEIGHT_TOTAL} (use shares with at most ${Math.log10(ROUTING_WEIGHT_TOTAL)} decimals)`,
      );
    }
    if (endpoints.every((e) => e.weight === 0))
      report(`${at}.resource.${routing.endpointsField}`, 'every weight is 0; at least one endpoint must take traffic');
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
