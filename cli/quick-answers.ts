/**
 * `--version` and the help pages, answered before the commands load.
 *
 * Loading the commands means loading what they run on (the AWS SDK clients, zod and the validator), which
 * costs several hundred milliseconds at every start; asking for help should not. `npm run build` writes the
 * help pages `run()` prints into dist/cli/help.json (see `helpPages`), so an installed CLI answers from that
 * file and the texts are the same by construction. In a checkout (no help.json) everything goes to `run()`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT, type ExitCode } from './errors';
import { packageVersion } from './version';

export interface HelpPages {
  global: string;
  commands: Record<string, string>;
}

export const HELP_PAGES_FILE = join(__dirname, 'help.json');

export function isVersionRequest(argv: readonly string[]): boolean {
  return argv.length === 1 && argv[0] === '--version';
}

/** The help page `argv` asks for, if it is nothing but a help request: `--help`, `help [cmd]`, `<cmd> --help`. */
export function requestedHelp(argv: readonly string[], pages: HelpPages): string | undefined {
  const isHelpFlag = (arg: string | undefined) => arg === '--help' || arg === '-h';
  if (argv.length === 1 && (isHelpFlag(argv[0]) || argv[0] === 'help')) return pages.global;
  if (argv.length !== 2) return undefined;
  const [first, second] = argv as [string, string];
  if (first === 'help') return pages.commands[second];
  if (isHelpFlag(second)) return pages.commands[first];
  return undefined;
}

/** The exit code when `argv` was answered here, undefined when `run()` has to. */
export function answerQuickly(
  argv: readonly string[],
  stdout: (text: string) => void,
  pagesFile = HELP_PAGES_FILE,
): ExitCode | undefined {
  if (isVersionRequest(argv)) {
    stdout(`${packageVersion()}\n`);
    return EXIT.ok;
  }
  if (!existsSync(pagesFile)) return undefined;
  const page = requestedHelp(argv, JSON.parse(readFileSync(pagesFile, 'utf8')) as HelpPages);
  if (page === undefined) return undefined;
  stdout(page);
  return EXIT.ok;
}
