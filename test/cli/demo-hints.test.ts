/**
 * The commands `npm run demo -- --keep` prints for "another terminal" are the first CLI commands a new user
 * copies: each must be accepted as printed. The put-driver one runs here with --dry-run (the preflight
 * against the shipped config and the stand-in principal, nothing written), so no DynamoDB Local is needed.
 */
import { formatPlaygroundHints } from '../../local/demo/terminal';
import { cli } from './harness';

const hints = formatPlaygroundHints({
  endpoint: 'http://127.0.0.1:8000',
  tablePrefix: 'drivetrain',
  tablePrefixFlag: '',
  tickSeconds: 60,
});

/** The argv of every `npx drivetrain …` line, without the trailing `(explanation)`. */
function printedCommands(text: string): string[][] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('npx drivetrain '))
    .map((line) =>
      line
        .replace(/\s+\(.*\)$/, '')
        .split(/\s+/)
        .slice(2),
    );
}

test('the kept demo names its tables and suggests the read commands', () => {
  expect(hints).toContain('tables drivetrain-*');
  expect(printedCommands(hints).map((argv) => argv.slice(0, 2).join(' '))).toEqual([
    '--local status',
    '--local decisions',
    '--local explain',
    '--local drivers',
    '--local put-driver',
    '--local report',
  ]);
});

test('the suggested local override is accepted as printed (its stand-in principal may override web-asg)', async () => {
  const putDriver = printedCommands(hints).find((argv) => argv[1] === 'put-driver');
  expect(putDriver).toBeDefined();
  const result = await cli([...putDriver!, '--dry-run']);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
});
