/**
 * `drivetrain put-driver`: sends a business driver, a metric snapshot or an override to the operator
 * endpoint (an IAM-authenticated function URL), signed with SigV4 from your AWS credentials. The endpoint
 * takes who is calling from AWS and checks it per target (overridePrincipals) and per source
 * (sourcePrincipals); nothing in the request names the sender. Before sending, the event is validated with
 * the ingest schemas and run through the normalizer with your STS caller identity, so what the endpoint
 * would refuse is refused at the prompt.
 */
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { DETAIL_TYPES, OPERATOR_SOURCE } from '../../functions/contracts';
import { formatPath, type DriverDeclaration, type DrivetrainConfig } from '../../functions/domain/config';
import { formatDuration } from '../../functions/domain/engine';
import type { Driver } from '../../functions/domain/model';
import { verifiedCaller, type VerifiedCaller } from '../../functions/ingest/caller';
import { normalize } from '../../functions/ingest/normalize';
import type { OperatorRequest } from '../../functions/operator-contract';
import type { PutDriverResult } from '../../functions/ports';
import {
  businessDriverDetailSchema,
  checkOverrideExpiry,
  metricSnapshotDetailSchema,
  overrideDetailSchema,
} from '../../functions/ingest/schemas';
import { flag, listOption, numberOption, stringOption, type Parsed } from '../args';
import type { Command } from '../command';
import { unknownTarget, type Context } from '../context';
import { CommandError, EXIT, UsageError, type ExitCode } from '../errors';
import { OPERATOR_URL_ENV, refusalLines } from '../operator-client';
import { isoSeconds } from '../format';
import { parseFuture, parseLength } from '../time';
import { routingEndpoints } from '../../functions/domain/target-kinds';

export const PUT_KINDS = ['demand', 'budget', 'freeze', 'override', 'metric'] as const;
export type PutKind = (typeof PUT_KINDS)[number];

/** Env var with the stand-in caller of a --local override (what `--principal` sets); the demo has no AWS identity. */
export const PRINCIPAL_ENV = 'DRIVETRAIN_PRINCIPAL';

const COMMAND = 'put-driver';

/** Which flags each kind takes; anything else is a usage error rather than silently ignored. */
const FLAGS_BY_KIND: Record<PutKind, readonly string[]> = {
  demand: ['targets', 'id', 'start', 'end', 'multiplier', 'absolute', 'lead', 'label', 'reason', 'expires'],
  budget: ['targets', 'id', 'start', 'end', 'max-cost', 'label', 'reason', 'expires'],
  freeze: ['targets', 'id', 'start', 'end', 'label', 'reason', 'expires'],
  override: ['targets', 'pin', 'weights', 'expires', 'reason'],
  metric: ['value', 'unit', 'at'],
};
const KIND_FLAGS = [...new Set(Object.values(FLAGS_BY_KIND).flat())];

export interface BuiltEvent {
  /** The operator endpoint request: detail-type, source and detail (no sender: that is the signed caller). */
  request: Extract<OperatorRequest, { action: 'put-driver' }>;
  /** The validated detail (timestamps as epoch seconds), for the summary and --json. */
  detail: Record<string, unknown>;
  targets: string[];
  /** Sent anyway, but the operator should know (e.g. no policy rule uses this driver on a target). */
  warnings: string[];
}

