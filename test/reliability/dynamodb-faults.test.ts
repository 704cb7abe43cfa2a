/**
 * DynamoDB faults under the real handlers. Conditional-check failures come from real races on DynamoDB
 * Local (deciders racing on one target's state version, two invocations marking one decision). DynamoDB
 * Local runs transactions one at a time, so it never answers `TransactionConflict`, and it neither throttles
 * nor fails: those faults come from a thin wrapper around the document client's `send` that fails the
 * matching calls (DynamoFaults below), and the wrapper is used for nothing else.
 */
import {
  InternalServerError,
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, ScanCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { METRIC } from '../../functions/contracts';
import { DEFAULT_PENDING_GRACE_SECONDS } from '../../functions/app/reconcile';
import type { IngestSummary } from '../../functions/handlers/ingest';
import type { TickSummary } from '../../functions/handlers/tick';
import { createHarness, type Harness } from '../handlers/harness';
import { T0, auditTarget, AwsFaults, expectConverged, metricEvent } from './support';
import type { LooseJson } from '../support/loose-json';

const meta = (httpStatusCode: number) => ({
  httpStatusCode,
  requestId: 'EXAMPLE0REQUEST0ID0000000000000000000000000000000000',
  attempts: 1,
  totalRetryDelay: 0,
});

/** DynamoDB's answers, built with the SDK's own exception classes and the messages DynamoDB sends. */
const dynamoErrors = {
  transactionConflict: (items: number) =>
    new TransactionCanceledException({
      $metadata: meta(400),
      message: `Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict${', None'.repeat(items - 1)}]`,
      CancellationReasons: [
        { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' },
        ...Array.from({ length: items - 1 }, () => ({ Code: 'None' })),
      ],
    }),
  throughputExceeded: () =>
    new ProvisionedThroughputExceededException({
      $metadata: meta(400),
      message:
        'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
    }),
  internal: () => new InternalServerError({ $metadata: meta(500), message: 'Internal server error' }),
};

type DocCommand = { input: LooseJson };
type Match = (command: DocCommand) => boolean;

/** Fails (or holds back) the document-client calls a matcher picks; every other call goes through untouched. */
class DynamoFaults {
  private readonly rules: Array<{
    match: Match;
    act: (send: () => Promise<unknown>) => Promise<unknown>;
    left: number;
  }> = [];
  readonly failed: string[] = [];

  constructor(h: Harness) {
    const original = h.local.doc.send.bind(h.local.doc) as (command: unknown) => Promise<unknown>;
    jest.spyOn(h.local.doc, 'send').mockImplementation(((command: DocCommand) => {
      const rule = this.rules.find((r) => r.left > 0 && r.match(command));
      if (!rule) return original(command);
      rule.left--;
      return rule.act(() => original(command));
    }) as never);
  }

  fail(match: Match, error: () => unknown, times = 1): void {
    this.rules.push({
      match,
      left: times,
      act: async () => {
        const e = error() as Error;
        this.failed.push(e.name);
        throw e;
      },
    });
  }

  /** Sends the matching call (DynamoDB applies it), then fails as if its response had been lost. */
  loseResponse(match: Match, error: () => unknown): void {
    this.rules.push({
      match,
      left: 1,
      act: async (send) => {
        await send();
        const e = error() as Error;
        this.failed.push(e.name);
        throw e;
      },
    });
  }

  /** Delays the matching call until `release` resolves, then sends it. Resolves once the call has arrived. */
  hold(match: Match, release: Promise<void>): Promise<void> {
    let arrived!: () => void;
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    this.rules.push({
      match,
      left: 1,
      act: async (send) => {
        arrived();
        await release;
        return send();
      },
    });
    return arrival;
  }

  /**
   * Holds the first `count` matching calls until all `count` have arrived, then sends them together: the
   * callers are at the same step at once by construction, whatever the scheduler did before. Fewer arrivals
   * hang the test until jest's timeout, a loud failure of the test's own premise.
   */
  barrier(match: Match, count: number): void {
    let arrived = 0;
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    this.rules.push({
      match,
      left: count,
      act: async (send) => {
        if (++arrived === count) open();
        await opened;
        return send();
      },
    });
  }
}

const is = {
  /** DecisionStore.record: the decision Put and the state Update in one transaction. */
  record: (h: Harness) => (c: DocCommand) =>
    c instanceof TransactWriteCommand && c.input.TransactItems?.[0]?.Put?.TableName === h.local.names.decisions,
  /** DecisionStore.markOutcome: the decision (still `planned`) and the state, in one transaction. */
  markOutcome: () => (c: DocCommand) =>
    c instanceof TransactWriteCommand &&
    c.input.TransactItems?.[0]?.Update?.ConditionExpression === '#status = :planned',
  /** DriverStore.put: one item per target of the driver, in one transaction. */
  driverPut: (h: Harness) => (c: DocCommand) =>
    c instanceof TransactWriteCommand && c.input.TransactItems?.[0]?.Put?.TableName === h.local.names.drivers,
  stateRead: (h: Harness, targetId: string) => (c: DocCommand) =>
    c instanceof GetCommand && c.input.TableName === h.local.names.state && c.input.Key?.targetId === targetId,
  driversQuery: (h: Harness) => (c: DocCommand) =>
    c instanceof QueryCommand && c.input.TableName === h.local.names.drivers,
};

async function scan(h: Harness, table: 'drivers' | 'idempotency'): Promise<Record<string, unknown>[]> {
  const { Items } = await h.local.doc.send(new ScanCommand({ TableName: h.local.names[table] }));
  return Items ?? [];
}

describe('DynamoDB faults through the handlers', () => {
  let h: Harness;
  let aws: AwsFaults;
  let dynamo: DynamoFaults;
  beforeEach(async () => {
    h = await createHarness({ now: T0 + 2 });
    aws = new AwsFaults(h);
    dynamo = new DynamoFaults(h);
  });
  afterEach(() => {
    aws.close();
    h.close();
  });

  describe('real races on DynamoDB Local', () => {
    it('six Lambda environments deciding one target at once: one plan at a time, every write planned once, no version reused', async () => {
      const environments = Array.from({ length: 6 }, () => h.handlers({ idempotency: false }));
      // Left to the scheduler, "at once" is not guaranteed: snapshots of different times are stored in whatever
      // order DynamoDB Local answers, an older one that lands after a newer one is out of order and decides
      // nothing, and the deciders that are left may run one after another. So the premise is built: one
      // observation time (at an equal time the later arrival is stored, so every environment decides), and
      // every decider's first read of the target's state is held until all six have made it.
      dynamo.barrier(is.stateRead(h, 'web-asg'), environments.length);
      // Alternately more and less load: every snapshot changes the demand, so each decider has something to plan.
      const summaries = (await Promise.all(
        environments.map((env, i) =>
          env.ingest(metricEvent({ id: `snap-${i}`, at: T0, value: (i % 2 ? 12 : 6) * 250 + i })),
        ),
      )) as IngestSummary[];
      expect(summaries.flatMap((s) => s.failedTargets)).toEqual([]);
      expect(summaries.map((s) => s.accepted)).toEqual(environments.map(() => 1));
      // All six decided on the same (absent) state and tried to record a plan on it: one won, the other five
      // lost the version race at least once. What each loser did next (stood down, decided again on the
      // winner's outcome, lost again) depends on scheduling; the invariants below do not.
      expect(h.metric(METRIC.decisionConflicts)).toBeGreaterThanOrEqual(environments.length - 1);

      const audit = await auditTarget(h, aws, 'web-asg');
      expect(audit.violations).toEqual([]);
      // Each decision advanced the state from the version it was decided on: no two share one (marking an
      // outcome advances the version too, so the sequence has gaps, never repeats).
      const versions = audit.decisions.map((d) => d.version);
      expect(new Set(versions).size).toBe(versions.length);
      expect(audit.decisions.filter((d) => d.status === 'planned').length).toBeLessThanOrEqual(1);

      h.now.value += DEFAULT_PENDING_GRACE_SECONDS + 301;
      await h.tick();
      expect((await auditTarget(h, aws, 'web-asg')).violations).toEqual([]);
      await expectConverged(h, aws, 'web-asg');
    });

    it('a slow invocation and the repair marking the same decision at once: one outcome, one version step, one write', async () => {
      // The invocation's write lands, then its markOutcome stalls past the pending grace period (a long GC pause,
      // a slow network). A tick repairs the plan; the stalled mark is let go the moment the repair marks too.
      let releaseStalled!: () => void;
      const stalled = new Promise<void>((resolve) => (releaseStalled = resolve));
      const markHeld = dynamo.hold(is.markOutcome(), stalled);
      let repairMarks = 0;
      const original = h.decisions.markOutcome.bind(h.decisions);
      jest.spyOn(h.decisions, 'markOutcome').mockImplementation(async (...args) => {
        if (++repairMarks === 2) releaseStalled();
        return original(...args);
      });

      const slow = h.ingest(metricEvent({ id: 'snap-slow', at: T0, value: 1500 }));
      // Bounded by work, not time: wait until the invocation has written and is stuck in its mark.
      await markHeld;
      expect(h.aws.group.DesiredCapacity).toBe(6);
      const planned = await h.decisions.getState('web-asg');
      expect(planned?.pending).toBeDefined();

      h.now.value = T0 + 2 + DEFAULT_PENDING_GRACE_SECONDS + 1;
      const [ingested, tick] = (await Promise.all([slow, h.tick({ targetIds: ['web-asg'] })])) as [
        IngestSummary,
        TickSummary,
      ];
      expect(repairMarks).toBe(2);
      expect(ingested.failedTargets).toEqual([]);
      // The stalled invocation lost its claim to the repair: it says so and marks nothing.
      expect(ingested.reconciled).toEqual([expect.objectContaining({ targetId: 'web-asg', outcome: 'claim-lost' })]);
      expect(h.metric(METRIC.claimsLost)).toBe(1);
      expect(tick.failed).toEqual([]);
      expect(tick.reconciled).toEqual([expect.objectContaining({ repaired: planned!.pending!.decisionId })]);

      const decision = await h.decisions.get(planned!.pending!.decisionId);
      // Applied (once), then settled by the same reconcile's follow-through.
      expect(decision?.status).toBe('settled');
      const state = await h.decisions.getState('web-asg');
      expect(state?.pending).toBeUndefined();
      expect(state?.current).toMatchObject({ desired: 6 });
      expect(aws.writesOf('web-asg')).toHaveLength(1);
      expect((await auditTarget(h, aws, 'web-asg')).violations).toEqual([]);
    });
  });

  describe('faults DynamoDB Local cannot produce (wrapper)', () => {
    it('TransactionConflict while recording: the decider re-reads, decides again and acts once', async () => {
      dynamo.fail(is.record(h), () => dynamoErrors.transactionConflict(2));
      const summary = (await h.ingest(metricEvent({ id: 'snap-1', at: T0, value: 1500 }))) as IngestSummary;
      expect(dynamo.failed).toEqual(['TransactionCanceledException']);
      expect(summary.reconciled).toEqual([expect.objectContaining({ targetId: 'web-asg', status: 'applied' })]);
      expect(h.metric(METRIC.decisionConflicts)).toBe(1);
      expect(aws.writesOf('web-asg')).toHaveLength(1);
      expect((await auditTarget(h, aws, 'web-asg')).violations).toEqual([]);
    });

    it("a lost response of record(): the plan landed under this invocation's claim, so it is applied at once, not left pending for the grace", async () => {
      dynamo.loseResponse(is.record(h), () =>
        Object.assign(new Error('Request did not complete within 5000 ms'), { name: 'TimeoutError' }),
      );
      const summary = (await h.ingest(metricEvent({ id: 'snap-1', at: T0, value: 1500 }))) as IngestSummary;
      expect(dynamo.failed).toEqual(['TimeoutError']);
      expect(summary.failedTargets).toEqual([]);
      expect(summary.reconciled).toEqual([
        expect.objectContaining({ targetId: 'web-asg', outcome: 'recorded', status: 'applied' }),
      ]);
      expect((await h.decisions.getState('web-asg'))?.pending).toBeUndefined();
      expect(aws.writesOf('web-asg')).toHaveLength(1);
      expect((await auditTarget(h, aws, 'web-asg')).violations).toEqual([]);
    });

    it('TransactionConflict while marking after the write landed: left planned, repaired after the grace period without a second write', async () => {
      dynamo.fail(is.markOutcome(), () => dynamoErrors.transactionConflict(2));
      const summary = (await h.ingest(metricEvent({ id: 'snap-1', at: T0, value: 1500 }))) as IngestSummary;
      expect(summary.failedTargets).toEqual([
        { targetId: 'web-asg', error: expect.stringMatching(/TransactionConflict/) },
      ]);
      expect(h.aws.group.DesiredCapacity).toBe(6);
      const { pending } = (await h.decisions.getState('web-asg'))!;
      expect(pending).toBeDefined();

      h.now.value += 60;
      expect(((await h.tick({ targetIds: ['web-asg'] })) as TickSummary).reconciled).toEqual([
        expect.objectContaining({ outcome: 'in-flight' }),
      ]);
      h.now.value += DEFAULT_PENDING_GRACE_SECONDS;
      const tick = (await h.tick({ targetIds: ['web-asg'] })) as TickSummary;
      expect(tick.reconciled).toEqual([expect.objectContaining({ repaired: pending!.decisionId })]);
      // Repaired as applied, then settled by the same reconcile's follow-through.
      expect(await h.decisions.get(pending!.decisionId)).toMatchObject({ status: 'settled' });
      expect(aws.writesOf('web-asg')).toHaveLength(1);
      expect((await auditTarget(h, aws, 'web-asg')).violations).toEqual([]);
      await expectConverged(h, aws, 'web-asg');
    });

    it.each([
      ['ProvisionedThroughputExceededException', dynamoErrors.throughputExceeded],
      ['TransactionConflict', () => dynamoErrors.transactionConflict(1)],
    ])(
      '%s on the driver write: the event fails whole (Lambda retries it), nothing is half-stored, the retry acts once',
      async (_name, error) => {
        dynamo.fail(is.driverPut(h), error);
        const event = metricEvent({ id: 'snap-1', at: T0, value: 1500 });
        await expect(h.ingest(event)).rejects.toThrow();
        expect(await scan(h, 'drivers')).toEqual([]);
        expect(h.mutatingCalls()).toBe(0);
        // Powertools deletes the in-progress idempotency record when the handler fails, so the retry is not refused.
        expect(await scan(h, 'idempotency')).toEqual([]);

        h.now.value += 60;
        const retried = (await h.ingest(event)) as IngestSummary;
        expect(retried).toMatchObject({ accepted: 1, failedTargets: [] });
        expect(aws.writesOf('web-asg')).toHaveLength(1);
        expect((await auditTarget(h, aws, 'web-asg')).violations).toEqual([]);
      },
    );

    it('a DynamoDB error reading one target fails that target only, reported as retryable; the next tick converges', async () => {
      await h.drivers.put({
        kind: 'metric',
        id: 'metric:requests',
        name: 'requests',
        source: 'drivetrain.metrics',
        targets: ['web-asg'],
        observedAt: T0,
        expiresAt: T0 + 3600,
        lineage: { eventId: 'snap-1', channel: 'eventbridge', receivedAt: T0 + 1 },
        signal: { value: 1500 },
      });
      dynamo.fail(is.stateRead(h, 'web-asg'), dynamoErrors.internal);
      const first = (await h.tick()) as TickSummary;
      expect(first.failed).toEqual([
        { targetId: 'web-asg', error: expect.stringMatching(/Internal server error/), retryable: true },
      ]);
      expect(first.reconciled.map((r) => r.targetId).sort()).toEqual(['api-routing', 'checkout-fn']);
      expect(h.mutatingCalls()).toBe(0);

      dynamo.fail(is.driversQuery(h), dynamoErrors.throughputExceeded);
      h.now.value += 60;
      const second = (await h.tick({ targetIds: ['web-asg'] })) as TickSummary;
      expect(second.failed).toEqual([
        { targetId: 'web-asg', error: expect.stringMatching(/provisioned throughput/), retryable: true },
      ]);
      expect(await h.decisions.list('web-asg')).toEqual([]);

      h.now.value += 60;
      expect(((await h.tick({ targetIds: ['web-asg'] })) as TickSummary).failed).toEqual([]);
      expect(aws.writesOf('web-asg')).toHaveLength(1);
      await expectConverged(h, aws, 'web-asg');
    });
  });
});
