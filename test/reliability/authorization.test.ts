/**
 * Authorization end to end.
 *
 * In the ingest handler: only a source in a target's allowedSources drives it (checked per target, every
 * source against every target); an override must carry an expiry, stops counting at it, and is taken only
 * from a principal in the target's overridePrincipals — for every target it names, or for none.
 *
 * Overrides go through the operator endpoint (function URL, AuthType AWS_IAM): the `principal` of these
 * cases is the caller Lambda verified, never a field of the event (viaOperatorEndpoint).
 */
import type { DrivetrainConfigInput } from '../../functions/domain/config';
import type { IngestSummary } from '../../functions/handlers/ingest';
import { configInput, createHarness, type Harness } from '../handlers/harness';
import { T0, alarmEvent, AwsFaults, demandEvent, metricEvent, overrideEvent, viaOperatorEndpoint } from './support';

const ONCALL_SESSION = 'arn:aws:sts::111122223333:assumed-role/oncall-alice/alice';

function withNetopsRouting(): DrivetrainConfigInput {
  const config = configInput();
  // api-routing takes overrides from the network team only; the other targets from on-call.
  config.targets[2]!.overridePrincipals = ['arn:aws:iam::111122223333:role/netops'];
  config.businessBusAccounts = ['444455556666'];
  return config;
}

async function storedTargets(h: Harness, driverId: string): Promise<string[]> {
  const ids: string[] = [];
  for (const target of h.config.targets)
    if ((await h.drivers.all(target.id)).some((d) => d.id === driverId)) ids.push(target.id);
  return ids;
}

describe('only allow-listed sources drive a target (ingest handler)', () => {
  let h: Harness;
  let faults: AwsFaults;
  beforeEach(async () => {
    h = await createHarness({ now: T0 + 2, config: withNetopsRouting() });
    faults = new AwsFaults(h);
  });
  afterEach(() => {
    faults.close();
    h.close();
  });

  const SOURCES = [
    'drivetrain.metrics',
    'com.acme.marketing',
    'com.acme.change',
    'drivetrain.operator',
    'com.example.untrusted',
    'aws.events',
    'Com.Acme.Marketing',
  ];

  // A metric snapshot fans out to the `requests` declaration's targets; a campaign without `targets` to
  // `flash-sale`'s. Each declared target takes the driver only if it allows the source.
  it.each(
    SOURCES.flatMap((source) => [
      [
        'metric snapshot',
        source,
        () => metricEvent({ id: `m-${source}`, at: T0, value: 3000 }),
        'metric:requests',
      ] as const,
      [
        'business demand',
        source,
        () =>
          demandEvent({
            id: `b-${source}`,
            at: T0,
            campaign: 'c1',
            demand: { absolute: 30 },
            windowStart: T0 - 60,
            windowEnd: T0 + 3600,
          }),
        'business:flash-sale:c1',
      ] as const,
    ]),
  )('%s from %s', async (_kind, source, build, driverId) => {
    const event = { ...build(), source };
    const summary = (await h.ingest(event)) as IngestSummary;
    const declared = driverId.startsWith('metric') ? ['web-asg'] : ['web-asg', 'checkout-fn'];
    const allowed = declared.filter((id) => h.config.targets.find((t) => t.id === id)!.allowedSources.includes(source));

    expect(await storedTargets(h, driverId)).toEqual(allowed);
    expect(summary.reconciled.map((r) => r.targetId).sort()).toEqual([...allowed].sort());
    expect(summary.rejected).toEqual(
      declared
        .filter((id) => !allowed.includes(id))
        .map((id) => expect.objectContaining({ reason: 'source-not-allowed', targetId: id })),
    );
    for (const id of declared.filter((x) => !allowed.includes(x))) {
      expect(await h.decisions.list(id)).toEqual([]);
      expect(faults.writesOf(id)).toEqual([]);
    }
  });

  it('an alarm state change from any source but aws.cloudwatch drives nothing', async () => {
    const event = { ...alarmEvent({ id: 'fake-alarm', at: T0, state: 'ALARM' }), source: 'com.acme.marketing' };
    const summary = (await h.ingest(event)) as IngestSummary;
    expect(summary.rejected).toEqual([expect.objectContaining({ reason: 'source-not-allowed' })]);
    expect(await storedTargets(h, 'alarm:ServerCpuTooHigh')).toEqual([]);
    expect(h.mutatingCalls()).toBe(0);
  });
});

