// The tablet's heartbeat for the console's fleet view: every 20 s while the page is open,
// soon after the outbox changes and when the network returns, it reports this tablet's id
// (random, kept in localStorage), the app version, how many marks wait unsent and since
// when, the last successful sync, and the battery where the browser tells it. Offline the
// report fails and is simply made again later: it carries state, not events.
import { post, path } from '../lib/api.js';
import { uuidv4 } from '../lib/uuid.js';

/** The tablet app's version; a test keeps it equal to the server's (Cargo.toml). */
export const APP_VERSION = '0.1.0';
const EVERY_MS = 20_000;
const SOON_MS = 1_000;
const ID_KEY = 'podium.tablet';

function tabletId() {
  try {
    let id = localStorage.getItem(ID_KEY);
    if (!id) { id = uuidv4(); localStorage.setItem(ID_KEY, id); }
    return id;
  } catch {
    // Storage refused (private mode): an id for this page's life is still useful.
    tabletId.fallback ||= uuidv4();
    return tabletId.fallback;
  }
}

async function battery() {
  if (typeof navigator.getBattery !== 'function') return null;
  try {
    const b = await navigator.getBattery();
    return { level: b.level, charging: b.charging };
  } catch {
    return null;
  }
}

export class Heartbeat {
  /** `outbox` is the judge's Outbox; `session()` gives the current session or null. */
  constructor(outbox, session) {
    this.outbox = outbox;
    this.session = session;
    this.timer = null;
    this.soonTimer = null;
    this.sending = false;
    this.lastSync = null;
    outbox.on((event) => {
      if (event === 'synced' || event === 'sent') this.lastSync = new Date().toISOString();
      if (event === 'change' || event === 'synced') this.soon();
    });
    window.addEventListener('online', () => this.soon());
    document.addEventListener('visibilitychange', () => { if (!document.hidden) this.soon(); });
  }

  start() {
    clearInterval(this.timer);
    this.timer = setInterval(() => this.send(), EVERY_MS);
    this.soon();
  }

  stop() {
    clearInterval(this.timer);
    clearTimeout(this.soonTimer);
    this.timer = null;
  }

  /** A report shortly (outbox changes come in bursts: one report covers a burst). */
  soon() {
    if (!this.timer) return;
    clearTimeout(this.soonTimer);
    this.soonTimer = setTimeout(() => this.send(), SOON_MS);
  }

  report() {
    const pending = this.outbox.pending();
    const oldest = pending.reduce((min, m) => (!min || m.createdAt < min ? m.createdAt : min), null);
    const synced = this.outbox.marks.filter((m) => m.syncedAt).reduce((max, m) => (!max || m.syncedAt > max ? m.syncedAt : max), null);
    const lastSync = [this.lastSync, synced].filter(Boolean).sort().pop() || null;
    return {
      tablet: tabletId(),
      app_version: APP_VERSION,
      queued: pending.length,
      unsent_since: pending.length ? oldest : null,
      last_sync_at: lastSync,
      sent_at: new Date().toISOString(),
    };
  }

  async send() {
    const s = this.session();
    if (!s || this.sending) return;
    this.sending = true;
    try {
      const body = { ...this.report(), judge: s.judge };
      const b = await battery();
      if (b) body.battery = b;
      await post(path('competitions', s.competition, 'tablets', 'heartbeat'), body, { token: s.token });
    } catch {
      // Offline or refused: the next report says the same and more.
    } finally {
      this.sending = false;
    }
  }
}
