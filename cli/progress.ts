/**
 * A spinner for queries that take a while (many targets, a slow region). Drawn on stderr and only when
 * stderr is a terminal, so piped output, `--json` and tests never see it; it waits a moment before
 * appearing so fast queries stay silent.
 */

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const SHOW_AFTER_MS = 250;
const FRAME_MS = 80;
const CLEAR_LINE = '\r\u001b[2K';

export interface Progress {
  /** Runs `work` with the indicator showing `label`, then clears it whatever the outcome. */
  run<T>(label: string, work: () => Promise<T>): Promise<T>;
}

export const silentProgress: Progress = { run: (_label, work) => work() };

export function terminalProgress(write: (text: string) => void): Progress {
  return {
    async run(label, work) {
      let frame = 0;
      let shown = false;
      let ticker: NodeJS.Timeout | undefined;
      const draw = () => {
        shown = true;
        write(`${CLEAR_LINE}${FRAMES[frame++ % FRAMES.length]} ${label}`);
      };
      const delay = setTimeout(() => {
        draw();
        ticker = setInterval(draw, FRAME_MS);
        ticker.unref();
      }, SHOW_AFTER_MS);
      delay.unref();
      try {
        return await work();
      } finally {
        clearTimeout(delay);
        if (ticker) clearInterval(ticker);
        if (shown) write(CLEAR_LINE);
      }
    },
  };
}
