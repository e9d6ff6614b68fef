// Readiness: before and during marking, what would stop a skill from being marked
// completely: panels that cannot be filled, entries no judge may mark, entries without
// members, a scheme that does not add up, and judges assigned to no skill. Errors and
// warnings look different (and say so in words); each problem links to where it is fixed.
// Readiness only warns: nothing here blocks setup.
import { h, replace } from '../lib/dom.js';
import { t, number, has } from '../lib/i18n.js';
import { path } from '../lib/api.js';
import { problemView } from '../lib/ui.js';
import { stateBadge } from './common.js';

const SEVERITIES = ['error', 'warning'];

/** Errors and warnings, counted as the page lists them (alike problems grouped). */
function counts(problems) {
  const out = { error: 0, warning: 0 };
  for (const p of groupProblems(problems)) out[p.severity === 'error' ? 'error' : 'warning'] += 1;
  return out;
}

/** "Ready", or "2 errors · 1 warning", as a badge (a link when `href` is given). */
export function readinessBadge(skill, href) {
  if (!skill) return null;
  const n = counts(skill.problems);
  let label;
  let cls;
  if (n.error === 0 && n.warning === 0) { label = t('readiness.ready'); cls = 'ok'; }
  else {
    label = [n.error ? t('readiness.errors', { count: n.error }) : null, n.warning ? t('readiness.warnings', { count: n.warning }) : null].filter(Boolean).join(' · ');
    cls = n.error ? 'error' : 'warn';
  }
  const badge = h('span', { class: ['badge', cls, 'readiness-badge'], dataset: { errors: n.error, warnings: n.warning } }, label);
  return href ? h('a', { href, class: 'badge-link', 'aria-label': `${t('admin.nav_readiness')}: ${label}` }, badge) : badge;
}

/**
 * One item per problem, except that problems alike but for their aspect (say, no eligible
 * judge for the same entries in every aspect) become one item naming every aspect.
 */
export function groupProblems(problems) {
  const groups = new Map();
  for (const p of problems || []) {
    const key = JSON.stringify([p.kind, p.severity, p.entries || [], p.eligible ?? null, p.needed ?? null, p.total ?? null]);
    const group = groups.get(key);
    if (group) { if (p.aspect) group.aspects.push(p.aspect); group.details.push(p.detail); }
    else groups.set(key, { ...p, aspects: p.aspect ? [p.aspect] : [], details: [p.detail] });
  }
  return [...groups.values()];
}

/** The problem's headline in the page language; the server's own words when the kind is new. */
function headline(p) {
  const key = `readiness.kind_${p.kind}`;
  if (!has(key)) return p.details.filter(Boolean).join(' · ') || p.kind;
  return t(key, {
    aspect: p.aspects.join(', '),
    eligible: p.eligible ?? '?',
    needed: p.needed ?? '?',
    total: p.total != null ? number(p.total, 2) : '?',
    count: (p.entries || []).length,
  });
}

/** Where a problem is fixed, as links (none when there is no sensible place). */
function fixLinks(code, skill, p) {
  const base = `#/c/${encodeURIComponent(code)}`;
  const link = (href, label, attrs = {}) => h('a', { href, class: 'fix-link', ...attrs }, `${label} ›`);
  switch (p.kind) {
    case 'panel_unfillable':
    case 'no_eligible_judge':
      return [link(`${base}/judges`, t('readiness.fix_judges'), { dataset: { fix: 'judges' } })];
    case 'entry_without_members':
      return (p.entries || []).map((e) => link(`${base}/entries/${encodeURIComponent(skill)}/${encodeURIComponent(e)}`, t('readiness.fix_entry', { entry: e }), { dataset: { fix: 'entry', entry: e } }));
    case 'scheme_total':
      return [link(`${base}/skills/${encodeURIComponent(skill)}`, t('readiness.fix_scheme'), { dataset: { fix: 'scheme' } })];
    default:
      return [];
  }
}

function problemItem(code, skill, p) {
  const severity = p.severity === 'error' ? 'error' : 'warning';
  // The server's detail (English) stays available on hover; the headline says the same.
  return h('li', { class: ['readiness-problem', `sev-${severity}`], title: p.details.join('\n'), dataset: { kind: p.kind, severity, aspect: p.aspects.join(' ') || null } },
    h('span', { class: ['badge', severity === 'error' ? 'error' : 'warn', 'severity'] },
      h('span', { class: 'sev-icon', 'aria-hidden': 'true' }, severity === 'error' ? '✕' : '!'), ' ', t(`readiness.${severity}`)),
    h('div', { class: 'problem-body' },
      h('p', { class: 'problem-head' }, headline(p)),
      p.entries && p.entries.length && p.kind !== 'entry_without_members'
        ? h('p', { class: 'problem-entries' }, `${t('readiness.entries')}: `, p.entries.map((e, i) => [i ? ', ' : '', h('code', null, e)])) : null,
      h('p', { class: 'row fixes' }, fixLinks(code, skill, p))));
}