describe('overrides: an expiry, and configured principals only (ingest handler)', () => {
  let h: Harness;
  let faults: AwsFaults;
  beforeEach(async () => {
    h = await createHarness({ now: T0 + 2, config: withNetopsRouting() });
    faults = new AwsFaults(h);
  });
  afterEach(() => {
    faults.close();
    h.close();
  });

  it.each<[string, Parameters<typeof overrideEvent>[0], string]>([
    [
      'without expiresAt',
      { id: 'o1', at: T0, targets: ['web-asg'], action: 'pin', allocation: 30, expiresAt: null },
      'override-without-expiry',
    ],
    [
      'expiring in the past',
      { id: 'o2', at: T0, targets: ['web-asg'], action: 'pin', allocation: 30, expiresAt: T0 - 1 },
      'expired-on-arrival',
    ],
    [
      'lasting more than 7 days',
      { id: 'o3', at: T0, targets: ['web-asg'], action: 'pin', allocation: 30, expiresAt: T0 + 7 * 86400 + 60 },
      'override-not-permitted',
    ],
    [
      'from a principal no target lists',
      {
        id: 'o4',
        at: T0,
        targets: ['web-asg'],
        action: 'pin',
        allocation: 30,
        principal: 'arn:aws:sts::111122223333:assumed-role/developer/dev',
      },
      'override-not-permitted',
    ],
    [
      'from a look-alike role in another account',
      {
        id: 'o5',
        at: T0,
        targets: ['web-asg'],
        action: 'pin',
        allocation: 30,
        principal: 'arn:aws:sts::999999999999:assumed-role/oncall-mallory/m',
      },
      'override-not-permitted',
    ],
    [
      'naming a target whose principals exclude the sender (all or nothing)',
      { id: 'o6', at: T0, targets: ['web-asg', 'api-routing'], action: 'freeze', principal: ONCALL_SESSION },
      'override-not-permitted',
    ],
    [
      'from a source the target does not allow',
      {
        id: 'o7',
        at: T0,
        targets: ['api-routing'],
        action: 'freeze',
        principal: 'arn:aws:sts::111122223333:assumed-role/netops/nina',
        source: 'com.acme.marketing',
      },
      'source-not-allowed',
    ],
  ])('refused %s: nothing stored, nothing decided', async (_label, options, reason) => {
    const summary = await viaOperatorEndpoint(h, overrideEvent(options));
    expect(summary.accepted).toBe(0);
    expect(summary.rejected).toEqual(expect.arrayContaining([expect.objectContaining({ reason })]));
    expect(await storedTargets(h, 'override:ops-override')).toEqual([]);
    for (const target of h.config.targets) expect(await h.decisions.list(target.id)).toEqual([]);
    expect(faults.writes).toEqual([]);
  });

  it('taken from an allowed principal (an assumed-role session of an allowed role), and over at its expiry', async () => {
    // 1,350 requests/s at 250 per instance: 6 instances, with or without the metric rule's scale-in headroom.
    await h.ingest(metricEvent({ id: 'load', at: T0, value: 1350 }));
    expect(h.aws.group.DesiredCapacity).toBe(6);
    h.now.value = T0 + 10;
    const summary = await viaOperatorEndpoint(
      h,
      overrideEvent({
        id: 'pin',
        at: T0 + 10,
        targets: ['web-asg'],
        action: 'pin',
        allocation: 20,
        expiresAt: T0 + 610,
        principal: ONCALL_SESSION,
      }),
    );
    expect(summary.accepted).toBe(1);
    expect(h.aws.group.DesiredCapacity).toBe(20);

    h.now.value = T0 + 609;
    await h.tick({ targetIds: ['web-asg'] });
    expect(h.aws.group.DesiredCapacity).toBe(20);
    // The override ends on its own: at expiresAt it no longer counts, and the metric's 6 holds again once the
    // scale-in window after the pin has passed (the pin changed the allocation at T0 + 10).
    h.now.value = T0 + 610;
    await h.tick({ targetIds: ['web-asg'] });
    expect(h.aws.group.DesiredCapacity).toBe(6);
    const [latest] = await h.decisions.list('web-asg', { limit: 1 });
    expect(latest?.considered.find((c) => c.kind === 'override')).toBeUndefined();
  });
});

// Who may put what on the bus, call the operator endpoint or publish to the alarm topic is decided by the
// synthesized resource policies: test/security/policies.test.ts evaluates them with the IAM simulator.
