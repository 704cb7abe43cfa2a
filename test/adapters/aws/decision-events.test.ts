import {
  EventBridgeClient,
  InternalException,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  EventBridgeDecisionPublisher,
  entrySize,
  PUT_EVENTS_MAX_BYTES,
  PUT_EVENTS_MAX_ENTRIES,
} from '../../../functions/adapters/aws/decision-events';
import { DECISION_EVENT_SOURCE, DETAIL_TYPES } from '../../../functions/contracts';
import type { DecisionEventDetail } from '../../../functions/ports';

const BUS = 'dt-business-drivers';
const detail = (i: number, summary = 'scale 4→6: cpu-high'): DecisionEventDetail => ({
  schemaVersion: 1,
  deployment: 'dt',
  decisionId: `web:${i}`,
  targetId: 'web',
  targetKind: 'ec2-asg',
  at: 1_795_000_000 + i,
  status: 'applied',
  onFallback: false,
  mode: 'enforce',
  summary,
  reasons: ['alarm-step'],
  desired: { kind: 'capacity', desired: 6, floor: 2 },
  policyVersion: 'p1',
});
const accepted = (entries: PutEventsRequestEntry[]) => ({
  FailedEntryCount: 0,
  Entries: entries.map((_, i) => ({ EventId: `e-${i}` })),
});

describe('EventBridgeDecisionPublisher', () => {
  const eventBridge = mockClient(EventBridgeClient);
  const publisher = new EventBridgeDecisionPublisher(
    new EventBridgeClient({ region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' } }),
    BUS,
  );
  afterEach(() => eventBridge.reset());
  afterAll(() => eventBridge.restore());
  const entries = () => eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!);

  test('ten entries per PutEvents, each the documented event on the bus', async () => {
    eventBridge
      .on(PutEventsCommand)
      .callsFake((input: { Entries: PutEventsRequestEntry[] }) => accepted(input.Entries));
    const events = Array.from({ length: 23 }, (_, i) => detail(i));
    expect(await publisher.publish(events)).toEqual({ published: 23, failed: 0 });
    expect(entries().map((e) => e.length)).toEqual([10, 10, 3]);
    const first = entries()[0]![0]!;
    expect(first).toMatchObject({
      EventBusName: BUS,
      Source: DECISION_EVENT_SOURCE,
      DetailType: DETAIL_TYPES.decision,
    });
    expect(JSON.parse(first.Detail!)).toEqual(events[0]);
    expect(first.Time).toEqual(new Date(events[0]!.at * 1000));
    expect(PUT_EVENTS_MAX_ENTRIES).toBe(10);
  });

  test('a batch never exceeds 256 KB: large events are cut into smaller requests', async () => {
    eventBridge
      .on(PutEventsCommand)
      .callsFake((input: { Entries: PutEventsRequestEntry[] }) => accepted(input.Entries));
    const events = Array.from({ length: 6 }, (_, i) => detail(i, 'x'.repeat(100 * 1024)));
    expect(await publisher.publish(events)).toEqual({ published: 6, failed: 0 });
    for (const batch of entries())
      expect(batch.reduce((n, e) => n + entrySize(e), 0)).toBeLessThanOrEqual(PUT_EVENTS_MAX_BYTES);
    expect(entries().map((e) => e.length)).toEqual([2, 2, 2]);
  });

  test('entries EventBridge failed are sent once more, then reported (never thrown)', async () => {
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => ({
      FailedEntryCount: 1,
      Entries: input.Entries.map((e, i) =>
        JSON.parse(e.Detail!).decisionId === 'web:1' ? { ErrorCode: 'ThrottlingException' } : { EventId: `e-${i}` },
      ),
    }));
    expect(await publisher.publish([detail(0), detail(1), detail(2)])).toEqual({
      published: 2,
      failed: 1,
      error: 'ThrottlingException',
    });
    expect(entries().map((e) => e.length)).toEqual([3, 1]);
  });

  test('a request that fails whole reports its entries failed and the next batch still goes out', async () => {
    eventBridge
      .on(PutEventsCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} }))
      .callsFake((input: { Entries: PutEventsRequestEntry[] }) => accepted(input.Entries));
    const result = await publisher.publish(Array.from({ length: 12 }, (_, i) => detail(i)));
    expect(result).toEqual({ published: 2, failed: 10, error: 'ThrottlingException: Rate exceeded' });
  });
  test('an entry failed with a non-retryable ErrorCode is reported at once, not sent again', async () => {
    // PutEventsResultEntry: InternalFailure and ThrottlingException are retryable, the rest
    // (AccessDeniedException, MalformedDetail, NotAuthorizedForSourceException…) are not.
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => ({
      FailedEntryCount: 2,
      Entries: input.Entries.map((e, i) => {
        const id = JSON.parse(e.Detail!).decisionId;
        if (id === 'web:0')
          return {
            ErrorCode: 'NotAuthorizedForSourceException',
            ErrorMessage: 'Not authorized for the source.',
          };
        if (id === 'web:1') return { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal failure' };
        return { EventId: `e-${i}` };
      }),
    }));
    expect(await publisher.publish([detail(0), detail(1), detail(2)])).toEqual({
      published: 1,
      failed: 2,
      error: 'NotAuthorizedForSourceException, InternalFailure',
    });
    expect(entries().map((batch) => batch.map((e) => JSON.parse(e.Detail!).decisionId))).toEqual([
      ['web:0', 'web:1', 'web:2'],
      ['web:1'],
    ]);
  });

  test('a resend that fails whole does not count the entries the first request published as failed', async () => {
    eventBridge
      .on(PutEventsCommand)
      .callsFakeOnce((input: { Entries: PutEventsRequestEntry[] }) => ({
        FailedEntryCount: 1,
        Entries: input.Entries.map((_, i) =>
          i === 0 ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' } : { EventId: `e-${i}` },
        ),
      }))
      .rejectsOnce(
        new InternalException({
          message: 'An internal error occurred',
          $metadata: { httpStatusCode: 500, requestId: 'r-1', attempts: 1, totalRetryDelay: 0 },
        }),
      );
    expect(await publisher.publish([detail(0), detail(1), detail(2)])).toEqual({
      published: 2,
      failed: 1,
      error: 'InternalException: An internal error occurred',
    });
  });
});
