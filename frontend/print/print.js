// Documents printed from the browser: /print/{code}/results[?skill=X], /print/{code}/certificates
// [?delegation=Y][&skill=X], /print/{code}/medals; `?lang=` picks the language, `?paper=letter`
// US Letter (A4 otherwise). Published results are public; an organizer's session (from the
// console, same tab) also shows locked skills' results, which the API gives organizers only.
import { h, replace } from '../lib/dom.js';
import * as i18n from '../lib/i18n.js';
import { t, number } from '../lib/i18n.js';
import { get, path, withQuery } from '../lib/api.js';
import { localName, flag } from '../lib/names.js';
import { problemView } from '../lib/ui.js';

const parts = window.location.pathname.split('/').filter(Boolean);
const code = decodeURIComponent(parts[1] || '');
const kind = parts[2] || 'results';
const params = new URLSearchParams(window.location.search);
const paper = params.get('paper') === 'letter' ? 'letter' : 'a4';
const main = document.getElementById('main');
const MEDALS = ['gold', 'silver', 'bronze', 'excellence'];

/** The console's organizer session in this tab, if any. */
function token() {
  try {
    const session = JSON.parse(sessionStorage.getItem('podium.admin') || 'null');
    if (session && (!session.expires_at || Date.parse(session.expires_at) > Date.now())) return session.token;
  } catch { /* none */ }
  return undefined;
}

const load = (url) => get(url, { token: token() });

function today() {
  return new Intl.DateTimeFormat(i18n.lang() === 'zh' ? 'zh-CN' : i18n.lang(), { dateStyle: 'long' }).format(new Date());
}

function medalText(medal) {
  return medal ? h('span', { class: ['medal-cell', `medal-${medal}`] }, h('span', { class: 'medal-disc', 'aria-hidden': 'true' }), t(`medal.${medal}`)) : '';
}

function toolbar() {
  const select = h('select', { id: 'paper-select', on: { change: () => { params.set('paper', select.value); window.location.search = params.toString(); } } },
    ['a4', 'letter'].map((p) => h('option', { value: p, selected: p === paper }, t(`print.paper_${p}`))));
  replace(document.getElementById('toolbar'),
    h('strong', null, t(`print.kind_${kind}`)),
    h('label', null, t('print.paper'), select),
    h('button', { type: 'button', on: { click: () => window.print() } }, t('print.print')));
}

// ------------------------------------------------------------------ result sheets

function resultSheet(comp, scheme, result, delegations) {
  const criteria = scheme.criteria || [];
  const standardised = (result.results || []).some((r) => r.scaled != null);
  const rows = (result.results || []).map((r) => {
    const d = delegations.get(r.delegation);
    return h('tr', { dataset: { entry: r.entry } },
      h('td', { class: 'num' }, r.rank == null ? '–' : String(r.rank)),
      h('td', null, (r.members || []).join(', ') || r.entry, h('div', { class: 'code' }, r.entry), r.gaps_accepted ? h('div', { class: 'code' }, t('board.gaps_row')) : null),
      h('td', null, flag(r.delegation), ' ', d ? localName(d) : r.delegation),
      criteria.map((c) => h('td', { class: 'num' }, number(r.criteria?.[c.code], 2))),
      h('td', { class: 'num' }, number(r.raw, 2)),
      standardised ? h('td', { class: 'num' }, number(r.scaled, 2)) : null,
      h('td', null, r.status && r.status !== 'active' ? t(`status.${r.status}`) : medalText(r.medal)));
  });
  const gaps = result.accepted_gaps;
  const stateNote = result.state === 'published' ? t('print.state_published') : result.state === 'locked' ? t('print.state_locked') : t('print.state_unofficial');
  return h('section', { class: 'sheet result-sheet', dataset: { skill: result.skill } },
    h('p', { class: 'muted' }, localName(comp)),
    h('h1', null, localName(result), ' ', h('span', { class: 'code' }, result.skill)),
    h('h2', null, t('print.result_sheet')),
    h('p', { class: 'meta' }, h('span', { class: 'state' }, stateNote), h('span', null, t('print.printed_on', { date: today() }))),
    h('table', null,
      h('thead', null, h('tr', null,
        h('th', { class: 'num' }, t('board.rank')),
        h('th', null, t('board.competitor')),
        h('th', null, t('board.delegation')),
        criteria.map((c) => h('th', { class: 'num', title: localName(c, undefined, '') }, c.code, h('div', { class: 'code' }, localName(c, undefined, '')))),
        h('th', { class: 'num' }, t('print.total')),
        standardised ? h('th', { class: 'num' }, t('print.scaled')) : null,
        h('th', null, t('board.medal')))),
      h('tbody', null, rows)),
    gaps ? h('div', { class: 'note gaps-note' },
      h('strong', null, t('print.gaps_accepted', { by: gaps.by, date: i18n.when(gaps.at) })), ' ', t('print.reason', { reason: gaps.reason }),
      h('ul', null, (gaps.missing || []).map((g) => h('li', null, t('print.gap', { entry: g.entry, aspect: g.aspect, have: number(g.have), needed: number(g.needed) }))))) : null,
    h('div', { class: 'signatures' },
      h('div', { class: 'signature' }, h('div', { class: 'role' }, t('print.chief_judge')), h('div', { class: 'muted' }, t('print.sign_hint'))),
      h('div', { class: 'signature' }, h('div', { class: 'role' }, t('print.organizer')), h('div', { class: 'muted' }, t('print.sign_hint')))));
}

