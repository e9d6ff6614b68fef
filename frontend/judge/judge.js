// The judge tablet: log in with a one-time code, pick skill and entry (search, "unmarked
// only"), mark aspects with big buttons (Enter moves on to the next aspect). Marks go to
// IndexedDB first and are sent by the outbox (judge/outbox.js); offline they queue visibly.
// A measurement is one value per entry, whoever enters it: the tablet shows the current one
// with who entered it and when, and changing it asks for a reason. Discrepancy alerts and
// lock changes arrive live on judge:{code}; a revoked session sends the judge back to the
// log-in. The token lives in IndexedDB, never in the address.
import { h, replace, announce } from '../lib/dom.js';
import * as i18n from '../lib/i18n.js';
import { t, localName, number, fieldErrorMessage, when } from '../lib/i18n.js';
import { get, post, del, path, Problem } from '../lib/api.js';
import { LiveClient } from '../lib/live.js';
import { languageSwitcher, liveBadge, problemView, toast, ask, confirmDialog } from '../lib/ui.js';
import { openStore, Outbox } from './outbox.js';
import { Heartbeat } from './heartbeat.js';

const JUDGEMENT_SCORES = [0, 1, 2, 3];
const LOCKED_STATES = new Set(['locked', 'published']);

const app = {
  db: null,
  outbox: null,
  heartbeat: null,
  session: null,
  data: null, // {comp, me, judges, entries, schemes}
  marks: new Map(), // id → a stored mark as GET …/marks gives it
  serverMarks: new Map(), // "entry|aspect" → {value, id, judge, created_at, status}
  serverIds: new Set(),
  filter: { query: '', unmarkedOnly: false },
  skill: null,
  entry: null,
  alerts: null, // judge channel state {judge, skills: [{skill, state, discrepancies}]}
  live: null,
  badge: null, // made once the strings are loaded, so it never shows a raw key
  slots: {},
  aspectUpdaters: new Map(),
  pollTimer: null,
};

const main = document.getElementById('main');
const key = (entry, aspect) => `${entry}|${aspect}`;

// ------------------------------------------------------------------ session

async function savedSession() {
  const session = await app.db.get('kv', 'session').catch(() => null);
  if (!session) return null;
  if (session.expires_at && Date.parse(session.expires_at) < Date.now()) return null;
  return session;
}

function codeFromFragment() {
  // A QR code on the console opens /judge#code=XXXX: read it and drop it from the address
  // at once, so it stays in neither the history nor a screenshot.
  const match = window.location.hash.match(/code=([A-Za-z0-9-]+)/);
  if (!match) return null;
  history.replaceState(null, '', window.location.pathname + window.location.search);
  return match[1];
}

function showLogin({ message, code = '' } = {}) {
  stopLive();
  // No live connection before log-in: the badge would only say "not live".
  app.badge.el.hidden = true;
  document.getElementById('logout').hidden = true;
  replace(document.getElementById('who'));
  replace(document.getElementById('sync-slot'));
  const input = h('input', {
    id: 'code', name: 'code', type: 'text', required: true, value: code, autocomplete: 'one-time-code',
    autocapitalize: 'characters', spellcheck: 'false', inputmode: 'text', class: 'code-input', 'aria-describedby': 'code-hint',
  });
  const errorSlot = h('div', { 'aria-live': 'assertive' });
  const pendingNote = h('p', { class: 'notice warn', hidden: true });
  const button = h('button', { type: 'submit', class: 'button primary big' }, t('judge.login_button'));
  const form = h('form', { class: 'card login stack', novalidate: true },
    h('h1', null, t('judge.login_title')),
    message ? h('p', { class: 'notice warn' }, message) : null,
    pendingNote,
    h('label', { for: 'code' }, t('judge.code_label')),
    input,
    h('p', { id: 'code-hint', class: 'hint' }, t('judge.code_hint')),
    errorSlot,
    button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = input.value.trim();
    if (!value) { replace(errorSlot, h('p', { class: 'field-error' }, t('common.required'))); input.focus(); return; }
    button.disabled = true;
    replace(errorSlot);
    try {
      const session = await post(path('session'), { code: value });
      if (!session.judge || !session.competition) throw new Problem({ status: 403, code: 'not_a_judge', detail: t('judge.not_a_judge') });
      await app.db.put('kv', session, 'session');
      await enter(session);
    } catch (problem) {
      button.disabled = false;
      replace(errorSlot, problemView(problem), loginHint(problem));
      input.focus();
    }
  });
  replace(main, h('div', { class: 'container narrow' }, form));
  // Marks left on this tablet by an earlier session are sent after the next log-in.
  app.db.getAll('marks').then((marks) => {
    const waiting = marks.filter((m) => m.status !== 'synced').length;
    if (waiting) { pendingNote.textContent = t('judge.pending_on_device', { count: waiting }); pendingNote.hidden = false; }
  }).catch(() => {});
  input.focus();
  if (code) form.requestSubmit();
}

/** What to do about a refused code: a used code needs a new one, a wrong one a second look. */
function loginHint(problem) {
  const key = { code_used: 'judge.code_used_hint', invalid_credentials: 'judge.code_wrong_hint' }[problem.code];
  return key ? h('p', { class: 'hint login-hint', dataset: { code: problem.code } }, t(key)) : null;
}

