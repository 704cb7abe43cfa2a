/**
 * The commands that write, against DynamoDB Local: the kill switch and promotion (pause, resume, shadow,
 * enforce), recorded as decisions with who and why, and `put-driver --local` into the demo's tables.
 */
import { hostname } from 'node:os';
import { DynamoDecisionStore } from '../../functions/adapters/dynamodb/decision-store';
import { createTestTables, type LocalTables } from '../support/dynamodb';
import { NOW, cli, shippedConfig } from './harness';
import { ONCALL, seed } from './seed';

/** Who a --local mode change is recorded under: a note, marked unverified (the demo has no AWS identity). */
const BY = (user: string) => `local:${user}@${hostname()} (unverified: DynamoDB Local has no AWS identity)`;

let local: LocalTables;
let localFlags: string[];
let store: DynamoDecisionStore;

beforeAll(async () => {
  local = await createTestTables();
  await seed(local, shippedConfig());
  localFlags = [
    '--local',
    '--endpoint',
    local.endpoint,
    '--table-prefix',
    local.names.drivers.replace(/-drivers$/, ''),
  ];
  store = new DynamoDecisionStore(local.doc, {
    decisionsTable: local.names.decisions,
    stateTable: local.names.state,
    retentionDays: 90,
  });
});
afterAll(() => local.client.destroy());

function run(argv: string[], env: Record<string, string> = { USER: 'bob' }, now = NOW) {
  return cli([argv[0]!, ...localFlags, ...argv.slice(1)], { env, now: () => now });
}

describe('pause / resume (kill switch)', () => {
  it('pauses a target, recording who and why as a decision', async () => {
    const result = await run(['pause', 'web-asg', '--reason', 'INC-4821: scaling loop']);
    expect(result).toEqual({
      code: 0,
      stderr: '',
      stdout: `web-asg: enforce → paused\nrecorded as web-asg:3 by ${BY('bob')}: INC-4821: scaling loop\ndecisions are still recorded but nothing is applied until resume/enforce\n`,
    });
    expect((await store.getState('web-asg'))?.modeOverride).toEqual({
      mode: 'paused',
      by: BY('bob'),
      reason: 'INC-4821: scaling loop',
      at: NOW,
    });
    const listed = await run(['decisions', '--target', 'web-asg']);
    expect(listed.stdout).toContain('pause by local:bob@');
    const explained = await run(['explain', 'web-asg:3']);
    expect(explained.stdout).toContain(`By:       ${BY('bob')}: INC-4821: scaling loop`);
  });

  it('does not record a second pause of a paused target', async () => {
    const before = await store.list('web-asg');
    const result = await run(['pause', 'web-asg', '--reason', 'again'], { USER: 'carol' }, NOW + 60);
    expect(result).toMatchObject({
      code: 0,
      stdout: `web-asg is already paused since 2026-11-27T10:00:00Z by ${BY('bob')}: INC-4821: scaling loop; nothing recorded\n`,
    });
    expect(await store.list('web-asg')).toHaveLength(before.length);
  });

  it('resumes into the mode in force before the pause', async () => {
    const result = await run(['resume', 'web-asg', '--reason', 'INC-4821 resolved'], { USER: 'bob' }, NOW + 120);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `web-asg: paused → enforce (in force before the pause, per web-asg:1)\nrecorded as web-asg:4 by ${BY('bob')}: INC-4821 resolved\ndecisions are now applied to the resource from the next tick\n`,
    );
    expect((await store.getState('web-asg'))?.modeOverride?.mode).toBe('enforce');
  });

  it('has nothing to resume on a target that is not paused', async () => {
    const before = await store.list('checkout-fn');
    const result = await run(['resume', 'checkout-fn', '--reason', 'x']);
    expect(result).toMatchObject({ code: 0, stdout: 'checkout-fn is not paused (mode enforce); nothing to resume\n' });
    expect(await store.list('checkout-fn')).toHaveLength(before.length);
  });

  it('resumes a target paused after a shadow period back into shadow, not enforce', async () => {
    // api-routing was put in shadow by the seed; pausing and resuming must not promote it.
    expect((await run(['pause', 'api-routing', '--reason', 'drain alarm flapping'])).code).toBe(0);
    const result = await run(['resume', 'api-routing', '--reason', 'alarm fixed'], { USER: 'dave' }, NOW + 30);
    expect(result.stdout).toMatch(/^api-routing: paused → shadow \(in force before the pause, per api-routing:2\)$/m);
  });
});

