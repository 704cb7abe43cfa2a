/**
 * The custom events Drivetrain accepts on its business bus: what a marketing, finance or forecasting system
 * (or the `drivetrain` CLI) puts with `aws events put-events`. One schema per detail-type (DETAIL_TYPES in
 * functions/contracts.ts); the event's `source` is the sender and is checked against each target's
 * `allowedSources`. docs/events.md is generated from these schemas (see test/unit/ingest/events-doc.test.ts).
 *
 * The schemas are strict: an unknown key is an error, not ignored. A misspelt `windowend` that silently fell
 * back to a default would move capacity at the wrong time; a rejection with the path is the cheaper failure.
 */
import { z } from 'zod';
import { OVERRIDE_MAX_SECONDS } from '../domain/config';
import { businessDemandSchema, identifier, leadTimeSecondsSchema } from '../domain/model';
import { measurementSchema, quantitySchema, toMilliseconds } from '../domain/numbers';
import { isoSeconds } from './time';

/** Limits shared with the canonical driver schema (functions/domain/model.ts), enforced at the edge. */
export const LIMITS = {
  targetsPerDriver: 100,
  reason: 512,
  label: 128,
  unit: 64,
  principal: 2048,
  correlationKey: 128,
  weights: 32,
  /** Largest pinned allocation; the same ceiling as an absolute demand. */
  allocation: 1_000_000,
} as const;

/**
 * Epoch seconds above this are almost certainly milliseconds (1e11 s is the year 5138). Accepting them would
 * put a window or an expiry thousands of years out; saying so is more useful than "too far in the future".
 */
const EPOCH_SECONDS_CEILING = 1e11;

/** Epoch seconds, or an ISO 8601 timestamp with an offset (`Z` or `+01:00`); read as epoch seconds. */
export const eventTimestampSchema = z.lazy(() =>
  z.union([
    z
      .number()
      .finite()
      .nonnegative()
      .max(EPOCH_SECONDS_CEILING, 'looks like epoch milliseconds; send epoch seconds or an ISO 8601 timestamp')
      // Millisecond precision, as an ISO timestamp carries: a subnormal like 5e-324 reads as 0, which DynamoDB
      // can store (it refuses magnitudes below 1e-130).
      .transform(toMilliseconds),
    z.iso
      .datetime({
        offset: true,
        error: 'must be epoch seconds or an ISO 8601 timestamp with an offset, e.g. 2026-11-27T08:00:00Z',
      })
      .transform((iso) => Date.parse(iso) / 1000),
  ]),
);

/** Who or what a business driver instance is: re-sending the same key updates it instead of adding one. */
const correlationKey = z.lazy(() =>
  z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/,
      'must start with a letter or digit and contain only letters, digits, ".", "_", ":", "/" or "-"',
    )
    .max(LIMITS.correlationKey),
);

const targetList = z.lazy(() => z.array(identifier).min(1).max(LIMITS.targetsPerDriver));

const window = {
  /** Start of the window the signal applies to. */
  windowStart: eventTimestampSchema,
  /** End of the window; the record also expires then unless `expiresAt` says otherwise. */
  windowEnd: eventTimestampSchema,
};

// The detail schemas are z.lazy: an ingest Lambda builds the schemas of the channel its events arrive on, on the
// first such event, instead of every channel's at cold start (the CLI and the docs build them as they use them).
const businessSignalDetailSchema = z.lazy(() =>
  z.discriminatedUnion('type', [
    z
      .object({
        type: z.literal('demand'),
        /** `{ "multiplier": 3 }` scales the rule's baseline; `{ "absolute": 40 }` asks for that capacity. */
        demand: businessDemandSchema,
        ...window,
        /** Capacity must be in place this long before windowStart (the policy rule may ask for more). */
        leadTimeSeconds: leadTimeSecondsSchema.optional(),
      })
      .strict(),
    z
      .object({
        type: z.literal('budget'),
        /** Spend cap for the window, in the currency of the policy's unitHourlyPrice. */
        maxHourlyCost: quantitySchema(1_000_000, { zero: true }),
        ...window,
      })
      .strict(),
    z.object({ type: z.literal('freeze'), ...window }).strict(),
  ]),
);

function windowOrdered(detail: { signal: { windowStart: number; windowEnd: number } }, ctx: z.RefinementCtx): void {
  if (detail.signal.windowEnd <= detail.signal.windowStart) {
    ctx.addIssue({ code: 'custom', path: ['signal', 'windowEnd'], message: 'must be after windowStart' });
  }
}