/** Builds and checks the event; pure apart from reading flags. Throws UsageError / CommandError. */
export function buildDriverEvent(parsed: Parsed, config: DrivetrainConfig, now: number): BuiltEvent {
  const kindText = stringOption(parsed, 'kind');
  if (kindText === undefined) throw new UsageError(`--kind is required (${PUT_KINDS.join('|')})`, COMMAND);
  if (!(PUT_KINDS as readonly string[]).includes(kindText))
    throw new UsageError(`--kind: got ${JSON.stringify(kindText)}; allowed: ${PUT_KINDS.join(', ')}`, COMMAND);
  const kind = kindText as PutKind;
  for (const name of KIND_FLAGS) {
    if (parsed.values[name] !== undefined && !FLAGS_BY_KIND[kind].includes(name)) {
      const takers = PUT_KINDS.filter((k) => FLAGS_BY_KIND[k].includes(name));
      throw new UsageError(
        `--${name} does not apply to --kind ${kind} (it is for --kind ${takers.join('|')})`,
        COMMAND,
      );
    }
  }
  const driverName = stringOption(parsed, 'driver');
  if (driverName === undefined)
    throw new UsageError('--driver NAME is required (a driver declared in the config)', COMMAND);
  const declaredKind = kind === 'override' ? 'override' : kind === 'metric' ? 'metric' : 'business';
  const declaration = config.drivers.find((d) => d.name === driverName);
  if (!declaration) {
    const same = config.drivers.filter((d) => d.kind === declaredKind).map((d) => d.name);
    throw new CommandError(`unknown driver "${driverName}"`, [
      `declared ${declaredKind} drivers: ${same.join(', ') || '(none)'}`,
    ]);
  }
  if (declaration.kind !== declaredKind) {
    throw new CommandError(
      `driver "${driverName}" is declared as ${declaration.kind}; --kind ${kind} needs a ${declaredKind} driver`,
    );
  }

  const source = stringOption(parsed, 'source') ?? OPERATOR_SOURCE;
  const warnings: string[] = [];
  let detailType: Extract<OperatorRequest, { action: 'put-driver' }>['detailType'];
  let detail: Record<string, unknown>;
  let validated: Record<string, unknown>;
  let targets: string[];

  if (kind === 'metric') {
    const value = stringOption(parsed, 'value');
    if (value === undefined || value.trim() === '' || !Number.isFinite(Number(value)))
      throw new UsageError(
        `--value is required and must be a number${value === undefined ? '' : `, got ${JSON.stringify(value)}`}`,
        COMMAND,
      );
    const at = stringOption(parsed, 'at');
    detail = {
      driver: driverName,
      value: Number(value),
      ...(stringOption(parsed, 'unit') !== undefined
        ? { unit: stringOption(parsed, 'unit') }
        : declaration.unit
          ? { unit: declaration.unit }
          : {}),
      ...(at !== undefined ? { timestamp: isoSeconds(parseFuture('--at', at, now, COMMAND)) } : {}),
    };
    detailType = DETAIL_TYPES.metricSnapshot;
    validated = check(metricSnapshotDetailSchema, detail);
    if (declaration.unit && validated.unit !== declaration.unit) {
      throw new CommandError(
        `--unit ${String(validated.unit)} does not match driver "${driverName}"'s declared unit ${declaration.unit}`,
      );
    }
    targets = declaration.targets;
  } else if (kind === 'override') {
    targets = listOption(parsed, 'targets', COMMAND) ?? [];
    if (targets.length === 0)
      throw new UsageError(
        '--targets is required for an override (an override never reaches further than named)',
        COMMAND,
      );
    checkTargets(config, declaration, targets);
    const expires = stringOption(parsed, 'expires');
    if (expires === undefined)
      throw new UsageError(
        '--expires is required for an override (2h, or an ISO timestamp): a forgotten override is the next incident',
        COMMAND,
      );
    const reason = stringOption(parsed, 'reason');
    if (reason === undefined)
      throw new UsageError(
        '--reason is required for an override: it is shown in every decision the override shapes',
        COMMAND,
      );
    const pin = numberOption(parsed, 'pin', COMMAND, { integer: true });
    const weights = weightsOption(parsed);
    if (pin !== undefined && weights !== undefined)
      throw new UsageError('give --pin (capacity) or --weights (routing), not both', COMMAND);
    const expiresAt = parseFuture('--expires', expires, now, COMMAND);
    const expiryProblem = checkOverrideExpiry(expiresAt, now);
    if (expiryProblem) throw new CommandError(`--expires: ${expiryProblem.message}`);
    detail = {
      driver: driverName,
      targets,
      expiresAt: isoSeconds(expiresAt),
      reason,
      ...(pin !== undefined
        ? { action: 'pin', allocation: pin }
        : weights !== undefined
          ? { action: 'pin-weights', weights }
          : { action: 'freeze' }),
    };
    detailType = DETAIL_TYPES.override;
    validated = check(overrideDetailSchema, detail);
    for (const targetId of targets) {
      const target = config.targets.find((t) => t.id === targetId)!;
      const endpoints = routingEndpoints(target.resource);
      if (pin !== undefined && endpoints)
        throw new CommandError(`--pin sets a capacity; target "${targetId}" is a routing target (use --weights)`);
      if (weights !== undefined && !endpoints)
        throw new CommandError(
          `--weights is for routing targets; target "${targetId}" is ${target.resource.kind} (use --pin)`,
        );
      if (pin !== undefined && (pin < target.policy.bounds.min || pin > target.policy.bounds.max)) {
        warnings.push(
          `pin ${pin} is outside ${targetId}'s bounds ${target.policy.bounds.min}..${target.policy.bounds.max}: the decision will clamp it`,
        );
      }
      if (weights !== undefined && endpoints) {
        const known = endpoints.map((e) => e.setIdentifier);
        const unknown = Object.keys(weights).filter((id) => !known.includes(id));
        if (unknown.length)
          throw new CommandError(`--weights: ${unknown.join(', ')} not an endpoint of "${targetId}"`, [
            `endpoints: ${known.join(', ')}`,
          ]);
      }
    }
  } else {
    targets = listOption(parsed, 'targets', COMMAND) ?? declaration.targets;
    checkTargets(config, declaration, targets);
    const end = stringOption(parsed, 'end');
    if (end === undefined)
      throw new UsageError(
        `--end is required for --kind ${kind} (when the window closes: ISO timestamp or a duration from now)`,
        COMMAND,
      );
    const windowStart = parseFuture('--start', stringOption(parsed, 'start') ?? 'now', now, COMMAND);
    const windowEnd = parseFuture('--end', end, now, COMMAND);
    const label = stringOption(parsed, 'label') ?? stringOption(parsed, 'reason');
    const expires = stringOption(parsed, 'expires');
    let signal: Record<string, unknown>;
    if (kind === 'demand') {
      const multiplier = numberOption(parsed, 'multiplier', COMMAND, { positive: true });
      const absolute = numberOption(parsed, 'absolute', COMMAND);
      if ((multiplier === undefined) === (absolute === undefined))
        throw new UsageError('--kind demand needs exactly one of --multiplier N or --absolute N', COMMAND);
      const lead = stringOption(parsed, 'lead');
      signal = {
        type: 'demand',
        demand: multiplier !== undefined ? { multiplier } : { absolute },
        ...(lead !== undefined ? { leadTimeSeconds: parseLength('--lead', lead, COMMAND) } : {}),
      };
    } else if (kind === 'budget') {
      const maxHourlyCost = numberOption(parsed, 'max-cost', COMMAND);
      if (maxHourlyCost === undefined)
        throw new UsageError("--kind budget needs --max-cost N (hourly spend cap, in the policy's currency)", COMMAND);
      signal = { type: 'budget', maxHourlyCost };
    } else {
      signal = { type: 'freeze' };
    }
    detail = {
      driver: driverName,
      // Re-sending the same command updates the same record instead of stacking a duplicate window.
      id: stringOption(parsed, 'id') ?? `${driverName}-${kind}-${Math.floor(windowStart)}`,
      ...(stringOption(parsed, 'targets') !== undefined ? { targets } : {}),
      signal: { ...signal, windowStart: isoSeconds(windowStart), windowEnd: isoSeconds(windowEnd) },
      ...(expires !== undefined ? { expiresAt: isoSeconds(parseFuture('--expires', expires, now, COMMAND)) } : {}),
      ...(label !== undefined ? { label } : {}),
    };
    detailType = DETAIL_TYPES.businessDriver;
    validated = check(businessDriverDetailSchema, detail);
    if (windowEnd <= now)
      throw new CommandError(`--end ${isoSeconds(windowEnd)} is in the past: the driver would be ignored on arrival`);
    for (const targetId of targets) {
      const target = config.targets.find((t) => t.id === targetId);
      const rule = target?.policy.rules.find((r) => r.driver === driverName);
      if (target && !rule)
        warnings.push(`no rule of ${targetId}'s policy uses "${driverName}": the driver will be stored and ignored`);
      if (target && kind === 'budget' && !target.policy.budget)
        warnings.push(`${targetId}'s policy has no budget.unitHourlyPrice: a budget driver cannot cap it`);
    }
  }

  for (const targetId of targets) {
    const target = config.targets.find((t) => t.id === targetId);
    if (target && !target.allowedSources.includes(source)) {
      throw new CommandError(`source "${source}" is not allowed to drive target "${targetId}"`, [
        `allowedSources of ${targetId}: ${target.allowedSources.join(', ')}`,
      ]);
    }
  }

  return {
    request: { action: 'put-driver', detailType, source, detail },
    detail: validated,
    targets,
    warnings,
  };
}