async function logout() {
  const waiting = app.outbox.pending().length;
  const ok = await confirmDialog({
    title: t('judge.logout_title'),
    message: waiting ? t('judge.logout_pending', { count: waiting }) : t('judge.logout_message'),
    confirm: t('judge.logout'),
    danger: waiting > 0,
  });
  if (!ok) return;
  const token = app.session?.token;
  await app.db.delete('kv', 'session').catch(() => {});
  app.session = null;
  app.outbox.setToken(null);
  app.heartbeat.stop();
  if (token) del(path('session'), { token }).catch(() => {});
  showLogin();
}

// ------------------------------------------------------------------ data

async function loadData(session) {
  const c = session.competition;
  const cacheKey = `data:${c}|${session.judge}`;
  try {
    const [comp, judges, entries] = await Promise.all([
      get(path('competitions', c)),
      get(path('competitions', c, 'judges'), { token: session.token }),
      get(path('competitions', c, 'entries'), { token: session.token }),
    ]);
    const me = judges.find((j) => j.code === session.judge) || { code: session.judge, name: session.judge, skills: [] };
    const schemes = {};
    await Promise.all(me.skills.map(async (s) => { schemes[s] = await get(path('competitions', c, 'skills', s)); }));
    // Names of the judges, to say who entered a measurement.
    const names = Object.fromEntries(judges.map((j) => [j.code, j.name]));
    const data = { comp, me, judges: names, entries, schemes };
    await app.db.put('kv', data, cacheKey).catch(() => {});
    return data;
  } catch (problem) {
    if (problem.status === 401) throw problem;
    const cached = await app.db.get('kv', cacheKey).catch(() => null);
    if (cached) return cached;
    throw problem;
  }
}

/**
 * The marks the server lets this judge read: their own, and the current measurement of each
 * measured aspect of the entries they may mark, whoever entered it.
 */
async function loadServerMarks() {
  const s = app.session;
  if (!s) return;
  const cacheKey = `marks:${s.competition}|${s.judge}`;
  let marks;
  try {
    marks = await get(path('competitions', s.competition, 'marks'), { token: s.token });
    app.db.put('kv', marks, cacheKey).catch(() => {});
  } catch (problem) {
    if (problem.status === 401) { sessionExpired(); return; }
    marks = await app.db.get('kv', cacheKey).catch(() => null);
    if (!marks) return;
  }
  app.marks = new Map(marks.map((m) => [m.id, m]));
  indexMarks();
}

/** Fresh marks of one entry (a measurement may have changed on another tablet). */
async function loadEntryMarks(entry) {
  const s = app.session;
  if (!s || !navigator.onLine) return;
  let marks;
  try {
    marks = await get(path('competitions', s.competition, 'marks'), { token: s.token, query: { entry } });
  } catch (problem) {
    if (problem.status === 401) sessionExpired();
    return;
  }
  for (const [id, m] of app.marks) if (m.entry === entry) app.marks.delete(id);
  for (const m of marks) app.marks.set(m.id, m);
  indexMarks();
}

/** (entry, aspect) → the aspect's kind, looked up through the entry's skill. */
function kindLookup() {
  const skillOf = new Map(app.data.entries.map((e) => [e.code, e.skill]));
  const kinds = new Map();
  for (const skill of Object.keys(app.data.schemes)) kinds.set(skill, new Map(aspectsOf(skill).map((x) => [x.code, x.kind])));
  return (entry, aspect) => kinds.get(skillOf.get(entry))?.get(aspect);
}

/**
 * The current server mark of each (entry, aspect) for this judge: for a measurement the
 * latest standing mark of anyone, for a judgement the judge's own latest standing mark
 * (a chief reads every judge's marks; only their own count here).
 */
function indexMarks() {
  const me = app.session.judge;
  const aspectKind = kindLookup();
  const map = new Map();
  const sorted = [...app.marks.values()].sort((a, b) => a.seq - b.seq);
  for (const m of sorted) {
    if (m.void) continue;
    const own = m.own ?? m.judge === me;
    if (!own && aspectKind(m.entry, m.aspect) !== 'measurement') continue;
    map.set(key(m.entry, m.aspect), { value: m.value, id: m.id, status: 'synced', judge: m.judge, created_at: m.created_at, own });
  }
  app.serverMarks = map;
  app.serverIds = new Set(app.marks.keys());
  refreshMarks();
}

/** The judge's current mark for an entry's aspect: the server's, overlaid by newer local ones. */
function current(entry, aspect) {
  let cur = app.serverMarks.get(key(entry, aspect)) || null;
  for (const m of app.outbox.marks) {
    if (m.entry !== entry || m.aspect !== aspect || m.status === 'rejected') continue;
    if (app.serverIds.has(m.id)) continue;
    cur = { value: m.value, id: m.id, status: m.status, judge: app.session.judge, created_at: m.createdAt, own: true };
  }
  return cur;
}

/** "you" or the judge's name (and code). */
function judgeLabel(code) {
  if (!code || code === app.session?.judge) return t('judge.by_you');
  const name = app.data.judges?.[code];
  return name && name !== code ? `${name} (${code})` : code;
}

/** A value as the judge sees it: No/Yes for a binary aspect, 0–3 for a judgement. */
function valueText(aspect, value) {
  if (aspect.kind === 'judgement') return number(value, 0);
  if (aspect.mode === 'binary') return Number(value) > 0 ? t('judge.yes') : t('judge.no');
  return number(value, 2);
}

function rejectedFor(entry, aspect) {
  return app.outbox.rejected().filter((m) => m.entry === entry && m.aspect === aspect);
}

