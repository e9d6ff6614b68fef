// The presenter: /ceremony/{code}/present (organizers). Next and back (buttons, → / space
// and ←), a cue only the presenter sees, the current step, and a mirror of the hall screens
// drawn from the same hall view they get. Each step is one audited POST; the page also
// follows the `ceremony` channel, so two presenter screens stay in step.
import { h, replace } from '../lib/dom.js';
import * as i18n from '../lib/i18n.js';
import { t, problemMessage } from '../lib/i18n.js';
import * as api from '../lib/api.js';
import { LiveClient } from '../lib/live.js';
import { renderStage } from './stage.js';
import { cue, medalLabel, winnerLine } from './names.js';

const STORAGE_KEY = 'podium.admin';
const code = decodeURIComponent(window.location.pathname.split('/').filter(Boolean)[1] || '');
const main = document.getElementById('main');
let session = loadSession();
let view = null;
let busy = false;
let mirror = null;
let mirrored = null;
let status = null;

function loadSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || 'null');
    if (s && (!s.expires_at || Date.parse(s.expires_at) > Date.now())) return s;
  } catch { /* none */ }
  return null;
}

function loginForm(problem) {
  const user = h('input', { name: 'username', autocomplete: 'username', id: 'user', required: true });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', id: 'pass', required: true });
  const form = h('form', { class: 'card form login' },
    h('h2', null, t('ceremony.presenter_title')),
    h('p', { class: 'muted' }, t('admin.login_title')),
    h('div', { class: 'field' }, h('label', { for: 'user' }, t('admin.username')), user),
    h('div', { class: 'field' }, h('label', { for: 'pass' }, t('admin.password')), pass),
    problem ? h('p', { class: 'problem', role: 'alert' }, problemMessage(problem)) : null,
    h('button', { type: 'submit', class: 'button primary' }, t('admin.login_button')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const body = await api.post(api.path('session'), { username: user.value, password: pass.value });
      session = { ...body, username: user.value };
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
      await load();
    } catch (error) {
      replace(main, loginForm(error));
    }
  });
  replace(main, form);
  user.focus();
}

async function call(method, segment, body) {
  return api.request(method, api.path('competitions', code, 'ceremony', ...segment), { token: session?.token, body });
}

async function load() {
  if (!session) return loginForm();
  try {
    show(await call('GET', []));
  } catch (problem) {
    if (problem.status === 401) { sessionStorage.removeItem(STORAGE_KEY); session = null; return loginForm(problem); }
    if (problem.code === 'no_ceremony') { view = null; return replace(main, await planForm(problem)); }
    replace(main, h('p', { class: 'problem', role: 'alert' }, problemMessage(problem)));
  }
}

/** Plans the ceremony: skill codes in reveal order, the locked skills offered first. */
async function planForm(problem) {
  let locked = [];
  try {
    const skills = await api.get(api.path('competitions', code, 'skills'), { token: session?.token });
    locked = skills.filter((s) => s.state === 'locked').map((s) => s.code);
  } catch { /* the organizer types them */ }
  const skills = h('input', { id: 'plan-skills', name: 'skills', value: (view?.plan || []).map((p) => p.skill).join(', ') || locked.join(', ') });
  const note = h('p', { class: 'problem', role: 'alert' }, problem && problem.code !== 'no_ceremony' ? problemMessage(problem) : '');
  const form = h('form', { class: 'card form plan-form', id: 'plan-form' },
    h('h2', null, t('ceremony.plan')),
    h('div', { class: 'field' }, h('label', { for: 'plan-skills' }, t('ceremony.plan_skills')), skills),
    note,
    h('button', { type: 'submit', class: 'button primary' }, t('ceremony.plan_save')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const list = skills.value.split(/[\s,]+/).filter(Boolean).map((c) => c.toUpperCase());
    try {
      view = null;
      show(await call('PUT', [], { skills: list }));
    } catch (error) {
      note.textContent = problemMessage(error);
    }
  });
  return form;
}