/** detail-type "Drivetrain Business Driver": a campaign, flash sale, forecast, budget or change freeze. */
export const businessDriverDetailSchema = z.lazy(() =>
  z
    .object({
      /** Name of a `kind: business` driver declared in the config. */
      driver: identifier,
      /** Correlation key of this instance (a campaign id): the same key replaces the earlier record. */
      id: correlationKey,
      /** Subset of the driver's declared targets; all of them when absent. */
      targets: targetList.optional(),
      signal: businessSignalDetailSchema,
      /** When the record stops counting; defaults to windowEnd (a window that has ended means nothing). */
      expiresAt: eventTimestampSchema.optional(),
      /** Free text for the audit trail, e.g. "Black Friday 2026". */
      label: z.string().min(1).max(LIMITS.label).optional(),
    })
    .strict()
    .superRefine(windowOrdered),
);
export type BusinessDriverDetail = z.output<typeof businessDriverDetailSchema>;
export type BusinessDriverDetailInput = z.input<typeof businessDriverDetailSchema>;

/** detail-type "Drivetrain Metric Snapshot": the current value of a metric driver (target tracking). */
export const metricSnapshotDetailSchema = z.lazy(() =>
  z
    .object({
      /** Name of a `kind: metric` driver declared in the config. */
      driver: identifier,
      /** The reading; 0 or 1e-100..1e15 in magnitude (functions/domain/numbers.ts says why). */
      value: measurementSchema,
      /** Must equal the driver's declared unit when the config declares one. */
      unit: z.string().min(1).max(LIMITS.unit).optional(),
      /** When the value was measured; the event time when absent. */
      timestamp: eventTimestampSchema.optional(),
    })
    .strict(),
);
export type MetricSnapshotDetail = z.output<typeof metricSnapshotDetailSchema>;
export type MetricSnapshotDetailInput = z.input<typeof metricSnapshotDetailSchema>;

const overrideBase = () => ({
  /** Name of a `kind: override` driver declared in the config. */
  driver: identifier,
  /** Targets to override: always explicit, so an override never reaches further than its sender meant. */
  targets: targetList,
  /** Mandatory, in the future and at most 7 days away. */
  expiresAt: eventTimestampSchema,
  /** Why: shown in every decision the override shapes. */
  reason: z.string().trim().min(1, 'an override needs a reason').max(LIMITS.reason),
  /**
   * Refused when present (reason `unverified-principal`): who sent an override is the caller AWS verified
   * at the operator endpoint, never a field of the event. Parsed only so that a claim is refused for what it
   * is instead of as a schema error.
   */
  principal: z.string().min(1).max(LIMITS.principal).optional(),
});

/** detail-type "Drivetrain Override": an operator pins, re-weights or freezes targets until expiresAt. */
export const overrideDetailSchema = z.lazy(() =>
  z.discriminatedUnion('action', [
    z
      .object({
        ...overrideBase(),
        action: z.literal('pin'),
        /** Capacity to hold (instances or provisioned-concurrency units); still clamped to the policy bounds. */
        allocation: z.number().int().nonnegative().max(LIMITS.allocation),
      })
      .strict(),
    z
      .object({
        ...overrideBase(),
        action: z.literal('pin-weights'),
        /** Route 53 weights (0-255) by SetIdentifier, for route53-weighted targets. */
        weights: z
          .record(z.string().min(1).max(128), z.number().int().min(0).max(255))
          .refine((weights) => Object.keys(weights).length > 0, 'must name at least one SetIdentifier')
          .refine(
            (weights) => Object.keys(weights).length <= LIMITS.weights,
            `at most ${LIMITS.weights} SetIdentifiers`,
          ),
      })
      .strict(),
    z.object({ ...overrideBase(), action: z.literal('freeze') }).strict(),
  ]),
);
export type OverrideDetail = z.output<typeof overrideDetailSchema>;
export type OverrideDetailInput = z.input<typeof overrideDetailSchema>;

export type OverrideExpiryProblem =
  | { reason: 'expired-on-arrival'; message: string }
  | { reason: 'override-not-permitted'; message: string };

/**
 * The checks on an override's expiry that need the current time, shared with the CLI (which runs them before
 * sending so the operator sees the problem at the prompt, not in a log).
 */
export function checkOverrideExpiry(
  expiresAt: number,
  now: number,
  maxSeconds: number = OVERRIDE_MAX_SECONDS,
): OverrideExpiryProblem | undefined {
  if (expiresAt <= now)
    return {
      reason: 'expired-on-arrival',
      message: `expiresAt ${isoSeconds(expiresAt)} is not in the future (now ${isoSeconds(now)})`,
    };
  if (expiresAt - now > maxSeconds) {
    return {
      reason: 'override-not-permitted',
      message: `expiresAt ${isoSeconds(expiresAt)} is ${formatSpan(expiresAt - now)} away; an override may last at most ${formatSpan(maxSeconds)} (put longer pins in the policy schedule)`,
    };
  }
  return undefined;
}

export function formatSpan(seconds: number): string {
  if (seconds >= 86400 && seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds >= 86400) return `${(seconds / 86400).toFixed(1)}d`;
  if (seconds >= 3600) return `${(seconds / 3600).toFixed(1)}h`;
  if (seconds >= 60) return `${Math.round(seconds / 60)}m`;
  return `${Math.round(seconds)}s`;
}
