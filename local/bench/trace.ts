/**
 * Demand traces: CSV of `time_seconds,demand` rows, one per metric period. A row's demand is the average
 * request rate over [time, next time). Times are seconds from the trace start, or epoch seconds when they
 * look like one (> 10^9), so a trace exported from CloudWatch can be replayed as is.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { driverSchema, type Driver } from '../../functions/domain/model';

export interface TracePoint {
  /** Epoch seconds. */
  t: number;
  /** Requests per second, averaged over the row's period. */
  demand: number;
}

export interface DemandTrace {
  name: string;
  points: TracePoint[];
  /** Period of one row (seconds); the last row lasts this long too. */
  stepSeconds: number;
  start: number;
  /** Exclusive end: start of the last row + its period. */
  end: number;
}

export class TraceFormatError extends Error {
  override readonly name = 'TraceFormatError';
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    detail: string,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${detail}`);
  }
}

/** Epoch seconds look like this; relative offsets in a day-long trace never do. */
const EPOCH_THRESHOLD = 1e9;

export function parseTraceCsv(
  text: string,
  options: { file?: string; startAt?: number; name?: string } = {},
): DemandTrace {
  const file = options.file ?? '<inline>';
  const lines = text.split(/\r?\n/);
  const raw: Array<{ t: number; demand: number; line: number }> = [];
  let header = true;
  lines.forEach((content, index) => {
    const line = index + 1;
    const trimmed = content.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const cells = trimmed.split(',').map((c) => c.trim());
    if (header) {
      header = false;
      if (cells.length >= 2 && Number.isNaN(Number(cells[0]))) {
        if (!/^time/i.test(cells[0]!) || !/^demand/i.test(cells[1]!)) {
          throw new TraceFormatError(file, line, `header must be "time_seconds,demand" (got "${trimmed}")`);
        }
        return;
      }
    }
    if (cells.length < 2) throw new TraceFormatError(file, line, `expected "time_seconds,demand", got "${trimmed}"`);
    const t = Number(cells[0]);
    const demand = Number(cells[1]);
    if (!Number.isFinite(t) || t < 0)
      throw new TraceFormatError(file, line, `time "${cells[0]}" is not a non-negative number of seconds`);
    if (!Number.isFinite(demand) || demand < 0)
      throw new TraceFormatError(file, line, `demand "${cells[1]}" is not a non-negative number`);
    const previous = raw[raw.length - 1];
    if (previous && t <= previous.t)
      throw new TraceFormatError(
        file,
        line,
        `time ${t} is not after the previous row's ${previous.t}; rows must be in time order`,
      );
    raw.push({ t, demand, line });
  });
  if (raw.length < 2) throw new TraceFormatError(file, undefined, 'a trace needs at least two rows');
  const absolute = raw[0]!.t > EPOCH_THRESHOLD;
  const offset = absolute ? 0 : (options.startAt ?? 0);
  if (!absolute && options.startAt === undefined) {
    throw new TraceFormatError(
      file,
      undefined,
      'times are offsets from the trace start: pass the start (epoch seconds) to place them in time',
    );
  }
  const points = raw.map((r) => ({ t: r.t + offset, demand: r.demand }));
  const steps = points.slice(1).map((p, i) => p.t - points[i]!.t);
  const stepSeconds = median(steps);
  return {
    name: options.name ?? file,
    points,
    stepSeconds,
    start: points[0]!.t,
    end: points[points.length - 1]!.t + stepSeconds,
  };
}

export function readTrace(path: string, options: { startAt?: number; name?: string } = {}): DemandTrace {
  return parseTraceCsv(readFileSync(path, 'utf8'), { ...options, file: path });
}

/** Demand at time t: the row whose period contains t (step function). */
export function demandAt(trace: DemandTrace, t: number): number {
  const { points } = trace;
  if (t < trace.start || t >= trace.end) return 0;
  let lo = 0;
  let hi = points.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (points[mid]!.t <= t) lo = mid;
    else hi = mid - 1;
  }
  return points[lo]!.demand;
}

