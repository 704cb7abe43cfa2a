/**
 * Generates the shipped demand traces (traces/*.csv), the announced flash sale (traces/flash-sale.drivers.json)
 * and traces/manifest.json. Deterministic: a seeded PRNG, no clock, so `npx tsx local/bench/make-traces.ts`
 * reproduces the committed files byte for byte. traces/README.md explains each model.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { mulberry32 } from '../random';
import type { BusinessDriver } from '../../functions/domain/model';
import { formatTraceCsv, type TraceManifest } from './trace';

/** Trace day: 2026-11-27 (a Black Friday) 00:00 UTC. */
export const TRACE_EPOCH_ISO = '2026-11-27T00:00:00Z';
const EPOCH = Date.parse(TRACE_EPOCH_ISO) / 1000;
const MINUTES = 24 * 60;
const STEP = 60;
/** Requests/s one web instance serves within its latency objective. */
const PER_UNIT = 250;
/** On-demand price of one instance-hour (same as drivetrain.config.yaml's budget.unitHourlyPrice). */
const PRICE = 0.0832;
const WARMUP = 300;
/** Headroom an operator adds to last week's hourly peak when writing a static schedule. */
const SCHEDULE_HEADROOM = 1.15;
const BOUNDS = { min: 2, max: 40 };
/**
 * Busiest minute of a measured trace once rescaled to the benchmark fleet: 20 instances at 250 rps, the
 * size of the synthetic days (peaks 2,600-5,600 rps) and half of bounds.max, so neither bound clips the
 * measured shape. One value for every measured trace: it sets the fleet size, not the policy's behaviour.
 */
export const MEASURED_PEAK_RPS = 5000;

/** Public traces copied verbatim from their sources (traces/SOURCES.md); the generator only lists them. */
const measured: Array<Pick<TraceManifest['traces'][number], 'name' | 'file' | 'description'>> = [
  {
    name: 'nasa-http-48h',
    file: 'nasa_kennedy_http_1995-07-05_48h.csv',
    description:
      'Measured: NASA Kennedy Space Center web server, 5-7 July 1995 (two weekdays), requests per minute; diurnal with heavy minute-to-minute noise.',
  },
  {
    name: 'azure-functions-24h',
    file: 'azure_functions_2019_sample1350_sum_24h.csv',
    description:
      'Measured: Azure Functions 2019 trace, invocations of 1350 sampled functions summed per minute over one day; periodic timer bursts over a noisy base.',
  },
];

