/**
 * Measured warmup: how long a target's added capacity took to serve (applied → instances InService,
 * provisioned concurrency READY), learnt from what the target did, and the lead time `leadTimeSeconds: auto`
 * derives from it. Pure: the samples are an input of the engine (DecisionInputs.timeToServe), kept on the
 * target state by the reconcile's follow-through.
 */
import { formatDuration } from './decision-common';

/**
 * Samples kept per target (a ring, oldest dropped). Twenty is enough for a p90 that one slow launch in ten
 * does not set, and recent enough to follow an AMI or runtime change within a few days of scale-outs; the
 * state item stays a few hundred bytes.
 */
export const TIME_TO_SERVE_SAMPLES = 20;

/**
 * Below five samples the "p90" is simply the slowest of a handful of launches (or the only one): a single
 * outlier would set the lead of every window. Until then `auto` uses AUTO_LEAD_DEFAULT_SECONDS.
 */
export const MIN_WARMUP_SAMPLES = 5;

/**
 * The lead `auto` uses before enough warmups were measured: EC2's launch plus the 300 s default instance
 * warmup Auto Scaling documents, the same default as a forecast's lead; provisioned concurrency, READY within
 * "a few minutes", fits inside it.
 */
export const AUTO_LEAD_DEFAULT_SECONDS = 600;

/** The samples with `seconds` added, at most TIME_TO_SERVE_SAMPLES, newest last. */
export function addTimeToServe(samples: readonly number[] | undefined, seconds: number): number[] {
  return [...(samples ?? []), Math.max(0, Math.round(seconds))].slice(-TIME_TO_SERVE_SAMPLES);
}

/** The nearest-rank 90th percentile (a value that was measured, never an interpolation); undefined when empty. */
export function p90(samples: readonly number[]): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.ceil(0.9 * sorted.length) - 1];
}

export interface LeadTime {
  seconds: number;
  /** For the decision's detail, e.g. `lead 7m: measured p90 warmup of 12 launches`. */
  explain: string;
}

/** A rule's lead time: the configured seconds, or for `auto` the measured p90 warmup (the default until N samples). */
export function leadTimeOf(configured: number | 'auto', samples: readonly number[] | undefined): LeadTime {
  if (configured !== 'auto') return { seconds: configured, explain: `lead ${formatDuration(configured)}` };
  const measured = samples ?? [];
  const p = p90(measured);
  if (p === undefined || measured.length < MIN_WARMUP_SAMPLES) {
    return {
      seconds: AUTO_LEAD_DEFAULT_SECONDS,
      explain: `lead ${formatDuration(AUTO_LEAD_DEFAULT_SECONDS)}: default, ${measured.length} of ${MIN_WARMUP_SAMPLES} warmups measured`,
    };
  }
  return {
    seconds: p,
    explain: `lead ${formatDuration(p)}: measured p90 warmup of ${measured.length} launches`,
  };
}
