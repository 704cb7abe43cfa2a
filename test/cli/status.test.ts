/**
 * `status` (table and --json) and the follow-through in `explain`, against DynamoDB Local seeded through the
 * real stores: an applied plan shows as warming, then settled with its time to serve, then degraded with its
 * cause; a failed plan and a shadow target show as they are.
 */
import { DynamoDecisionStore } from '../../functions/adapters/dynamodb';
import type { TargetStatus } from '../../cli/commands/status';
import { createTestTables, type LocalTables } from '../support/dynamodb';
import { NOW, cli, shippedConfig } from './harness';
import { seed, type Seeded } from './seed';

let local: LocalTables;
let seeded: Seeded;
let flags: string[];
let store: DynamoDecisionStore;

beforeAll(async () => {
  local = await createTestTables();
  seeded = await seed(local, shippedConfig());
  flags = ['--local', '--endpoint', local.endpoint, '--table-prefix', local.names.drivers.replace(/-drivers$/, '')];
  store = new DynamoDecisionStore(local.doc, {
    decisionsTable: local.names.decisions,
    stateTable: local.names.state,
    retentionDays: 90,
  });
});
afterAll(() => local.client.destroy());

const row = (stdout: string, target: string) => stdout.split('\n').find((l) => l.startsWith(target)) ?? '';

describe('status', () => {
  it('one line per target: an applied plan is warming, a failed one says so, shadow is shadow', async () => {
    const result = await cli(['status', ...flags]);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toMatch(
      /^TARGET\s+MODE\s+CURRENT\s+DESIRED\s+SERVING\s+DRIVERS\s+IN-FLIGHT\s+WARMUP\s+LAST DECISION$/,
    );
    expect(row(result.stdout, 'web-asg')).toMatch(
      /^web-asg\s+\S+\s+12 \(floor 12\)\s+12 \(floor 12\)\s+warming 1m58s\s+\d+ active.*\s+-\s+-\s+2m ago applied: /,
    );
    expect(row(result.stdout, 'checkout-fn')).toMatch(/\s+1m ago failed: /);
    expect(row(result.stdout, 'api-routing')).toMatch(/^api-routing\s+shadow\s/);
  });

  it('settled: SERVING says yes with the time to serve, WARMUP the p90 of the samples; explain shows it', async () => {
    const following = (await store.getState('web-asg'))!.following!;
    expect(following.decisionId).toBe(seeded.webApplied.decisionId);
    const at = following.appliedAt + 240;
    expect(
      await store.markServing(
        'web-asg',
        following,
        'settled',
        { at, detail: 'serving after 4m: 12 of 12 instances InService', timeToServeSeconds: 240 },
        [180, 240],
      ),
    ).toBe('marked');

    const table = await cli(['status', ...flags, '--target', 'web-asg']);
    expect(row(table.stdout, 'web-asg')).toMatch(/\s+yes \(4m\)\s+.*\s+p90 4m of 2\s+2m ago settled: /);

    const json = await cli(['status', ...flags, '--target', 'web-asg', '--json']);
    const [status] = JSON.parse(json.stdout) as TargetStatus[];
    expect(status).toMatchObject({
      targetId: 'web-asg',
      serving: 'yes (4m)',
      lastDecision: { status: 'settled', serving: { timeToServeSeconds: 240 } },
      warmup: { p90Seconds: 240, samples: 2 },
    });
    expect(status!.inFlight).toBeUndefined();

    const explain = await cli(['explain', ...flags, seeded.webApplied.decisionId]);
    expect(explain.stdout).toMatch(/Status:\s+settled/);
    expect(explain.stdout).toMatch(
      /settled at \S+ \(time to serve 4m\): serving after 4m: 12 of 12 instances InService/,
    );
  });

  it('degraded: SERVING says NO with the cause, and explain shows it', async () => {
    // A second plan on checkout-fn, applied and then degraded by FAILED provisioned concurrency.
    const state = (await store.getState('checkout-fn'))!;
    const last = (await store.get(state.lastDecisionId!))!;
    const planned = await store.record({ ...last, at: NOW - 30, summary: 'retry' }, state.version, 'planned');
    await store.markOutcome(planned, 'applied', { at: NOW - 29, detail: 'PutProvisionedConcurrencyConfig' });
    const following = (await store.getState('checkout-fn'))!.following!;
    const cause = 'provisioned concurrency FAILED: FUNCTION_ERROR_INIT_FAILURE';
    await store.markServing('checkout-fn', following, 'degraded', { at: NOW - 5, detail: `degraded: ${cause}`, cause });

    const table = await cli(['status', ...flags, '--target', 'checkout-fn']);
    expect(row(table.stdout, 'checkout-fn')).toContain(`NO: ${cause}`);
    const explain = await cli(['explain', ...flags, planned.decisionId]);
    expect(explain.stdout).toContain(
      `degraded at ${new Date((NOW - 5) * 1000).toISOString().replace('.000Z', 'Z')}: degraded: ${cause}`,
    );
  });
});
