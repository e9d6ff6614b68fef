// The organizer console: log-in, a hash router (#/c/CODE/section; no token ever in the
// address: it stays in sessionStorage) and the side navigation. Each section is a module.
import { h, replace } from '../lib/dom.js';
import * as i18n from '../lib/i18n.js';
import { t } from '../lib/i18n.js';
import * as api from '../lib/api.js';
import { LiveClient } from '../lib/live.js';
import { languageSwitcher, liveBadge, problemView, toast } from '../lib/ui.js';
import { form, field, input } from './common.js';
import * as competitions from './competitions.js';
import * as registration from './registration.js';
import * as scheme from './scheme.js';
import * as judging from './judging.js';
import * as grid from './grid.js';
import * as readiness from './readiness.js';
import * as audit from './audit.js';
import * as medals from './medals.js';
import * as fleet from './fleet.js';

const STORAGE_KEY = 'podium.admin';
const main = document.getElementById('main');
const side = document.getElementById('side');
// Made after the strings are loaded, so the badge never shows a raw key.
let badge = null;

const SECTIONS = [
  { id: 'judging', label: 'admin.nav_progress', module: judging },
  { id: 'grid', label: 'admin.nav_grid', module: grid },
  { id: 'readiness', label: 'admin.nav_readiness', module: readiness },
  { id: 'tablets', label: 'admin.nav_tablets', module: fleet },
  { id: 'settings', label: 'admin.nav_settings', module: competitions, view: 'settings' },
  { id: 'delegations', label: 'admin.nav_delegations', module: registration, view: 'delegations' },
  { id: 'skills', label: 'admin.nav_skills', module: scheme },
  { id: 'entries', label: 'admin.nav_entries', module: registration, view: 'entries' },
  { id: 'judges', label: 'admin.nav_judges', module: registration, view: 'judges' },
  { id: 'audit', label: 'admin.nav_audit', module: audit },
  { id: 'medals', label: 'admin.nav_medals', module: medals },
];

function loadSession() {
  try {
    const session = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || 'null');
    if (session && (!session.expires_at || Date.parse(session.expires_at) > Date.now())) return session;
  } catch { /* ignore */ }
  return null;
}

/** What every section gets: the token, API calls that notice an expired session, navigation. */
const ctx = {
  session: loadSession(),
  comp: null,
  get badge() { return badge; },
  cleanup: [],
  get token() { return this.session?.token; },
  async call(method, url, body, options = {}) {
    try {
      return await api.request(method, url, { ...options, body, token: this.token });
    } catch (problem) {
      if (problem.status === 401) { expire(); }
      throw problem;
    }
  },
  get(url, options) { return this.call('GET', url, undefined, options); },
  post(url, body, options) { return this.call('POST', url, body ?? {}, options); },
  put(url, body, options) { return this.call('PUT', url, body, options); },
  del(url, options) { return this.call('DELETE', url, undefined, options); },
  upload(method, url, body, options = {}) {
    return api.upload(method, url, { ...options, body, token: this.token }).catch((problem) => {
      if (problem.status === 401) expire();
      throw problem;
    });
  },
  navigate(hash) {
    if (window.location.hash === hash) route(); else window.location.hash = hash;
  },
  async loadCompetition(code) {
    this.comp = await api.get(api.path('competitions', code));
    renderHeader();
    return this.comp;
  },
  onLeave(fn) { this.cleanup.push(fn); },
  /**
   * A live client with this session's token that drives the header badge and ends the
   * session when the server says it was revoked. Stopped when the section is left.
   */
  live(code) {
    const client = new LiveClient(code, {
      token: () => this.token,
      onStatus: (s) => badge.update(s),
      onRevoked: () => revoked(),
    });
    badge.el.hidden = false;
    this.onLeave(() => { client.stop(); badge.el.hidden = true; });
    return client;
  },
};

/**
 * The server says the session ended or its rights changed (its reason is free text): a 401
 * from /session/me ends it (ctx.call shows the log-in); otherwise the page is drawn again
 * with what the session may still see.
 */
async function revoked() {
  try {
    await ctx.get(api.path('session', 'me'));
  } catch {
    return;
  }
  toast(t('admin.rights_changed'));
  route();
}

function expire() {
  for (const fn of ctx.cleanup.splice(0)) { try { fn(); } catch { /* ignore */ } }
  sessionStorage.removeItem(STORAGE_KEY);
  ctx.session = null;
  showLogin(t('admin.session_expired'));
}