/** Every target exists in the config and is one the driver declares (the normalizer refuses others). */
function checkTargets(config: DrivetrainConfig, declaration: DriverDeclaration, targets: readonly string[]): void {
  for (const targetId of targets)
    if (!config.targets.some((t) => t.id === targetId)) throw unknownTarget(targetId, config);
  const undeclared = targets.filter((t) => !declaration.targets.includes(t));
  if (undeclared.length) {
    throw new CommandError(
      `driver "${declaration.name}" does not list target${undeclared.length > 1 ? 's' : ''} ${undeclared.join(', ')}`,
      [`declared targets of ${declaration.name}: ${declaration.targets.join(', ')}`],
    );
  }
}

function weightsOption(parsed: Parsed): Record<string, number> | undefined {
  const items = listOption(parsed, 'weights', COMMAND);
  if (items === undefined) return undefined;
  const weights: Record<string, number> = {};
  for (const item of items) {
    const match = /^([^=]+)=(\d+)$/.exec(item);
    if (!match)
      throw new UsageError(
        `--weights: expected SETID=WEIGHT entries (us-east-1=80,eu-west-1=20), got ${JSON.stringify(item)}`,
        COMMAND,
      );
    weights[match[1]!.trim()] = Number(match[2]);
  }
  return weights;
}

