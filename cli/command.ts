import type { OptionSpecs, PositionalSpec } from './args';
import type { Context } from './context';
import type { ExitCode } from './errors';

export interface Command {
  name: string;
  /** Usage line without the program name, e.g. `drivers [--target ID]`. */
  synopsis: string;
  summary: string;
  description?: string;
  options: OptionSpecs;
  positionals: readonly PositionalSpec[];
  examples: readonly string[];
  run(context: Context): Promise<ExitCode>;
}
