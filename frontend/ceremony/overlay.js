// Video overlays for OBS or vMix browser sources: /overlay/{code}?view=lower-third|winner|ticker
// [&lang=zh][&skill=IR]. The page is transparent; only the graphic is drawn. The lower third
// and the medal-winner card follow the ceremony (revealed steps only); the ticker shows
// marking progress and published skills. Rehearsals are watermarked here too.
import { h, replace } from '../lib/dom.js';
import * as i18n from '../lib/i18n.js';
import { t } from '../lib/i18n.js';
import { LiveClient } from '../lib/live.js';
import { badge, delegationName, medalLabel } from './names.js';

const params = new URLSearchParams(window.location.search);
const code = decodeURIComponent(window.location.pathname.split('/').filter(Boolean)[1] || '');
const VIEWS = ['lower-third', 'winner', 'ticker'];
const kind = VIEWS.includes(params.get('view')) ? params.get('view') : 'lower-third';
const only = params.get('skill') ? params.get('skill').toUpperCase() : null;
const root = document.getElementById('overlay');
const state = { hall: null, progress: new Map(), shown: null };

function watermark() {
  return state.hall?.rehearsal ? h('div', { class: 'watermark', 'aria-hidden': 'true' }, t('ceremony.rehearsal')) : null;
}

/** The step to show, if it belongs to the chosen skill. */
function currentStep() {
  const step = state.hall?.current;
  if (!step || (only && step.skill !== only)) return null;
  return step;
}

function lowerThird(step) {
  return h('div', { class: ['lower-third', `medal-${step.medal}`, state.shown !== state.hall.position && 'reveal'] },
    h('div', { class: 'lt-medal' }, medalLabel(step.medal)),
    h('div', { class: 'lt-body' },
      h('div', { class: 'lt-skill' }, step.skill_name),
      h('div', { class: 'lt-winners' }, step.winners.map((w) =>
        h('span', { class: 'lt-winner' }, h('span', { class: 'flag' }, badge(w)), ' ',
          `${(w.members || []).join(', ')} · ${delegationName(w)}`)))));
}

function winnerCard(step) {
  return h('div', { class: ['winner-card', `medal-${step.medal}`, state.shown !== state.hall.position && 'reveal'] },
    h('div', { class: 'wc-medal' }, medalLabel(step.medal)),
    h('div', { class: 'wc-skill' }, step.skill_name),
    step.winners.map((w) => h('div', { class: 'wc-winner' },
      h('div', { class: 'flag big' }, badge(w)),
      h('div', { class: 'wc-people' }, (w.members || []).join(', ')),
      h('div', { class: 'wc-delegation' }, delegationName(w)))));
}

function ticker() {
  const items = [...state.progress.values()]
    .filter((s) => !only || s.skill === only)
    .map((s) => s.state === 'published'
      ? t('overlay.published', { skill: s.name })
      : t('overlay.progress', { skill: s.name, percent: s.expected ? Math.floor((100 * s.marked) / s.expected) : 0 }));
  if (!items.length) return null;
  const line = items.join('   •   ');
  return h('div', { class: 'ticker' }, h('div', { class: 'ticker-track' }, h('span', null, line), h('span', { 'aria-hidden': 'true' }, line)));
}

function draw() {
  let graphic = null;
  if (kind === 'ticker') graphic = ticker();
  else {
    const step = currentStep();
    if (step) graphic = kind === 'winner' ? winnerCard(step) : lowerThird(step);
  }
  replace(root, watermark(), graphic);
  if (state.hall) state.shown = state.hall.position;
  document.body.dataset.ready = 'true';
}

async function start() {
  await i18n.init();
  document.body.dataset.view = kind;
  const live = new LiveClient(code);
  live.subscribe('ceremony', (frame) => { state.hall = frame.data; draw(); });
  if (kind === 'ticker') {
    live.subscribe('progress', (frame) => {
      if (frame.type === 'snapshot') state.progress.clear();
      for (const row of frame.data.skills || []) state.progress.set(row.skill, { ...state.progress.get(row.skill), ...row });
      draw();
    });
  }
  live.start();
}

start();
