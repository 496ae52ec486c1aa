/**
 * Time is injected: every timeout, expiry and timestamp reads a Clock. The system clock is used in
 * live mode; the sandbox and tests use an offset clock that can be moved forward.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock running at real speed but shifted by an offset that only grows. */
export class OffsetClock implements Clock {
  #offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.#offsetMs);
  }

  get offsetMs(): number {
    return this.#offsetMs;
  }

  setOffset(ms: number): void {
    if (ms < this.#offsetMs) throw new Error('the clock only moves forward');
    this.#offsetMs = ms;
  }

  advance(ms: number): Date {
    if (!(ms >= 0)) throw new Error('the clock only moves forward');
    this.#offsetMs += ms;
    return this.now();
  }
}