export function formatTraceCsv(
  points: ReadonlyArray<{ t: number; demand: number }>,
  start: number,
  unit = 'rps',
): string {
  return `${[`time_seconds,demand_${unit}`, ...points.map((p) => `${p.t - start},${round2(p.demand)}`)].join('\n')}\n`;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

// ---------------------------------------------------------------------------------------------------------
// Recorded drivers (canonical driver JSON) and the shipped trace manifest
// ---------------------------------------------------------------------------------------------------------

export class DriversFileError extends Error {
  override readonly name = 'DriversFileError';
  constructor(
    readonly file: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${detail}`, options);
  }
}

/** A JSON array of canonical drivers (functions/domain/model.ts driverSchema); every entry is validated. */
export function parseDrivers(text: string, file = '<inline>'): Driver[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DriversFileError(file, `not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (!Array.isArray(json)) throw new DriversFileError(file, 'expected a JSON array of drivers');
  return json.map((entry, index) => {
    const parsed = driverSchema.safeParse(entry);
    if (!parsed.success) {
      const issues = parsed.error.issues.map(
        (i) => `[${index}]${i.path.length ? `.${i.path.join('.')}` : ''}: ${i.message}`,
      );
      throw new DriversFileError(file, `invalid driver:\n  ${issues.join('\n  ')}`);
    }
    return parsed.data;
  });
}

export function readDrivers(path: string): Driver[] {
  return parseDrivers(readFileSync(path, 'utf8'), path);
}

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM');

export const traceManifestSchema = z
  .object({
    /** Trace time 0 (ISO 8601, UTC). Driver files use absolute epoch seconds relative to this day. */
    epoch: z.iso.datetime({ offset: true }),
    unit: z.string(),
    /** Requests/s one instance serves within its latency objective: turns demand into required instances. */
    perUnitCapacity: z.number().positive(),
    unitHourlyPrice: z.number().positive(),
    instanceWarmupSeconds: z.number().int().nonnegative(),
    targetId: z.string(),
    /** Metric driver the demand snapshots feed. */
    metricDriver: z.string(),
    traces: z
      .array(
        z
          .object({
            name: z.string(),
            file: z.string(),
            drivers: z.string().optional(),
            description: z.string(),
            /** synthetic: generated by local/bench/make-traces.ts; measured: a public trace (traces/SOURCES.md). */
            origin: z.enum(['synthetic', 'measured']).default('synthetic'),
            /** Seed of the generator (synthetic traces). */
            seed: z.number().int().optional(),
            /**
             * Measured traces are rates of another system: their demand is multiplied so the busiest minute is
             * this many requests/s, which keeps the shape (and the relative noise) and only sets the fleet size.
             */
            peakRps: z.number().positive().optional(),
            /** What an operator would plan from last week's profile: capacity from each HH:MM until the next entry. */
            staticSchedule: z
              .array(z.object({ from: clock, capacity: z.number().int().nonnegative() }).strict())
              .min(1)
              .optional(),
          })
          .superRefine((entry, ctx) => {
            if (entry.origin === 'synthetic' && entry.seed === undefined)
              ctx.addIssue({
                code: 'custom',
                path: ['seed'],
                message: 'a synthetic trace names the seed it was generated from',
              });
            if (entry.origin === 'measured' && entry.peakRps === undefined)
              ctx.addIssue({
                code: 'custom',
                path: ['peakRps'],
                message: 'a measured trace says the peak rate it is rescaled to',
              });
          }),
      )
      .min(1),
  })
  .strict();
export type TraceManifest = z.infer<typeof traceManifestSchema>;

export interface LoadedTrace {
  entry: TraceManifest['traces'][number];
  trace: DemandTrace;
  drivers: Driver[];
}

export function loadManifest(path: string): { manifest: TraceManifest; epoch: number; traces: LoadedTrace[] } {
  const parsed = traceManifestSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success)
    throw new TraceFormatError(
      path,
      undefined,
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    );
  const manifest = parsed.data;
  const epoch = Date.parse(manifest.epoch) / 1000;
  const dir = dirname(path);
  const traces = manifest.traces.map((entry) => {
    const raw = readTrace(resolve(dir, entry.file), { startAt: epoch, name: entry.name });
    return {
      entry,
      trace: entry.peakRps === undefined ? raw : rescaleToPeak(raw, entry.peakRps),
      drivers: entry.drivers ? readDrivers(resolve(dir, entry.drivers)) : [],
    };
  });
  return { manifest, epoch, traces };
}

/** The same trace multiplied so its busiest row is `peak`: shape, timing and relative noise unchanged. */
export function rescaleToPeak(trace: DemandTrace, peak: number): DemandTrace {
  const busiest = Math.max(...trace.points.map((p) => p.demand));
  if (!(busiest > 0))
    throw new TraceFormatError(trace.name, undefined, 'a trace with no demand at all cannot be rescaled');
  const factor = peak / busiest;
  return { ...trace, points: trace.points.map((p) => ({ t: p.t, demand: p.demand * factor })) };
}

/** Capacity the static schedule holds at `t` (entries are HH:MM of the UTC day, in order). */
export function scheduledCapacity(schedule: ReadonlyArray<{ from: string; capacity: number }>, t: number): number {
  const secondOfDay = ((t % 86400) + 86400) % 86400;
  let capacity = schedule[schedule.length - 1]!.capacity; // before the first entry, yesterday's last one holds
  for (const entry of schedule) {
    const [h, m] = entry.from.split(':').map(Number) as [number, number];
    if (h * 3600 + m * 60 <= secondOfDay) capacity = entry.capacity;
  }
  return capacity;
}
