/**
 * A poll loop's pause that another part of the process can cut short: `sleep(ms)` resolves after
 * `ms`, or as soon as `wake()` is called, whichever comes first. Used by the worker loops, which poll
 * (for work other instances queued) and are woken at once by commits in this process.
 */
export class WakeableSleep {
  #wake: (() => void) | undefined;

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }

  wake(): void {
    this.#wake?.();
  }
}
