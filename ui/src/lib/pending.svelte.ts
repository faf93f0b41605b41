// The state of a form's or button's command while it runs: `busy` disables the control, `error`
// holds what the last run failed with (shown by ErrorMessage).

export class Pending {
  busy = $state(false);
  error = $state<unknown>(null);

  /**
   * Runs `work` with `busy` set and the previous error cleared; true when it succeeded. On failure
   * `error` holds what it threw, and `failed` (when given) handles that before `busy` clears.
   */
  async run(work: () => Promise<void>, failed?: (err: unknown) => void | Promise<void>): Promise<boolean> {
    this.busy = true;
    this.error = null;
    try {
      await work();
      return true;
    } catch (err) {
      this.error = err;
      await failed?.(err);
      return false;
    } finally {
      this.busy = false;
    }
  }
}