async function results(comp, delegations) {
  const only = params.get('skill');
  const skills = (comp.skills || []).filter((s) => !only || s.code === only.toUpperCase());
  const sheets = [];
  for (const s of skills) {
    const [scheme, result] = await Promise.all([load(path('competitions', code, 'skills', s.code)), load(path('competitions', code, 'skills', s.code, 'results'))]);
    if (Array.isArray(result.results)) sheets.push(resultSheet(comp, scheme, result, delegations));
  }
  return sheets.length ? sheets : [h('p', { class: 'sheet muted empty' }, t('print.nothing'))];
}

// ------------------------------------------------------------------ certificates

function certificate(comp, skill, row, member, delegation) {
  const award = row.medal || 'participation';
  const kindText = t(`print.cert_${award}`);
  return h('section', { class: ['certificate', `award-${award}`], dataset: { entry: row.entry, award } },
    h('div', { class: 'frame' },
      h('p', { class: 'competition' }, localName(comp)),
      h('span', { class: 'seal', 'aria-hidden': 'true' }),
      h('p', { class: 'kind' }, kindText),
      h('p', { class: 'presented' }, t('print.presented_to')),
      h('p', { class: 'who' }, member),
      h('p', { class: 'delegation' }, flag(row.delegation), ' ', delegation ? localName(delegation) : row.delegation),
      h('p', { class: 'for' }, t('print.in_skill', { skill: localName(skill) })),
      h('p', { class: 'date' }, today()),
      h('div', { class: 'cert-signatures' },
        h('div', { class: 'signature' }, h('div', { class: 'role' }, t('print.chief_judge'))),
        h('div', { class: 'signature' }, h('div', { class: 'role' }, t('print.organizer'))))));
}

async function certificates(comp, delegations) {
  const onlySkill = params.get('skill');
  const onlyDelegation = params.get('delegation');
  const out = [];
  for (const s of comp.skills || []) {
    if (onlySkill && s.code !== onlySkill.toUpperCase()) continue;
    const result = await load(path('competitions', code, 'skills', s.code, 'results'));
    if (!Array.isArray(result.results)) continue;
    for (const row of result.results) {
      if (row.status && row.status !== 'active') continue;
      if (onlyDelegation && row.delegation !== onlyDelegation.toUpperCase()) continue;
      const members = row.members && row.members.length ? row.members : [row.entry];
      for (const member of members) out.push(certificate(comp, result, row, member, delegations.get(row.delegation)));
    }
  }
  return out.length ? out : [h('p', { class: 'sheet muted empty' }, t('print.nothing'))];
}

// ------------------------------------------------------------------ medal table

async function medals(comp, delegations) {
  const body = await load(withQuery(path('competitions', code, 'medals'), { order: params.get('order') || undefined, all: params.get('all') || undefined }));
  const rows = (body.rows || []).map((r) => h('tr', { dataset: { delegation: r.delegation } },
    h('td', { class: 'num' }, r.shared ? `=${r.rank}` : String(r.rank)),
    h('td', null, flag(r.delegation), ' ', localName(delegations.get(r.delegation) || { name: r.name, names: r.names, code: r.delegation })),
    MEDALS.slice(0, 3).map((m) => h('td', { class: 'num' }, number(r[m]))),
    h('td', { class: 'num' }, number(r.total)),
    h('td', { class: 'num' }, number(r.excellence)),
    h('td', { class: 'num' }, number(r.points))));
  return [h('section', { class: 'sheet medal-sheet' },
    h('p', { class: 'muted' }, localName(comp)),
    h('h1', null, t('board.medal_table')),
    h('p', { class: 'meta' }, h('span', null, t(`medals.order_${body.order || 'olympic'}`)), h('span', null, t('print.printed_on', { date: today() }))),
    h('table', null,
      h('thead', null, h('tr', null,
        h('th', { class: 'num' }, t('board.rank')), h('th', null, t('board.delegation')),
        MEDALS.slice(0, 3).map((m) => h('th', { class: 'num' }, medalText(m))),
        h('th', { class: 'num' }, t('medals.total')), h('th', { class: 'num' }, medalText('excellence')), h('th', { class: 'num' }, t('medals.points')))),
      h('tbody', null, rows.length ? rows : h('tr', null, h('td', { colspan: 8, class: 'muted' }, t('medals.none'))))))];
}

// ------------------------------------------------------------------ start

async function start() {
  document.getElementById('paper').setAttribute('href', `/static/css/paper-${paper}.css`);
  await i18n.init();
  toolbar();
  try {
    const comp = await load(path('competitions', code));
    const delegations = new Map((comp.delegations || []).map((d) => [d.code, d]));
    document.title = `${localName(comp)} – ${t(`print.kind_${kind}`)}`;
    const render = { results, certificates, medals }[kind];
    if (!render) throw Object.assign(new Error('no such document'), { code: 'not_found', detail: kind });
    replace(main, await render(comp, delegations));
  } catch (problem) {
    replace(main, h('div', { class: 'sheet' }, problemView(problem)));
  }
  // Fonts in, layout done: what a PDF printer or a test may wait for.
  await document.fonts.ready;
  document.body.dataset.ready = 'true';
}

start();
