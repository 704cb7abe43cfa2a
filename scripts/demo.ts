/**
 * `npm run demo`: Drivetrain on a laptop, no AWS account. Starts DynamoDB Local, creates the stack's tables,
 * runs the Black Friday scenario through the real handlers against a simulated fleet, prints the decision
 * table and writes an HTML report. DynamoDB Local is stopped on exit, on errors and on Ctrl-C.
 *
 *   npm run demo                  # as fast as it goes (well under a minute)
 *   npm run demo -- --speed 300   # watchable: 5 virtual minutes per second
 *   npm run demo -- --config my.config.yaml --open
 *   npm run demo -- --keep        # then, in another terminal: npx drivetrain --local decisions
 *
 * The scenario's times are relative to now: it ends at the current minute (the morning it plays is today's
 * wall-clock hours shifted), so with --keep the playground ticks on in real time from where it ended and
 * `drivetrain --local decisions --since 2h` shows its history.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { startDynamoDbLocal, type DynamoDbLocal } from '../local/dynamodb-local';
import { EMBEDDED_CONFIG, runDemo } from '../local/demo/run';
import { demoDayEndingAt, demoScenario } from '../local/demo/scenario';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../functions/domain/config';
import { LOCAL_DEFAULT_PREFIX } from '../cli/deployed-config';

// Node 20 is a supported baseline for running Drivetrain locally (README, "Node baseline"); the SDK's
// NodeVersionSupportWarning would otherwise open every demo run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// EMF metrics belong on a Lambda's stdout, where CloudWatch reads them; in a terminal they bury the output. Every
// Metrics object reads this when it is built, including the per-target single-metric ones made at each tick.
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

/** Where `drivetrain --local` looks by default (cli/context.ts LOCAL_ENDPOINT). */
const KEEP_PORT = 8000;
/** The deployed tick runs every minute (EventBridge schedule); the playground keeps that pace by default. */
const DEFAULT_TICK_SECONDS = 60;
import { ProgressBar, formatBeats, formatDecisionTable, formatPlaygroundHints } from '../local/demo/terminal';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      speed: { type: 'string' },
      config: { type: 'string' },
      'report-dir': { type: 'string' },
      open: { type: 'boolean' },
      all: { type: 'boolean' },
      keep: { type: 'boolean' },
      'tick-seconds': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      'usage: npm run demo -- [--speed VIRTUAL_SECONDS_PER_SECOND] [--config FILE] [--report-dir DIR] [--all] [--open] [--keep [--tick-seconds N]]',
    );
    console.log('  --all   print every recorded decision (holds too), not only the changes');
    console.log(
      `  --keep  keep DynamoDB Local running on 127.0.0.1:${KEEP_PORT} with tables named after the config, for \`npx drivetrain --local …\`, until Ctrl-C`,
    );
    console.log(
      `  --tick-seconds N  with --keep: real seconds between the playground's ticks (default ${DEFAULT_TICK_SECONDS}, like the deployed schedule)`,
    );
    return 0;
  }
  const speed = values.speed === undefined ? undefined : Number(values.speed);
  if (speed !== undefined && !(speed > 0))
    throw new Error(`--speed must be a positive number of virtual seconds per second, got "${values.speed}"`);

  const tickSeconds = values['tick-seconds'] === undefined ? DEFAULT_TICK_SECONDS : Number(values['tick-seconds']);
  if (!(tickSeconds >= 1 && tickSeconds <= 3600))
    throw new Error(`--tick-seconds must be 1..3600 seconds, got "${values['tick-seconds']}"`);
  // The scenario ends now, so its history is recent and a kept playground continues in real time.
  const day = demoDayEndingAt(Date.now() / 1000);
  const times = demoScenario(day).times;
  const clock = (t: number) => new Date(t * 1000).toISOString().slice(11, 16);

  const out = process.stdout;
  out.write('Drivetrain demo: starting DynamoDB Local…\n');
  let local: DynamoDbLocal | undefined;
  const stop = async () => {
    const running = local;
    local = undefined;
    await running?.stop();
  };
  // Ctrl-C (or a kill) must not leave a Java process behind holding a port.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      out.write(`\n${signal}: stopping DynamoDB Local\n`);
      void stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
  try {
    // --keep: the port and table prefix `drivetrain --local` uses by default, so the CLI finds the demo's tables.
    const keepPrefix = values.keep
      ? parseConfig(
          parseYaml(readFileSync(values.config ?? EMBEDDED_CONFIG, 'utf8')),
          values.config ?? 'drivetrain.config.yaml',
        ).name
      : undefined;
    local = await startDynamoDbLocal({ timeoutMs: 60_000, ...(values.keep ? { port: KEEP_PORT } : {}) });
    out.write(
      `DynamoDB Local on ${local.endpoint}; running the Black Friday scenario (${clock(times.start)}–${clock(times.end)} UTC today, virtual time)\n\n`,
    );
    const bar = new ProgressBar({ write: (t) => out.write(t), isTTY: out.isTTY, columns: out.columns });
    const result = await runDemo({
      dynamoDbEndpoint: local.endpoint,
      ...(values.config ? { configPath: values.config } : {}),
      ...(values['report-dir'] ? { reportDir: values['report-dir'] } : {}),
      ...(speed !== undefined ? { speed } : {}),
      ...(keepPrefix ? { tablePrefix: keepPrefix, keep: true } : {}),
      day,
      onProgress: (p) => bar.update(p),
      onNarration: (at, text) => bar.say(`${new Date(at * 1000).toISOString().slice(11, 19)}  ${text}`),
    });
    bar.done();
    // Holds are recorded whenever their explanation changes; the changes are what an operator scans first.
    const shown = values.all
      ? result.decisions
      : result.decisions.filter((d) => d.actions.length > 0 || d.status === 'failed');
    const holds = result.decisions.length - shown.length;
    out.write(
      `\nDecisions from the decisions table, newest last: ${values.all ? `all ${shown.length}` : `the ${shown.length} that changed an allocation`}${holds ? ` (+${holds} recorded holds: --all, or the report)` : ''}\n\n`,
    );
    out.write(`${formatDecisionTable(shown, out.isTTY ? { width: out.columns } : {})}\n\n`);
    out.write(`Scenario beats:\n${formatBeats(result.beats)}\n\n`);
    out.write(
      `${result.events} events through the ingest handler, ${result.ticks} ticks, ${result.calls.length} simulated AWS calls` +
        `${result.rejectedDrivers ? `, ${result.rejectedDrivers} drivers rejected` : ''}${result.failedReconciles ? `, ${result.failedReconciles} reconciles failed` : ''}; ${(result.wallMs / 1000).toFixed(1)} s\n`,
    );
    out.write(`Report: ${relative(process.cwd(), result.reportPath) || result.reportPath}\n`);
    if (values.open) openInBrowser(result.reportPath);
    const code = result.beats.every((b) => b.decision) ? 0 : 1;
    if (keepPrefix) {
      // `drivetrain --local` defaults to the shipped config's name when no config file is around.
      const prefixFlag = keepPrefix === LOCAL_DEFAULT_PREFIX ? '' : ` --table-prefix ${keepPrefix}`;
      out.write(
        `\n${formatPlaygroundHints({ endpoint: local.endpoint, tablePrefix: keepPrefix, tablePrefixFlag: prefixFlag, tickSeconds })}`,
      );
      // Runs until a signal: the handlers above stop DynamoDB Local and exit.
      await result.playground!.keepTicking({
        intervalSeconds: tickSeconds,
        signal: new AbortController().signal,
        onTick: (at, summary) => {
          const recorded = summary.reconciled.filter((r) => r.outcome === 'recorded').length;
          if (recorded)
            out.write(
              `${new Date(at * 1000).toISOString().slice(11, 19)}  tick: ${recorded} decision${recorded === 1 ? '' : 's'} recorded\n`,
            );
        },
      });
    }
    return code;
  } finally {
    await stop();
  }
}

function openInBrowser(path: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  spawn(command, [path], { stdio: 'ignore', detached: true })
    .on('error', () => process.stdout.write(`(could not run ${command}; open the file yourself)\n`))
    .unref();
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`\ndemo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
