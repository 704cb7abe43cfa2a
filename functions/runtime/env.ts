/**
 * The Lambda environment, parsed once at cold start into a frozen object. A missing or invalid variable
 * fails the init with a message that names it, instead of surfacing later as an AccessDenied on table "".
 */
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { ENV } from '../contracts';
import { deepFreeze, parseConfig, type DrivetrainConfig } from '../domain/config';
import { BUNDLE_BUILD_ID, configSeal } from '../config-seal';

export interface DrivetrainEnv {
  config: Readonly<DrivetrainConfig>;
  /** The deployment's own account (set by the stack) and region (Lambda's AWS_REGION). */
  home: Readonly<{ account: string; region: string }>;
  tables: Readonly<{ drivers: string; decisions: string; state: string; idempotency: string }>;
  /** Longer than the longest invocation of any Drivetrain function; set by the construct from their timeouts. */
  pendingGraceSeconds: number;
  /** Where accepted drivers are kept and for how long; absent: no history (driverHistoryRetention 0). */
  history?: Readonly<{ tableName: string; retentionSeconds: number }>;
  /** The business bus decision events go to (reconciling functions); absent: none are published. */
  businessBusName?: string;
}

export class EnvironmentError extends Error {
  override readonly name = 'EnvironmentError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** DynamoDB table names: 3-255 of [a-zA-Z0-9_.-]. */
/** The accepted range of PENDING_GRACE_SECONDS (see envSchema). */
export const PENDING_GRACE_RANGE = { min: 2, max: 1200 } as const;

const tableName = z
  .string()
  .regex(/^[a-zA-Z0-9_.-]{3,255}$/, 'must be a DynamoDB table name (3-255 of a-z A-Z 0-9 _ . -)');

const envSchema = z.object({
  [ENV.config]: z.string().min(1),
  [ENV.driversTable]: tableName,
  [ENV.decisionsTable]: tableName,
  [ENV.stateTable]: tableName,
  [ENV.idempotencyTable]: tableName,
  // Lambda's timeout range is 1-900 s; the grace exceeds the longest timeout, so 2-1200 s covers every
  // deployable value and refuses a unit mistake (milliseconds, minutes).
  [ENV.pendingGraceSeconds]: z
    .string()
    .regex(/^\d+$/, 'must be a whole number of seconds')
    .transform(Number)
    .pipe(z.number().int().min(PENDING_GRACE_RANGE.min).max(PENDING_GRACE_RANGE.max)),
  [ENV.homeAccount]: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
  [ENV.businessBusName]: z
    .string()
    .regex(/^[A-Za-z0-9/._-]{1,256}$/, 'must be an EventBridge event bus name')
    .optional(),
  [ENV.historyTable]: tableName.optional(),
  // The construct's driverHistoryRetention: whole days from 1 to 3650, in seconds (0 sets neither variable).
  [ENV.historyRetentionSeconds]: z
    .string()
    .regex(/^\d+$/, 'must be a whole number of seconds')
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(86_400)
        .max(3650 * 86_400),
    )
    .optional(),
  AWS_REGION: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region code'),
});

/**
 * Lambda caps all environment variables of a function at 4 KB together, which a config with a handful of
 * targets outgrows as JSON; `gzip+base64:` lets the stack ship it compressed (about 5× smaller).
 */
const GZIP_PREFIX = 'gzip+base64:';

export function decodeConfigVariable(raw: string): unknown {
  let text = raw;
  if (raw.startsWith(GZIP_PREFIX)) {
    try {
      text = gunzipSync(Buffer.from(raw.slice(GZIP_PREFIX.length), 'base64')).toString('utf8');
    } catch (error) {
      throw new EnvironmentError(`${ENV.config} starts with "${GZIP_PREFIX}" but is not gzip+base64 data`, {
        cause: error,
      });
    }
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new EnvironmentError(`${ENV.config} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The config from its variable: used as it is when sealed at synth for this build, refused when sealed for
 * another, validated in full when not sealed (functions/config-seal.ts says why that is safe).
 */
export function configFromVariable(
  raw: string,
  seal: string | undefined,
  buildId: string | undefined,
): Readonly<DrivetrainConfig> {
  if (seal !== undefined) {
    if (buildId === undefined || seal !== configSeal(buildId, raw)) {
      throw new EnvironmentError(
        `${ENV.configSeal} does not match ${ENV.config}: ` +
          'the config was sealed for another build of the functions or changed after synth',
      );
    }
    return deepFreeze(decodeConfigVariable(raw) as DrivetrainConfig);
  }
  try {
    return parseConfig(decodeConfigVariable(raw), `$${ENV.config}`);
  } catch (error) {
    if (error instanceof EnvironmentError) throw error;
    throw new EnvironmentError(`${ENV.config} does not hold a valid Drivetrain config: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** `buildId`: the bundle's own (BUNDLE_BUILD_ID); a parameter so the sealed path can be tested unbundled. */
export function parseEnv(
  source: NodeJS.ProcessEnv = process.env,
  buildId: string | undefined = BUNDLE_BUILD_ID,
): Readonly<DrivetrainEnv> {
  // Without zod's JIT, as for the config: the environment is parsed once per process, and compiling a fast
  // path for its object schema cost more than the parse itself (most of zod's share of a cold start in a
  // CPU profile of the ingest bundle).
  const parsed = envSchema.safeParse(source, { jitless: true });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      return source[name] === undefined ? `${name} is not set` : `${name} ${issue.message}`;
    });
    throw new EnvironmentError(`invalid Lambda environment: ${problems.join('; ')}`);
  }
  const vars = parsed.data;
  const historyTable = vars[ENV.historyTable];
  const retentionSeconds = vars[ENV.historyRetentionSeconds];
  if ((historyTable === undefined) !== (retentionSeconds === undefined))
    throw new EnvironmentError(
      `invalid Lambda environment: ${ENV.historyTable} and ${ENV.historyRetentionSeconds} are set together or not at all`,
    );
  const config = configFromVariable(vars[ENV.config], source[ENV.configSeal], buildId);
  return Object.freeze({
    config,
    home: Object.freeze({ account: vars[ENV.homeAccount], region: vars.AWS_REGION }),
    tables: Object.freeze({
      drivers: vars[ENV.driversTable],
      decisions: vars[ENV.decisionsTable],
      state: vars[ENV.stateTable],
      idempotency: vars[ENV.idempotencyTable],
    }),
    pendingGraceSeconds: vars[ENV.pendingGraceSeconds],
    ...(historyTable && retentionSeconds
      ? { history: Object.freeze({ tableName: historyTable, retentionSeconds }) }
      : {}),
    ...(vars[ENV.businessBusName] ? { businessBusName: vars[ENV.businessBusName] } : {}),
  });
}
