/**
 * The tick records the config it runs with in the state table: once, not again while it is unchanged (in the
 * same execution environment or another), again after a deploy changed it; a failure to record never fails
 * the tick. Real handler, real store, DynamoDB Local.
 */
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDeployedConfigStore, configVersion } from '../../functions/adapters/dynamodb/deployed-config';
import { parseConfig } from '../../functions/domain/config';
import type { TickSummary } from '../../functions/handlers/tick';
import { configInput, createHarness, type Harness } from './harness';

const NOW = 1_795_000_000;

describe('tick: the deployed config', () => {
  let h: Harness;
  afterEach(() => h?.close());

  /** A store on its own document client, so the puts it sends can be counted. */
  function countingStore(table = h.local.names.state) {
    const doc = DynamoDBDocumentClient.from(h.local.client);
    const send = jest.spyOn(doc, 'send');
    const puts = () => send.mock.calls.filter(([command]) => command instanceof PutCommand).length;
    return { store: new DynamoDeployedConfigStore(doc, table), puts };
  }

  it('is written by the first tick and not again while it is unchanged', async () => {
    h = await createHarness({ now: NOW });
    const { store, puts } = countingStore();
    const first = h.handlers({ deployedConfig: store });
    await first.tick();
    expect(puts()).toBe(1);
    await expect(store.read()).resolves.toEqual({
      version: configVersion(h.config),
      recordedAt: NOW,
      config: h.config,
    });

    h.now.value = NOW + 60;
    await first.tick();
    // Another execution environment of the same build: it reads, finds its version, writes nothing.
    h.now.value = NOW + 120;
    await h.handlers({ deployedConfig: store }).tick();
    expect(puts()).toBe(1);
    await expect(store.read()).resolves.toMatchObject({ recordedAt: NOW });
  });

  it('is replaced by the first tick of a changed config', async () => {
    h = await createHarness({ now: NOW });
    const { store, puts } = countingStore();
    await h.handlers({ deployedConfig: store }).tick();
    const changed = parseConfig({ ...configInput(), decisionRetentionDays: 31 });
    h.now.value = NOW + 60;
    await h.handlers({ deployedConfig: store, config: changed }).tick();
    expect(puts()).toBe(2);
    await expect(store.read()).resolves.toMatchObject({ version: configVersion(changed), recordedAt: NOW + 60 });
  });

  it('a failure to record is logged and the tick still reconciles', async () => {
    h = await createHarness({ now: NOW });
    const { store } = countingStore('no-such-table');
    const errors = jest.spyOn(h.logger, 'error');
    const summary = (await h.handlers({ deployedConfig: store }).tick()) as TickSummary;
    expect(summary.failed).toEqual([]);
    expect(summary.reconciled.map((r) => r.targetId).sort()).toEqual(h.config.targets.map((t) => t.id).sort());
    expect(errors).toHaveBeenCalledWith(
      'could not record the deployed config; the next tick tries again',
      expect.objectContaining({ error: expect.objectContaining({ name: 'ResourceNotFoundException' }) }),
    );
  });
});
