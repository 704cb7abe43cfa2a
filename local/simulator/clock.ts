/**
 * Virtual time for the simulator, the replay and the demo: epoch seconds that only move when told to, so a
 * day of traffic replays in seconds and every run is reproducible.
 */
export class VirtualClock {
  #now: number;

  constructor(start: number) {
    if (!Number.isFinite(start) || start < 0) throw new RangeError(`clock start must be epoch seconds, got ${start}`);
    this.#now = start;
  }

  /** Bound so it can be handed around as a plain `() => number`. */
  readonly now = (): number => this.#now;

  advanceTo(at: number): void {
    // Time never runs backwards: a late event must be stamped late, not rewind everyone else's clock.
    if (at < this.#now) throw new RangeError(`virtual clock cannot go back from ${this.#now} to ${at}`);
    this.#now = at;
  }

  advanceBy(seconds: number): void {
    this.advanceTo(this.#now + seconds);
  }
}