describe('shadow / enforce (promotion)', () => {
  it('moves a target to shadow and promotes it back, each a recorded decision', async () => {
    // DRIVETRAIN_OPERATOR (the old --by) names nobody any more: the local note is $USER, marked unverified.
    const shadow = await run(['shadow', 'checkout-fn', '--reason', 'new pre-warm policy', '--json'], {
      USER: 'erin',
      DRIVETRAIN_OPERATOR: 'mallory',
    });
    expect(shadow.code).toBe(0);
    expect(JSON.parse(shadow.stdout)).toMatchObject({
      changed: true,
      targetId: 'checkout-fn',
      from: 'enforce',
      to: 'shadow',
      decision: {
        decisionId: 'checkout-fn:3',
        mode: 'shadow',
        status: 'skipped',
        actor: { by: BY('erin'), reason: 'new pre-warm policy' },
      },
    });

    const enforce = await run(
      ['enforce', 'checkout-fn', '-r', 'shadow week looked right'],
      { USER: 'frank' },
      NOW + 600,
    );
    expect(enforce.stdout).toBe(
      `checkout-fn: shadow → enforce\nrecorded as checkout-fn:4 by ${BY('frank')}: shadow week looked right\ndecisions are now applied to the resource from the next tick\n`,
    );

    const again = await run(['enforce', 'checkout-fn', '--reason', 'x', '--json'], { USER: 'frank' });
    expect(JSON.parse(again.stdout)).toEqual({ changed: false, targetId: 'checkout-fn', mode: 'enforce' });
  });

  it('records a mode change for a target that has never been decided', async () => {
    const fresh = await createTestTables();
    try {
      const result = await cli(
        [
          'pause',
          '--local',
          '--endpoint',
          fresh.endpoint,
          '--table-prefix',
          fresh.names.drivers.replace(/-drivers$/, ''),
          'web-asg',
          '--reason',
          'before go-live',
        ],
        { env: { USER: 'gina' } },
      );
      expect(result).toMatchObject({
        code: 0,
        stdout: `web-asg: enforce → paused\nrecorded as web-asg:1 by ${BY('gina')}: before go-live\ndecisions are still recorded but nothing is applied until resume/enforce\n`,
      });
    } finally {
      fresh.client.destroy();
    }
  });

  it.each([
    ['no reason', ['pause', 'web-asg'], 2, /--reason is required: a mode change without a why is an audit gap/],
    ['a blank reason', ['pause', 'web-asg', '--reason', '  '], 2, /--reason is required/],
    [
      'a name given with --by (identity comes from AWS, never a flag)',
      ['pause', 'web-asg', '--reason', 'x', '--by', 'bob'],
      2,
      /unknown option --by/,
    ],
    ['no target', ['shadow', '--reason', 'x'], 2, /drivetrain shadow: missing <target>/],
    [
      'an unknown target',
      ['enforce', 'checkout', '--reason', 'x'],
      1,
      /unknown target "checkout" \(did you mean "checkout-fn"\?\)\n {2}known targets: web-asg, checkout-fn, api-routing/,
    ],
  ])('refuses %s', async (_name, argv, code, message) => {
    const result = await run(argv);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
  });
});

describe('put-driver --local', () => {
  const flashSale = [
    'put-driver',
    '--kind',
    'demand',
    '--driver',
    'flash-sale',
    '--id',
    'lunch-deal',
    '--targets',
    'web-asg',
    '--absolute',
    '20',
    '--start',
    '2026-11-27T12:00:00Z',
    '--end',
    '2026-11-27T13:00:00Z',
    '--label',
    'Lunch deal',
  ];

  it('normalizes the event like the ingest Lambda and stores the driver in the demo tables', async () => {
    const result = await run(flashSale);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `flash-sale (business:flash-sale:lunch-deal) → web-asg: stored in ${local.names.drivers}\n`,
    );
    expect(result.stderr).toContain('--local: written straight to DynamoDB Local');
    const drivers = await run(['drivers', '--target', 'web-asg', '--json']);
    const stored = (
      JSON.parse(drivers.stdout) as Array<{
        state: string;
        driver: { id: string; source: string; lineage: { channel: string } };
      }>
    ).find((r) => r.driver.id === 'business:flash-sale:lunch-deal');
    expect(stored).toMatchObject({
      state: 'scheduled',
      driver: { source: 'drivetrain.operator', lineage: { channel: 'eventbridge' } },
    });
  });

  it('updates the same instance when re-sent later, instead of adding one', async () => {
    const later = await run(
      flashSale.map((arg) => (arg === '20' ? '30' : arg)),
      {},
      NOW + 5,
    );
    expect(later.code).toBe(0);
    const drivers = JSON.parse((await run(['drivers', '--target', 'web-asg', '--json'])).stdout) as Array<{
      driver: { id: string; signal: { demand?: unknown } };
    }>;
    const lunch = drivers.filter((r) => r.driver.id === 'business:flash-sale:lunch-deal');
    expect(lunch).toHaveLength(1);
    expect(lunch[0]!.driver.signal.demand).toEqual({ absolute: 30 });
  });

  it('stores an override under the stand-in caller (--principal, local only), which then shows in drivers', async () => {
    const result = await run([
      'put-driver',
      '--kind',
      'override',
      '--driver',
      'ops-override',
      '--targets',
      'web-asg',
      '--pin',
      '8',
      '--expires',
      '45m',
      '--reason',
      'INC-4822 hold',
      '--principal',
      ONCALL,
    ]);
    expect(result.code).toBe(0);
    const drivers = await run(['drivers', '--target', 'web-asg']);
    // Recorded as the endpoint would: the session's role ARN (the session name is kept in lineage.session).
    expect(drivers.stdout).toMatch(
      /^ops-override +override +drivetrain\.operator +web-asg +0s +in 45m +live +pin 8 by arn:aws:iam::111122223333:role\/oncall-alice: INC-4822 hold/m,
    );
  });
});
