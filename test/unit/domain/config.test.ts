/**
 * The config validator: every bad policy gets a precise message — file, path, what is wrong, what is
 * allowed — and the shipped drivetrain.config.yaml is valid. Bad configs are built by breaking one thing in
 * the shipped file, so each row shows exactly the issues that one mistake produces.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  InvalidConfigError,
  formatIssue,
  parseConfig,
  validateConfig,
  type ConfigIssue,
} from '../../../functions/domain/config';
import { TARGET_KINDS } from '../../../functions/domain/target-kinds';
import type { LooseJson } from '../../support/loose-json';

const FILE = 'drivetrain.config.yaml';
const shippedText = readFileSync(join(__dirname, '../../../', FILE), 'utf8');
/** YAML documents are untyped until validated; the tests break them on purpose. */
type Doc = LooseJson;
const shipped = (): Doc => parse(shippedText) as Doc;

function broken(change: (doc: Doc) => void): Doc {
  const doc = shipped();
  change(doc);
  return doc;
}

/** Every kind of the registry, in its order: the message lists them all. */
const ALLOWED_KINDS = TARGET_KINDS.map((kind) => `"${kind}"`).join(', ');
const DECLARED = 'cpu-high, cpu-low, requests, flash-sale, cost-budget, ops-override, use1-health, euw1-health';
const TIMESTAMP_MESSAGE =
  'must be epoch seconds or an ISO 8601 timestamp with a UTC offset, e.g. 2026-11-27T08:00:00Z or 2026-11-27T09:00:00+01:00';
const window = (name: string, start: string, end: string, extra: Doc = {}) => ({
  name,
  start,
  end,
  action: 'freeze',
  reason: 'release train',
  ...extra,
});

