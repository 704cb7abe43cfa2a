import { suggest } from '../../cli/args';
import { splitPath } from '../../cli/config-file';
import { displayWidth, renderFields, renderTable, truncate } from '../../cli/format';
import { parseDuration, parseFuture, parseLength, parsePast } from '../../cli/time';
import { UsageError } from '../../cli/errors';
import { NOW } from './harness';

describe('displayWidth', () => {
  it.each([
    ['ascii', 'web-asg', 7],
    ['arrow (ambiguous width, one cell)', 'scale 4→12', 10],
    ['precomposed accent', 'café', 4],
    ['combining accent', 'cafe\u0301', 4],
    ['CJK is two cells each', '日本', 4],
    ['emoji presentation', '👍', 2],
    ['emoji with skin tone is one grapheme', '👍🏽', 2],
    ['ZWJ family is one grapheme', '👨‍👩‍👧', 2],
    ['text-presentation heart', '❤', 1],
    ['heart with VS16', '❤️', 2],
    ['ANSI colour codes take no cells', '\u001b[31mred\u001b[0m', 3],
    ['zero-width space', 'a\u200bb', 2],
  ])('%s', (_name, text, width) => {
    expect(displayWidth(text)).toBe(width);
  });
});

describe('truncate', () => {
  it.each([
    ['fits', 'hold 4', 10, 'hold 4'],
    ['cuts with an ellipsis', 'scale 4→12: flash-sale', 10, 'scale 4→1…'],
    ['never splits a wide character', '日本語テキスト', 6, '日本…'],
    ['width one', 'abc', 1, '…'],
  ])('%s', (_name, text, width, expected) => {
    expect(truncate(text, width)).toBe(expected);
    expect(displayWidth(truncate(text, width))).toBeLessThanOrEqual(width);
  });
});

describe('renderTable', () => {
  const rows = [
    { name: 'flash-sale', demand: 12, note: 'scale 4→12 (floor 2→12)' },
    { name: '日本-campaign', demand: 5, note: 'lost 👍' },
    { name: 'x', demand: undefined, note: 'line one\nline two' },
  ];
  const columns = [
    { header: 'NAME', value: (r: (typeof rows)[number]) => r.name },
    { header: 'DEMAND', value: (r: (typeof rows)[number]) => r.demand, align: 'right' as const },
    { header: 'NOTE', value: (r: (typeof rows)[number]) => r.note, flexible: true },
  ];

  it('aligns every column by display width, right-aligns numbers and keeps cells on one line', () => {
    const lines = renderTable(rows, columns).trimEnd().split('\n');
    expect(lines).toEqual([
      'NAME           DEMAND  NOTE',
      'flash-sale         12  scale 4→12 (floor 2→12)',
      '日本-campaign       5  lost 👍',
      'x                   -  line one line two',
    ]);
  });

  it('shrinks only the flexible column to the terminal width, not below a readable minimum', () => {
    const wide = [{ name: 'a', demand: 1, note: 'x'.repeat(200) }];
    const out = renderTable(wide, columns, { maxWidth: 60 }).trimEnd().split('\n');
    expect(displayWidth(out[1]!)).toBe(60);
    expect(out[1]!.endsWith('…')).toBe(true);
    const narrow = renderTable(wide, columns, { maxWidth: 10 }).trimEnd().split('\n');
    expect(narrow[1]!.split('  ').pop()).toHaveLength(24);
  });

  it('says so when there are no rows', () => {
    expect(renderTable([], columns, { empty: 'no drivers' })).toBe('no drivers\n');
  });

  it('renders aligned key/value fields and skips empty ones', () => {
    expect(
      renderFields([
        ['Decision', 'web-asg:3'],
        ['By', undefined],
        ['Summary', 'scale 4→12'],
      ]),
    ).toBe('Decision: web-asg:3\nSummary:  scale 4→12\n');
  });
});

describe('time flags', () => {
  it.each([
    ['90s', 90],
    ['15m', 900],
    ['2h', 7200],
    ['1d12h', 129600],
    ['1w', 604800],
  ])('duration %s', (text, seconds) => expect(parseDuration(text)).toBe(seconds));

  it.each(['', '2', 'h', '2x', '-5m', '1.5h', '2h ago'])('not a duration: %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );

  it('reads past moments as a duration back from now or an ISO time', () => {
    expect(parsePast('--since', '2h', NOW)).toBe(NOW - 7200);
    expect(parsePast('--since', '2026-11-27T09:00:00Z', NOW)).toBe(NOW - 3600);
    expect(parsePast('--since', '2026-11-27T10:00:00+01:00', NOW)).toBe(NOW - 3600);
  });

  it('reads future moments as now, +duration, duration or ISO', () => {
    expect(parseFuture('--start', 'now', NOW)).toBe(NOW);
    expect(parseFuture('--end', '+30m', NOW)).toBe(NOW + 1800);
    expect(parseFuture('--end', '2h', NOW)).toBe(NOW + 7200);
    expect(parseFuture('--end', '2026-11-27T20:00:00Z', NOW)).toBe(NOW + 36000);
  });

  it.each([
    ['an ISO time without an offset is ambiguous', '2026-11-27T10:00:00'],
    ['a date alone', '2026-11-27'],
    ['words', 'tomorrow'],
    ['an impossible date', '2026-02-31T10:00:00Z'],
  ])('rejects %s with the flag name', (_name, text) => {
    expect(() => parseFuture('--end', text, NOW, 'put-driver')).toThrow(UsageError);
    expect(() => parseFuture('--end', text, NOW, 'put-driver')).toThrow(/--end: cannot read/);
  });

  it('rejects a length that is not a duration', () => {
    expect(() => parseLength('--lead', '15', 'put-driver')).toThrow(/--lead: cannot read "15" as a duration/);
  });
});

describe('suggest', () => {
  it.each([
    ['taget', ['target', 'targets', 'json'], 'target'],
    ['drivrs', ['drivers', 'decisions'], 'drivers'],
    ['expl', ['explain', 'enforce'], 'explain'],
    ['zzz', ['drivers', 'decisions'], undefined],
  ])('%s → %s', (input, candidates, expected) => expect(suggest(input, candidates)).toBe(expected));
});

describe('splitPath', () => {
  it('turns a config issue path back into keys and indices', () => {
    expect(splitPath('targets[0].policy.rules[12].driver')).toEqual(['targets', 0, 'policy', 'rules', 12, 'driver']);
    expect(splitPath('')).toEqual([]);
  });
});
