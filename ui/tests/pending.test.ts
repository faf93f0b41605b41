import { describe, expect, it } from 'vitest';
import { Pending } from '../src/lib/pending.svelte';

describe('Pending', () => {
  it('is busy only while the work runs and clears the previous error', async () => {
    const pending = new Pending();
    pending.error = { code: 'old', message: 'old' };
    let busyInside = false;
    const ok = await pending.run(async () => {
      busyInside = pending.busy;
    });
    expect([ok, busyInside, pending.busy, pending.error]).toEqual([true, true, false, null]);
  });

  it('keeps what the work failed with', async () => {
    const pending = new Pending();
    const failure = { code: 'denied', message: 'no' };
    const ok = await pending.run(async () => {
      throw failure;
    });
    expect([ok, pending.busy, pending.error]).toEqual([false, false, failure]);
  });

  it('hands the failure to `failed` while still busy, and waits for it', async () => {
    const pending = new Pending();
    const failure = { code: 'no_session', message: 'gone' };
    const seen: unknown[] = [];
    const ok = await pending.run(
      async () => {
        throw failure;
      },
      async (err) => {
        seen.push(err, pending.error, pending.busy);
        await Promise.resolve();
        seen.push(pending.busy);
      },
    );
    expect([ok, pending.busy, pending.error]).toEqual([false, false, failure]);
    expect(seen).toEqual([failure, failure, true, true]);
  });

  it('does not call `failed` when the work succeeds', async () => {
    const pending = new Pending();
    let called = false;
    const ok = await pending.run(
      async () => {},
      () => {
        called = true;
      },
    );
    expect([ok, called]).toEqual([true, false]);
  });
});
