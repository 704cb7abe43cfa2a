/**
 * The CLI framework: help, usage errors and exit codes, the progress indicator, the explanations of
 * DynamoDB/AWS failures, and the package `bin` run as a real process.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { COMMANDS } from '../../cli/run';
import { explainAwsError, AwsAccessError } from '../../cli/errors';
import { terminalProgress } from '../../cli/progress';
import { REPO_ROOT, cli } from './harness';

const exec = promisify(execFile);

describe('help', () => {
  it.each([[['--help']], [['-h']], [['help']]])('%j prints the commands and exits 0', async (argv) => {
    const result = await cli(argv);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: drivetrain <command> \[options\]/);
    for (const command of COMMANDS) expect(result.stdout).toMatch(new RegExp(`^ {2}${command.name}[ <\\[]`, 'm'));
    expect(result.stdout).toContain(
      'Exit codes: 0 ok, 1 the command failed (or validation found problems), 2 usage error.',
    );
  });

  it.each(COMMANDS.map((c) => [c.name]))(
    '%s --help shows its synopsis, options, global options and examples',
    async (name) => {
      const command = COMMANDS.find((c) => c.name === name)!;
      for (const argv of [
        [name, '--help'],
        ['help', name],
      ]) {
        const result = await cli(argv);
        expect(result.code).toBe(0);
        expect(result.stdout.startsWith(`Usage: drivetrain ${command.synopsis}\n`)).toBe(true);
        for (const option of Object.keys(command.options)) expect(result.stdout).toContain(`--${option}`);
        expect(result.stdout).toContain('Global options:');
        expect(result.stdout).toContain(command.examples[0]!);
      }
    },
  );

  it('help works even with flags a command would reject', async () => {
    expect((await cli(['explain', '--help'])).code).toBe(0);
  });
});

describe('usage errors exit 2 and say what was meant', () => {
  it.each([
    ['no command', [], /^drivetrain: no command given\n\nUsage:/],
    [
      'an unknown command',
      ['explian', 'web-asg:1'],
      /^drivetrain: unknown command "explian" \(did you mean explain\?\)\nrun `drivetrain --help` for the commands\n$/,
    ],
    [
      'help on an unknown command',
      ['help', 'pasue'],
      /^drivetrain: no help for unknown command "pasue" \(did you mean pause\?\)\n$/,
    ],
    [
      'a command option before the command',
      ['--target', 'web-asg', 'drivers'],
      /unknown option --target before the command; command options go after it/,
    ],
    [
      'an unknown option',
      ['drivers', '--targt', 'web-asg'],
      /^drivetrain drivers: unknown option --targt \(did you mean --target\?\)\nrun `drivetrain drivers --help` for usage\n$/,
    ],
    ['a value for a switch', ['drivers', '--json=yes'], /--json is a switch and takes no value/],
    ['a missing value', ['decisions', '--target'], /--target needs a value/],
    ['an extra argument', ['drivers', 'web-asg'], /unexpected argument "web-asg"/],
  ])('%s', async (_name, argv, message) => {
    const result = await cli(argv);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });
});

describe('unexpected errors', () => {
  // Not a DynamoDB client at all: building the document client on it fails in a way nothing anticipates.
  const broken = { clients: { dynamodb: {} as DynamoDBClient } };

  it('are reported in one line with a hint, exit 1', async () => {
    const result = await cli(['drivers'], broken);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^drivetrain: unexpected error: .+\n {2}set DRIVETRAIN_DEBUG=1 for the stack trace\n$/,
    );
  });

  it('print the stack and cause chain with DRIVETRAIN_DEBUG', async () => {
    const result = await cli(['drivers'], { ...broken, env: { DRIVETRAIN_DEBUG: '1' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/\n {4}at /);
  });

  it('a config path that is a directory is explained, not unexpected', async () => {
    const result = await cli(['drivers', '--local', '--config', '.']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('is a directory, not a config file');
  });
});

describe('explainAwsError', () => {
  const context = { where: 'DynamoDB in eu-west-1', local: false, tables: ['p-drivers'] };
  it.each([
    [
      'ExpiredTokenException',
      'The security token included in the request is expired',
      /AWS credentials have expired: refresh the session/,
    ],
    [
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
      /AWS rejected the credentials \(UnrecognizedClientException\)/,
    ],
    ['Error', 'Region is missing', /no AWS region: set AWS_REGION or use --region/],
    [
      'AccessDeniedException',
      'User: arn:aws:sts::1:assumed-role/dev/x is not authorized to perform: dynamodb:Query',
      /access denied by DynamoDB in eu-west-1: User: .* dynamodb:Query/,
    ],
    [
      'ResourceNotFoundException',
      'Requested resource not found',
      /table not found in DynamoDB in eu-west-1 \(looked for p-drivers\)/,
    ],
  ])('%s → an explained error', (name, message, expected) => {
    const explained = explainAwsError(Object.assign(new Error(message), { name }), context);
    expect(explained).toBeInstanceOf(AwsAccessError);
    expect((explained as Error).message).toMatch(expected);
  });

  it('finds the root cause through wrapping errors', () => {
    const root = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { code: 'ECONNREFUSED' });
    const wrapped = new Error('store failed', { cause: root });
    expect(
      (explainAwsError(wrapped, { where: 'DynamoDB Local at http://127.0.0.1:8000', local: true }) as Error).message,
    ).toBe('cannot reach DynamoDB Local at http://127.0.0.1:8000');
  });

  it('leaves errors it does not recognise alone', () => {
    const error = new TypeError('boom');
    expect(explainAwsError(error, context)).toBe(error);
  });
});

describe('progress indicator', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('stays silent for fast work', async () => {
    const writes: string[] = [];
    const progress = terminalProgress((t) => writes.push(t));
    await expect(progress.run('reading', async () => 'done')).resolves.toBe('done');
    jest.advanceTimersByTime(1000);
    expect(writes).toEqual([]);
  });

  it('spins after a moment on slow work and clears its line, also when the work fails', async () => {
    const writes: string[] = [];
    const progress = terminalProgress((t) => writes.push(t));
    let finish!: (value: string) => void;
    const running = progress.run(
      'reading decisions of web-asg (1/3)',
      () => new Promise<string>((resolve) => (finish = resolve)),
    );
    jest.advanceTimersByTime(249);
    expect(writes).toEqual([]);
    jest.advanceTimersByTime(1 + 80 * 2);
    expect(writes).toHaveLength(3);
    expect(writes[0]).toBe('\r\u001b[2K⠋ reading decisions of web-asg (1/3)');
    finish('ok');
    await running;
    expect(writes.at(-1)).toBe('\r\u001b[2K');

    const failing = progress.run('x', () => new Promise((_, reject) => setTimeout(() => reject(new Error('no')), 500)));
    jest.advanceTimersByTime(500);
    await expect(failing).rejects.toThrow('no');
    expect(writes.at(-1)).toBe('\r\u001b[2K');
  });

  it('is never drawn when stderr is not a terminal', async () => {
    const result = await cli(['validate', '--replay', '--json'], { stderrIsTTY: false });
    expect(result.stderr).toBe('');
    expect(() => JSON.parse(result.stdout)).not.toThrow();
  });
});

describe('bin/drivetrain.mjs', () => {
  const bin = join(REPO_ROOT, 'bin', 'drivetrain.mjs');
  const env = { ...process.env, AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1' };

  it('runs the TypeScript CLI through tsx and exits with its code', async () => {
    const help = await exec(process.execPath, [bin, '--help'], { cwd: REPO_ROOT, env });
    expect(help.stdout).toMatch(/^Usage: drivetrain <command> \[options\]/);
    const valid = await exec(process.execPath, [bin, 'validate', '--json'], { cwd: REPO_ROOT, env });
    expect(JSON.parse(valid.stdout)).toMatchObject({ ok: true });
    await expect(exec(process.execPath, [bin, 'drivers', '--bogus'], { cwd: REPO_ROOT, env })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown option --bogus'),
    });
  }, 60_000);
});
