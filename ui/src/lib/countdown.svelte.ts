// A wait shown to the user, counted down once a second: the unlock screen's "try again in N
// seconds" after a throttled login (the seconds come typed in the error, `retry_after_secs`).

export class Countdown {
  seconds = $state(0);
  #timer: ReturnType<typeof setInterval> | undefined;

  /** True while there is time left. */
  get running(): boolean {
    return this.seconds > 0;
  }

  /** Counts down from `seconds`; `done` runs when it reaches zero. A new start replaces the old. */
  start(seconds: number, done?: () => void): void {
    this.stop();
    this.seconds = Math.max(0, Math.ceil(seconds));
    if (this.seconds === 0) return;
    this.#timer = setInterval(() => {
      this.seconds = Math.max(0, this.seconds - 1);
      if (this.seconds === 0) {
        this.stop();
        done?.();
      }
    }, 1000);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