function check(schema: z.ZodType, detail: Record<string, unknown>): Record<string, unknown> {
  const result = schema.safeParse(detail);
  if (result.success) return result.data as Record<string, unknown>;
  throw new CommandError(
    'the event does not pass the ingest schema; nothing was sent:',
    result.error.issues.map((i) => `detail.${formatPath(i.path) || '<root>'}: ${i.message}`),
  );
}

export const putDriverCommand: Command = {
  name: COMMAND,
  synopsis: 'put-driver --kind KIND --driver NAME [...]',
  summary: 'send a business driver, metric snapshot or override to the operator endpoint (validated first)',
  description: [
    'Kinds and their flags:',
    '  demand    --multiplier N | --absolute N, --end, [--start] [--lead 15m] [--targets] [--label] [--id]',
    '  budget    --max-cost N (per hour), --end, [--start] [--targets] [--label] [--id]',
    '  freeze    --end, [--start] [--targets] [--label] [--id]            (business change freeze)',
    '  override  --targets, --expires, --reason, [--pin N | --weights ID=W,...]',
    '            (no --pin/--weights: freeze the current allocation)',
    '  metric    --value N [--unit U] [--at TIME]',
    'Times: ISO 8601 with offset (2026-11-27T08:00:00Z), `now`, or a duration from now (+30m, 2h).',
    `The request goes to the operator endpoint (--operator-url, env ${OPERATOR_URL_ENV}: the stack output`,
    `OperatorEndpointUrl) with source --source (default ${OPERATOR_SOURCE}), signed with SigV4 from your AWS`,
    'credentials. Who sent it is the caller AWS verifies: an override must come from a principal in the',
    "target's overridePrincipals, a business driver or snapshot from one in sourcePrincipals of its source.",
    'Before sending, the event runs through the ingest normalizer with your STS caller identity: what it',
    'would reject is not sent. --dry-run prints the request and sends nothing.',
    'With --local (the demo has no AWS) the normalized drivers are written to DynamoDB Local; an override',
    `there needs --principal ARN (env ${PRINCIPAL_ENV}), a stand-in for the identity AWS would verify.`,
  ].join('\n'),
  options: {
    kind: { type: 'string', short: 'k', value: 'KIND', description: `${PUT_KINDS.join('|')}` },
    driver: { type: 'string', short: 'd', value: 'NAME', description: 'driver name declared in the config' },
    targets: {
      type: 'string',
      value: 'A,B',
      description: 'targets (business: default all declared; override: required)',
    },
    id: { type: 'string', value: 'KEY', description: 'business instance key: re-sending the same key updates it' },
    start: { type: 'string', value: 'TIME', description: 'window start (default now)' },
    end: { type: 'string', value: 'TIME', description: 'window end' },
    multiplier: { type: 'string', value: 'N', description: "demand as a multiple of the rule's baseline" },
    absolute: { type: 'string', value: 'N', description: 'demand as a capacity' },
    lead: { type: 'string', value: 'DURATION', description: 'capacity in place this long before the window' },
    'max-cost': { type: 'string', value: 'N', description: 'budget: hourly spend cap' },
    pin: { type: 'string', value: 'N', description: 'override: hold this capacity' },
    weights: { type: 'string', value: 'ID=W,...', description: 'override: pin Route 53 weights by SetIdentifier' },
    value: { type: 'string', value: 'N', description: 'metric: the value' },
    unit: { type: 'string', value: 'UNIT', description: 'metric: unit (must match the declared one)' },
    at: { type: 'string', value: 'TIME', description: 'metric: when it was measured (default: event time)' },
    expires: { type: 'string', value: 'TIME', description: 'expiry (override: required, at most 7d)' },
    reason: { type: 'string', value: 'TEXT', description: 'override: why (required); business: same as --label' },
    label: { type: 'string', value: 'TEXT', description: 'business: label for the audit trail' },
    principal: {
      type: 'string',
      value: 'ARN',
      description: `--local only: stand-in caller of an override (env ${PRINCIPAL_ENV})`,
    },
    source: { type: 'string', value: 'SOURCE', description: `EventBridge source (default ${OPERATOR_SOURCE})` },
    'operator-url': { type: 'string', value: 'URL', description: `operator endpoint (env ${OPERATOR_URL_ENV})` },
    'dry-run': { type: 'boolean', description: 'print the request, send nothing' },
  },
  positionals: [],
  examples: [
    'drivetrain put-driver --kind demand --driver flash-sale --multiplier 3 --start 2026-11-27T08:00:00Z --end 2026-11-27T20:00:00Z --lead 30m --label "Black Friday"',
    'drivetrain put-driver --kind override --driver ops-override --targets web-asg --pin 20 --expires 2h --reason "INC-4821 hold capacity"',
    'drivetrain put-driver --kind freeze --driver flash-sale --end 2026-12-31T23:59:59Z --label "year-end freeze" --dry-run',
  ],
  async run(context: Context): Promise<ExitCode> {
    const config = await context.config();
    const now = context.now();
    const built = buildDriverEvent(context.parsed, config, now);
    const caller = await senderIdentity(context, built);
    const drivers = preflight(built, config, now, randomUUID(), caller);
    for (const warning of built.warnings) context.note(`warning: ${warning}`);
    if (flag(context.parsed, 'dry-run')) {
      if (context.json) context.outJson({ dryRun: true, request: built.request, detail: built.detail, drivers });
      else
        context.out(`dry run: nothing sent. Operator endpoint request:\n${JSON.stringify(built.request, null, 2)}\n`);
      return EXIT.ok;
    }
    if (context.local) return storeLocally(context, built, drivers);
    const reply = await context.operator(`sending ${built.request.detailType} to the operator endpoint`, built.request);
    if (reply.status !== 200)
      throw new CommandError(
        `the operator endpoint refused the ${built.request.detailType} (HTTP ${reply.status}):`,
        refusalLines(reply.body),
      );
    if (context.json) {
      context.outJson({ ...reply.body, request: built.request, detail: built.detail });
      return EXIT.ok;
    }
    const expiresAt = drivers[0]?.expiresAt;
    const who = typeof reply.body.principal === 'string' ? reply.body.principal : '(unknown)';
    context.out(
      `sent ${built.request.detailType} for ${String(built.detail.driver)} → ${built.targets.join(', ')}` +
        `${expiresAt !== undefined ? ` (expires in ${formatDuration(expiresAt - now)})` : ''}\n` +
        `recorded as sent by ${who}${typeof reply.body.session === 'string' ? ` (session ${reply.body.session})` : ''}\n` +
        `follow it: drivetrain decisions${built.targets.length === 1 ? ` --target ${built.targets[0]}` : ''} --since 5m\n`,
    );
    return EXIT.ok;
  },
};

