// What the status bar knows about sync: the shell's background sync status, read every few
// seconds (the shell syncs on its own; this only shows what it found).

import * as api from './api';
import type { SyncStatus } from './types';

const POLL_MS = 3_000;

class SyncState {
  status = $state<SyncStatus | null>(null);
}

export const sync = new SyncState();

export async function refreshSync(): Promise<SyncStatus | null> {
  try {
    sync.status = await api.syncStatus();
  } catch {
    // The shell answers this without a session; a failure waits for the next poll.
  }
  return sync.status;
}

export async function syncNow(): Promise<void> {
  try {
    sync.status = await api.syncNow();
  } catch {
    // shown by the next poll
  }
}

/** Starts polling; returns the stop function. `onWiped` runs when the shell reports a wipe. */
export function watchSync(onWiped: () => void): () => void {
  const tick = async () => {
    const status = await refreshSync();
    if (status?.wiped) onWiped();
  };
  void tick();
  const timer = setInterval(tick, POLL_MS);
  return () => clearInterval(timer);
}
