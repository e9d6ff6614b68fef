// The judge's outbox: every mark is written to IndexedDB before anything else, then sent in
// batches. A mark keeps its UUID across resends, so a batch whose answer was lost is
// recognised by the server as duplicates and never stored twice. Marks the server refuses
// stay here with the reason, for the judge to fix or discard.
import { Db } from '../lib/idb.js';
import { post, path } from '../lib/api.js';
import { uuidv4 } from '../lib/uuid.js';

const BATCH = 100;
const RETRY_MIN_MS = 2000;
const RETRY_MAX_MS = 60_000;
const UUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

export async function openStore() {
  return Db.open('podium-judge', 1, {
    marks: { keyPath: 'id', indexes: [['owner', 'owner']] },
    kv: {},
  });
}

export class Outbox {
  constructor(db) {
    this.db = db;
    this.marks = [];
    this.owner = null;
    this.token = null;
    this.competition = null;
    this.syncing = false;
    this.again = false;
    this.singleUntil = -1;
    this.retryTimer = null;
    this.retryDelay = RETRY_MIN_MS;
    this.reachable = navigator.onLine;
    this.lastSync = null;
    this.listeners = new Set();
    window.addEventListener('online', () => this.syncSoon(0));
    window.addEventListener('offline', () => { this.reachable = false; this.emit('change'); });
    // Belt and braces: a periodic attempt also catches networks that return silently.
    setInterval(() => { if (this.pending().length) this.sync(); }, 15_000);
  }

  on(listener) {
    this.listeners.add(listener);
  }

  emit(event, detail) {
    for (const listener of this.listeners) listener(event, detail);
  }

  /** Loads the marks of one judge in one competition; marks cut off mid-send are queued again. */
  async use({ competition, judge, token }) {
    this.owner = `${competition}|${judge}`;
    this.competition = competition;
    this.token = token;
    const all = await this.db.getAll('marks');
    this.marks = all.filter((m) => m.owner === this.owner).sort((a, b) => a.order - b.order);
    const interrupted = this.marks.filter((m) => m.status === 'sending');
    for (const m of interrupted) m.status = 'queued';
    if (interrupted.length) await this.db.putMany('marks', interrupted);
    this.emit('change');
  }

  setToken(token) {
    this.token = token;
  }

  pending() {
    return this.marks.filter((m) => m.status === 'queued' || m.status === 'sending');
  }

  rejected() {
    return this.marks.filter((m) => m.status === 'rejected');
  }

  /** Records a mark: IndexedDB first, then the send is attempted. */
  async add({ entry, aspect, value, reason }) {
    const order = this.marks.reduce((max, m) => Math.max(max, m.order), 0) + 1;
    const mark = {
      id: uuidv4(),
      owner: this.owner,
      entry,
      aspect,
      value: String(value),
      reason: reason || null,
      order,
      createdAt: new Date().toISOString(),
      status: 'queued',
      errors: [],
    };
    await this.db.put('marks', mark);
    this.marks.push(mark);
    // A new mark for the same entry and aspect replaces one the server refused.
    for (const old of this.marks.filter((m) => m.status === 'rejected' && m.entry === entry && m.aspect === aspect)) {
      await this.discard(old.id, false);
    }
    this.emit('change');
    this.syncSoon(0);
    return mark;
  }

  async discard(id, notify = true) {
    await this.db.delete('marks', id);
    this.marks = this.marks.filter((m) => m.id !== id);
    if (notify) this.emit('change');
  }

  async save(marks, changes) {
    for (const m of marks) Object.assign(m, changes);
    await this.db.putMany('marks', marks);
  }

  syncSoon(delay = 0) {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.sync(), delay);
  }

  scheduleRetry() {
    this.syncSoon(this.retryDelay);
    this.retryDelay = Math.min(RETRY_MAX_MS, this.retryDelay * 2);
  }

  /** Sends queued marks in order, batch by batch, until none is left or the network fails. */
  async sync() {
    if (this.syncing) { this.again = true; return; }
    if (!this.token || !this.owner) return;
    this.syncing = true;
    this.emit('change');
    let sentAny = false;
    try {
      for (;;) {
        const queue = this.pending().sort((a, b) => a.order - b.order);
        if (queue.length === 0) break;
        const single = queue[0].order <= this.singleUntil;
        const batch = queue.slice(0, single ? 1 : BATCH);
        await this.save(batch, { status: 'sending' });
        this.emit('change');
        let outcome;
        try {
          outcome = await post(path('competitions', this.competition, 'marks'), {
            marks: batch.map((m) => (m.reason ? { id: m.id, entry: m.entry, aspect: m.aspect, value: m.value, reason: m.reason } : { id: m.id, entry: m.entry, aspect: m.aspect, value: m.value })),
          }, { token: this.token });
        } catch (problem) {
          const stop = await this.refused(batch, problem);
          if (stop) break;
          continue;
        }
        await this.save(batch, { status: 'synced', syncedAt: new Date().toISOString() });
        sentAny = true;
        this.reachable = true;
        this.retryDelay = RETRY_MIN_MS;
        this.lastSync = Date.now();
        this.emit('sent', { count: batch.length, accepted: outcome?.accepted ?? 0, duplicates: outcome?.duplicates ?? 0 });
      }
    } finally {
      this.syncing = false;
      this.emit('change');
      if (sentAny) this.emit('synced');
      if (this.again) { this.again = false; this.syncSoon(0); }
    }
  }

  /** Handles a refused batch; returns true when sending should pause (network, log-in). */
  async refused(batch, problem) {
    if (problem.network || problem.status >= 500 || problem.status === 429 || problem.status === 408) {
      await this.save(batch, { status: 'queued' });
      this.reachable = false;
      this.scheduleRetry();
      return true;
    }
    if (problem.status === 401) {
      await this.save(batch, { status: 'queued' });
      this.emit('unauthorized');
      return true;
    }
    this.reachable = true;
    // 422 names each bad mark (by index and id): keep those, send the others again.
    const byId = new Map();
    for (const error of problem.errors || []) {
      const mark = (error.id && batch.find((m) => m.id === error.id)) || (Number.isInteger(error.index) ? batch[error.index] : null);
      if (!mark) continue;
      if (!byId.has(mark.id)) byId.set(mark.id, []);
      byId.get(mark.id).push({ code: error.code, detail: error.detail, pointer: error.pointer });
    }
    if (byId.size === 0 && problem.code === 'mark_id_conflict') {
      const id = (problem.detail || '').match(UUID_RE)?.[0];
      const mark = id && batch.find((m) => m.id.toLowerCase() === id.toLowerCase());
      if (mark) byId.set(mark.id, [{ code: problem.code, detail: problem.detail }]);
    }
    if (byId.size > 0) {
      const bad = batch.filter((m) => byId.has(m.id));
      for (const m of bad) { m.errors = byId.get(m.id); m.status = 'rejected'; }
      await this.db.putMany('marks', bad);
      await this.save(batch.filter((m) => !byId.has(m.id)), { status: 'queued' });
      this.emit('rejected', bad);
      return false;
    }
    if (batch.length > 1) {
      // A refusal of the whole batch without naming a mark: find the culprit one by one.
      await this.save(batch, { status: 'queued' });
      this.singleUntil = batch[batch.length - 1].order;
      return false;
    }
    const [mark] = batch;
    await this.save([mark], { status: 'rejected', errors: [{ code: problem.code, detail: problem.detail }] });
    this.emit('rejected', [mark]);
    return false;
  }
}
