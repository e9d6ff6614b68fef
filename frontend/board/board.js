// The public live board: /board/{code}[?skill=IR][&screen=big][&lang=zh].
// Loads everything over REST first (so it works even before the live endpoint answers),
// then follows the live channels (skill:X, progress, medals) and redraws what changed.
// While the socket is down it shows "reconnecting" and refreshes over REST now and then.
import { h, replace, announce } from '../lib/dom.js';
import * as i18n from '../lib/i18n.js';
import { t, number } from '../lib/i18n.js';
import { localName } from '../lib/names.js';
import { get, path, withQuery } from '../lib/api.js';
import { LiveClient } from '../lib/live.js';
import { mergeRows, compareRows } from '../lib/results.js';
import { languageSwitcher, liveBadge, progressBar, problemView } from '../lib/ui.js';
import { ResultsTable } from './table.js';
import { medalTable, orderSwitch, ORDERS } from './medals.js';

const params = new URLSearchParams(window.location.search);
const code = decodeURIComponent(window.location.pathname.split('/').filter(Boolean)[1] || '');
const only = params.get('skill') ? params.get('skill').toUpperCase() : null;
const big = params.get('screen') === 'big';
const rotateMs = Math.min(120, Math.max(4, Number(params.get('interval')) || 12)) * 1000;
// Rows per big-screen page: as many as the screen's height holds (measured), at least 4.
let bigRows = 8;
const RECENT_MS = 10 * 60_000;
const POLL_MS = 20_000;

const state = {
  comp: null,
  delegations: new Map(),
  skills: new Map(),
  order: [],
  medals: {},
  medalOrder: null,
  medalOrderChosen: false,
  live: null,
};

const main = document.getElementById('main');
// Made once the strings are loaded, so it never shows a raw key.
let badge = null;
let cards = new Map();
let medalsSlot = null;

// ------------------------------------------------------------------ state updates

function skill(code) {
  let s = state.skills.get(code);
  if (!s) {
    s = { skill: code, name: code, state: 'setup', official: false, progress: { marked: 0, expected: 0 }, results: null, underReview: false };
    state.skills.set(code, s);
    if (!state.order.includes(code)) state.order.push(code);
  }
  return s;
}

const visible = (c) => !only || c === only;

/** Applies a skill frame; returns false when a delta needs results the page does not hold. */
function applySkill(code, data, snapshot) {
  const s = skill(code);
  // A delta carries only the header fields that changed.
  const official = 'official' in data ? Boolean(data.official) : s.official;
  const moves = Array.isArray(data.rows) || Array.isArray(data.ranks) || Array.isArray(data.medals);
  if (!snapshot && official && moves && !Array.isArray(s.results)) return false;
  const hadOfficial = s.official && Array.isArray(s.results);
  if (data.name) s.name = data.name;
  if (data.names) s.names = data.names;
  if (data.state) s.state = data.state;
  s.official = official;
  if (data.progress) s.progress = data.progress;
  if (snapshot) s.results = Array.isArray(data.results) ? [...data.results].sort(compareRows) : null;
  else if (moves) {
    const merged = mergeRows(s.results || [], data.rows, data.ranks, data.medals);
    if (!merged) return false;
    s.results = merged;
  }
  if ('accepted_gaps' in data) s.acceptedGaps = data.accepted_gaps;
  // The public board shows published results only, whatever a frame carries: a skill
  // unlocked for review must not show rankings that are being revised.
  if (!s.official) s.results = null;
  if (s.official) s.underReview = false;
  else if (hadOfficial && !s.results) s.underReview = true;
  noteReview(s);
  for (const row of s.results || []) if (!state.delegations.has(row.delegation)) refreshCompetitionSoon();
  return true;
}

/** A published skill reopened for review says so in its state (`under_review`). */
function noteReview(s) {
  if (s.state === 'under_review') s.underReview = true;
  else if (s.state === 'published') s.underReview = false;
}

/** "Official" only for published results with no provisional row. */
function isOfficial(s) {
  return s.official && s.state === 'published' && !(s.results || []).some((r) => r.provisional);
}

