// Marking progress per skill, open discrepancies (accept a panel as it stands, with a
// reason), readiness at a glance, lock (with accepted gaps) / unlock / publish, and a preview
// of results (organizers see them before publication). Progress follows the live `progress`
// channel when the socket works.
import { h, replace } from '../lib/dom.js';
import { t, number, problemMessage } from '../lib/i18n.js';
import { localName } from '../lib/names.js';
import { path, Problem } from '../lib/api.js';
import { toast, ask, confirmDialog, progressBar, problemView, medalBadge } from '../lib/ui.js';
import { rankText, sharedRanks } from '../lib/results.js';
import { stateBadge, download } from './common.js';
import { lockSkill, acceptedGapsNote } from './lock.js';
import { readinessBadge } from './readiness.js';

/** States in which marks may still be entered, so the skill can be locked. */
const OPEN_STATES = new Set(['setup', 'marking', 'under_review']);

async function act(ctx, url, body, after) {
  try {
    await ctx.post(url, body);
    toast(t('admin.done_ok'), 'ok');
    await after();
  } catch (problem) {
    toast(problemMessage(problem), 'error');
    return problem;
  }
  return null;
}

function resultsTable(c, data) {
  const isShared = sharedRanks(data.results || []);
  const names = new Map(c.delegations.map((d) => [d.code, d]));
  const scaled = (data.results || []).some((r) => r.scaled != null);
  const criteria = [...new Set((data.results || []).flatMap((r) => Object.keys(r.criteria || {})))];
  return h('div', { class: 'table-wrap' }, h('table', { class: 'data results-preview' },
    h('thead', null, h('tr', null, [t('board.rank'), t('admin.entry'), t('board.delegation'), ...criteria, t('admin.raw'), scaled ? t('admin.scaled') : null, t('board.medal'), ''].filter((x) => x !== null).map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', null, (data.results || []).map((r) => h('tr', { dataset: { entry: r.entry } },
      h('td', null, rankText(r.rank, isShared(r.rank))),
      h('td', null, h('code', null, r.entry), ' ', (r.members || []).join(', ')),
      h('td', null, localName(names.get(r.delegation), undefined, r.delegation)),
      criteria.map((k) => h('td', { class: 'num' }, r.criteria?.[k] != null ? number(r.criteria[k], 2) : '')),
      h('td', { class: 'num' }, number(r.raw, 2)),
      scaled ? h('td', { class: 'num' }, r.scaled != null ? number(r.scaled, 2) : '–') : null,
      h('td', null, r.status !== 'active' ? t(`status.${r.status}`) : medalBadge(r.medal)),
      h('td', null,
        r.provisional && !data.official ? h('span', { class: 'badge warn' }, t('board.provisional')) : null,
        r.gaps_accepted ? h('span', { class: 'badge info gaps-accepted', title: t('lock.row_gaps_title') }, t('lock.row_gaps')) : null))))));
}

/** Official only while published; "under review" for a published skill reopened. */
function officialBadge(data) {
  if (data.official && data.state === 'published') return h('span', { class: 'badge ok' }, t('board.official'));
  if (data.state === 'under_review') return h('span', { class: 'badge warn' }, t('board.under_review'));
  return h('span', { class: 'badge warn' }, t('board.unofficial'));
}

function discrepancyList(ctx, c, skill, data, after) {
  const items = data.discrepancies || [];
  if (items.length === 0) return h('p', { class: 'muted' }, t('admin.no_discrepancies'));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'data' },
    h('thead', null, h('tr', null, [t('admin.entry'), t('admin.aspect'), t('admin.scores'), t('admin.spread'), ''].map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', null, items.map((d) => h('tr', { dataset: { entry: d.entry, aspect: d.aspect } },
      h('td', null, h('code', null, d.entry)),
      h('td', null, h('code', null, d.aspect)),
      h('td', { class: 'mono' }, (d.scores || []).map(([j, v]) => `${j}: ${number(v)}`).join(', ')),
      h('td', { class: 'num' }, number(d.spread)),
      h('td', null, d.overridden ? h('span', { class: 'badge ok' }, t('admin.accepted')) : h('button', {
        type: 'button', class: 'button small',
        on: {
          click: async () => {
            const reason = await ask({ title: t('admin.accept_panel'), message: `${d.entry} · ${d.aspect}: ${(d.scores || []).map(([j, v]) => `${j} ${v}`).join(', ')}`, label: t('admin.reason'), confirm: t('admin.accept_panel') });
            if (reason === null) return;
            await act(ctx, path('competitions', c.code, 'skills', skill, 'discrepancies', 'override'), { entry: d.entry, aspect: d.aspect, reason }, after);
          },
        },
      }, t('admin.accept_panel'))))))));
}