function skillCard(code, s, focused) {
  const problems = groupProblems(s.problems).sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity));
  return h('article', {
    class: ['card', 'readiness-skill', focused && 'focused'],
    id: `readiness-${s.skill}`,
    dataset: { skill: s.skill, ready: String(Boolean(s.ready)) },
    'aria-labelledby': `readiness-title-${s.skill}`,
  },
  h('header', { class: 'row between' },
    h('h2', { id: `readiness-title-${s.skill}`, tabindex: '-1' }, s.name || s.skill, ' ', h('span', { class: 'skill-code' }, s.skill)),
    h('span', { class: 'row' }, stateBadge(s.state), readinessBadge(s))),
  problems.length === 0
    ? h('p', { class: 'muted' }, t('readiness.no_problems'))
    : h('ul', { class: 'readiness-problems' }, problems.map((p) => problemItem(code, s.skill, p))),
  h('p', { class: 'row' }, h('a', { href: `#/c/${encodeURIComponent(code)}/grid/${encodeURIComponent(s.skill)}` }, `${t('admin.nav_grid')} ›`)));
}

export async function render(ctx, el, { rest } = {}) {
  const code = ctx.comp.code;
  const focusSkill = rest && rest[0] ? rest[0] : null;
  const body = h('div', { class: 'readiness-body stack', 'aria-live': 'polite', 'aria-busy': 'false' });
  const refresh = h('button', { type: 'button', class: 'button small', on: { click: () => load() } }, t('readiness.refresh'));

  async function load() {
    body.setAttribute('aria-busy', 'true');
    refresh.disabled = true;
    try {
      const data = await ctx.get(path('competitions', code, 'readiness'));
      draw(data);
    } catch (problem) {
      if (problem.status === 401) return;
      replace(body, problemView(problem));
    } finally {
      body.setAttribute('aria-busy', 'false');
      refresh.disabled = false;
    }
  }

  function draw(data) {
    const skills = data.skills || [];
    const loose = data.judges_without_skill || [];
    const totals = skills.reduce((acc, s) => { const n = counts(s.problems); return { error: acc.error + n.error, warning: acc.warning + n.warning }; }, { error: 0, warning: loose.length });
    const summary = totals.error + totals.warning === 0
      ? h('p', { class: 'notice ok readiness-summary' }, t('readiness.all_ready'))
      : h('p', { class: ['notice', totals.error ? 'error-notice' : 'warn', 'readiness-summary'] },
        t('readiness.summary', { errors: totals.error, warnings: totals.warning }));
    replace(body,
      summary,
      loose.length ? h('section', { class: 'card readiness-judges', 'aria-labelledby': 'loose-title' },
        h('h2', { id: 'loose-title' },
          h('span', { class: 'badge warn severity' }, h('span', { class: 'sev-icon', 'aria-hidden': 'true' }, '!'), ' ', t('readiness.warning')), ' ',
          t('readiness.judges_without_skill', { count: loose.length })),
        h('ul', { class: 'loose-judges' }, loose.map((j) => h('li', { dataset: { judge: j } },
          h('a', { href: `#/c/${encodeURIComponent(code)}/judges/${encodeURIComponent(j)}`, class: 'fix-link' }, t('readiness.fix_judge', { judge: j })))))) : null,
      h('div', { class: 'readiness-grid' }, skills.map((s) => skillCard(code, s, s.skill === focusSkill))));
  }

  replace(el,
    h('div', { class: 'row between' }, h('h1', null, t('readiness.title', { name: ctx.comp.name })), refresh),
    h('p', { class: 'hint' }, t('readiness.intro')),
    body);
  await load();
  if (focusSkill) {
    const card = el.querySelector(`#readiness-${CSS.escape(focusSkill)}`);
    if (card) { card.scrollIntoView({ block: 'start' }); card.querySelector('h2')?.focus({ preventScroll: true }); }
  }
  // Readiness moves with marks (and with the state of skills): follow the progress channel.
  let timer = null;
  const live = ctx.live(code);
  let first = true;
  live.subscribe('progress', () => {
    if (first) { first = false; return; }
    clearTimeout(timer);
    timer = setTimeout(() => { if (el.isConnected) load(); }, 800);
  });
  live.start();
  ctx.onLeave(() => clearTimeout(timer));
}