function skillState(skill) {
  const live = app.alerts?.skills?.find((s) => s.skill === skill)?.state;
  return live || app.data.comp.skills.find((s) => s.code === skill)?.state || 'setup';
}

function isLocked(skill) {
  return LOCKED_STATES.has(skillState(skill));
}

function delegationName(code) {
  const d = app.data.comp.delegations.find((x) => x.code === code);
  return d ? localName(d.names, d.name) : code;
}

function aspectsOf(skill) {
  const scheme = app.data.schemes[skill];
  return scheme ? scheme.criteria.flatMap((c) => c.aspects.map((a) => ({ ...a, criterion: c.code, criterionName: c.name }))) : [];
}

function entriesOf(skill) {
  return app.data.entries.filter((e) => e.skill === skill).sort((a, b) => a.code.localeCompare(b.code));
}

function markedCount(entry, skill) {
  return aspectsOf(skill).filter((a) => current(entry, a.code)).length;
}

// ------------------------------------------------------------------ entering the app

/** Loads the judge's data and shows the app; `keepEntry` stays on the open entry if it can. */
async function enter(session, { keepEntry = false } = {}) {
  app.session = session;
  await app.outbox.use({ competition: session.competition, judge: session.judge, token: session.token });
  replace(main, h('p', { class: 'container muted' }, t('common.loading')));
  try {
    app.data = await loadData(session);
  } catch (problem) {
    if (problem.status === 401) { sessionExpired(); return; }
    replace(main, h('div', { class: 'container' }, problemView(problem),
      h('button', { type: 'button', class: 'button', on: { click: () => enter(session) } }, t('common.retry'))));
    return;
  }
  const skills = app.data.me.skills;
  if (!skills.includes(app.skill)) app.skill = skills[0] || null;
  const stays = keepEntry && app.data.entries.some((e) => e.code === app.entry && e.skill === app.skill);
  if (!stays) app.entry = null;
  document.getElementById('logout').hidden = false;
  app.badge.el.hidden = false;
  renderWho();
  renderShell();
  await loadServerMarks();
  startLive();
  app.heartbeat.start();
  app.outbox.sync();
}

function sessionExpired() {
  if (!app.session) return;
  app.db.delete('kv', 'session').catch(() => {});
  app.session = null;
  app.outbox.setToken(null);
  app.heartbeat.stop();
  showLogin({ message: t('judge.session_expired') });
}

function renderWho() {
  const me = app.data.me;
  replace(document.getElementById('who'),
    h('span', { class: 'who-name' }, me.name), ' ',
    h('span', { class: 'who-code' }, `${me.code}${app.session.role === 'chief' ? ` · ${t('judge.chief')}` : ''}`));
}

// ------------------------------------------------------------------ live and fallback

function startLive() {
  stopLive();
  const s = app.session;
  app.live = new LiveClient(s.competition, {
    token: () => app.session?.token,
    onStatus: (status) => {
      app.badge.update(status);
      if (status.state === 'open') { app.outbox.sync(); loadServerMarks(); }
    },
    onError: (error) => {
      if (error.code === 'unauthorized' || error.code === 'invalid_token') sessionExpired();
    },
    onRevoked: () => revoked(),
  });
  app.live.subscribe(`judge:${s.judge}`, ({ data }) => applyAlerts(data));
  app.live.start();
  pollAlerts();
  app.pollTimer = setInterval(() => { if (app.live?.state !== 'open') pollAlerts(); }, 30_000);
}

/**
 * The server says the session ended or its rights changed (its reason is free text): ask
 * which. Ended (logged out elsewhere, expired, a new code issued): back to the log-in, marks
 * on the tablet kept. Still valid: reload what the judge may mark, and follow it live again.
 */
async function revoked() {
  const s = app.session;
  if (!s) return;
  try {
    await get(path('session', 'me'), { token: s.token });
  } catch (problem) {
    if (problem.status === 401) sessionExpired();
    return;
  }
  if (app.session !== s) return;
  await reassigned();
}

function stopLive() {
  clearInterval(app.pollTimer);
  if (app.live) app.live.stop();
  app.live = null;
}

/** Without the socket: discrepancies and skill states over REST. */
async function pollAlerts() {
  const s = app.session;
  if (!s || !app.data) return;
  try {
    const comp = await get(path('competitions', s.competition));
    app.data.comp = comp;
    const skills = await Promise.all(app.data.me.skills.map(async (skill) => {
      const state = comp.skills.find((x) => x.code === skill)?.state;
      try {
        const d = await get(path('competitions', s.competition, 'skills', skill, 'discrepancies'), { token: s.token });
        return { skill, state, discrepancies: d.discrepancies || [] };
      } catch {
        return { skill, state, discrepancies: app.alerts?.skills?.find((x) => x.skill === skill)?.discrepancies || [] };
      }
    }));
    if (app.live?.state !== 'open') applyAlerts({ judge: s.judge, skills });
  } catch { /* offline: keep what we have */ }
}

function applyAlerts(data) {
  if (assignmentsChanged(data)) { reassigned(); return; }
  const before = app.data ? Object.fromEntries(app.data.me.skills.map((skill) => [skill, isLocked(skill)])) : {};
  const openBefore = countOpen(app.alerts);
  app.alerts = data;
  renderAlerts();
  const lockChanged = app.data && app.data.me.skills.some((skill) => before[skill] !== isLocked(skill));
  if (lockChanged) { renderTabs(); renderSheet(); announce(t('judge.lock_changed')); }
  else refreshMarks();
  const openNow = countOpen(data);
  if (openNow > openBefore) announce(t('judge.new_discrepancy'));
}