const badConfigs: Array<[string, (doc: Doc) => void, Array<[path: string, message: string]>]> = [
  // ---- structure (zod), with what is allowed
  [
    'unknown target kind',
    (d) => (d.targets[0].kind = 'ecs-service'),
    [['targets[0].kind', `got "ecs-service"; allowed: ${ALLOWED_KINDS}`]],
  ],
  [
    'unknown resource kind',
    (d) => (d.targets[1].resource.kind = 'fargate'),
    [['targets[1].resource.kind', `got "fargate"; allowed: ${ALLOWED_KINDS}`]],
  ],
  [
    'unknown rule kind',
    (d) => (d.targets[0].policy.rules[0].kind = 'cron'),
    [['targets[0].policy.rules[0].kind', 'got "cron"; allowed: "alarm", "metric", "business", "override"']],
  ],
  [
    'unknown mode',
    (d) => (d.targets[0].mode = 'dry-run'),
    [['targets[0].mode', 'got "dry-run"; allowed: "enforce", "shadow", "paused"']],
  ],
  [
    'misspelt key',
    (d) => (d.targets[0].policy.bounds.maxx = 4),
    [['targets[0].policy.bounds', 'unknown key(s) "maxx"; remove them or check the spelling']],
  ],
  [
    'missing fallback',
    (d) => delete d.targets[0].policy.fallback,
    [['targets[0].policy.fallback', 'required: expected object']],
  ],
  [
    'alarm step of 0',
    (d) => (d.targets[0].policy.rules[0].step = 0),
    [['targets[0].policy.rules[0].step', 'step must not be 0']],
  ],
  [
    'provisioned concurrency on $LATEST',
    (d) => (d.targets[1].resource.qualifier = '$LATEST'),
    [['targets[1].resource.qualifier', 'provisioned concurrency needs an alias or a published version, not $LATEST']],
  ],
  [
    'malformed hosted zone id',
    (d) => (d.targets[2].resource.hostedZoneId = 'example.com'),
    [['targets[2].resource.hostedZoneId', 'must be a Route 53 hosted zone id such as Z0123456789ABC']],
  ],
  [
    'schedule start that is not a timestamp',
    (d) => (d.targets[0].policy.schedule = [window('release', 'tomorrow', '2026-11-27T10:00:00Z')]),
    [['targets[0].policy.schedule[0].start', TIMESTAMP_MESSAGE]],
  ],
  [
    'schedule end without a UTC offset (ambiguous local time)',
    (d) => (d.targets[0].policy.schedule = [window('release', '2026-11-27T08:00:00Z', '2026-11-27T10:00:00')]),
    [['targets[0].policy.schedule[0].end', TIMESTAMP_MESSAGE]],
  ],

  // ---- cross-field rules
  [
    'min > max (derived bound checks are skipped, the budget check still applies)',
    (d) => (d.targets[0].policy.bounds.min = 50),
    [
      ['targets[0].policy.bounds.min', 'min (50) is greater than max (40); allowed: min <= max'],
      [
        'targets[0].policy.budget.maxHourlyCost',
        'cap 2.5/h is below the cost of the minimum capacity (50 × 0.0832 = 4.16/h); allowed: >= 4.16',
      ],
    ],
  ],
  [
    'budget cap below the cost of min',
    (d) => (d.targets[0].policy.budget.maxHourlyCost = 0.1),
    [
      [
        'targets[0].policy.budget.maxHourlyCost',
        'cap 0.1/h is below the cost of the minimum capacity (2 × 0.0832 = 0.1664/h); allowed: >= 0.1664',
      ],
    ],
  ],
  [
    'fallback outside bounds',
    (d) => (d.targets[0].policy.fallback.allocation = 41),
    [['targets[0].policy.fallback.allocation', '41 is outside bounds; allowed: 2..40']],
  ],
  [
    'business baseline outside bounds',
    (d) => (d.targets[0].policy.rules[3].baseline = 1),
    [['targets[0].policy.rules[3].baseline', '1 is outside bounds; allowed: 2..40']],
  ],
  [
    'unknown driver reference in a rule',
    (d) => (d.targets[0].policy.rules[0].driver = 'cpu-hgh'),
    [['targets[0].policy.rules[0].driver', `unknown driver "cpu-hgh"; declared drivers: ${DECLARED}`]],
  ],
  [
    'rule kind does not match the driver',
    (d) => (d.targets[0].policy.rules[2] = { kind: 'alarm', driver: 'requests', step: 1 }),
    [['targets[0].policy.rules[2].kind', 'rule kind "alarm" does not match driver "requests" which is "metric"']],
  ],
  [
    'rule for a driver that does not feed the target',
    (d) => d.targets[1].policy.rules.push({ kind: 'metric', driver: 'requests', targetPerUnit: 100 }),
    [
      [
        'targets[1].policy.rules[2].driver',
        'driver "requests" does not list target "checkout-fn" in drivers[2].targets',
      ],
    ],
  ],
  [
    'two rules for one driver',
    (d) => d.targets[0].policy.rules.push({ kind: 'alarm', driver: 'cpu-high', step: 4 }),
    [['targets[0].policy.rules[6].driver', 'driver "cpu-high" has more than one rule']],
  ],
  [
    'urgent on a scale-in step',
    (d) => (d.targets[0].policy.rules[1].urgent = true),
    [
      [
        'targets[0].policy.rules[1].urgent',
        'urgent only applies to scale-out steps (step > 0), this step is -1; allowed: urgent: false or a positive step',
      ],
    ],
  ],
  [
    'driver declared for an unknown target',
    (d) => d.drivers[0].targets.push('web-asq'),
    [['drivers[0].targets[1]', 'unknown target "web-asq"; declared targets: web-asg, checkout-fn, api-routing']],
  ],
  ['duplicate target id', (d) => (d.targets[1].id = 'web-asg'), expectDuplicateTarget()],
  [
    'duplicate driver name',
    (d) =>
      d.drivers.push({ name: 'cpu-high', kind: 'alarm', alarmNames: ['web-prod-cpu-high-2'], targets: ['web-asg'] }),
    [['drivers[8].name', 'duplicate driver name "cpu-high" (also drivers[0])']],
  ],
  [
    'alarm driver without alarms',
    (d) => delete d.drivers[0].alarmNames,
    [['drivers[0].alarmNames', 'an alarm driver needs at least one CloudWatch alarm name']],
  ],
  [
    'alarmNames on a metric driver',
    (d) => (d.drivers[2].alarmNames = ['x']),
    [['drivers[2].alarmNames', 'only alarm drivers take alarmNames (this one is "metric")']],
  ],
  [
    'one alarm feeding two drivers',
    (d) => d.drivers[1].alarmNames.push('web-prod-cpu-high'),
    [
      [
        'drivers[1].alarmNames[1]',
        'alarm "web-prod-cpu-high" already feeds "cpu-high" (drivers[0]); allowed: one driver per alarm',
      ],
    ],
  ],
  [
    'target kind and resource kind disagree',
    (d) => (d.targets[1].kind = 'ec2-asg'),
    [
      [
        'targets[1].resource.kind',
        'resource kind "lambda-provisioned-concurrency" does not match target kind "ec2-asg"',
      ],
    ],
  ],

  // ---- schedules (scheduled overrides)
  [
    'overlapping override windows, including a long window overlapping two later ones',
    (d) =>
      (d.targets[0].policy.schedule = [
        window('long', '2026-11-27T08:00:00Z', '2026-11-27T12:00:00Z'),
        window('short-a', '2026-11-27T09:00:00Z', '2026-11-27T09:30:00Z'),
        window('short-b', '2026-11-27T10:00:00+01:00', '2026-11-27T11:30:00+01:00'),
      ]),
    [
      [
        'targets[0].policy.schedule[1]',
        'window "short-a" (2026-11-27T09:00:00.000Z–2026-11-27T09:30:00.000Z) overlaps "long" (schedule[0], 2026-11-27T08:00:00.000Z–2026-11-27T12:00:00.000Z); allowed: scheduled overrides that do not overlap',
      ],
      [
        'targets[0].policy.schedule[2]',
        'window "short-b" (2026-11-27T09:00:00.000Z–2026-11-27T10:30:00.000Z) overlaps "long" (schedule[0], 2026-11-27T08:00:00.000Z–2026-11-27T12:00:00.000Z); allowed: scheduled overrides that do not overlap',
      ],
    ],
  ],
  [
    'window ending before it starts',
    (d) => (d.targets[0].policy.schedule = [window('release', '2026-11-27T10:00:00Z', '2026-11-27T09:00:00Z')]),
    [
      [
        'targets[0].policy.schedule[0].end',
        'window ends (2026-11-27T09:00:00.000Z) before or when it starts (2026-11-27T10:00:00.000Z); allowed: end after start',
      ],
    ],
  ],
  [
    'pin without an allocation, freeze with one',
    (d) =>
      (d.targets[0].policy.schedule = [
        window('bf', '2026-11-27T08:00:00Z', '2026-11-27T09:00:00Z', { action: 'pin' }),
        window('release', '2026-11-27T09:00:00Z', '2026-11-27T10:00:00Z', { allocation: 4 }),
      ]),
    [
      ['targets[0].policy.schedule[0].allocation', 'a pin needs an allocation; allowed: an integer in 2..40'],
      ['targets[0].policy.schedule[1].allocation', 'a freeze holds the current allocation; remove allocation'],
    ],
  ],
  [
    'scheduled pin outside bounds',
    (d) =>
      (d.targets[0].policy.schedule = [
        window('bf', '2026-11-27T08:00:00Z', '2026-11-27T09:00:00Z', { action: 'pin', allocation: 60 }),
      ]),
    [['targets[0].policy.schedule[0].allocation', '60 is outside bounds; allowed: 2..40']],
  ],
  [
    'duplicate schedule name',
    (d) =>
      (d.targets[0].policy.schedule = [
        window('release', '2026-11-27T08:00:00Z', '2026-11-27T09:00:00Z'),
        window('release', '2026-11-28T08:00:00Z', '2026-11-28T09:00:00Z'),
      ]),
    [
      [
        'targets[0].policy.schedule[1].name',
        'duplicate schedule name "release" (also schedule[0]); names identify windows in the audit trail',
      ],
    ],
  ],

  // ---- routing
  [
    'unknown driver in drainOn',
    (d) => (d.targets[2].resource.endpoints[0].drainOn = ['use1-helth']),
    [['targets[2].resource.endpoints[0].drainOn[0]', `unknown driver "use1-helth"; declared drivers: ${DECLARED}`]],
  ],
  [
    'drainOn a metric driver',
    (d) => (d.targets[2].resource.endpoints[0].drainOn = ['requests']),
    [
      [
        'targets[2].resource.endpoints[0].drainOn[0]',
        'driver "requests" is "metric"; only alarm drivers can drain an endpoint',
      ],
    ],
  ],
  [
    'drainOn an alarm that does not feed the target',
    (d) => (d.targets[2].resource.endpoints[0].drainOn = ['cpu-high']),
    [['targets[2].resource.endpoints[0].drainOn[0]', 'driver "cpu-high" does not list target "api-routing"']],
  ],
  [
    'minimum shares above 1',
    (d) => {
      for (const e of d.targets[2].resource.endpoints) e.minShare = 0.6;
    },
    [['targets[2].resource.endpoints', 'minimum shares add up to 1.2; allowed: at most 1']],
  ],
  [
    'minimum shares that fit in 1 but not in 100 whole weight points',
    (d) => {
      d.targets[2].resource.endpoints.push({ setIdentifier: 'ap-southeast-2', weight: 0 });
      for (const e of d.targets[2].resource.endpoints) e.minShare = 0.333;
    },
    [
      [
        'targets[2].resource.endpoints',
        'minimum shares need 102 of 100 weight points once rounded up to whole points; allowed: at most 100 (use shares with at most 2 decimals)',
      ],
    ],
  ],
  [
    'duplicate setIdentifier',
    (d) => (d.targets[2].resource.endpoints[1].setIdentifier = 'us-east-1'),
    [['targets[2].resource.endpoints[1].setIdentifier', 'duplicate setIdentifier "us-east-1"']],
  ],
  [
    'every weight 0',
    (d) => {
      for (const e of d.targets[2].resource.endpoints) e.weight = 0;
    },
    [['targets[2].resource.endpoints', 'every weight is 0; at least one endpoint must take traffic']],
  ],
  [
    'an alarm rule on a routing target',
    (d) => d.targets[2].policy.rules.push({ kind: 'alarm', driver: 'use1-health', step: 1 }),
    [
      [
        'targets[2].policy.rules[1].kind',
        'routing targets are driven by resource.endpoints[].drainOn and overrides; allowed rule kinds: "override"',
      ],
    ],
  ],
  [
    'a budget on a routing target',
    (d) => (d.targets[2].policy.budget = { unitHourlyPrice: 1, maxHourlyCost: 10 }),
    [['targets[2].policy.budget', 'a budget caps capacity; routing targets have none; remove budget']],
  ],
  [
    'a scheduled pin on a routing target',
    (d) =>
      (d.targets[2].policy.schedule = [
        window('dr-test', '2026-11-27T08:00:00Z', '2026-11-27T09:00:00Z', { action: 'pin', allocation: 1 }),
      ]),
    [['targets[2].policy.schedule[0].action', 'routing targets cannot pin a count on a schedule; allowed: "freeze"']],
  ],
];

