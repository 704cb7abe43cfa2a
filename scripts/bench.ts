/**
 * `npm run bench`: the elasticity benchmark over every shipped trace (traces/manifest.json). Prints one
 * table per trace (strategies × SPEC RG metrics and cost) and whether the issue's goals are met.
 *   npm run bench -- --trace flash-sale --config traces/bench.config.yaml
 */
import { parseArgs } from 'node:util';
import { DEFAULT_BENCH_CONFIG, DEFAULT_MANIFEST, formatBenchmark, runBenchmark } from '../local/bench/run';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      trace: { type: 'string', multiple: true },
      config: { type: 'string' },
      manifest: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log('usage: npm run bench -- [--trace NAME]... [--config FILE] [--manifest FILE]');
    return 0;
  }
  const started = performance.now();
  const results = await runBenchmark({
    traces: values.trace,
    configPath: values.config ?? DEFAULT_BENCH_CONFIG,
    manifestPath: values.manifest ?? DEFAULT_MANIFEST,
  });
  const first = results[0];
  console.log(
    'Elasticity benchmark (SPEC RG metrics, Herbst et al.): θ accuracy and τ timeshare of under/over-provisioning against',
  );
  console.log(
    `the instances the demand needs${first ? ` at ${first.perUnitCapacity} rps each` : ''}, υ instability, jitter in adaptations/h; cost = instance-hours × $${first?.unitHourlyPrice ?? '?'}.`,
  );
  console.log('Same simulated fleet and instance warmup for every strategy; traces and models: traces/README.md.');
  for (const result of results) {
    console.log('');
    console.log(formatBenchmark(result));
  }
  const goals = results.flatMap((r) => r.goals);
  const missed = goals.filter((g) => !g.met);
  console.log('');
  console.log(
    `${goals.length - missed.length}/${goals.length} goals met in ${Math.round(performance.now() - started)} ms.`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