/** The judge channel lists the judge's skills: other skills than the tablet holds? */
function assignmentsChanged(data) {
  if (!app.data || !Array.isArray(data?.skills)) return false;
  const live = data.skills.map((x) => x.skill).sort().join();
  return live !== [...app.data.me.skills].sort().join();
}

let reloading = false;
/** The judge was given other skills: reload what they may mark, staying on the entry if it can. */
async function reassigned() {
  if (reloading || !app.session) return;
  reloading = true;
  try {
    toast(t('judge.rights_changed'));
    await enter(app.session, { keepEntry: true });
  } finally {
    reloading = false;
  }
}

function countOpen(alerts) {
  return (alerts?.skills || []).reduce((n, s) => n + (s.discrepancies || []).filter((d) => !d.overridden).length, 0);
}

// ------------------------------------------------------------------ layout

function renderShell() {
  app.slots = {
    rejected: h('section', { class: 'rejected', 'aria-live': 'polite' }),
    alerts: h('section', { class: 'alerts', 'aria-live': 'polite' }),
    tabs: h('nav', { class: 'skill-tabs', 'aria-label': t('judge.skills') }),
    list: h('section', { class: 'entry-list', 'aria-labelledby': 'entries-title' }),
    sheet: h('section', { class: 'sheet', 'aria-live': 'off' }),
  };
  const panes = h('div', { class: 'panes', dataset: { view: app.entry ? 'sheet' : 'list' } }, app.slots.list, app.slots.sheet);
  app.slots.panes = panes;
  replace(main, h('div', { class: 'container wide' }, app.slots.rejected, app.slots.alerts, app.slots.tabs, panes));
  buildList();
  renderSync();
  renderAlerts();
  renderTabs();
  renderList();
  renderSheet();
}

function renderSync() {
  const slot = document.getElementById('sync-slot');
  if (!app.session) { replace(slot); return; }
  const pending = app.outbox.pending().length;
  const rejected = app.outbox.rejected().length;
  const offline = !navigator.onLine || !app.outbox.reachable;
  let state = 'ok';
  let text = t('judge.all_sent');
  if (pending) { state = offline ? 'offline' : 'pending'; text = t('judge.queued', { count: pending }); }
  else if (rejected) { state = 'error'; text = t('judge.need_attention', { count: rejected }); }
  const sendNow = pending && !app.outbox.syncing
    ? h('button', { type: 'button', class: 'button small', on: { click: () => app.outbox.sync() } }, t('judge.send_now')) : null;
  replace(slot, h('div', { class: 'sync', dataset: { state, pending, rejected } },
    h('span', { class: 'sync-dot', 'aria-hidden': 'true' }),
    h('span', { class: 'sync-text', role: 'status', 'aria-live': 'polite' }, text,
      offline && pending ? h('span', { class: 'sync-offline' }, ` · ${t('judge.offline')}`) : null,
      app.outbox.syncing ? h('span', null, ` · ${t('judge.sending')}`) : null),
    sendNow));
}

function renderTabs() {
  const skills = app.data.me.skills;
  replace(app.slots.tabs, skills.length > 1 || skills.length === 0
    ? skills.map((skill) => h('button', {
      type: 'button', class: ['tab', skill === app.skill && 'active'], 'aria-pressed': String(skill === app.skill),
      on: { click: () => { app.skill = skill; app.entry = null; renderTabs(); renderList(); renderSheet(); } },
    }, app.data.schemes[skill]?.name || skill, isLocked(skill) ? h('span', { class: 'badge warn' }, t('judge.locked')) : null))
    : null);
  if (skills.length === 0) app.slots.tabs.append(h('p', { class: 'notice warn' }, t('judge.no_skills')));
}

/** The static parts of the entry list (title, note, search and filter), made once per shell. */
function buildList() {
  const search = h('input', {
    type: 'search', id: 'entry-search', value: app.filter.query, autocomplete: 'off', spellcheck: 'false',
    enterkeyhint: 'go', 'aria-controls': 'entry-items', placeholder: t('judge.search_placeholder'),
    on: {
      input: () => { app.filter.query = search.value; renderList(); },
      // Enter opens the first entry that matches.
      keydown: (ev) => {
        if (ev.key !== 'Enter') return;
        ev.preventDefault();
        const first = app.listParts.items.querySelector('[data-entry]');
        if (first) openEntry(first.dataset.entry);
      },
    },
  });
  const unmarked = h('input', {
    type: 'checkbox', id: 'entry-unmarked', checked: app.filter.unmarkedOnly, 'aria-controls': 'entry-items',
    on: { change: () => { app.filter.unmarkedOnly = unmarked.checked; renderList(); } },
  });
  app.listParts = {
    title: h('h2', { id: 'entries-title' }),
    note: h('p', { class: 'hint own-note' }),
    tools: h('div', { class: 'list-tools', role: 'search' },
      h('label', { for: 'entry-search', class: 'visually-hidden' }, t('judge.search_label')),
      search,
      h('label', { class: 'check', for: 'entry-unmarked' }, unmarked, ' ', t('judge.unmarked_only'))),
    count: h('p', { class: 'list-count small', role: 'status' }),
    empty: h('p', { class: 'muted' }),
    items: h('ul', { class: 'entries', id: 'entry-items' }),
  };
  const p = app.listParts;
  replace(app.slots.list, p.title, p.note, p.tools, p.count, p.empty, p.items);
}