export async function render(ctx, el) {
  const code = ctx.comp.code;
  const open = { results: new Set(), discrepancies: new Set() };
  let live = null;

  async function draw() {
    const c = await ctx.loadCompetition(code);
    const discrepancies = new Map();
    await Promise.all(c.skills.map(async (s) => {
      try { discrepancies.set(s.code, await ctx.get(path('competitions', code, 'skills', s.code, 'discrepancies'))); } catch { /* shown as unknown */ }
    }));
    let readiness = null;
    try { readiness = await ctx.get(path('competitions', code, 'readiness')); } catch (problem) { if (problem.status === 401) throw problem; }
    const ready = new Map((readiness?.skills || []).map((r) => [r.skill, r]));
    const results = new Map();
    await Promise.all([...open.results].map(async (s) => {
      try { results.set(s, await ctx.get(path('competitions', code, 'skills', s, 'results'))); } catch (problem) { results.set(s, problem); }
    }));
    const total = c.skills.reduce((acc, s) => ({ marked: acc.marked + s.progress.marked, expected: acc.expected + s.progress.expected }), { marked: 0, expected: 0 });
    const cards = c.skills.map((s) => {
      const d = discrepancies.get(s.code);
      const openCount = d ? d.open : null;
      const toggle = (set) => () => { if (set.has(s.code)) set.delete(s.code); else set.add(s.code); draw(); };
      const actions = [];
      if (OPEN_STATES.has(s.state)) {
        actions.push(h('button', { type: 'button', class: 'button', dataset: { action: 'lock' }, on: { click: () => lockSkill(ctx, s, draw) } }, t('admin.lock')));
      }
      if (s.state === 'locked') {
        actions.push(h('button', {
          type: 'button', class: 'button primary', dataset: { action: 'publish' },
          on: { click: async () => { if (await confirmDialog({ title: t('admin.publish'), message: t('admin.publish_confirm', { skill: s.name }), confirm: t('admin.publish') })) act(ctx, path('competitions', code, 'skills', s.code, 'publish'), {}, draw); } },
        }, t('admin.publish')));
      }
      if (s.state === 'locked' || s.state === 'published') {
        actions.push(h('button', {
          type: 'button', class: 'button', dataset: { action: 'unlock' },
          on: { click: async () => { const reason = await ask({ title: t('admin.unlock'), message: s.state === 'published' ? t('admin.unlock_published') : null, label: t('admin.reason'), confirm: t('admin.unlock') }); if (reason !== null) act(ctx, path('competitions', code, 'skills', s.code, 'unlock'), { reason }, draw); } },
        }, `${t('admin.unlock')}…`));
      }
      actions.push(h('button', { type: 'button', class: 'button', 'aria-expanded': String(open.results.has(s.code)), on: { click: toggle(open.results) } }, t('admin.show_results')));
      actions.push(h('a', { class: 'button', href: `#/c/${encodeURIComponent(code)}/grid/${encodeURIComponent(s.code)}`, dataset: { action: 'grid' } }, t('admin.nav_grid')));
      const r = results.get(s.code);
      return h('article', { class: ['card', 'skill-status', open.results.has(s.code) && 'expanded'], dataset: { skill: s.code, state: s.state } },
        h('header', { class: 'row between' },
          h('h2', null, s.name, ' ', h('span', { class: 'skill-code' }, s.code)),
          stateBadge(s.state)),
        progressBar(s.progress.marked, s.progress.expected),
        h('p', { class: 'row' },
          readinessBadge(ready.get(s.code), `#/c/${encodeURIComponent(code)}/readiness/${encodeURIComponent(s.code)}`),
          openCount === null ? null : openCount > 0
            ? h('span', { class: 'badge warn', dataset: { open: openCount } }, t('admin.open_discrepancies', { count: openCount }))
            : h('span', { class: 'badge ok' }, t('admin.no_open_discrepancies'))),
        d && d.discrepancies.length ? h('details', { open: open.discrepancies.has(s.code) || openCount > 0, on: { toggle: (ev) => { if (ev.target.open) open.discrepancies.add(s.code); else open.discrepancies.delete(s.code); } } },
          h('summary', null, t('admin.discrepancies')), discrepancyList(ctx, c, s.code, d, draw)) : null,
        h('div', { class: 'row' }, actions),
        r ? (r instanceof Problem ? problemView(r) : h('div', { class: 'stack' },
          h('div', { class: 'row' },
            officialBadge(r),
            h('button', { type: 'button', class: 'button small', on: { click: () => download(`${path('competitions', code, 'skills', s.code, 'results')}?format=csv`, ctx.token, `${code}-${s.code}.csv`).catch((p) => toast(p.detail || p.code, 'error')) } }, t('admin.download_csv'))),
          acceptedGapsNote(r.accepted_gaps),
          resultsTable(c, r))) : null);
    });
    replace(el,
      h('h1', null, t('admin.progress_title', { name: c.name })),
      h('div', { class: 'card overall' }, h('h2', null, t('admin.overall_progress')), progressBar(total.marked, total.expected)),
      h('div', { class: 'skill-grid' }, cards));
  }

  await draw();
  // Live progress when the socket works; the page also refreshes after each action.
  let pending = null;
  live = ctx.live(code);
  let first = true;
  live.subscribe('progress', () => {
    if (first) { first = false; return; }
    clearTimeout(pending);
    pending = setTimeout(() => { if (el.isConnected && !document.querySelector('dialog[open]')) draw().catch(() => {}); }, 800);
  });
  live.start();
  ctx.onLeave(() => clearTimeout(pending));
}
