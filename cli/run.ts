/**
 * The CLI as a function: `run(argv, io)` parses, dispatches and maps every failure to an exit code and a
 * message on stderr. Nothing here touches `process`, so tests drive it in-process with their own clients,
 * env and clock; cli/main.ts binds it to the real process.
 */
import { commandHelp, globalHelp, parseCommandArgs, suggest, GLOBAL_OPTIONS } from './args';
import type { Command } from './command';
import { decisionsCommand } from './commands/decisions';
import { driversCommand } from './commands/drivers';
import { explainCommand } from './commands/explain';
import { enforceCommand, pauseCommand, resumeCommand, shadowCommand } from './commands/mode';
import { putDriverCommand } from './commands/put-driver';
import { replayCommand } from './commands/replay';
import { reportCommand } from './commands/report';
import { validateCommand } from './commands/validate';
import { Context, type CliIo } from './context';
import { AwsAccessError, CommandError, EXIT, UsageError, causeChain, messageOf, type ExitCode } from './errors';
import type { HelpPages } from './quick-answers';
import { isVersionRequest } from './quick-answers';
import { packageVersion } from './version';

export type { CliIo } from './context';

export const COMMANDS: readonly Command[] = [
  validateCommand,
  putDriverCommand,
  replayCommand,
  reportCommand,
  driversCommand,
  decisionsCommand,
  explainCommand,
  pauseCommand,
  resumeCommand,
  shadowCommand,
  enforceCommand,
];

/** Env var that makes unexpected errors print their stack and cause chain. */
export const DEBUG_ENV = 'DRIVETRAIN_DEBUG';

export async function run(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  if (isVersionRequest(argv)) {
    io.stdout(`${packageVersion()}\n`);
    return EXIT.ok;
  }
  const split = splitCommand(argv);
  if ('error' in split) {
    io.stderr(`drivetrain: ${split.error}\nrun \`drivetrain --help\` for usage\n`);
    return EXIT.usage;
  }
  const { name, rest } = split;
  if (name === undefined) {
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout(globalHelp(COMMANDS));
      return EXIT.ok;
    }
    io.stderr(`drivetrain: no command given\n\n${globalHelp(COMMANDS)}`);
    return EXIT.usage;
  }
  if (name === 'help')
    return help(
      rest.find((a) => !a.startsWith('-')),
      io,
    );
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr(
      `drivetrain: unknown command ${JSON.stringify(name)}${didYouMean(name)}\nrun \`drivetrain --help\` for the commands\n`,
    );
    return EXIT.usage;
  }

  let context: Context | undefined;
  try {
    const parsed = parseCommandArgs(command.name, rest, command.options, command.positionals);
    if (parsed.values.help) {
      io.stdout(commandHelp(command));
      return EXIT.ok;
    }
    context = new Context(io, parsed, command.name);
    return await command.run(context);
  } catch (error) {
    return report(error, io);
  } finally {
    context?.dispose();
  }
}

/** Every help page, as `run` prints it: what `npm run build` writes to dist/cli/help.json (cli/quick-answers.ts). */
export function helpPages(): HelpPages {
  return {
    global: globalHelp(COMMANDS),
    commands: Object.fromEntries(COMMANDS.map((command) => [command.name, commandHelp(command)])),
  };
}

function help(topic: string | undefined, io: CliIo): ExitCode {
  const command = topic === undefined ? undefined : COMMANDS.find((c) => c.name === topic);
  if (topic !== undefined && !command) {
    io.stderr(`drivetrain: no help for unknown command ${JSON.stringify(topic)}${didYouMean(topic)}\n`);
    return EXIT.usage;
  }
  io.stdout(command ? commandHelp(command) : globalHelp(COMMANDS));
  return EXIT.ok;
}

function didYouMean(name: string): string {
  const guess = suggest(
    name,
    COMMANDS.map((c) => c.name),
  );
  return guess ? ` (did you mean ${guess}?)` : '';
}

/**
 * Finds the command word. Global options may come before it (`drivetrain --local drivers`); they are moved
 * after it so the command's strict parse sees them. A command option before the command is a usage error.
 */
function splitCommand(argv: readonly string[]): { name: string | undefined; rest: string[] } | { error: string } {
  const leading: string[] = [];
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-')) {
    const token = argv[i]!;
    const [flagPart] = token.split('=', 1);
    const spec = Object.entries(GLOBAL_OPTIONS).find(
      ([long, s]) => flagPart === `--${long}` || ('short' in s && flagPart === `-${s.short}`),
    )?.[1];
    if (!spec) {
      const guess = suggest(flagPart!.replace(/^-+/, ''), Object.keys(GLOBAL_OPTIONS));
      return {
        error: `unknown option ${token} before the command${guess ? ` (did you mean --${guess}?)` : ''}; command options go after it: drivetrain <command> [options]`,
      };
    }
    const takesNext = spec.type === 'string' && !token.includes('=');
    leading.push(...argv.slice(i, takesNext ? i + 2 : i + 1));
    i += takesNext ? 2 : 1;
  }
  return { name: argv[i], rest: [...leading, ...argv.slice(i + 1)] };
}

function report(error: unknown, io: CliIo): ExitCode {
  if (error instanceof UsageError) {
    const hint = error.command
      ? `run \`drivetrain ${error.command} --help\` for usage`
      : 'run `drivetrain --help` for usage';
    io.stderr(`drivetrain${error.command ? ` ${error.command}` : ''}: ${error.message}\n${hint}\n`);
    return EXIT.usage;
  }
  if (error instanceof CommandError) {
    io.stderr(`drivetrain: ${error.message}\n${error.hints.map((h) => `  ${h}\n`).join('')}`);
    if (error instanceof AwsAccessError && io.env[DEBUG_ENV]) io.stderr(debugDetail(error));
    return EXIT.failed;
  }
  io.stderr(`drivetrain: unexpected error: ${messageOf(error)}\n`);
  io.stderr(io.env[DEBUG_ENV] ? debugDetail(error) : `  set ${DEBUG_ENV}=1 for the stack trace\n`);
  return EXIT.failed;
}

function debugDetail(error: unknown): string {
  return causeChain(error)
    .map(
      (e, i) => `${i === 0 ? '' : 'caused by: '}${(e as Error).stack ?? `${String(e.name)}: ${String(e.message)}`}\n`,
    )
    .join('');
}