/**
 * Runs the event through the normalizer the endpoint uses, as the endpoint would build it, with the caller
 * it would see. What is refused here would be refused there (with the same message), so nothing is sent;
 * what passes yields the canonical drivers the pipeline will store.
 */
export function preflight(
  built: BuiltEvent,
  config: DrivetrainConfig,
  now: number,
  eventId: string,
  caller: VerifiedCaller | undefined,
): Driver[] {
  const event = {
    version: '0',
    id: eventId,
    'detail-type': built.request.detailType,
    source: built.request.source,
    // The endpoint fills these in from the verified caller and its own region. Without a caller (--local
    // business drivers: the demo has no AWS account) the event is dated as from a sender the config names.
    account: caller?.account ?? localSenderAccount(config, built.request.source),
    time: isoSeconds(now),
    region: 'us-east-1',
    resources: [],
    detail: built.request.detail,
  };
  const result = normalize(event, { config, receivedAt: now, ...(caller ? { caller } : {}) });
  if (result.rejected.length > 0) {
    throw new CommandError(
      'the operator endpoint would reject this event; nothing was sent:',
      result.rejected.map((r) => `${r.reason}${r.targetId ? ` (${r.targetId})` : ''}: ${r.message}`),
    );
  }
  return result.drivers;
}

/**
 * `--local`: the demo has no AWS, so the normalized drivers go straight into the local drivers table
 * through the same store the ingest Lambda writes with; the next local tick decides on them.
 */