function applyProgress(data) {
  for (const p of data.skills || []) {
    const isNew = !state.skills.has(p.skill);
    const s = skill(p.skill);
    if (p.name) s.name = p.name;
    if (p.names) s.names = p.names;
    if (p.state) s.state = p.state;
    noteReview(s);
    if (p.marked !== undefined) s.progress = { marked: p.marked, expected: p.expected };
    if (Array.isArray(p.criteria)) s.criteria = p.criteria;
    if (Array.isArray(p.activity)) s.activity = p.activity;
    if (isNew && state.live && visible(p.skill)) followSkill(p.skill);
  }
}

function applyMedals(data) {
  for (const order of ORDERS) if (data[order]) state.medals[order] = data[order].rows || [];
  if (!state.medalOrderChosen && data.default) state.medalOrder = data.default;
}

function setCompetition(comp) {
  state.comp = comp;
  state.delegations = new Map((comp.delegations || []).map((d) => [d.code, d]));
  for (const s of comp.skills || []) {
    const entry = skill(s.code);
    entry.name = s.name;
    entry.names = s.names;
    entry.state = s.state;
    noteReview(entry);
    entry.standardise = s.standardise;
    if (s.progress) entry.progress = s.progress;
  }
  if (!state.medalOrder) state.medalOrder = comp.medal_order || 'olympic';
}

let refreshTimer = null;
function refreshCompetitionSoon() {
  if (refreshTimer) return;
  refreshTimer = setTimeout(async () => {
    try {
      setCompetition(await get(path('competitions', code)));
      render();
    } catch { /* next time */ }
    refreshTimer = null;
  }, 1000);
}

// ------------------------------------------------------------------ REST

async function loadMedals(order) {
  const body = await get(withQuery(path('competitions', code, 'medals'), { order }));
  state.medals[order] = body.rows || [];
}

async function loadAll() {
  const comp = await get(path('competitions', code));
  setCompetition(comp);
  // Per-criterion progress and recent activity (counts only: never a rank).
  const progress = await get(path('competitions', code, 'progress')).catch(() => null);
  if (Array.isArray(progress)) applyProgress({ skills: progress });
  const codes = state.order.filter(visible);
  const results = await Promise.all(codes.map((c) => get(path('competitions', code, 'skills', c, 'results')).catch(() => null)));
  results.forEach((data, i) => { if (data) applySkill(codes[i], data, true); });
  if (!only) await loadMedals(state.medalOrder).catch(() => {});
}

// ------------------------------------------------------------------ live

function followSkill(c) {
  state.live.subscribe(`skill:${c}`, ({ type, data }) => {
    const wasDelta = type === 'delta';
    if (!applySkill(c, data, type === 'snapshot')) {
      // Results were published while this page held none: start again from a snapshot.
      state.live.refresh(`skill:${c}`);
      return;
    }
    renderSkill(c);
    if (wasDelta) announceUpdate(c);
  });
}

const lastAnnounced = new Map();
function announceUpdate(c) {
  const now = Date.now();
  if (now - (lastAnnounced.get(c) || 0) < 15_000) return;
  lastAnnounced.set(c, now);
  announce(t('board.updated', { skill: localName(state.skills.get(c)) || c }));
}

function startLive() {
  state.live = new LiveClient(code, {
    onStatus: (status) => badge.update(status),
    onError: (error) => console.warn('live error', error),
  });
  for (const c of state.order.filter(visible)) followSkill(c);
  if (!only) {
    state.live.subscribe('progress', ({ data }) => { applyProgress(data); render(); });
    state.live.subscribe('medals', ({ data }) => { applyMedals(data); renderMedals(); });
  }
  state.live.start();
  // Until the socket works (or while it is down), refresh over REST now and then.
  setInterval(async () => {
    if (state.live.state === 'open') return;
    try {
      await loadAll();
      render();
    } catch { /* the badge says we are reconnecting */ }
  }, POLL_MS);
}

// ------------------------------------------------------------------ rendering: shared bits

function delegation(c) {
  return state.delegations.get(c);
}

function statusBadges(s) {
  const out = [];
  const official = isOfficial(s);
  if (official) out.push(h('span', { class: 'badge ok status-official' }, t('board.official')));
  else if (s.underReview) out.push(h('span', { class: 'badge warn status-review' }, t('board.under_review')));
  else out.push(h('span', { class: 'badge warn status-unofficial' }, t('board.unofficial')));
  // "Under review" says it all; a second badge with the state would repeat it.
  if (!official && !(s.underReview && s.state === 'under_review')) out.push(h('span', { class: 'badge state' }, t(`state.${s.state}`)));
  return out;
}

