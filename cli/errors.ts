/**
 * The CLI's error vocabulary and the translation of AWS/SDK failures into messages an operator can act on.
 * Exit codes are part of the contract scripts rely on: 0 ok, 1 the command ran and failed, 2 bad usage.
 */

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Bad flags, a missing argument, a value that does not parse: the user typed something we cannot run. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    /** Command whose usage should be shown; undefined for the top-level usage. */
    readonly command?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The command ran and could not do what was asked (unknown target, missing decision, refused event...). */
export class CommandError extends Error {
  override readonly name: string = 'CommandError';
  constructor(
    message: string,
    /** Extra lines shown after the message (known targets, a hint). */
    readonly hints: readonly string[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A failure talking to AWS (or DynamoDB Local) that was recognised and explained. */
export class AwsAccessError extends CommandError {
  override readonly name: string = 'AwsAccessError';
}

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** Walks `cause` chains: adapters wrap SDK errors in typed errors and the root cause decides the advice. */
export function causeChain(error: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  let current: unknown = error;
  while (current && typeof current === 'object' && chain.length < 10) {
    chain.push(current as ErrorLike);
    current = (current as ErrorLike).cause;
  }
  return chain;
}

export interface AwsErrorContext {
  /** `DynamoDB Local at http://…` or `DynamoDB in eu-west-1`, for messages. */
  where: string;
  local: boolean;
  /** Table names in use, so a missing table names the flag that sets it. */
  tables?: readonly string[];
  /** The AWS profile in use (--profile or AWS_PROFILE), so "no credentials" can name it. */
  profile?: string | undefined;
}

/**
 * Recognises the failures operators actually hit (no credentials, expired session, wrong region, missing
 * table, DynamoDB Local not started, access denied) and returns an explained error; anything else is
 * returned unchanged so it is reported as unexpected rather than mislabelled.
 */
export function explainAwsError(error: unknown, context: AwsErrorContext): unknown {
  for (const e of causeChain(error)) {
    const name = typeof e.name === 'string' ? e.name : '';
    const code = typeof e.code === 'string' ? e.code : '';
    const message = typeof e.message === 'string' ? e.message : '';
    if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
      if (context.profile) {
        return new AwsAccessError(
          `no AWS credentials for profile "${context.profile}": check it exists (aws configure list-profiles) and its session is current (aws sso login --profile ${context.profile})`,
          [],
          {
            cause: error,
          },
        );
      }
      return new AwsAccessError('no AWS credentials: set AWS_PROFILE or use --profile, or --local', [], {
        cause: error,
      });
    }
    if (
      name === 'ExpiredTokenException' ||
      name === 'ExpiredToken' ||
      /token (has|is) expired|session has expired/i.test(message)
    ) {
      return new AwsAccessError(
        'AWS credentials have expired: refresh the session (for SSO: aws sso login) and retry',
        [],
        { cause: error },
      );
    }
    if (
      name === 'UnrecognizedClientException' ||
      name === 'InvalidSignatureException' ||
      name === 'InvalidClientTokenId'
    ) {
      return new AwsAccessError(
        `AWS rejected the credentials (${name}): check AWS_PROFILE/--profile and the account`,
        [],
        { cause: error },
      );
    }
    if (/Region is missing/i.test(message)) {
      return new AwsAccessError('no AWS region: set AWS_REGION or use --region (or a profile with a region)', [], {
        cause: error,
      });
    }
    if (name === 'AccessDeniedException' || name === 'AccessDenied') {
      return new AwsAccessError(
        `access denied by ${context.where}: ${message}`,
        [
          'the operator role needs read access to the Drivetrain tables (each action: docs/operator-guide.md#connecting, "Permissions")',
        ],
        {
          cause: error,
        },
      );
    }
    if (name === 'ResourceNotFoundException') {
      const tables = context.tables?.length ? ` (looked for ${context.tables.join(', ')})` : '';
      return new AwsAccessError(
        `table not found in ${context.where}${tables}`,
        [
          context.local
            ? 'pass the --table-prefix the local tables were created with (and --endpoint if DynamoDB Local is not on port 8000)'
            : 'pass --table-prefix (or --drivers-table/--decisions-table/--state-table) matching the deployed stack, and check --region',
        ],
        { cause: error },
      );
    }
    if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(message)) {
      return new AwsAccessError(
        `cannot reach ${context.where}`,
        [
          context.local
            ? 'start DynamoDB Local, or pass --endpoint with the address it listens on'
            : 'check the network or --endpoint',
        ],
        { cause: error },
      );
    }
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      return new AwsAccessError(
        `cannot resolve the endpoint of ${context.where} (${code}): check the network and --region/--endpoint`,
        [],
        { cause: error },
      );
    }
  }
  return error;
}

/** The message of anything thrown, for the last-resort report. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