function showLogin(message) {
  side.hidden = true;
  document.getElementById('logout').hidden = true;
  replace(document.getElementById('user'));
  replace(document.getElementById('comp-name'));
  const loginForm = form({
    title: t('admin.login_title'),
    className: 'login-form',
    fields: [
      message ? h('p', { class: 'notice warn' }, message) : null,
      field(t('admin.username'), input('username', { autocomplete: 'username', required: true, value: 'admin' }), { pointer: '/username' }),
      field(t('admin.password'), input('password', { type: 'password', autocomplete: 'current-password', required: true }), { pointer: '/password' }),
    ],
    submitLabel: t('admin.login_button'),
    submit: async (values) => {
      const session = await api.post(api.path('session'), { username: values.username, password: values.password });
      ctx.session = { token: session.token, expires_at: session.expires_at, username: values.username, role: session.role };
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify(ctx.session));
      route();
    },
  });
  replace(main, h('div', { class: 'narrow' }, loginForm));
  loginForm.querySelector('input[name="password"]').focus();
}

async function logout() {
  const token = ctx.token;
  sessionStorage.removeItem(STORAGE_KEY);
  ctx.session = null;
  if (token) api.del(api.path('session'), { token }).catch(() => {});
  window.location.hash = '#/';
  showLogin();
}

function renderHeader() {
  replace(document.getElementById('user'), ctx.session ? h('span', null, ctx.session.username || '') : null);
  document.getElementById('logout').hidden = !ctx.session;
  replace(document.getElementById('comp-name'), ctx.comp ? h('a', { href: `#/c/${encodeURIComponent(ctx.comp.code)}/judging` }, ctx.comp.name) : null);
}

function renderSide(code, current) {
  side.hidden = false;
  replace(side,
    h('a', { href: '#/', class: 'side-back' }, `‹ ${t('admin.all_competitions')}`),
    h('ul', null, SECTIONS.map((s) => h('li', null, h('a', {
      href: `#/c/${encodeURIComponent(code)}/${s.id}`,
      class: s.id === current ? 'active' : null,
      'aria-current': s.id === current ? 'page' : null,
    }, t(s.label))))),
    h('a', { href: `/board/${encodeURIComponent(code)}`, target: '_blank', rel: 'noopener', class: 'side-board' }, `${t('admin.open_board')} ↗`),
    h('a', { href: `/ceremony/${encodeURIComponent(code)}/present`, target: '_blank', rel: 'noopener', class: 'side-board side-ceremony' }, `${t('ceremony.presenter_title')} ↗`));
}

async function route() {
  for (const fn of ctx.cleanup.splice(0)) { try { fn(); } catch { /* ignore */ } }
  badge.update({ state: 'connecting' });
  badge.el.hidden = true;
  if (!ctx.session) { showLogin(); return; }
  renderHeader();
  const parts = window.location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  replace(main, h('p', { class: 'muted' }, t('common.loading')));
  try {
    if (parts[0] !== 'c' || !parts[1]) {
      ctx.comp = null;
      renderHeader();
      side.hidden = true;
      await competitions.render(ctx, main, {});
    } else {
      const code = parts[1];
      const sectionId = parts[2] || 'judging';
      const section = SECTIONS.find((s) => s.id === sectionId) || SECTIONS[0];
      if (!ctx.comp || ctx.comp.code !== code) await ctx.loadCompetition(code);
      renderSide(code, section.id);
      await section.module.render(ctx, main, { view: section.view, rest: parts.slice(3) });
    }
    const heading = main.querySelector('h1');
    if (heading) { heading.tabIndex = -1; heading.focus({ preventScroll: true }); }
  } catch (problem) {
    if (problem && problem.status === 401) return;
    console.error(problem);
    replace(main, problemView(problem && problem.name === 'Problem' ? problem : { code: 'unknown', detail: String(problem) }),
      h('p', null, h('a', { href: '#/' }, t('admin.all_competitions'))));
  }
}

async function start() {
  await i18n.init();
  badge = liveBadge();
  const liveSlot = document.getElementById('live-slot');
  liveSlot.append(badge.el);
  badge.el.hidden = true;
  document.getElementById('lang-slot').append(languageSwitcher());
  document.getElementById('logout').addEventListener('click', logout);
  window.addEventListener('hashchange', route);
  i18n.onLanguageChange(route);
  route();
}

start();
