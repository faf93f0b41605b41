// The app's state: which screen shows, the session, the open view and patient, and the running
// break-the-glass grants. Screens change it only through the functions below.

import * as api from './api';
import { viewsFor, type View } from './roles';
import type { BreakGlassGrant, Session } from './types';

export type Screen = 'loading' | 'setup' | 'join' | 'unlock' | 'accept' | 'resume' | 'ready' | 'wiped' | 'failed';

class AppState {
  screen = $state<Screen>('loading');
  /** The session; kept while locked so Resume knows whose it is. */
  session = $state<Session | null>(null);
  view = $state<View>('reception');
  /** The patient whose chart is open (Chart view). */
  patientId = $state<string | null>(null);
  grants = $state<BreakGlassGrant[]>([]);
  dataDir = $state('');
  /** Why the app could not start (shown on the `failed` screen). */
  failure = $state<unknown>(null);
  /** The user name to prefill on Unlock (after first-run setup or switching user). */
  userHint = $state('');
}

export const app = new AppState();

/** Reads `app_status` and shows the screen it calls for. */
export async function start(): Promise<void> {
  try {
    const status = await api.appStatus();
    app.dataDir = status.data_dir;
    if (status.wiped) {
      app.screen = 'wiped';
    } else if (!status.initialized) {
      app.screen = 'setup';
    } else if (status.session && status.locked) {
      app.session = status.session;
      app.screen = 'resume';
    } else if (status.session) {
      signedIn(status.session);
    } else {
      app.screen = 'unlock';
    }
  } catch (err) {
    app.failure = err;
    app.screen = 'failed';
  }
}

export function signedIn(session: Session): void {
  const sameUser = app.session?.user === session.user;
  app.session = session;
  const views = viewsFor(session);
  if (!sameUser) {
    app.patientId = null;
    app.view = views[0] ?? 'reception';
  } else if (!views.includes(app.view)) {
    app.view = views[0] ?? 'reception';
  }
  app.screen = 'ready';
}

/** The session locked (lock button, idle timeout or a `session_locked` error): grants are gone. */
export function locked(): void {
  if (app.screen === 'setup' || app.screen === 'unlock') return;
  app.grants = [];
  app.screen = app.session ? 'resume' : 'unlock';
}

export function loggedOut(): void {
  app.userHint = '';
  app.session = null;
  app.patientId = null;
  app.grants = [];
  app.screen = 'unlock';
}

export async function lockNow(): Promise<void> {
  try {
    await api.lock();
  } finally {
    locked();
  }
}

/** Ends the locked session so another user can unlock. */
export async function switchUser(): Promise<void> {
  try {
    await api.logout();
  } catch {
    // already gone: the Unlock screen is right either way
  }
  loggedOut();
}

/** Applies `session_state` (polled every 15 s; it also applies the idle timeout). */
export async function poll(): Promise<void> {
  if (app.screen !== 'ready') return;
  try {
    const state = await api.sessionState();
    if (!state.session) loggedOut();
    else if (state.locked) {
      app.session = state.session;
      locked();
    } else {
      app.session = state.session;
      if (state.grants) app.grants = state.grants;
    }
  } catch {
    // session_locked / no_session are handled by onSessionLost; others wait for the next poll
  }
}

/** The clinic ordered this computer wiped and it was: nothing else can show. */
export function wiped(): void {
  app.session = null;
  app.patientId = null;
  app.grants = [];
  app.screen = 'wiped';
}

export function showView(view: View): void {
  app.view = view;
}

export function openChart(patientId: string): void {
  app.patientId = patientId;
  app.view = 'chart';
}

export function addGrant(grant: BreakGlassGrant): void {
  app.grants = [
    ...app.grants.filter((g) => !(g.patient === grant.patient && g.section === grant.section)),
    grant,
  ];
}

export function dropExpiredGrants(now: number = Date.now()): void {
  const running = app.grants.filter((g) => Date.parse(g.until) > now);
  if (running.length !== app.grants.length) app.grants = running;
}
