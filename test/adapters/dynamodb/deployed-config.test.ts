/**
 * The deployed-config record in the state table (DynamoDB Local): read what was recorded, write only when the
 * version differs, one writer of concurrent ticks, a reserved key no target can have, corrupt items refused.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDeployedConfigStore, configVersion } from '../../../functions/adapters/dynamodb/deployed-config';
import {
  DEPLOYED_CONFIG_MAX_BYTES,
  compressConfig,
  deployedConfigSizeIssue,
} from '../../../functions/adapters/dynamodb/deployed-config-item';
import { DEPLOYED_CONFIG_KEY } from '../../../functions/adapters/dynamodb/tables';
import { parseConfig, type DrivetrainConfig } from '../../../functions/domain/config';
import { IDENTIFIER } from '../../../functions/domain/model';
import { CorruptItemError } from '../../../functions/ports';
import { shippedConfig } from '../../cli/harness';
import { createTestTables, type LocalTables } from '../../support/dynamodb';

const T0 = 1_795_000_000;

/** The shipped config with another retention: a different version of the same deployment. */
function edited(config: DrivetrainConfig): DrivetrainConfig {
  return parseConfig({ ...JSON.parse(JSON.stringify(config)), decisionRetentionDays: 31 }) as DrivetrainConfig;
}

describe('DynamoDeployedConfigStore (DynamoDB Local)', () => {
  let local: LocalTables;
  let store: DynamoDeployedConfigStore;
  const config = shippedConfig();

  beforeEach(async () => {
    local = await createTestTables();
    store = new DynamoDeployedConfigStore(local.doc, local.names.state);
  });
  afterEach(() => local.client.destroy());

  const rawItem = async () =>
    (await local.doc.send(new GetCommand({ TableName: local.names.state, Key: { targetId: DEPLOYED_CONFIG_KEY } })))
      .Item;

  it('reads nothing before a tick recorded a config', async () => {
    await expect(store.read()).resolves.toBeUndefined();
  });

  it('records the config with its content hash and reads it back, validated', async () => {
    await expect(store.record(config, T0)).resolves.toBe('recorded');
    const read = await store.read();
    expect(read).toEqual({ version: configVersion(config), recordedAt: T0, config });
    expect(read!.version).toMatch(/^[0-9a-f]{64}$/);
  });

  it('writes nothing when the stored version is the same (the first record time stays)', async () => {
    await store.record(config, T0);
    await expect(store.record(config, T0 + 60)).resolves.toBe('unchanged');
    await expect(store.read()).resolves.toMatchObject({ recordedAt: T0 });
  });

  it('replaces another version (a deploy, or a rollback)', async () => {
    await store.record(config, T0);
    const next = edited(config);
    await expect(store.record(next, T0 + 60)).resolves.toBe('recorded');
    await expect(store.read()).resolves.toEqual({ version: configVersion(next), recordedAt: T0 + 60, config: next });
    await expect(store.record(config, T0 + 120)).resolves.toBe('recorded');
    await expect(store.read()).resolves.toMatchObject({ version: configVersion(config), recordedAt: T0 + 120 });
  });

  it('lets one of two concurrent ticks write, whatever they carry', async () => {
    const other = new DynamoDeployedConfigStore(local.doc, local.names.state);
    const results = await Promise.all([store.record(config, T0), other.record(config, T0 + 1)]);
    expect(results.filter((r) => r === 'recorded')).toHaveLength(1);
    expect(results.filter((r) => r !== 'recorded')).toEqual([expect.stringMatching(/^(raced|unchanged)$/)]);
  });

  it('compares and swaps on the version it read: a write that lost the race is `raced`, not an overwrite', async () => {
    await store.record(config, T0);
    const next = edited(config);
    // Another tick replaced the item after this one read it: simulated by writing between read and put.
    const doc = local.doc;
    const send = doc.send.bind(doc);
    let interleaved = false;
    const spy = jest.spyOn(doc, 'send').mockImplementation((async (command: unknown) => {
      if (command instanceof PutCommand && !interleaved) {
        interleaved = true;
        await new DynamoDeployedConfigStore(local.doc, local.names.state).record(edited(next), T0 + 30);
      }
      return send(command as never);
    }) as never);
    try {
      await expect(store.record(next, T0 + 60)).resolves.toBe('raced');
    } finally {
      spy.mockRestore();
    }
    await expect(store.read()).resolves.toMatchObject({ version: configVersion(edited(next)), recordedAt: T0 + 30 });
  });

  it('uses a key no target id can have', () => {
    expect(IDENTIFIER.test(DEPLOYED_CONFIG_KEY)).toBe(false);
  });

  it('stores the config compressed, far below the item limit', async () => {
    await store.record(config, T0);
    const item = await rawItem();
    expect(item).toMatchObject({ targetId: DEPLOYED_CONFIG_KEY, format: 1, version: configVersion(config) });
    expect((item!.config as Uint8Array).byteLength).toBe(compressConfig(config).byteLength);
    expect(deployedConfigSizeIssue(config)).toBeUndefined();
  });

  it('refuses an unreadable item with CorruptItemError', async () => {
    await store.record(config, T0);
    await local.doc.send(
      new PutCommand({
        TableName: local.names.state,
        Item: { ...(await rawItem()), config: new TextEncoder().encode('not gzip') },
      }),
    );
    await expect(store.read()).rejects.toBeInstanceOf(CorruptItemError);
    await local.doc.send(
      new PutCommand({ TableName: local.names.state, Item: { targetId: DEPLOYED_CONFIG_KEY, format: 2 } }),
    );
    await expect(store.read()).rejects.toThrow(/format 2 is not 1/);
  });

  it('a corrupt item is rewritten by the next record', async () => {
    await local.doc.send(
      new PutCommand({ TableName: local.names.state, Item: { targetId: DEPLOYED_CONFIG_KEY, format: 1 } }),
    );
    await expect(store.record(config, T0)).resolves.toBe('recorded');
    await expect(store.read()).resolves.toMatchObject({ version: configVersion(config) });
  });

  it('names the limit when a config is too large to record', () => {
    // Random text does not compress: over the limit once gzip'd.
    const noise = Array.from({ length: DEPLOYED_CONFIG_MAX_BYTES }, (_, i) => ((i * 7919) % 65_521).toString(36)).join(
      '',
    );
    expect(deployedConfigSizeIssue({ ...config, padding: noise } as DrivetrainConfig)).toMatch(
      /bytes gzip-compressed; .* holds at most 358400/,
    );
  });
});
