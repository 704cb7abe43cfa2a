/**
 * `--version`, the help pages answered before the commands load (what the installed CLI does with
 * dist/cli/help.json), and the config formats `validate` refuses. The installed CLI itself, with an .mjs
 * config, is exercised by test/package/pack-and-consume.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answerQuickly } from '../../cli/quick-answers';
import { COMMANDS, helpPages } from '../../cli/run';
import { REPO_ROOT, cli } from './harness';

const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const scratch = mkdtempSync(join(tmpdir(), 'drivetrain-quick-'));
const pagesFile = join(scratch, 'help.json');
writeFileSync(pagesFile, JSON.stringify(helpPages()));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function quick(argv: string[]): { code: number | undefined; stdout: string } {
  let stdout = '';
  const code = answerQuickly(argv, (text) => (stdout += text), pagesFile);
  return { code, stdout };
}

test('--version prints the package version, from run() and before it', async () => {
  expect(await cli(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  expect(quick(['--version'])).toEqual({ code: 0, stdout: `${version}\n` });
});

test.each([
  [['--help']],
  [['-h']],
  [['help']],
  ...COMMANDS.flatMap((c) => [[[c.name, '--help']], [[c.name, '-h']], [['help', c.name]]]),
])('help request %j: the same page and exit code as run()', async (argv) => {
  const fromRun = await cli(argv);
  expect(fromRun.code).toBe(0);
  expect(quick(argv)).toEqual({ code: 0, stdout: fromRun.stdout });
});

test.each([
  [[]],
  [['decisions']],
  [['decisions', '--target', 'web-asg', '--help']],
  [['--local', 'decisions']],
  [['help', 'no-such-command']],
  [['nope', '--help']],
])('anything else (%j) is left to run(), which owns the usage errors', (argv) => {
  expect(quick(argv)).toEqual({ code: undefined, stdout: '' });
});

test('without the pages file (a checkout) help goes to run()', () => {
  expect(answerQuickly(['--help'], () => undefined, join(scratch, 'missing.json'))).toBeUndefined();
});

test('validate refuses a TypeScript config with what to do instead, exit 1', async () => {
  const file = join(scratch, 'drivetrain.config.ts');
  writeFileSync(file, 'export default { version: 1 };\n');
  const result = await cli(['validate', file]);
  expect(result.code).toBe(1);
  expect(result.stdout + result.stderr).toContain(
    'drivetrain.config.ts: is TypeScript, which drivetrain does not run: compile it to JavaScript',
  );
});
