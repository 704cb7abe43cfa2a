/**
 * Route 53 follow-through, end to end on DynamoDB Local: a weights change is `applied` when Route 53 accepts
 * the batch, its ChangeInfo.Id is recorded on the decision and on the target's state, and a later tick (in
 * any Lambda environment: the id is in the table, not in memory) settles it only once GetChange says INSYNC,
 * or degrades it when the change stays PENDING past SERVING_TIMEOUT_SECONDS.
 */
import { ChangeResourceRecordSetsCommand, GetChangeCommand } from '@aws-sdk/client-route-53';
import 'aws-sdk-client-mock-jest';
import { SERVING_TIMEOUT_SECONDS } from '../../functions/app/follow-through';
import { STATUS_DIMENSION, TARGET_DIMENSION, TARGET_METRIC } from '../../functions/contracts';
import type { TickSummary } from '../../functions/handlers/tick';
import type { DecisionEventDetail, DecisionEventPublisher } from '../../functions/ports';
import { createHarness, fixture, type Harness, t } from './harness';
import type { LooseJson } from '../support/loose-json';

describe('Route 53 follow-through (GetChange INSYNC), tick handler on DynamoDB Local', () => {
  let h: Harness;
  afterEach(() => h?.close());

  /** Drains us-east-1 through the composite alarm: one ChangeResourceRecordSets, PENDING on GetChange. */
  const events: DecisionEventDetail[] = [];
  const publisher: DecisionEventPublisher = {
    publish: async (batch) => {
      events.push(...batch);
      return { published: batch.length, failed: 0 };
    },
  };
  beforeEach(() => {
    events.length = 0;
  });

  async function drain(): Promise<string> {
    h = await createHarness({
      now: t('2022-07-22T15:57:50Z'),
      aws: { newChangeStatus: 'PENDING' },
      decisionEvents: publisher,
    });
    const composite = fixture<LooseJson>('eventbridge-alarm-composite');
    delete composite.detail.state.actionsSuppressedBy;
    delete composite.detail.state.actionsSuppressedReason;
    await h.ingest(composite);
    expect(h.route53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 1);
    const [decision] = await h.decisions.list('api-routing');
    expect(decision).toMatchObject({ status: 'applied', outcome: { changeIds: ['/change/C1'] } });
    expect((await h.decisions.getState('api-routing'))?.following?.changeIds).toEqual(['/change/C1']);
    return decision!.decisionId;
  }

  const tick = async (handlers: Pick<Harness, 'tick'> = h) =>
    (await handlers.tick({ targetIds: ['api-routing'] })) as TickSummary;

  it('stays applied while the change is PENDING and settles once it is INSYNC, in another Lambda environment', async () => {
    const decisionId = await drain();
    h.now.value += 60;
    await tick();
    expect((await h.decisions.get(decisionId))?.status).toBe('applied');
    expect(h.route53).toHaveReceivedCommandWith(GetChangeCommand, { Id: '/change/C1' });

    // The invocation that applied (and the one after it) are gone; a fresh environment finds the id in the table.
    h.aws.changes['/change/C1'] = 'INSYNC';
    h.now.value += 60;
    await tick(h.handlers());
    const settled = await h.decisions.get(decisionId);
    expect(settled?.status).toBe('settled');
    expect(settled?.serving?.detail).toContain('change /change/C1 INSYNC');
    expect((await h.decisions.getState('api-routing'))?.following).toBeUndefined();
  });

  it('a change still PENDING past the serving timeout degrades the decision, saying so', async () => {
    const decisionId = await drain();
    h.now.value += SERVING_TIMEOUT_SECONDS + 60;
    await tick();
    const degraded = await h.decisions.get(decisionId);
    expect(degraded?.status).toBe('degraded');
    expect(degraded?.serving?.cause).toContain('Route 53 change /change/C1 PENDING');
  });

  it('a plan replaced by a newer applied plan before its change was INSYNC ends replaced, naming the newer one', async () => {
    const drained = await drain();
    // The alarm clears; once restoreAfterSeconds has passed the weights are restored while C1 is still PENDING.
    const ok = fixture<LooseJson>('eventbridge-alarm-composite');
    delete ok.detail.state.actionsSuppressedBy;
    delete ok.detail.state.actionsSuppressedReason;
    ok.id = 'e5e1c0de-0000-4000-8000-000000000001';
    ok.time = '2022-07-22T15:59:45Z';
    ok.detail.state.value = 'OK';
    ok.detail.state.timestamp = '2022-07-22T15:59:45.000+0000';
    h.now.value = t('2022-07-22T15:59:50Z');
    await h.ingest(ok);
    h.now.value += 400;
    await tick();
    const records = await h.decisions.list('api-routing');
    const restore = records.find((r) => r.decisionId !== drained && r.status === 'applied');
    expect(restore).toBeDefined();
    const replaced = await h.decisions.get(drained);
    expect(replaced).toMatchObject({ status: 'replaced', replacedBy: restore!.decisionId });
    expect(replaced?.serving?.detail).toContain(`replaced before it served by ${restore!.decisionId}`);
    expect((await h.decisions.getState('api-routing'))?.following?.decisionId).toBe(restore!.decisionId);
    // Its end is published like a settled or degraded one, naming the plan that replaced it.
    expect(events.filter((e) => e.status === 'replaced')).toEqual([
      expect.objectContaining({ decisionId: drained, replacedBy: restore!.decisionId }),
    ]);
    // And counted on the target's decisions metric under its new status.
    const replacedCount = { [TARGET_DIMENSION]: 'api-routing', [STATUS_DIMENSION]: 'replaced' };
    expect(h.metric(TARGET_METRIC.decisions, replacedCount)).toBe(1);
  });
});
