/**
 * The deployed config in the state table: one item under a reserved key (DEPLOYED_CONFIG_KEY, which no target
 * id can be), written by the tick and read by the CLI, so read commands need no local copy of the config.
 *
 * Why the tick records it (and not a CloudFormation custom resource at deploy time): the tick already runs
 * every minute with exactly the config the functions run with (sealed into its code at synth), so what is
 * recorded is what runs, not what a deploy meant to run; it needs no extra function, and the local demo,
 * which runs the same tick handler, records its config the same way.
 *
 * Write only when something changes: every tick reads the item (one eventually consistent GetItem) and puts
 * its config only when the stored version differs, conditioned on the version it read, so two concurrent
 * ticks of one build write at most once and an equal hash is a no-op. Builds are not ordered by anything a
 * Lambda can see (init times of old and new execution environments overlap during an update), so no tick
 * refuses to overwrite an "older" version: the build that keeps running wins. During a deploy an old build's
 * last tick can write its version back once; the new build's next tick (a minute later) restores its own,
 * and from then on only one build ticks. A rule that refused to overwrite could stay wrong until the next
 * cold start, which is worse than one stale minute.
 *
 * The config is stored gzip-compressed as a Binary attribute; DEPLOYED_CONFIG_MAX_BYTES keeps it well under
 * DynamoDB's 400 KB item limit (the construct refuses a larger one at synth, see lib/functions.ts).
 */
import { gunzipSync } from 'node:zlib';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { parseConfig, type DrivetrainConfig } from '../../domain/config';
import { CorruptItemError, type DeployedConfig, type DeployedConfigStore, type RecordConfigResult } from '../../ports';
import { compressConfig, configVersion, DEPLOYED_CONFIG_MAX_BYTES } from './deployed-config-item';
import { DEPLOYED_CONFIG_KEY, STATE_TABLE } from './tables';

export { compressConfig, configVersion, DEPLOYED_CONFIG_MAX_BYTES } from './deployed-config-item';

const ITEM_FORMAT = 1;

export class DeployedConfigTooLargeError extends Error {
  override readonly name = 'DeployedConfigTooLargeError';
  readonly retryable = false;
  constructor(readonly bytes: number) {
    super(
      `the config is ${bytes} bytes compressed; the state table item holding the deployed config takes at most ${DEPLOYED_CONFIG_MAX_BYTES}`,
    );
  }
}

interface StoredItem {
  format: number;
  version: string;
  recordedAt: number;
  config: Uint8Array;
}

/**
 * A config's version, hashed once per config object: the tick's config is frozen for the life of the
 * execution environment, so hashing it again every minute would only spend CPU on the same answer.
 */
const versions = new WeakMap<object, string>();
function versionOf(config: Readonly<DrivetrainConfig>): string {
  const known = versions.get(config);
  if (known !== undefined) return known;
  const version = configVersion(config);
  versions.set(config, version);
  return version;
}

export class DynamoDeployedConfigStore implements DeployedConfigStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly stateTable: string,
  ) {}

  private key() {
    return { [STATE_TABLE.partitionKey.name]: DEPLOYED_CONFIG_KEY };
  }

  private async stored(consistent: boolean): Promise<Record<string, unknown> | undefined> {
    const reply = await this.doc.send(
      new GetCommand({ TableName: this.stateTable, Key: this.key(), ConsistentRead: consistent }),
    );
    return reply.Item;
  }

  /** Only the version: the tick's check does not transfer (or decode) the compressed config every minute. */
  private async storedVersion(): Promise<unknown> {
    const reply = await this.doc.send(
      new GetCommand({
        TableName: this.stateTable,
        Key: this.key(),
        ProjectionExpression: '#version',
        ExpressionAttributeNames: { '#version': 'version' },
      }),
    );
    return reply.Item?.version;
  }

  async read(): Promise<DeployedConfig | undefined> {
    const item = await this.stored(true);
    if (!item) return undefined;
    const corrupt = (issues: string, cause?: unknown) =>
      Object.assign(new CorruptItemError(this.stateTable, this.key(), issues), cause ? { cause } : {});
    const { format, version, recordedAt, config } = item as Partial<StoredItem>;
    if (format !== ITEM_FORMAT) throw corrupt(`format ${String(format)} is not ${ITEM_FORMAT}`);
    if (typeof version !== 'string' || typeof recordedAt !== 'number' || !(config instanceof Uint8Array))
      throw corrupt('expected version (string), recordedAt (number) and config (binary)');
    let parsed: DrivetrainConfig;
    try {
      // Validated again: the item may come from another version of Drivetrain than the one reading it.
      parsed = parseConfig(JSON.parse(gunzipSync(config).toString('utf8')), `${this.stateTable} deployed config`);
    } catch (error) {
      throw corrupt(`the config does not decode or validate: ${(error as Error).message}`, error);
    }
    return { version, recordedAt, config: parsed };
  }

  async record(config: Readonly<DrivetrainConfig>, now: number): Promise<RecordConfigResult> {
    const version = versionOf(config);
    // Eventually consistent: a stale read costs at most one conditional put that fails as `raced`.
    const seenVersion = await this.storedVersion();
    if (seenVersion === version) return 'unchanged';
    const body = compressConfig(config);
    if (body.byteLength > DEPLOYED_CONFIG_MAX_BYTES) throw new DeployedConfigTooLargeError(body.byteLength);
    const item: StoredItem = { format: ITEM_FORMAT, version, recordedAt: now, config: body };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.stateTable,
          Item: { ...this.key(), ...item },
          // Compare-and-swap on what was read: of concurrent ticks, one writes.
          ConditionExpression: typeof seenVersion === 'string' ? '#version = :seen' : 'attribute_not_exists(#version)',
          ExpressionAttributeNames: { '#version': 'version' },
          ...(typeof seenVersion === 'string' ? { ExpressionAttributeValues: { ':seen': seenVersion } } : {}),
        }),
      );
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return 'raced';
      throw error;
    }
    return 'recorded';
  }
}