/** Results signed off although some marks were missing (the organizers accepted the gaps). */
function gapsAccepted(s) {
  return Boolean(s.acceptedGaps) || (s.results || []).some((r) => r.gaps_accepted);
}

function skillTitle(s) {
  return [h('span', { class: 'skill-name' }, localName(s)), ' ', h('span', { class: 'skill-code' }, s.skill)];
}

/** Marks stored in the last ten minutes, from the per-minute counts the server sends. */
function recentMarks(s, now = Date.now()) {
  return (s.activity || []).reduce((sum, b) => sum + (now - new Date(b.at).getTime() < RECENT_MS ? b.marks : 0), 0);
}

/** What is going on in a skill not yet published: criteria done and recent marks. No ranks. */
function activityPanel(s, { big: large = false } = {}) {
  const criteria = s.criteria || [];
  const done = criteria.filter((c) => c.done).length;
  const recent = recentMarks(s);
  return h('div', { class: ['activity', large && 'activity-big'], dataset: { skill: s.skill } },
    h('p', { class: 'activity-summary' },
      h('span', { class: ['recent', recent > 0 && 'busy'] }, t('board.recent_marks', { count: number(recent) })),
      criteria.length ? h('span', { class: 'modules-done' }, t('board.modules_done', { done: number(done), total: number(criteria.length) })) : null),
    criteria.length ? h('ul', { class: 'criteria-progress' }, criteria.map((c) => h('li', { class: c.done ? 'done' : '', dataset: { criterion: c.code } },
      h('span', { class: 'criterion-name' }, `${c.code} · ${localName(c, undefined, '')}`.replace(/ · $/, '')),
      h('progress', { max: c.expected || 1, value: Math.min(c.marked, c.expected || 1), 'aria-label': t('progress.marks', { marked: number(c.marked), expected: number(c.expected) }) }),
      h('span', { class: 'criterion-count' }, c.done ? t('board.module_done') : `${number(c.marked)} / ${number(c.expected)}`)))) : null);
}

// ------------------------------------------------------------------ normal mode

function renderSkill(c) {
  if (big) { renderSlideInPlace(); return; }
  const card = cards.get(c);
  if (!card) { render(); return; }
  const s = state.skills.get(c);
  replace(card.title, skillTitle(s));
  replace(card.badges, statusBadges(s));
  const showResults = Array.isArray(s.results);
  replace(card.progress, showResults && s.official ? null : [progressBar(s.progress.marked, s.progress.expected), activityPanel(s)]);
  card.note.textContent = showResults ? (gapsAccepted(s) ? t('board.gaps_note') : '') : (s.underReview ? t('board.review_note') : t('board.progress_note'));
  card.note.hidden = !card.note.textContent;
  if (showResults) {
    if (!card.table) {
      card.table = new ResultsTable({ delegation, caption: t('board.results_of', { skill: localName(s) }) });
      card.tableSlot.append(card.table.el);
    }
    card.table.update(s.results);
    card.empty.hidden = s.results.length > 0;
  } else if (card.table) {
    card.table.el.remove();
    card.table = null;
    card.empty.hidden = true;
  }
}

function skillCard(c) {
  const title = h('span', { class: 'title-text' });
  const badges = h('span', { class: 'badges' });
  const card = {
    title,
    badges,
    progress: h('div', { class: 'skill-progress' }),
    note: h('p', { class: 'muted small note' }),
    tableSlot: h('div', { class: 'table-wrap' }),
    empty: h('p', { class: 'muted', hidden: true }, t('board.no_entries')),
    table: null,
  };
  card.el = h('article', { class: 'card skill-card', id: `skill-${c}`, dataset: { skill: c }, 'aria-labelledby': `skill-title-${c}` },
    h('header', { class: 'skill-head' }, h('h2', { id: `skill-title-${c}` }, title), badges),
    card.progress, card.note, card.tableSlot, card.empty);
  cards.set(c, card);
  return card;
}

function boardLink(skillCode) {
  const url = new URL(window.location.href);
  if (skillCode) url.searchParams.set('skill', skillCode); else url.searchParams.delete('skill');
  return url.pathname + url.search;
}

