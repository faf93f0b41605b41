import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Countdown } from '../src/lib/countdown.svelte';
import { throttleWait } from '../src/lib/errors';

describe('the unlock wait', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('counts down from the seconds a throttled login carries, then clears', () => {
    const seconds = throttleWait({ code: 'throttled', message: 'in English', fields: [], retry_after_secs: 3 });
    const wait = new Countdown();
    let cleared = false;
    wait.start(seconds ?? 0, () => (cleared = true));
    expect([wait.running, wait.seconds]).toEqual([true, 3]);
    vi.advanceTimersByTime(2000);
    expect([wait.running, wait.seconds, cleared]).toEqual([true, 1, false]);
    vi.advanceTimersByTime(1000);
    expect([wait.running, wait.seconds, cleared]).toEqual([false, 0, true]);
    vi.advanceTimersByTime(5000);
    expect(wait.seconds).toBe(0);
  });

  it('starts again from a new wait', () => {
    const wait = new Countdown();
    wait.start(10);
    vi.advanceTimersByTime(4000);
    wait.start(2);
    vi.advanceTimersByTime(1000);
    expect(wait.seconds).toBe(1);
    wait.stop();
    vi.advanceTimersByTime(5000);
    expect(wait.seconds).toBe(1);
  });
});