function gaussian(random: () => number): number {
  // Box-Muller; 1 - u keeps log() away from 0.
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Smooth day curve in [0, 1]: 0 at `troughHour`, 1 twelve hours later. */
function dayShape(hour: number, troughHour: number): number {
  return 0.5 * (1 - Math.cos((2 * Math.PI * (hour - troughHour)) / 24));
}

function bump(hour: number, center: number, width: number): number {
  return Math.exp(-(((hour - center) / width) ** 2));
}

interface TraceModel {
  name: string;
  seed: number;
  description: string;
  /** Noise-free rate the operator knows from last week (requests/s). */
  baseline: (hour: number) => number;
  /** Extra traffic of an event, minutes from midnight → requests/s (0 outside the event). */
  event: (minute: number) => number;
  /** Standard deviation of the multiplicative AR(1) noise. */
  noise: number;
}

const models: TraceModel[] = [
  {
    name: 'flash-sale',
    seed: 20261127,
    description:
      'Web shop on Black Friday: diurnal baseline 450-1350 rps; a flash sale announced at 09:00 for 12:00-13:00 surges to ~5600 rps within 3 minutes of opening, decays towards +35% and drains 10 minutes after closing.',
    baseline: (h) => 450 + 900 * dayShape(h, 4.5),
    event: (m) => {
      const open = 12 * 60;
      const since = m - open;
      if (since < 0) return 0;
      if (since < 60) return 4800 * Math.min(1, (since + 1) / 3) * (0.35 + 0.65 * Math.exp(-since / 20));
      return 4800 * (0.35 + 0.65 * Math.exp(-3)) * Math.exp(-(since - 60) / 8);
    },
    noise: 0.04,
  },
  {
    name: 'diurnal',
    seed: 7,
    description:
      'Consumer API over a normal day: trough 300 rps at 04:00, lunch bump at 12:30, evening peak ~2600 rps at 20:00; no events.',
    baseline: (h) =>
      300 + 2700 * Math.min(1, 0.62 * dayShape(h, 4) + 0.12 * bump(h, 12.5, 1) + 0.36 * bump(h, 20, 1.7)),
    event: () => 0,
    noise: 0.04,
  },
  {
    name: 'unannounced-spike',
    seed: 42,
    description:
      'Same shop, ordinary day: baseline 500-1500 rps; at 14:20 an unannounced viral post adds ~4200 rps within 4 minutes, holds 15 minutes and decays with a 20-minute time constant. Nobody told Drivetrain.',
    baseline: (h) => 500 + 1000 * dayShape(h, 4.5),
    event: (m) => {
      const since = m - (14 * 60 + 20);
      if (since < 0) return 0;
      if (since < 15) return 4200 * Math.min(1, (since + 1) / 4);
      return 4200 * Math.exp(-(since - 15) / 20);
    },
    noise: 0.05,
  },
];

export function generate(model: TraceModel): Array<{ t: number; demand: number }> {
  const random = mulberry32(model.seed);
  let ar = 0;
  const rho = 0.8;
  const points: Array<{ t: number; demand: number }> = [];
  for (let m = 0; m < MINUTES; m++) {
    // AR(1) keeps the noise correlated minute to minute, as real request rates are (white noise would flap).
    ar = rho * ar + Math.sqrt(1 - rho * rho) * model.noise * gaussian(random);
    const hour = (m + 0.5) / 60;
    const demand = Math.max(0, (model.baseline(hour) + model.event(m)) * (1 + ar));
    points.push({ t: EPOCH + m * STEP, demand });
  }
  return points;
}

/** Hourly plan from the noise-free baseline (last week's profile), with headroom; equal hours merged. */
export function staticSchedule(model: TraceModel): Array<{ from: string; capacity: number }> {
  const schedule: Array<{ from: string; capacity: number }> = [];
  for (let h = 0; h < 24; h++) {
    let peak = 0;
    for (let m = 0; m < 60; m++) peak = Math.max(peak, model.baseline(h + (m + 0.5) / 60));
    const capacity = Math.min(BOUNDS.max, Math.max(BOUNDS.min, Math.ceil((peak * SCHEDULE_HEADROOM) / PER_UNIT)));
    if (schedule[schedule.length - 1]?.capacity !== capacity)
      schedule.push({ from: `${String(h).padStart(2, '0')}:00`, capacity });
  }
  return schedule;
}

export function flashSaleDrivers(): BusinessDriver[] {
  const at = (hh: number, mm = 0) => EPOCH + hh * 3600 + mm * 60;
  return [
    {
      id: 'campaign/black-friday-2026/flash-sale-noon',
      name: 'flash-sale',
      kind: 'business',
      source: 'com.acme.marketing',
      targets: ['web-asg', 'checkout-fn'],
      observedAt: at(9),
      // A business driver lives until its window closes (plus an hour so the audit can show it ended).
      expiresAt: at(14),
      lineage: {
        eventId: '6f1c2e0a-3d1b-4b7f-9a11-0b5e2f41d4a0',
        channel: 'eventbridge',
        receivedAt: at(9),
        principal: 'arn:aws:iam::111122223333:role/marketing-campaigns',
      },
      signal: {
        type: 'demand',
        label: 'Black Friday noon flash sale',
        demand: { multiplier: 6 },
        windowStart: at(12),
        windowEnd: at(13),
      },
    },
  ];
}

export function main(outDir = resolve(__dirname, '../../traces')): TraceManifest {
  const manifest: TraceManifest = {
    epoch: TRACE_EPOCH_ISO,
    unit: 'requests/s',
    perUnitCapacity: PER_UNIT,
    unitHourlyPrice: PRICE,
    instanceWarmupSeconds: WARMUP,
    targetId: 'web-asg',
    metricDriver: 'requests',
    traces: [],
  };
  for (const model of models) {
    writeFileSync(resolve(outDir, `${model.name}.csv`), formatTraceCsv(generate(model), EPOCH));
    const entry: TraceManifest['traces'][number] = {
      name: model.name,
      file: `${model.name}.csv`,
      description: model.description,
      origin: 'synthetic',
      seed: model.seed,
      staticSchedule: staticSchedule(model),
    };
    if (model.name === 'flash-sale') {
      writeFileSync(resolve(outDir, 'flash-sale.drivers.json'), `${JSON.stringify(flashSaleDrivers(), null, 2)}\n`);
      entry.drivers = 'flash-sale.drivers.json';
    }
    manifest.traces.push(entry);
  }
  for (const trace of measured) manifest.traces.push({ ...trace, origin: 'measured', peakRps: MEASURED_PEAK_RPS });
  writeFileSync(resolve(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

if (require.main === module) {
  const manifest = main();
  console.log(
    `wrote ${manifest.traces
      .filter((t) => t.origin === 'synthetic')
      .map((t) => t.file)
      .join(', ')}, flash-sale.drivers.json and manifest.json`,
  );
}
