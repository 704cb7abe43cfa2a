/**
 * The CLI's client of the operator endpoint (a Lambda function URL with AuthType AWS_IAM): one POST per
 * command, signed with SigV4 (service `lambda`) using the SDK's default credential chain (env, profile,
 * SSO, instance role...), so the endpoint learns who is calling from AWS, never from a flag.
 */
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Checksum, SourceData } from '@smithy/types';
import type { OperatorRequest } from '../functions/operator-contract';
import { CommandError } from './errors';

/** Env var naming the operator endpoint URL (what `--operator-url` sets): the stack output OperatorEndpointUrl. */
export const OPERATOR_URL_ENV = 'DRIVETRAIN_OPERATOR_URL';

/** `https://<url-id>.lambda-url.<region>.on.aws/`: the region to sign for is in the host. */
const FUNCTION_URL = /^https:\/\/[a-z0-9]+\.lambda-url\.([a-z]{2}(?:-[a-z]+)+-\d)\.on\.aws\/?$/;

export type Fetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string },
) => Promise<{ status: number; text(): Promise<string> }>;

export interface OperatorClientOptions {
  url: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  fetch?: Fetch;
}

export interface OperatorReply {
  status: number;
  body: Record<string, unknown>;
}

/** SHA-256 for the signer, from node:crypto (the signer asks for a hash or an HMAC by its constructor). */
class NodeSha256 implements Checksum {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {
    throw new Error('NodeSha256 is single-use');
  }
}

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

export function parseOperatorUrl(url: string): { url: URL; region: string } {
  const match = FUNCTION_URL.exec(url);
  if (!match) {
    throw new CommandError(`--operator-url ${JSON.stringify(url)} is not a Lambda function URL`, [
      'expected https://<url-id>.lambda-url.<region>.on.aws/ (stack output OperatorEndpointUrl)',
    ]);
  }
  return { url: new URL(url), region: match[1]! };
}

export class OperatorClient {
  private readonly target: { url: URL; region: string };
  private readonly signer: SignatureV4;
  private readonly fetch: Fetch;

  constructor(options: OperatorClientOptions) {
    this.target = parseOperatorUrl(options.url);
    this.signer = new SignatureV4({
      service: 'lambda',
      region: this.target.region,
      credentials: options.credentials,
      sha256: NodeSha256,
    });
    this.fetch = options.fetch ?? ((url, init) => fetch(url, init));
  }

  /** Signs and sends one request; 2xx and 4xx both come back (a refusal is an answer), anything else throws. */
  async send(request: OperatorRequest): Promise<OperatorReply> {
    const body = JSON.stringify(request);
    const { url } = this.target;
    const signed = await this.signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      path: url.pathname || '/',
      headers: { host: url.hostname, 'content-type': 'application/json' },
      body,
    });
    const response = await this.fetch(url.toString(), {
      method: 'POST',
      headers: signed.headers as Record<string, string>,
      body,
    });
    const text = await response.text();
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = { message: text.slice(0, 500) };
    }
    if (response.status >= 500 || (response.status === 403 && parsed.error === undefined)) {
      // A 403 without our error shape is Lambda's own IAM check refusing the signature or the permission.
      const hint =
        response.status === 403
          ? [
              'your credentials need lambda:InvokeFunctionUrl and lambda:InvokeFunction on the operator function (see docs/security.md)',
            ]
          : [];
      throw new CommandError(
        `the operator endpoint answered ${response.status}: ${String(parsed.message ?? parsed.Message ?? text.slice(0, 200))}`,
        hint,
      );
    }
    return { status: response.status, body: parsed };
  }
}

/** What a refusal from the endpoint says, one line per reason, for the operator at the prompt. */
export function refusalLines(body: Record<string, unknown>): string[] {
  const rejected = Array.isArray(body.rejected)
    ? (body.rejected as Array<{ reason: string; message: string; targetId?: string }>)
    : [];
  if (rejected.length > 0)
    return rejected.map((r) => `${r.reason}${r.targetId ? ` (${r.targetId})` : ''}: ${r.message}`);
  return [`${String(body.error ?? 'refused')}: ${String(body.message ?? '')}`];
}
