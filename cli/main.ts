/**
 * Process entry of the `drivetrain` CLI (bin/drivetrain.mjs loads it): binds `run` to the real process —
 * argv, stdout/stderr, env, clock and terminal — and exits with its code. `--version` and help requests are
 * answered before `run` and the commands load (cli/quick-answers.ts says why).
 */
import { answerQuickly } from './quick-answers';

// The SDK's Node-version banner is noise in an operator's terminal (Node 20 is a supported baseline; see
// the README's "Node baseline").
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const argv = process.argv.slice(2);
const stdout = (text: string) => process.stdout.write(text);
const quick = answerQuickly(argv, stdout);
if (quick !== undefined) {
  process.exitCode = quick;
} else {
  void import('./run')
    .then(({ run }) =>
      run(argv, {
        stdout,
        stderr: (text) => process.stderr.write(text),
        env: process.env,
        now: () => Date.now() / 1000,
        cwd: process.cwd(),
        stderrIsTTY: process.stderr.isTTY === true,
        columns: process.stdout.isTTY ? process.stdout.columns : undefined,
      }),
    )
    .then((code) => {
      // exitCode instead of exit(): lets stdout drain when it is a pipe (`drivetrain decisions --json | jq`).
      process.exitCode = code;
    });
}