function expectDuplicateTarget(): Array<[string, string]> {
  return [
    ['targets[1].id', 'duplicate target id "web-asg" (also targets[0])'],
    // The driver catalogue still names checkout-fn, which no longer exists.
    ['drivers[3].targets[1]', 'unknown target "checkout-fn"; declared targets: web-asg, api-routing'],
    ['drivers[5].targets[1]', 'unknown target "checkout-fn"; declared targets: web-asg, api-routing'],
  ];
}

describe('validateConfig', () => {
  it('accepts the shipped drivetrain.config.yaml', () => {
    const result = validateConfig(shipped(), FILE);
    expect(result.issues).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it.each(badConfigs)('%s', (_name, change, expected) => {
    const result = validateConfig(broken(change), 'bad.yaml');
    expect(result.ok).toBe(false);
    const issues: ConfigIssue[] = expected.map(([path, message]) => ({ file: 'bad.yaml', path, message }));
    expect([...result.issues].sort(byPath)).toEqual([...issues].sort(byPath));
    for (const issue of result.issues) expect(formatIssue(issue)).toBe(`bad.yaml: ${issue.path}: ${issue.message}`);
  });

  it('accepts ISO timestamps with Z or an offset in schedule windows, as epoch seconds', () => {
    const result = validateConfig(
      broken((d) => {
        d.targets[0].policy.schedule = [
          window('release', '2026-11-27T08:00:00Z', '2026-11-27T09:00:00Z'),
          // Touching windows do not overlap: windows are half-open [start, end).
          window('black-friday', '2026-11-27T10:00:00+01:00', '2026-11-27T23:30:00.5-01:00', {
            action: 'pin',
            allocation: 30,
          }),
          { name: 'epoch', start: 1_795_900_000, end: 1_795_903_600, action: 'freeze', reason: 'numbers work too' },
        ];
      }),
      FILE,
    );
    expect(result.issues).toEqual([]);
    if (!result.ok) return;
    expect(result.config.targets[0]!.policy.schedule.map(({ start, end }) => [start, end])).toEqual([
      [Date.UTC(2026, 10, 27, 8) / 1000, Date.UTC(2026, 10, 27, 9) / 1000],
      [Date.UTC(2026, 10, 27, 9) / 1000, Date.UTC(2026, 10, 28, 0, 30, 0, 500) / 1000],
      [1_795_900_000, 1_795_903_600],
    ]);
  });

  it('accepts a budget cap exactly at the cost of min despite float error (14 × 2.7 = 37.800000000000004)', () => {
    const result = validateConfig(
      broken((d) => {
        d.targets[0].policy.bounds.min = 14;
        d.targets[0].policy.fallback.allocation = 14;
        d.targets[0].policy.rules[3].baseline = 14;
        d.targets[0].policy.budget = { unitHourlyPrice: 2.7, maxHourlyCost: 37.8 };
      }),
      FILE,
    );
    expect(result.issues).toEqual([]);
  });

  it('reports a root-level problem with <root> as the path', () => {
    const result = validateConfig('version: 1', 'inline.yaml');
    expect(result.ok).toBe(false);
    expect(result.issues.map(formatIssue)).toEqual([
      'inline.yaml: <root>: Invalid input: expected object, received string',
    ]);
  });

  it('names <inline> when no file is given', () => {
    const result = validateConfig(broken((d) => (d.targets[0].kind = 'ecs-service')));
    expect(result.issues[0]?.file).toBe('<inline>');
  });

  it('applies documented defaults', () => {
    const result = validateConfig(
      broken((d) => delete d.targets[1].policy.stabilization),
      FILE,
    );
    if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'));
    expect(result.config.targets[1]!.policy.stabilization).toEqual({ scaleUpSeconds: 0, scaleDownSeconds: 600 });
    expect(result.config.targets[0]!.policy.rules[1]).toEqual({
      kind: 'alarm',
      driver: 'cpu-low',
      step: -1,
      urgent: false,
    });
  });
});

describe('parseConfig', () => {
  it('returns a deep-frozen config', () => {
    const config = parseConfig(shipped(), FILE);
    const target = config.targets[0]!;
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.targets)).toBe(true);
    expect(Object.isFrozen(target.policy.bounds)).toBe(true);
    expect(Object.isFrozen(target.policy.rules[0])).toBe(true);
    expect(Object.isFrozen(config.targets[2]!.resource)).toBe(true);
    expect(() => {
      (target.policy.bounds as { max: number }).max = 1000;
    }).toThrow(TypeError);
    expect(() => (config.drivers as unknown[]).push({})).toThrow(TypeError);
    expect(target.policy.bounds.max).toBe(40);
  });

  it('freezing one parsed config does not freeze the defaults of the next', () => {
    const first = parseConfig(shipped(), FILE);
    const second = validateConfig(shipped(), FILE);
    if (!second.ok) throw new Error('shipped config must be valid');
    expect(Object.isFrozen(first.targets[0]!.policy.schedule)).toBe(true);
    expect(Object.isFrozen(second.config.targets[0]!.policy.schedule)).toBe(false);
  });

  it('throws InvalidConfigError listing every issue, each with file and path', () => {
    const bad = broken((d) => {
      d.targets[0].policy.bounds.min = 50;
      d.targets[0].policy.rules[0].driver = 'cpu-hgh';
      d.targets[2].resource.endpoints[0].drainOn = ['use1-helth'];
    });
    let error: unknown;
    try {
      parseConfig(bad, 'bad.yaml');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidConfigError);
    const invalid = error as InvalidConfigError;
    expect(invalid.name).toBe('InvalidConfigError');
    expect(invalid.issues.map((i) => i.path).sort()).toEqual([
      'targets[0].policy.bounds.min',
      'targets[0].policy.budget.maxHourlyCost',
      'targets[0].policy.rules[0].driver',
      'targets[2].resource.endpoints[0].drainOn[0]',
    ]);
    expect(invalid.message.split('\n')[0]).toBe('invalid Drivetrain config:');
    for (const issue of invalid.issues) expect(invalid.message).toContain(`  - ${formatIssue(issue)}`);
  });
});

function byPath(a: ConfigIssue, b: ConfigIssue): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : a.message < b.message ? -1 : 1;
}