/** Does the entry match the search (code, members, delegation code or name)? */
function matches(e, query) {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  return [e.code, ...(e.members || []), e.delegation, delegationName(e.delegation)].some((x) => String(x || '').toLowerCase().includes(q));
}

function renderList() {
  const skill = app.skill;
  if (!app.listParts) return;
  app.slots.list.hidden = !skill;
  if (!skill) return;
  const p = app.listParts;
  const aspects = aspectsOf(skill).length;
  const all = entriesOf(skill);
  // The entry being marked stays listed, even when it no longer matches the filter.
  const entries = all.filter((e) => e.code === app.entry || (matches(e, app.filter.query)
    && (!app.filter.unmarkedOnly || markedCount(e.code, skill) < aspects)));
  const focused = document.activeElement?.closest?.('.entry-list [data-entry]')?.dataset.entry;
  p.title.textContent = t('judge.entries_of', { skill: app.data.schemes[skill]?.name || skill });
  const own = app.data.me.delegation;
  p.note.textContent = own ? t('judge.own_delegation_note', { delegation: delegationName(own) }) : '';
  p.note.hidden = !own;
  const filtered = entries.length !== all.length;
  p.count.textContent = filtered ? t('judge.shown_of', { shown: entries.length, total: all.length }) : '';
  p.count.hidden = !filtered;
  p.empty.textContent = all.length === 0 ? t('judge.no_entries') : entries.length === 0 ? t('judge.no_match') : '';
  p.empty.hidden = !p.empty.textContent;
  replace(p.items, entries.map((e) => {
    const done = markedCount(e.code, skill);
    const waiting = app.outbox.pending().filter((m) => m.entry === e.code).length;
    const bad = app.outbox.rejected().filter((m) => m.entry === e.code).length;
    return h('li', null, h('button', {
      type: 'button',
      class: ['entry-button', e.code === app.entry && 'active', done === aspects && aspects > 0 && 'complete'],
      'aria-current': e.code === app.entry ? 'true' : null,
      dataset: { entry: e.code, done, total: aspects },
      on: { click: () => openEntry(e.code) },
    },
    h('span', { class: 'entry-code' }, e.code),
    h('span', { class: 'entry-members' }, (e.members || []).join(', ')),
    h('span', { class: 'entry-deleg' }, delegationName(e.delegation)),
    h('span', { class: 'entry-progress' }, t('judge.aspects_done', { done, total: aspects }),
      waiting ? h('span', { class: 'badge warn' }, t('judge.waiting_short', { count: waiting })) : null,
      bad ? h('span', { class: 'badge error' }, t('judge.rejected_short', { count: bad })) : null,
      e.status && e.status !== 'active' ? h('span', { class: 'badge error' }, t(`status.${e.status}`)) : null)));
  }));
  // Redrawn while the judge works (sync progress): keep the keyboard focus where it was.
  if (focused) p.items.querySelector(`[data-entry="${CSS.escape(focused)}"]`)?.focus();
}

function openEntry(code, aspect) {
  if (app.entry !== code) loadEntryMarks(code);
  app.entry = code;
  app.slots.panes.dataset.view = 'sheet';
  renderList();
  renderSheet();
  const target = aspect ? app.slots.sheet.querySelector(`[data-aspect="${CSS.escape(aspect)}"]`) : null;
  if (target) { target.scrollIntoView({ block: 'center' }); target.querySelector('button, input')?.focus(); target.classList.add('highlight'); }
  else app.slots.sheet.querySelector('h2')?.focus();
}

function closeEntry() {
  const code = app.entry;
  app.entry = null;
  app.slots.panes.dataset.view = 'list';
  renderList();
  renderSheet();
  app.slots.list.querySelector(`[data-entry="${CSS.escape(code || '')}"]`)?.focus();
}

// ------------------------------------------------------------------ the marking sheet

function renderSheet() {
  app.aspectUpdaters = new Map();
  const skill = app.skill;
  const entry = app.data.entries.find((e) => e.code === app.entry && e.skill === skill);
  if (!entry) {
    replace(app.slots.sheet, h('div', { class: 'sheet-empty muted' }, skill ? t('judge.pick_entry') : ''));
    return;
  }
  const locked = isLocked(skill);
  const list = entriesOf(skill);
  const index = list.findIndex((e) => e.code === entry.code);
  const prev = list[index - 1];
  const next = list[index + 1];
  const scheme = app.data.schemes[skill];
  const done = markedCount(entry.code, skill);
  const total = aspectsOf(skill).length;
  const head = h('div', { class: 'sheet-head', dataset: { entry: entry.code } },
    h('button', { type: 'button', class: 'button back', on: { click: closeEntry } }, `‹ ${t('judge.back')}`),
    h('h2', { tabindex: '-1' }, h('span', { class: 'entry-code' }, entry.code), ' ', h('span', { class: 'entry-members' }, (entry.members || []).join(', '))),
    h('span', { class: 'entry-deleg' }, delegationName(entry.delegation)),
    h('span', { class: 'row nav-buttons' },
      h('button', { type: 'button', class: 'button', disabled: !prev, 'aria-label': t('judge.previous'), on: { click: () => prev && openEntry(prev.code) } }, '‹ ', h('span', { class: 'nav-code' }, prev ? prev.code : '')),
      h('button', { type: 'button', class: 'button next-entry', disabled: !next, 'aria-label': t('judge.next'), on: { click: () => next && openEntry(next.code) } }, h('span', { class: 'nav-code' }, next ? next.code : ''), ' ›')),
    h('span', { class: 'sheet-progress small', role: 'status' }, t('judge.aspects_done', { done, total })));
  replace(app.slots.sheet,
    head,
    locked ? h('p', { class: 'notice warn lock-banner', role: 'status' }, t('judge.locked_banner', { skill: scheme?.name || skill })) : null,
    entry.status && entry.status !== 'active' ? h('p', { class: 'notice warn' }, t(`status.${entry.status}`)) : null,
    (scheme?.criteria || []).map((criterion) => h('section', { class: 'criterion' },
      h('h3', null, `${criterion.code} · ${criterion.name}`),
      criterion.aspects.map((aspect) => aspectCard(entry, aspect, locked)))));
  app.observeSheetHead?.(head);
}