function renderMedals() {
  if (big) { renderSlideInPlace(); return; }
  if (!medalsSlot) return;
  const rows = state.medals[state.medalOrder];
  replace(medalsSlot,
    orderSwitch(state.medalOrder, async (order) => {
      state.medalOrder = order;
      state.medalOrderChosen = true;
      if (!state.medals[order]) await loadMedals(order).catch(() => {});
      renderMedals();
      medalsSlot.querySelector(`input[value="${order}"]`)?.focus();
    }),
    rows ? h('div', { class: 'table-wrap' }, medalTable(rows, { order: state.medalOrder })) : h('p', { class: 'muted' }, t('common.loading')));
}

function render() {
  if (big) { renderSlideInPlace(); return; }
  document.getElementById('title').textContent = state.comp ? localName(state.comp) : code;
  document.title = `${state.comp ? localName(state.comp) : code} – ${t('board.page_title')}`;
  cards = new Map();
  const skillsCol = h('section', { class: 'skills-col', 'aria-label': t('board.skills') });
  const codes = state.order.filter(visible);
  if (only && !state.skills.has(only)) skillsCol.append(h('p', { class: 'notice warn' }, t('board.no_such_skill', { skill: only })));
  for (const c of codes) skillsCol.append(skillCard(c).el);
  const nav = h('nav', { class: 'skill-nav', 'aria-label': t('board.skills') },
    h('a', { href: boardLink(null), class: ['chip', !only && 'active'], 'aria-current': only ? null : 'page' }, t('board.all_skills')),
    state.order.map((c) => h('a', { href: boardLink(c), class: ['chip', only === c && 'active'], 'aria-current': only === c ? 'page' : null }, localName(state.skills.get(c)))));
  medalsSlot = only ? null : h('div', { class: 'medals-body' });
  const aside = only ? null : h('aside', { class: 'card medals-col', 'aria-labelledby': 'medals-title' },
    h('h2', { id: 'medals-title' }, t('board.medal_table')), medalsSlot);
  replace(main, h('div', { class: 'container' }, nav, h('div', { class: ['board-grid', only && 'single'] }, skillsCol, aside)));
  for (const c of codes) renderSkill(c);
  renderMedals();
}

// ------------------------------------------------------------------ big-screen mode

let slideIndex = 0;
let currentSlide = null;
let slideTable = null;
let rotateTimer = null;

function slides() {
  const list = [];
  const codes = state.order.filter(visible);
  const pending = [];
  for (const c of codes) {
    const s = state.skills.get(c);
    if (Array.isArray(s.results) && s.results.length > 0) {
      const pages = Math.max(1, Math.ceil(s.results.length / bigRows));
      for (let page = 0; page < pages; page++) list.push({ kind: 'results', skill: c, page, pages });
    } else {
      pending.push(c);
    }
  }
  if (pending.length) list.push({ kind: 'progress', skills: pending });
  if (!only) list.push({ kind: 'medals' });
  return list;
}

function slideKey(slide) {
  return slide ? `${slide.kind}:${slide.skill || ''}:${slide.page || 0}` : '';
}

function buildSlide(slide) {
  slideTable = null;
  if (slide.kind === 'results') {
    const s = state.skills.get(slide.skill);
    slideTable = new ResultsTable({ delegation, big: true, caption: t('board.results_of', { skill: localName(s) }) });
    slideTable.update(s.results.slice(slide.page * bigRows, (slide.page + 1) * bigRows), { animate: false });
    return h('section', { class: 'slide', dataset: { kind: 'results', skill: slide.skill } },
      h('header', { class: 'slide-head' }, h('h2', null, skillTitle(s)), h('div', { class: 'badges' }, statusBadges(s)),
        slide.pages > 1 ? h('span', { class: 'page' }, t('board.page', { page: slide.page + 1, pages: slide.pages })) : null),
      slideTable.el);
  }
  if (slide.kind === 'progress') {
    return h('section', { class: 'slide', dataset: { kind: 'progress' } },
      h('header', { class: 'slide-head' }, h('h2', null, t('board.marking_progress')), h('span', { class: 'badge warn status-unofficial' }, t('board.unofficial'))),
      h('ul', { class: 'big-progress' }, slide.skills.map((c) => {
        const s = state.skills.get(c);
        return h('li', { dataset: { skill: c } },
          h('div', { class: 'row between' }, h('span', { class: 'skill-name' }, localName(s)), h('span', { class: 'badge state' }, s.underReview ? t('board.under_review') : t(`state.${s.state}`))),
          progressBar(s.progress.marked, s.progress.expected, { big: true }),
          activityPanel(s, { big: true }));
      })));
  }
  const rows = state.medals[state.medalOrder] || [];
  return h('section', { class: 'slide', dataset: { kind: 'medals' } },
    h('header', { class: 'slide-head' }, h('h2', null, t('board.medal_table')), h('span', { class: 'badge info' }, t(`medals.order_${state.medalOrder}`))),
    medalTable(rows, { limit: 10, order: state.medalOrder, labelled: true }));
}

