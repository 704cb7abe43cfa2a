/**
 * The numbers Drivetrain accepts and records, in one place. Two limits come from the store and hold for any
 * deployment, whatever the metric:
 *   - lib-dynamodb refuses to marshal a JavaScript number beyond Number.MAX_SAFE_INTEGER (2^53 − 1): past it
 *     a double no longer holds every integer, so the stored value could differ from the decided one;
 *   - DynamoDB refuses a magnitude below 1e-130 ("Number underflow") and above 9.99e125.
 * Anything outside them made a write throw a plain error — the event was retried into the DLQ, the decision
 * was never recorded. Inputs are held to narrower, documented ranges at the edge (functions/ingest); what the
 * engine computes from them is saturated into the storable range before it is recorded (storable.ts).
 */
import { z } from 'zod';

/** Largest magnitude lib-dynamodb marshals without NumberValue. */
export const STORABLE_MAX = Number.MAX_SAFE_INTEGER;

/** Smallest non-zero magnitude DynamoDB stores. */
export const STORABLE_MIN_MAGNITUDE = 1e-130;

/** Whether DynamoDB (through lib-dynamodb) can store `n` exactly as it is. */
export function isStorableNumber(n: number): boolean {
  if (!Number.isFinite(n)) return false;
  const magnitude = Math.abs(n);
  return magnitude <= STORABLE_MAX && (magnitude === 0 || magnitude >= STORABLE_MIN_MAGNITUDE);
}

/** The nearest storable number: beyond ±2^53 − 1 saturates there, closer to 0 than 1e-130 is 0, NaN is 0. */
export function saturate(n: number): number {
  if (Number.isNaN(n)) return 0;
  if (n > STORABLE_MAX) return STORABLE_MAX;
  if (n < -STORABLE_MAX) return -STORABLE_MAX;
  return Math.abs(n) < STORABLE_MIN_MAGNITUDE ? 0 : n;
}

/**
 * Range of a measured value (a metric snapshot, an alarm's datapoint): |value| ≤ 1e15 and 0 or |value| ≥ 1e-100.
 * 1e15 leaves a factor of nine below 2^53 so every integer reading is exact, and is above any rate, count or
 * byte total a single metric reports (a petabyte per second); 1e-100 is far finer than any sensor resolves and
 * keeps thirty orders of magnitude clear of DynamoDB's underflow. Outside it a value is an error, not a reading.
 */
export const MEASUREMENT_MAX = 1e15;
export const MEASUREMENT_MIN_MAGNITUDE = 1e-100;

export function isMeasurement(n: number): boolean {
  if (!Number.isFinite(n)) return false;
  const magnitude = Math.abs(n);
  return magnitude <= MEASUREMENT_MAX && (magnitude === 0 || magnitude >= MEASUREMENT_MIN_MAGNITUDE);
}

export const MEASUREMENT_RANGE_MESSAGE = `must be 0 or between ${MEASUREMENT_MIN_MAGNITUDE} and ${MEASUREMENT_MAX} in magnitude`;

export const measurementSchema = z
  .number()
  .min(-MEASUREMENT_MAX)
  .max(MEASUREMENT_MAX)
  .refine(isMeasurement, MEASUREMENT_RANGE_MESSAGE)
  .describe(MEASUREMENT_RANGE_MESSAGE);

/**
 * Finest step of a quantity a sender states (a demand multiplier, an absolute capacity, an hourly budget):
 * a millionth of a unit is below any capacity or currency step Drivetrain acts on (capacity is whole units,
 * prices have a few decimals), so a non-zero value finer than it is noise, not intent.
 */
export const QUANTITY_RESOLUTION = 1e-6;

export function quantitySchema(max: number, options: { zero: boolean }) {
  const message = options.zero
    ? `must be 0 or between ${QUANTITY_RESOLUTION} and ${max}`
    : `must be between ${QUANTITY_RESOLUTION} and ${max}`;
  return z
    .number()
    .min(options.zero ? 0 : QUANTITY_RESOLUTION)
    .max(max)
    .refine((n) => (options.zero && n === 0) || n >= QUANTITY_RESOLUTION, message)
    .describe(message);
}

/** Epoch seconds at millisecond precision, the finest any AWS timestamp carries; 5e-324 reads as 0. */
export function toMilliseconds(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

/** Path of the first number in `value` that DynamoDB could not store, or undefined when every number fits. */
export function firstUnstorableNumber(value: unknown, path = ''): string | undefined {
  if (typeof value === 'number') return isStorableNumber(value) ? undefined : path || '<root>';
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = firstUnstorableNumber(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      const found = firstUnstorableNumber(child, path ? `${path}.${key}` : key);
      if (found) return found;
    }
  }
  return undefined;
}