async function move(segment, body) {
  if (busy || !view) return;
  busy = true;
  try {
    show(await call('POST', [segment], body));
    status.textContent = '';
  } catch (problem) {
    status.textContent = problemMessage(problem);
  } finally {
    busy = false;
  }
}

function stepLine(step) {
  return `${medalLabel(step.medal)} · ${step.skill_name} · ${step.winners.map(winnerLine).join('; ')}`;
}

function layout() {
  const back = h('button', { class: 'button', id: 'back', on: { click: () => move('back') } }, `← ${t('ceremony.back')}`);
  const next = h('button', { class: 'button primary', id: 'next', on: { click: () => move('next') } }, `${t('ceremony.next')} →`);
  const rehearse = h('button', { class: 'button', id: 'rehearsal', on: { click: () => move('rehearsal', { on: !view.rehearsal }) } });
  status = h('p', { class: 'problem', role: 'alert', id: 'status' });
  mirror = h('div', { class: 'stage mirror', id: 'mirror' });
  mirrored = null;
  replace(main,
    h('section', { class: 'controls' },
      h('div', { class: 'buttons' }, back, next, rehearse),
      h('p', { class: 'muted keys' }, t('ceremony.keys')),
      status),
    h('section', { class: 'cue card', id: 'cue-box' },
      h('h2', null, t('ceremony.cue_label')),
      h('p', { class: 'cue-text', id: 'cue' }),
      h('p', { class: 'publishes muted', id: 'publishes' })),
    h('section', { class: 'now card' },
      h('h2', null, t('ceremony.current')),
      h('p', { id: 'current' })),
    h('section', { class: 'mirror-box' }, h('h2', null, t('ceremony.mirror')), mirror),
    h('section', { class: 'plan card' }, h('h2', null, t('ceremony.plan')), h('ol', { id: 'plan' }),
      h('div', { id: 'replan' })));
}

function show(next) {
  const first = !view || !document.getElementById('cue');
  view = next;
  if (first) layout();
  document.getElementById('counter').textContent = t('ceremony.step_of', { n: view.position, total: view.total });
  document.getElementById('mode').hidden = !view.rehearsal;
  document.getElementById('rehearsal').textContent = view.rehearsal ? t('ceremony.end_rehearsal') : t('ceremony.start_rehearsal');
  document.getElementById('back').disabled = view.position === 0;
  // A rehearsal cannot start once real steps are revealed (the server refuses it too).
  document.getElementById('rehearsal').disabled = !view.rehearsal && view.position > 0;
  document.getElementById('next').disabled = view.position >= view.total;
  document.getElementById('cue').textContent = cue(view.next);
  document.getElementById('publishes').textContent =
    view.next && view.next.last_of_skill && !view.rehearsal ? t('ceremony.publishes', { skill: view.next.skill_name }) : '';
  const current = view.steps[view.position - 1];
  document.getElementById('current').textContent = current ? stepLine(current) : '—';
  replace(document.getElementById('plan'), view.steps.map((step) =>
    h('li', { class: [step.revealed && 'revealed', step.position === view.position + 1 && 'upcoming'] }, stepLine(step))));
  const replan = document.getElementById('replan');
  if (view.position === 0 && !replan.firstChild) planForm().then((form) => replace(replan, form));
  else if (view.position > 0 && !view.rehearsal) replace(replan);
  renderStage(mirror, view.hall, mirrored);
  mirrored = view.hall.position;
  document.body.dataset.position = String(view.position);
}

function onKey(event) {
  if (!view || event.target.closest('input, textarea, select')) return;
  if (event.key === 'ArrowRight' || event.key === ' ') { event.preventDefault(); move('next'); }
  else if (event.key === 'ArrowLeft') { event.preventDefault(); move('back'); }
}

async function start() {
  await i18n.init();
  document.getElementById('hall-link').href = `/ceremony/${encodeURIComponent(code)}`;
  document.addEventListener('keydown', onKey);
  await load();
  // Another presenter screen moved: take the new view.
  const live = new LiveClient(code, { token: () => session?.token ?? null });
  live.subscribe('ceremony', (frame) => {
    if (view && session && frame.data.position !== view.position) load();
  });
  live.start();
}

start();