function renderBig() {
  document.body.classList.add('big');
  document.getElementById('title').textContent = state.comp ? localName(state.comp) : code;
  const list = slides();
  if (slideIndex >= list.length) slideIndex = 0;
  const slide = list[slideIndex];
  currentSlide = slide;
  const dots = h('ol', { class: 'dots', 'aria-hidden': 'true' }, list.map((_, i) => h('li', { class: i === slideIndex ? 'on' : '' })));
  replace(main, h('div', { class: 'stage' }, slide ? buildSlide(slide) : h('p', null, t('board.nothing_yet'))), dots);
  if (slide && slide.kind === 'results') fitRows();
}

let refitting = false;
/** Uses the screen's full height: as many rows per page as fit below the slide's header. */
function fitRows() {
  if (refitting) return;
  const stage = main.querySelector('.stage');
  const table = stage?.querySelector('table.results');
  const row = table?.querySelector('tbody tr');
  if (!row) return;
  const head = stage.querySelector('.slide-head');
  const free = stage.clientHeight - (head ? head.offsetHeight : 0) - table.tHead.offsetHeight - 8;
  const fit = Math.max(4, Math.floor(free / row.offsetHeight));
  const shown = table.tBodies[0].rows.length;
  // Re-page only when the page is full or overflows, so a short last page does not re-page.
  if (fit !== bigRows && (shown >= bigRows || fit < shown)) {
    const first = currentSlide.page * bigRows;
    bigRows = fit;
    const list = slides();
    const same = list.findIndex((s) => s.kind === 'results' && s.skill === currentSlide.skill && s.page === Math.floor(first / bigRows));
    if (same >= 0) slideIndex = same;
    refitting = true;
    try { renderBig(); } finally { refitting = false; }
  }
}

/** A live update while a slide shows: update that slide (animated) without rotating. */
function renderSlideInPlace() {
  const list = slides();
  const same = list.find((s) => slideKey(s) === slideKey(currentSlide));
  if (!same) { renderBig(); return; }
  if (same.kind === 'results' && slideTable) {
    const s = state.skills.get(same.skill);
    slideTable.update(s.results.slice(same.page * bigRows, (same.page + 1) * bigRows));
    return;
  }
  slideIndex = list.indexOf(same);
  renderBig();
}

function startRotation() {
  clearInterval(rotateTimer);
  rotateTimer = setInterval(() => {
    // One slide (a short skill with ?skill=): nothing to rotate, keep it still.
    if (slides().length <= 1) return;
    slideIndex += 1;
    renderBig();
  }, rotateMs);
}

function startClock() {
  const clock = document.getElementById('clock');
  clock.hidden = false;
  const tick = () => {
    clock.textContent = new Intl.DateTimeFormat(i18n.lang() === 'zh' ? 'zh-CN' : i18n.lang(), { hour: '2-digit', minute: '2-digit' }).format(new Date());
  };
  tick();
  setInterval(tick, 10_000);
}

// ------------------------------------------------------------------ start

async function main_() {
  await i18n.init();
  badge = liveBadge();
  document.getElementById('live-slot').append(badge.el);
  document.getElementById('lang-slot').append(languageSwitcher());
  i18n.onLanguageChange(() => render());
  if (!code) {
    replace(main, h('p', { class: 'container' }, t('board.no_competition')));
    return;
  }
  try {
    await loadAll();
  } catch (problem) {
    replace(main, h('div', { class: 'container' }, problemView(problem), h('p', null, h('a', { href: '/' }, t('board.all_competitions')))));
    badge.update({ state: 'offline' });
    return;
  }
  render();
  if (big) {
    startRotation();
    startClock();
    window.addEventListener('resize', () => renderBig());
  }
  // Recent activity falls back as minutes pass, with no frame needed.
  setInterval(() => { if (!big) for (const c of state.order.filter(visible)) renderSkill(c); else if (currentSlide?.kind === 'progress') renderBig(); }, 30_000);
  startLive();
}

main_();