function aspectCard(entry, aspect, locked) {
  const status = h('p', { class: 'mark-status', 'aria-live': 'polite' });
  const errors = h('div', { class: 'mark-errors' });
  const judgement = aspect.kind === 'judgement';
  const binary = aspect.mode === 'binary';
  const max = aspect.max;
  let controls;
  let buttons = [];
  if (judgement || binary) {
    const values = judgement ? JUDGEMENT_SCORES.map(String) : ['0', max];
    buttons = values.map((value, i) => h('button', {
      type: 'button',
      class: ['score-button', judgement && `score-${i}`, binary && (i ? 'yes' : 'no')],
      disabled: locked,
      dataset: { value },
      on: {
        click: () => record(entry, aspect, value),
        // Enter chooses the score and moves on to the next aspect (Space only chooses).
        keydown: async (ev) => {
          if (ev.key !== 'Enter' || ev.repeat) return;
          ev.preventDefault();
          const outcome = await record(entry, aspect, value);
          if (outcome === 'saved' || outcome === 'unchanged') focusNextAspect(aspect.code);
        },
      },
    },
    h('span', { class: 'score-value' }, judgement ? value : binary ? (i ? t('judge.yes') : t('judge.no')) : number(value, 2)),
    judgement ? h('span', { class: 'score-label' }, t(`judge.scale_${value}`)) : null,
    binary ? h('span', { class: 'score-label' }, t('judge.points', { value: number(value, 2) })) : null));
    controls = h('div', { class: ['score-buttons', binary && 'binary'], role: 'group', 'aria-label': `${aspect.code} ${aspect.description}` }, buttons);
  } else {
    const inputId = `m-${entry.code}-${aspect.code}`;
    const input = h('input', {
      id: inputId, type: 'text', inputmode: 'decimal', autocomplete: 'off', class: 'measure-input', disabled: locked,
      enterkeyhint: 'next', 'aria-describedby': `${inputId}-max ${inputId}-status`, pattern: '[0-9]+([.,][0-9]{1,2})?',
    });
    status.id = `${inputId}-status`;
    const error = h('span', { class: 'field-error', 'aria-live': 'assertive' });
    const form = h('form', { class: 'measure', novalidate: true },
      h('label', { for: inputId, class: 'visually-hidden' }, t('judge.value_for', { aspect: aspect.code })),
      input,
      h('span', { id: `${inputId}-max`, class: 'max' }, t('judge.max', { max: number(max, 2) })),
      h('button', { type: 'submit', class: 'button primary big', disabled: locked }, t('judge.save')),
      error);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      // Enter in an empty field that already has a value: nothing to change, move on.
      if (!input.value.trim() && current(entry.code, aspect.code)) {
        error.textContent = '';
        input.removeAttribute('aria-invalid');
        focusNextAspect(aspect.code);
        return;
      }
      const parsed = parseMeasurement(input.value, max);
      if (parsed.error) { error.textContent = parsed.error; input.setAttribute('aria-invalid', 'true'); input.focus(); return; }
      error.textContent = '';
      input.removeAttribute('aria-invalid');
      const outcome = await record(entry, aspect, parsed.value);
      if (outcome === 'saved' || outcome === 'unchanged') {
        input.value = '';
        focusNextAspect(aspect.code);
      }
    });
    controls = form;
  }
  const card = h('article', { class: 'aspect', dataset: { aspect: aspect.code, kind: aspect.kind } },
    h('header', { class: 'aspect-head' },
      h('span', { class: 'aspect-code' }, aspect.code),
      h('span', { class: 'aspect-desc' }, aspect.description),
      h('span', { class: 'aspect-kind badge' }, judgement ? t('judge.kind_judgement') : binary ? t('judge.kind_binary') : t('judge.kind_measurement'))),
    controls, status, errors);
  const update = () => {
    const cur = current(entry.code, aspect.code);
    for (const b of buttons) b.setAttribute('aria-pressed', String(Boolean(cur) && Number(cur.value) === Number(b.dataset.value)));
    const discrepancy = openDiscrepancy(entry.code, aspect.code);
    card.classList.toggle('has-discrepancy', Boolean(discrepancy));
    card.dataset.marked = String(Boolean(cur));
    if (cur) {
      const label = cur.status === 'synced' ? t('judge.status_synced') : t('judge.status_queued');
      const icon = h('span', { class: ['status-icon', `st-${cur.status === 'synced' ? 'synced' : 'queued'}`], 'aria-hidden': 'true' });
      if (judgement) {
        replace(status, icon, t('judge.current', { value: valueText(aspect, cur.value) }), ' · ', label);
      } else {
        // A measurement is the entry's, not the judge's: say whose it is and since when.
        replace(status, icon,
          h('span', { class: 'current-value' }, t('judge.current_measurement', { value: valueText(aspect, cur.value) })), ' · ',
          h('span', { class: 'entered-by', dataset: { judge: cur.judge || '', own: String(cur.own !== false) } },
            t('judge.entered_by', { who: judgeLabel(cur.judge), time: when(cur.created_at) })), ' · ', label);
      }
    } else {
      replace(status, h('span', { class: 'muted' }, t('judge.not_marked')));
    }
    if (discrepancy) status.append(h('span', { class: 'badge warn' }, t('judge.discrepancy_badge', { spread: number(discrepancy.spread) })));
    replace(errors, rejectedFor(entry.code, aspect.code).map((m) => rejectedItem(m, { compact: true })));
  };
  app.aspectUpdaters.set(aspect.code, update);
  update();
  return card;
}

