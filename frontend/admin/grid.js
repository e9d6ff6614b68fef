// The marking grid of one skill, live: entries × aspects, each cell saying how many marks it
// has of how many it needs and, for judgement aspects, which eligible judges have scored
// and which have not; a "missing only" filter; and per judge the marks entered and the last
// activity. It refetches the grid (debounced) on every frame of the private skill channel.
import { h, replace, announce } from '../lib/dom.js';
import { t, number, when, ago } from '../lib/i18n.js';
import { localName } from '../lib/names.js';
import { path } from '../lib/api.js';
import { problemView } from '../lib/ui.js';
import { stateBadge } from './common.js';
import { lockSkill } from './lock.js';

const REFETCH_MS = 300;
const OPEN_STATES = new Set(['setup', 'marking', 'under_review']);

/** Summary numbers of a grid: cells missing, entries complete. */
export function gridSummary(grid) {
  let cells = 0;
  let missing = 0;
  let complete = 0;
  let active = 0;
  for (const e of grid.entries || []) {
    if (e.status && e.status !== 'active') continue;
    active += 1;
    const gaps = (e.cells || []).filter((c) => c.missing).length;
    cells += (e.cells || []).length;
    missing += gaps;
    if (gaps === 0) complete += 1;
  }
  return { cells, missing, complete, active };
}

function judgeList(codes, names, cls, label) {
  if (!codes || codes.length === 0) return null;
  return h('span', { class: ['judges', cls] },
    h('span', { class: 'judges-label' }, label), ' ',
    codes.map((j, i) => [i ? ', ' : '', h('abbr', { title: names.get(j) || j, dataset: { judge: j } }, j)]));
}

function cell(c, aspect, names) {
  if (!c) return h('td', { class: 'cell na' }, h('span', { class: 'muted' }, '–'));
  const done = !c.missing;
  const count = t('grid.count', { have: number(c.have), needed: number(c.needed) });
  return h('td', {
    class: ['cell', done ? 'done' : 'missing'],
    dataset: { aspect: c.aspect, have: c.have, needed: c.needed, missing: String(Boolean(c.missing)) },
  },
  h('span', { class: 'count' },
    h('span', { class: 'cell-icon', 'aria-hidden': 'true' }, done ? '✓' : '○'), ' ', count,
    h('span', { class: 'visually-hidden' }, ` ${done ? t('grid.complete') : t('grid.missing')}`)),
  aspect?.kind === 'judgement' ? h('span', { class: 'who' },
    judgeList(c.scored, names, 'scored', t('grid.scored')),
    // Once the panel is full the others need not score: name them only while marks are missing.
    c.missing ? judgeList(c.pending, names, 'pending', t('grid.pending')) : null,
    // Missing, and nobody left who may score it: only the readiness page's fix helps.
    c.missing && !(c.pending || []).length ? h('span', { class: 'judges none-eligible' }, t('grid.no_eligible')) : null) : null);
}

