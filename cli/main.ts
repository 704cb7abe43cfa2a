/**
 * Process entry of the `drivetrain` CLI (bin/drivetrain.mjs loads it through tsx): binds `run` to the real
 * process — argv, stdout/stderr, env, clock and terminal — and exits with its code.
 */
import { run } from './run';

// The SDK's Node-version banner is noise in an operator's terminal (Node 20 locally, 22 in Lambda).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

void run(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  now: () => Date.now() / 1000,
  cwd: process.cwd(),
  stderrIsTTY: process.stderr.isTTY === true,
  columns: process.stdout.isTTY ? process.stdout.columns : undefined,
}).then((code) => {
  // exitCode instead of exit(): lets stdout drain when it is a pipe (`drivetrain decisions --json | jq`).
  process.exitCode = code;
});
