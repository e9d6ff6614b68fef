// The audit log with filters (skill, actor, action prefix, subject, after id, limit) and
// "load more" paging by event id.
import { h, replace, formValues } from '../lib/dom.js';
import { t, lang } from '../lib/i18n.js';
import { path, withQuery } from '../lib/api.js';
import { problemView } from '../lib/ui.js';
import { field, input, choice } from './common.js';

function compact(value) {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** "key: before → after" lines for the keys that changed (all keys when one side is empty). */
function change(before, after) {
  const isObject = (v) => v && typeof v === 'object' && !Array.isArray(v);
  if (!isObject(before) && !isObject(after)) {
    return [before != null ? h('span', { class: 'before' }, compact(before)) : null, before != null && after != null ? ' → ' : null, after != null ? h('span', { class: 'after' }, compact(after)) : null];
  }
  const keys = [...new Set([...Object.keys(before || {}), ...Object.keys(after || {})])];
  const lines = [];
  for (const key of keys) {
    const b = before ? before[key] : undefined;
    const a = after ? after[key] : undefined;
    if (before && after && compact(b) === compact(a)) continue;
    lines.push(h('span', { class: 'kv' }, `${key}: `,
      b !== undefined ? h('span', { class: 'before' }, compact(b)) : null,
      b !== undefined && a !== undefined ? ' → ' : null,
      a !== undefined ? h('span', { class: 'after' }, compact(a)) : null));
  }
  return lines;
}

function when(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(lang() === 'zh' ? 'zh-CN' : lang(), { dateStyle: 'short', timeStyle: 'medium' }).format(date);
}

export async function render(ctx, el) {
  const c = ctx.comp;
  const params = new URLSearchParams(window.location.hash.split('?')[1] || '');
  const filters = { skill: params.get('skill') || '', actor: params.get('actor') || '', action: params.get('action') || '', subject: params.get('subject') || '', after: params.get('after') || '', limit: params.get('limit') || '200' };
  const tbody = h('tbody');
  const status = h('p', { class: 'muted', 'aria-live': 'polite' });
  const problemSlot = h('div');
  const more = h('button', { type: 'button', class: 'button', hidden: true }, t('admin.load_more'));
  let last = null;
  let count = 0;

  async function load(reset) {
    if (reset) { tbody.replaceChildren(); last = null; count = 0; }
    replace(problemSlot);
    const query = { ...filters, after: reset ? filters.after : last };
    try {
      const { events } = await ctx.get(withQuery(path('competitions', c.code, 'audit'), query));
      for (const e of events) {
        tbody.append(h('tr', { dataset: { id: e.id } },
          h('td', { class: 'num' }, e.id),
          h('td', { class: 'nowrap' }, h('time', { datetime: e.at }, when(e.at))),
          h('td', null, e.actor),
          h('td', null, h('code', null, e.action)),
          h('td', null, e.subject),
          h('td', null, e.skill || ''),
          h('td', { class: 'change' }, change(e.before, e.after)),
          h('td', null, e.reason || '')));
        last = e.id;
      }
      count += events.length;
      status.textContent = t('admin.audit_count', { count });
      more.hidden = events.length < Number(filters.limit || 200);
    } catch (problem) {
      replace(problemSlot, problemView(problem));
    }
  }

  more.addEventListener('click', () => load(false));
  const skillOptions = [{ value: '', label: t('admin.all_skills') }, ...c.skills.map((s) => ({ value: s.code, label: `${s.code} – ${s.name}` }))];
  const filterForm = h('form', { class: 'card form filters', role: 'search' },
    h('div', { class: 'fields' },
      field(t('admin.skill'), choice('skill', skillOptions, filters.skill)),
      field(t('admin.actor'), input('actor', { value: filters.actor, placeholder: 'admin' })),
      field(t('admin.action'), input('action', { value: filters.action, placeholder: 'mark.' }), { hint: t('admin.action_hint') }),
      field(t('admin.subject'), input('subject', { value: filters.subject })),
      field(t('admin.after_id'), input('after', { value: filters.after, inputmode: 'numeric' })),
      field(t('admin.limit'), input('limit', { value: filters.limit, inputmode: 'numeric' }))),
    h('div', { class: 'row end' }, h('button', { type: 'submit', class: 'button primary' }, t('admin.filter'))));
  filterForm.addEventListener('submit', (event) => {
    event.preventDefault();
    Object.assign(filters, formValues(filterForm));
    const query = new URLSearchParams(Object.entries(filters).filter(([, v]) => v)).toString();
    history.replaceState(null, '', `#/c/${encodeURIComponent(c.code)}/audit${query ? `?${query}` : ''}`);
    load(true);
  });
  replace(el,
    h('h1', null, t('admin.nav_audit')),
    filterForm,
    problemSlot,
    h('div', { class: 'card' },
      status,
      h('div', { class: 'table-wrap' }, h('table', { class: 'data audit' },
        h('thead', null, h('tr', null, ['#', t('admin.time'), t('admin.actor'), t('admin.action'), t('admin.subject'), t('admin.skill'), t('admin.change'), t('admin.reason')].map((x) => h('th', { scope: 'col' }, x)))),
        tbody)),
      h('div', { class: 'row' }, more)));
  await load(true);
}