/** Moves the focus to the next aspect's control, or to the next entry after the last one. */
function focusNextAspect(code) {
  const cards = [...app.slots.sheet.querySelectorAll('.aspect')];
  const index = cards.findIndex((c) => c.dataset.aspect === code);
  const next = cards[index + 1];
  if (next) {
    const target = next.querySelector('input.measure-input:not([disabled])')
      || next.querySelector('.score-button[aria-pressed="true"]:not([disabled])')
      || next.querySelector('.score-button:not([disabled])');
    if (target) { target.focus(); return; }
  }
  app.slots.sheet.querySelector('.nav-buttons .next-entry:not([disabled])')?.focus();
}

/** "3,5" or "3.5" → "3.5"; refuses more than 2 decimals and values outside 0..max. */
function parseMeasurement(text, max) {
  const clean = String(text).trim().replace(',', '.');
  if (!clean) return { error: t('common.required') };
  if (!/^\d+(\.\d{1,2})?$/.test(clean)) return { error: t('judge.invalid_number') };
  if (Number(clean) > Number(max)) return { error: t('judge.above_max', { max: number(max, 2) }) };
  return { value: clean };
}

/** Asks why a mark is being changed, showing the value it replaces; resolves with the reason or null. */
function askReason(entry, aspect, cur, value) {
  const measurement = aspect.kind !== 'judgement';
  return ask({
    title: measurement ? t('judge.change_measurement_title') : t('judge.correction_title'),
    message: [
      h('span', { class: 'change-line' },
        `${entry} · ${aspect.code}: `,
        h('span', { class: 'old-value' }, cur ? valueText(aspect, cur.value) : '?'), ' → ',
        h('strong', { class: 'new-value' }, valueText(aspect, value))),
      cur && measurement ? h('span', { class: 'old-by' }, t('judge.old_entered_by', { who: judgeLabel(cur.judge), time: when(cur.created_at) })) : null,
      h('span', { class: 'change-help' }, t('judge.correction_help')),
    ],
    label: t('judge.reason'),
    confirm: t('judge.save_correction'),
  });
}

/**
 * Records a mark (asking for a reason when it changes one); resolves 'saved', 'unchanged'
 * (the value is already the current one), 'cancelled' or 'locked'.
 */
async function record(entry, aspect, value) {
  if (isLocked(app.skill)) { toast(t('judge.locked_banner', { skill: app.skill }), 'error'); return 'locked'; }
  const cur = current(entry.code, aspect.code);
  if (cur && Number(cur.value) === Number(value)) {
    toast(cur.own === false ? t('judge.unchanged_measurement') : t('judge.unchanged'));
    return 'unchanged';
  }
  let reason = null;
  if (cur) {
    reason = await askReason(entry.code, aspect, cur, value);
    if (reason === null) return 'cancelled';
  }
  await app.outbox.add({ entry: entry.code, aspect: aspect.code, value, reason });
  announce(t('judge.saved', { aspect: aspect.code, value: valueText(aspect, value) }));
  return 'saved';
}

function refreshMarks() {
  for (const update of app.aspectUpdaters.values()) update();
  const progress = app.slots.sheet?.querySelector('.sheet-progress');
  if (progress && app.entry) progress.textContent = t('judge.aspects_done', { done: markedCount(app.entry, app.skill), total: aspectsOf(app.skill).length });
  if (app.slots.list && app.data) renderList();
  renderSync();
  renderRejected();
}

// ------------------------------------------------------------------ alerts

function openDiscrepancy(entry, aspect) {
  for (const s of app.alerts?.skills || []) {
    if (s.skill !== app.skill) continue;
    const d = (s.discrepancies || []).find((x) => x.entry === entry && x.aspect === aspect && !x.overridden);
    if (d) return d;
  }
  return null;
}

function rejectedItem(m, { compact = false } = {}) {
  const messages = (m.errors || []).map((e) => fieldErrorMessage(e));
  const needsReason = (m.errors || []).some((e) => e.code === 'reason_required');
  return h('div', { class: 'rejected-item', dataset: { id: m.id } },
    h('p', null,
      h('strong', null, compact ? t('judge.rejected_value', { value: m.value }) : t('judge.rejected_mark', { entry: m.entry, aspect: m.aspect, value: m.value })),
      ' ', messages.join(' · ')),
    h('div', { class: 'row' },
      needsReason ? h('button', { type: 'button', class: 'button small primary', on: { click: () => resendWithReason(m) } }, t('judge.add_reason')) : null,
      !compact ? h('button', { type: 'button', class: 'button small', on: { click: () => fix(m) } }, t('judge.fix')) : null,
      h('button', { type: 'button', class: 'button small', on: { click: () => discard(m) } }, t('judge.discard'))));
}