export async function render(ctx, el, { rest } = {}) {
  const code = ctx.comp.code;
  const skills = ctx.comp.skills || [];
  if (skills.length === 0) {
    replace(el, h('h1', null, t('admin.nav_grid')), h('p', { class: 'muted' }, t('admin.empty')));
    return;
  }
  const skillCode = rest && rest[0] && skills.some((s) => s.code === rest[0]) ? rest[0] : skills[0].code;
  const skill = skills.find((s) => s.code === skillCode);
  const delegations = new Map((ctx.comp.delegations || []).map((d) => [d.code, d]));
  const view = { missingOnly: false, grid: null };

  const heading = h('h1', null);
  const stateSlot = h('span');
  const summary = h('p', { class: 'grid-summary', role: 'status', 'aria-live': 'polite' });
  const actions = h('span', { class: 'row' });
  const missingBox = h('input', { type: 'checkbox', id: 'grid-missing-only', on: { change: () => { view.missingOnly = missingBox.checked; drawTable(); } } });
  const tableSlot = h('div', { class: 'table-wrap grid-wrap', tabindex: '0', role: 'region', 'aria-labelledby': 'grid-caption' });
  const judgesSlot = h('div', { class: 'table-wrap' });
  const problemSlot = h('div');

  const nav = h('nav', { class: 'skill-nav', 'aria-label': t('admin.skills') },
    skills.map((s) => h('a', {
      href: `#/c/${encodeURIComponent(code)}/grid/${encodeURIComponent(s.code)}`,
      class: ['chip', s.code === skillCode && 'active'],
      'aria-current': s.code === skillCode ? 'page' : null,
    }, s.name)));

  function drawHead(grid) {
    replace(heading, t('grid.title', { skill: skill.name }), ' ', h('span', { class: 'skill-code' }, grid.skill));
    replace(stateSlot, stateBadge(grid.state));
    replace(actions,
      OPEN_STATES.has(grid.state) ? h('button', { type: 'button', class: 'button', dataset: { action: 'lock' }, on: { click: () => lockSkill(ctx, skill, load) } }, t('admin.lock')) : null,
      h('a', { class: 'button', href: `#/c/${encodeURIComponent(code)}/readiness/${encodeURIComponent(skillCode)}` }, t('admin.nav_readiness')));
    const s = gridSummary(grid);
    summary.dataset.missing = s.missing;
    summary.textContent = s.missing === 0 ? t('grid.summary_complete', { entries: s.active }) : t('grid.summary', { missing: s.missing, cells: s.cells, complete: s.complete, entries: s.active });
  }

  function drawTable() {
    const grid = view.grid;
    if (!grid) return;
    const names = new Map((grid.judges || []).map((j) => [j.judge, j.name]));
    const aspects = grid.aspects || [];
    const rows = (grid.entries || []).filter((e) => !view.missingOnly || (e.cells || []).some((c) => c.missing));
    // Keep where the organizer was: the scroll position of the grid survives a live refetch.
    const { scrollLeft, scrollTop } = tableSlot;
    replace(tableSlot, h('table', { class: 'data marking-grid', dataset: { skill: grid.skill } },
      h('caption', { id: 'grid-caption', class: 'visually-hidden' }, t('grid.caption', { skill: skill.name })),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col', class: 'entry-col' }, t('admin.entry')),
        aspects.map((a) => h('th', { scope: 'col', dataset: { aspect: a.code, kind: a.kind } },
          h('span', { class: 'aspect-code' }, a.code),
          h('span', { class: 'aspect-meta' }, a.kind === 'judgement' ? t('grid.panel_of', { needed: a.needed }) : t(`judge.kind_${a.kind}`)))))),
      h('tbody', null, rows.length === 0
        ? h('tr', null, h('td', { colspan: aspects.length + 1, class: 'muted empty' }, view.missingOnly ? t('grid.none_missing') : t('admin.empty')))
        : rows.map((e) => {
          const byAspect = new Map((e.cells || []).map((c) => [c.aspect, c]));
          const d = delegations.get(e.delegation);
          const gaps = (e.cells || []).filter((c) => c.missing).length;
          return h('tr', { dataset: { entry: e.entry, missing: gaps }, class: e.status !== 'active' ? 'inactive' : null },
            h('th', { scope: 'row', class: 'entry-col' },
              h('code', null, e.entry),
              h('span', { class: 'entry-deleg' }, d ? localName(d, undefined, '') : e.delegation),
              e.status && e.status !== 'active' ? h('span', { class: 'badge error' }, t(`status.${e.status}`)) : null),
            aspects.map((a) => cell(byAspect.get(a.code), a, names)));
        }))));
    tableSlot.scrollLeft = scrollLeft;
    tableSlot.scrollTop = scrollTop;
  }

  function drawJudges() {
    const judges = view.grid?.judges || [];
    replace(judgesSlot, h('table', { class: 'data grid-judges' },
      h('caption', { class: 'visually-hidden' }, t('grid.judges_caption', { skill: skill.name })),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, t('admin.code')),
        h('th', { scope: 'col' }, t('admin.name')),
        h('th', { scope: 'col', class: 'num' }, t('grid.marks_entered')),
        h('th', { scope: 'col' }, t('grid.last_activity')))),
      h('tbody', null, judges.length === 0
        ? h('tr', null, h('td', { colspan: 4, class: 'muted empty' }, t('grid.no_judges')))
        : judges.map((j) => h('tr', { dataset: { judge: j.judge, marks: j.marks } },
          h('th', { scope: 'row' }, h('code', null, j.judge)),
          h('td', null, j.name),
          h('td', { class: 'num' }, number(j.marks)),
          h('td', null, j.last_activity
            ? h('time', { datetime: j.last_activity, title: when(j.last_activity), dataset: { ago: j.last_activity } }, ago(j.last_activity))
            : h('span', { class: 'muted' }, t('grid.never'))))))));
  }

  let loading = null;
  async function load() {
    // One request at a time; a frame arriving meanwhile asks for one more afterwards.
    if (loading) { loading.again = true; return loading.promise; }
    loading = { again: false };
    loading.promise = (async () => {
      try {
        const grid = await ctx.get(path('competitions', code, 'skills', skillCode, 'grid'));
        const before = view.grid ? gridSummary(view.grid).missing : null;
        view.grid = grid;
        replace(problemSlot);
        drawHead(grid);
        drawTable();
        drawJudges();
        const after = gridSummary(grid).missing;
        if (before !== null && before !== after) announce(summary.textContent);
      } catch (problem) {
        if (problem.status !== 401) replace(problemSlot, problemView(problem));
      }
    })();
    await loading.promise;
    const again = loading.again;
    loading = null;
    if (again && el.isConnected) await load();
  }

  replace(el,
    nav,
    h('div', { class: 'row between' }, h('div', { class: 'row' }, heading, stateSlot), actions),
    problemSlot,
    h('section', { class: 'card stack', 'aria-labelledby': 'grid-caption-visible' },
      h('div', { class: 'row between grid-tools' },
        h('h2', { id: 'grid-caption-visible' }, t('grid.marks')),
        h('label', { class: 'check', for: 'grid-missing-only' }, missingBox, ` ${t('grid.missing_only')}`)),
      summary,
      tableSlot,
      h('p', { class: 'hint grid-legend' },
        h('span', null, h('span', { class: 'cell-icon', 'aria-hidden': 'true' }, '✓'), ' ', t('grid.legend_complete')), ' · ',
        h('span', null, h('span', { class: 'cell-icon', 'aria-hidden': 'true' }, '○'), ' ', t('grid.legend_missing')), ' · ',
        t('grid.legend_judges'))),
    h('section', { class: 'card stack', 'aria-labelledby': 'grid-judges-title' },
      h('h2', { id: 'grid-judges-title' }, t('grid.judges')),
      judgesSlot));
  await load();

  // Live: every frame of the skill's private channel means marks or states moved.
  let timer = null;
  const live = ctx.live(code);
  live.subscribe(`skill:${skillCode}`, () => {
    clearTimeout(timer);
    timer = setTimeout(() => { if (el.isConnected) load(); }, REFETCH_MS);
  });
  live.start();
  // "5 minutes ago" grows older without any frame.
  const clock = setInterval(() => {
    for (const time of judgesSlot.querySelectorAll('time[data-ago]')) time.textContent = ago(time.dataset.ago);
  }, 30_000);
  ctx.onLeave(() => { clearTimeout(timer); clearInterval(clock); });
}