async function storeLocally(context: Context, built: BuiltEvent, drivers: Driver[]): Promise<ExitCode> {
  const store = await context.driverStore();
  const results: Array<{ driverId: string; targets: string[]; result: PutDriverResult }> = [];
  for (const driver of drivers) {
    const result = await context.aws(`storing ${driver.name}`, () => store.put(driver));
    results.push({ driverId: driver.id, targets: driver.targets, result });
  }
  if (context.json) {
    context.outJson({ local: true, request: built.request, drivers, results });
    return EXIT.ok;
  }
  for (const r of results) {
    const what =
      r.result === 'stored'
        ? 'stored'
        : r.result === 'duplicate'
          ? 'already stored (duplicate)'
          : 'refused: the table holds a newer observation of this driver';
    context.out(
      `${String(built.detail.driver)} (${r.driverId}) → ${r.targets.join(', ')}: ${what} in ${(await context.tables()).drivers}\n`,
    );
  }
  context.note('--local: written straight to DynamoDB Local (the demo has no AWS); the next local tick decides on it');
  return results.some((r) => r.result === 'out-of-order') ? EXIT.failed : EXIT.ok;
}

/**
 * Who the endpoint will see as the sender. Against AWS: your STS caller identity (the same credentials sign
 * the request), used only for the preflight; the endpoint takes it from AWS again. With --local: the
 * stand-in --principal, required for an override (there is no AWS identity to ask).
 */
async function senderIdentity(context: Context, built: BuiltEvent): Promise<VerifiedCaller | undefined> {
  const given =
    stringOption(context.parsed, 'principal') ?? (context.local ? context.io.env[PRINCIPAL_ENV] : undefined);
  if (!context.local) {
    if (stringOption(context.parsed, 'principal') !== undefined) {
      throw new UsageError(
        '--principal is only for --local: against AWS the sender is the identity AWS verifies from your credentials',
        COMMAND,
      );
    }
    const arn = await context.callerArn();
    return verifiedCaller(arn) ?? fail(`your caller identity ${arn} is not an IAM user or role session`);
  }
  if (built.request.detailType !== DETAIL_TYPES.override)
    return given === undefined
      ? undefined
      : (verifiedCaller(given) ?? fail(`--principal ${given} is not an IAM user ARN or STS assumed-role ARN`));
  if (given === undefined) {
    throw new UsageError(
      `--principal ARN is required for a local override (or set ${PRINCIPAL_ENV}): a stand-in for the caller AWS would verify`,
      COMMAND,
    );
  }
  return (
    verifiedCaller(given) ??
    fail(
      `--principal ${given} is not an IAM user ARN or STS assumed-role ARN (arn:aws:sts::<account>:assumed-role/<role>/<session>)`,
    )
  );
}

function localSenderAccount(config: DrivetrainConfig, source: string): string {
  const senders = Object.hasOwn(config.sourcePrincipals, source) ? config.sourcePrincipals[source]! : [];
  return senders[0]?.split(':')[4] ?? '000000000000';
}

function fail(message: string): never {
  throw new CommandError(message);
}