async function resendWithReason(m) {
  // Refused because a mark was there already (another judge's measurement, most likely):
  // fetch it, so the judge sees what they are replacing.
  await loadEntryMarks(m.entry);
  const skill = app.data.entries.find((e) => e.code === m.entry)?.skill;
  const aspect = aspectsOf(skill).find((a) => a.code === m.aspect) || { code: m.aspect, kind: 'measurement' };
  const reason = await askReason(m.entry, aspect, current(m.entry, m.aspect), m.value);
  if (reason === null) return;
  await app.outbox.add({ entry: m.entry, aspect: m.aspect, value: m.value, reason });
}

function fix(m) {
  const entry = app.data.entries.find((e) => e.code === m.entry);
  if (entry && entry.skill !== app.skill) { app.skill = entry.skill; renderTabs(); }
  openEntry(m.entry, m.aspect);
}

async function discard(m) {
  const ok = await confirmDialog({ title: t('judge.discard_title'), message: t('judge.rejected_mark', { entry: m.entry, aspect: m.aspect, value: m.value }), confirm: t('judge.discard'), danger: true });
  if (ok) await app.outbox.discard(m.id);
}

function renderRejected() {
  if (!app.slots.rejected) return;
  const rejected = app.outbox.rejected();
  replace(app.slots.rejected, rejected.length ? h('div', { class: 'card panel-error' },
    h('h2', null, t('judge.rejected_title', { count: rejected.length })),
    h('p', { class: 'small' }, t('judge.rejected_help')),
    rejected.map((m) => rejectedItem(m))) : null);
}

function renderAlerts() {
  if (!app.slots.alerts || !app.data) return;
  const items = [];
  for (const s of app.alerts?.skills || []) {
    if (LOCKED_STATES.has(s.state)) items.push(h('p', { class: 'notice warn' }, t('judge.locked_banner', { skill: app.data.schemes[s.skill]?.name || s.skill })));
    for (const d of (s.discrepancies || []).filter((x) => !x.overridden)) {
      items.push(h('div', { class: 'alert-item', dataset: { entry: d.entry, aspect: d.aspect } },
        h('span', null, h('strong', null, `${d.entry} · ${d.aspect}`), ' ',
          t('judge.discrepancy', { spread: number(d.spread) }), ' ',
          h('span', { class: 'scores' }, (d.scores || []).map(([j, v]) => `${j}: ${number(v)}`).join(', '))),
        h('button', { type: 'button', class: 'button small', on: { click: () => { if (s.skill !== app.skill) { app.skill = s.skill; renderTabs(); } openEntry(d.entry, d.aspect); } } }, t('judge.review'))));
    }
  }
  replace(app.slots.alerts, items.length ? h('div', { class: 'card panel-warn' }, h('h2', null, t('judge.alerts')), items) : null);
}

// ------------------------------------------------------------------ start

/**
 * Keeps `--topbar-h` and `--sheet-head-h` (CSS) at the real heights of the sticky bars, which
 * wrap differently with each language and width, so the entry being marked stays in view
 * below the top bar and a focused aspect is never hidden behind either.
 */
function trackStickyHeights() {
  if (typeof ResizeObserver !== 'function') return;
  const root = document.documentElement.style;
  const topbar = document.querySelector('.topbar');
  const observer = new ResizeObserver(() => {
    root.setProperty('--topbar-h', `${topbar.offsetHeight}px`);
    const head = app.slots.sheet?.querySelector('.sheet-head');
    if (head) root.setProperty('--sheet-head-h', `${head.offsetHeight}px`);
  });
  observer.observe(topbar);
  let watched = null;
  app.observeSheetHead = (head) => {
    if (watched) observer.unobserve(watched);
    watched = head;
    observer.observe(head);
  };
}

function registerServiceWorker() {
  // Browsers give service workers to secure contexts only (HTTPS or localhost). On a
  // plain-HTTP LAN the page still works: marks are kept in IndexedDB either way.
  if (!window.isSecureContext || !('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('/judge-sw.js', { scope: '/judge' }).catch((error) => console.warn('service worker', error));
}

async function start() {
  await i18n.init();
  i18n.preloadAll();
  app.badge = liveBadge();
  app.badge.el.hidden = true;
  document.getElementById('live-slot').append(app.badge.el);
  document.getElementById('lang-slot').append(languageSwitcher());
  document.getElementById('logout').addEventListener('click', logout);
  trackStickyHeights();
  registerServiceWorker();
  try {
    app.db = await openStore();
  } catch {
    replace(main, h('div', { class: 'container' }, h('p', { class: 'problem' }, t('judge.no_storage'))));
    return;
  }
  app.outbox = new Outbox(app.db);
  app.heartbeat = new Heartbeat(app.outbox, () => app.session);
  app.outbox.on((event, detail) => {
    if (event === 'unauthorized') { sessionExpired(); return; }
    if (event === 'rejected') { toast(t('judge.rejected_toast', { count: detail.length }), 'error'); }
    if (event === 'synced') { loadServerMarks(); return; }
    if (app.session && app.data) refreshMarks();
  });
  window.addEventListener('online', renderSync);
  window.addEventListener('offline', renderSync);
  i18n.onLanguageChange(() => {
    if (app.session && app.data) { renderWho(); renderShell(); } else showLogin();
  });
  const code = codeFromFragment();
  const session = code ? null : await savedSession();
  if (session) await enter(session);
  else showLogin({ code: code || '' });
}

start();
