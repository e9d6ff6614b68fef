// Registration: delegations, entries and judges (add, edit, delete, CSV import with upload
// progress) and judges' one-time log-in codes, shown as text and as a QR code.
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { localName } from '../lib/names.js';
import { path } from '../lib/api.js';
import { toast, confirmDialog, ask } from '../lib/ui.js';
import { toSvg } from '../lib/qr.js';
import { form, field, input, choice, table, splitList } from './common.js';
import { uploadCard } from './competitions.js';
import { codeSheetCard } from './codesheet.js';

const STATUSES = ['active', 'withdrawn', 'disqualified'];
const ROLES = ['judge', 'chief'];

function editButtons(onEdit, onDelete, label) {
  return h('td', { class: 'actions' },
    h('button', { type: 'button', class: 'button small', 'aria-label': t('admin.edit_item', { item: label }), on: { click: onEdit } }, t('admin.edit')),
    h('button', { type: 'button', class: 'button small', 'aria-label': t('admin.delete_item', { item: label }), on: { click: onDelete } }, t('admin.delete')));
}

async function remove(ctx, url, label, after) {
  const ok = await confirmDialog({ title: t('admin.delete_item', { item: label }), message: t('admin.delete_confirm'), confirm: t('admin.delete'), danger: true });
  if (!ok) return;
  try {
    await ctx.del(url);
    toast(t('admin.deleted'), 'ok');
    await after();
  } catch (problem) {
    toast(problem.detail || problem.code, 'error');
  }
}

function cancelButton(onCancel) {
  return h('button', { type: 'button', class: 'button', on: { click: onCancel } }, t('common.cancel'));
}

// ------------------------------------------------------------------ delegations

async function delegations(ctx, el, editing = null) {
  const c = await ctx.loadCompetition(ctx.comp.code);
  const again = (next = null) => delegations(ctx, el, next);
  const d = editing ? c.delegations.find((x) => x.code === editing) : null;
  const rows = c.delegations.map((x) => h('tr', { dataset: { code: x.code } },
    h('td', null, h('code', null, x.code)),
    h('td', null, x.name),
    h('td', { lang: 'en' }, x.names?.en || ''),
    h('td', { lang: 'zh' }, x.names?.zh || ''),
    h('td', { lang: 'ru' }, x.names?.ru || ''),
    editButtons(() => again(x.code), () => remove(ctx, path('competitions', c.code, 'delegations', x.code), x.code, () => again()), x.code)));
  const names = d?.names || {};
  replace(el,
    h('h1', null, t('admin.nav_delegations')),
    form({
      title: d ? t('admin.edit_item', { item: d.code }) : t('admin.add_delegation'),
      fields: [
        field(t('admin.code'), input('code', { value: d?.code || '', required: true }), { pointer: '/code', hint: t('admin.delegation_code_hint') }),
        field(t('admin.name'), input('name', { value: d?.name || '', required: true }), { pointer: '/name' }),
        field(t('admin.name_en'), input('name_en', { value: names.en || '', lang: 'en' }), { pointer: '/names/en' }),
        field(t('admin.name_zh'), input('name_zh', { value: names.zh || '', lang: 'zh' }), { pointer: '/names/zh' }),
        field(t('admin.name_ru'), input('name_ru', { value: names.ru || '', lang: 'ru' }), { pointer: '/names/ru' }),
      ],
      submitLabel: d ? t('admin.save') : t('admin.add'),
      extra: d ? cancelButton(() => again()) : null,
      submit: async (v) => {
        const body = { code: v.code, name: v.name, names: {} };
        for (const l of ['en', 'zh', 'ru']) if (v[`name_${l}`]) body.names[l] = v[`name_${l}`];
        if (d) await ctx.put(path('competitions', c.code, 'delegations', d.code), body);
        else await ctx.post(path('competitions', c.code, 'delegations'), body);
        toast(t('admin.saved'), 'ok');
        await again();
      },
    }),
    uploadCard({
      title: t('import.delegations_title'),
      help: t('import.delegations_help'),
      accept: '.csv,text/csv',
      button: t('admin.upload'),
      send: (text, onProgress) => ctx.upload('POST', path('competitions', c.code, 'delegations.csv'), text, { contentType: 'text/csv', onProgress }),
      onDone: async (answer) => { toast(t('admin.csv_created', { count: answer?.created ?? 0 }), 'ok'); await again(); },
    }),
    h('div', { class: 'card' }, table([t('admin.code'), t('admin.name'), 'English', '中文', 'Русский', ''], rows)));
}

// ------------------------------------------------------------------ entries

async function entries(ctx, el, state = {}) {
  const c = await ctx.loadCompetition(ctx.comp.code);
  const list = await ctx.get(path('competitions', c.code, 'entries'));
  const again = (next = {}) => entries(ctx, el, { filter: state.filter, ...next });
  const e = state.editing ? list.find((x) => x.code === state.editing) : null;
  const skillOptions = c.skills.map((s) => ({ value: s.code, label: `${s.code} – ${s.name}` }));
  const delegationOptions = c.delegations.map((d) => ({ value: d.code, label: `${d.code} – ${localName(d, undefined, '')}` }));
  const shown = list.filter((x) => !state.filter || x.skill === state.filter);
  const rows = shown.map((x) => h('tr', { dataset: { code: x.code } },
    h('td', null, h('code', null, x.code)),
    h('td', null, x.skill),
    h('td', null, x.delegation),
    h('td', { class: 'members' }, (x.members || []).join('; ')),
    h('td', null, x.status === 'active' ? t('status.active') : h('span', { class: 'badge error' }, t(`status.${x.status}`))),
    h('td', { class: 'actions' },
      h('button', { type: 'button', class: 'button small', on: { click: () => again({ editing: x.code }) } }, t('admin.edit')),
      h('button', { type: 'button', class: 'button small', on: { click: () => changeStatus(ctx, c, x, () => again()) } }, t('admin.change_status')),
      h('button', { type: 'button', class: 'button small', on: { click: () => remove(ctx, path('competitions', c.code, 'entries', x.code), x.code, () => again()) } }, t('admin.delete')))));
  const filter = choice('filter', [{ value: '', label: t('admin.all_skills') }, ...skillOptions], state.filter || '', { id: 'entry-filter', on: { change: (ev) => again({ filter: ev.target.value || null }) } });
  replace(el,
    h('h1', null, t('admin.nav_entries')),
    h('div', { class: 'two-col' },
      form({
        title: e ? t('admin.edit_item', { item: e.code }) : t('admin.add_entry'),
        fields: [
          field(t('admin.code'), input('code', { value: e?.code || '', required: true }), { pointer: '/code', hint: t('admin.entry_code_hint') }),
          field(t('admin.skill'), choice('skill', skillOptions, e?.skill || state.filter), { pointer: '/skill' }),
          field(t('admin.delegation'), choice('delegation', delegationOptions, e?.delegation), { pointer: '/delegation' }),
          field(t('admin.members'), h('textarea', { name: 'members', rows: 2, value: (e?.members || []).join('\n') }), { pointer: '/members', hint: t('admin.members_hint'), wide: true }),
          e ? null : field(t('admin.status'), choice('status', STATUSES.map((s) => ({ value: s, label: t(`status.${s}`) })), 'active'), { pointer: '/status' }),
        ],
        submitLabel: e ? t('admin.save') : t('admin.add'),
        extra: e ? cancelButton(() => again()) : null,
        submit: async (v) => {
          const body = { code: v.code, skill: v.skill, delegation: v.delegation, members: splitList(v.members), status: e ? e.status : v.status };
          if (e) await ctx.put(path('competitions', c.code, 'entries', e.code), body);
          else await ctx.post(path('competitions', c.code, 'entries'), body);
          toast(t('admin.saved'), 'ok');
          await again();
        },
      }),
      uploadCard({
        title: t('admin.import_entries'),
        help: t('admin.entries_csv_help'),
        accept: '.csv,text/csv',
        button: t('admin.upload'),
        send: (text, onProgress) => ctx.upload('POST', path('competitions', c.code, 'entries.csv'), text, { contentType: 'text/csv', onProgress }),
        onDone: async (answer) => { toast(t('admin.csv_created', { count: answer?.created ?? 0 }), 'ok'); await again(); },
      })),
    h('div', { class: 'card' },
      h('div', { class: 'row between' }, h('h2', null, t('admin.entry_count', { count: shown.length })),
        h('div', { class: 'field inline' }, h('label', { for: 'entry-filter' }, t('admin.skill')), filter)),
      table([t('admin.code'), t('admin.skill'), t('admin.delegation'), t('admin.members'), t('admin.status'), ''], rows)));
}

async function changeStatus(ctx, c, entry, after) {
  const next = await new Promise((resolve) => {
    const dialog = h('dialog', { class: 'dialog' });
    const close = (v) => { dialog.close(); dialog.remove(); resolve(v); };
    const sel = choice('status', STATUSES.map((s) => ({ value: s, label: t(`status.${s}`) })), entry.status, { id: 'status-choice' });
    dialog.append(h('div', { class: 'stack' }, h('h2', null, t('admin.change_status_of', { entry: entry.code })),
      h('label', { for: 'status-choice' }, t('admin.status')), sel,
      h('div', { class: 'row end' }, cancelButton(() => close(null)), h('button', { type: 'button', class: 'button primary', on: { click: () => close(sel.value) } }, t('admin.next')))));
    dialog.addEventListener('cancel', (ev) => { ev.preventDefault(); close(null); });
    document.body.append(dialog);
    dialog.showModal();
  });
  if (!next || next === entry.status) return;
  const reason = await ask({ title: t('admin.change_status_of', { entry: entry.code }), message: `${t(`status.${entry.status}`)} → ${t(`status.${next}`)}`, label: t('admin.reason'), confirm: t('admin.save') });
  if (reason === null) return;
  try {
    await ctx.post(path('competitions', c.code, 'entries', entry.code, 'status'), { status: next, reason });
    toast(t('admin.saved'), 'ok');
    await after();
  } catch (problem) {
    toast(problem.detail || problem.code, 'error');
  }
}

// ------------------------------------------------------------------ judges

/** The judge's log-in link: the code goes in the fragment, which browsers never send. */
export function loginLink(code) {
  return `${window.location.origin}/judge#code=${encodeURIComponent(code)}`;
}

export function showCode(judge, code, competition) {
  const grouped = code.replace(/(.{5})(?=.)/g, '$1-');
  const dialog = h('dialog', { class: 'dialog code-dialog', 'aria-labelledby': 'code-title' });
  const close = () => { dialog.close(); dialog.remove(); document.body.classList.remove('printing-code'); };
  dialog.append(h('div', { class: 'stack code-sheet' },
    h('h2', { id: 'code-title' }, t('admin.code_for', { name: judge.name })),
    h('p', { class: 'muted' }, `${judge.code} · ${competition.name}`),
    h('p', { class: 'login-code', dataset: { code } }, grouped),
    h('div', { class: 'qr-wrap' }, toSvg(loginLink(code), { title: t('admin.qr_label', { name: judge.name }) })),
    h('p', { class: 'small' }, t('admin.code_help', { url: `${window.location.origin}/judge` })),
    h('p', { class: 'notice warn no-print' }, t('admin.code_once')),
    h('div', { class: 'row end no-print' },
      h('button', { type: 'button', class: 'button', on: { click: () => { document.body.classList.add('printing-code'); window.print(); document.body.classList.remove('printing-code'); } } }, t('admin.print')),
      h('button', { type: 'button', class: 'button primary', on: { click: close } }, t('admin.done')))));
  dialog.addEventListener('cancel', (ev) => { ev.preventDefault(); close(); });
  document.body.append(dialog);
  dialog.showModal();
}

async function judges(ctx, el, state = {}) {
  const c = await ctx.loadCompetition(ctx.comp.code);
  const list = await ctx.get(path('competitions', c.code, 'judges'));
  const again = (next = {}) => judges(ctx, el, next);
  const j = state.editing ? list.find((x) => x.code === state.editing) : null;
  const delegationOptions = c.delegations.map((d) => ({ value: d.code, label: `${d.code} – ${localName(d, undefined, '')}` }));
  const issue = async (x) => {
    if (x.has_login_code) {
      const ok = await confirmDialog({ title: t('admin.issue_code'), message: t('admin.reissue_warning'), confirm: t('admin.issue_code') });
      if (!ok) return;
    }
    try {
      const answer = await ctx.post(path('competitions', c.code, 'judges', x.code, 'code'), {});
      showCode(x, answer.code, c);
      await again();
    } catch (problem) { toast(problem.detail || problem.code, 'error'); }
  };
  const rows = list.map((x) => h('tr', { dataset: { code: x.code } },
    h('td', null, h('code', null, x.code)),
    h('td', null, x.name),
    h('td', null, x.delegation),
    h('td', null, (x.skills || []).join(', ')),
    h('td', null, t(`admin.role_${x.role}`)),
    h('td', null, x.has_login_code ? h('span', { class: 'badge info' }, t('admin.code_issued')) : h('span', { class: 'muted' }, '–')),
    h('td', { class: 'actions' },
      h('button', { type: 'button', class: 'button small primary', dataset: { action: 'issue' }, on: { click: () => issue(x) } }, t('admin.issue_code')),
      h('button', { type: 'button', class: 'button small', on: { click: () => again({ editing: x.code }) } }, t('admin.edit')),
      h('button', { type: 'button', class: 'button small', on: { click: () => remove(ctx, path('competitions', c.code, 'judges', x.code), x.code, () => again()) } }, t('admin.delete')))));
  const skillBoxes = h('fieldset', { class: 'checks', dataset: { pointer: '/skills' } }, h('legend', null, t('admin.skills')),
    c.skills.map((s) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: `skill_${s.code}`, checked: Boolean(j?.skills?.includes(s.code)) }), ` ${s.code} – ${s.name}`)));
  replace(el,
    h('h1', null, t('admin.nav_judges')),
    h('div', { class: 'two-col' },
      form({
        title: j ? t('admin.edit_item', { item: j.code }) : t('admin.add_judge'),
        fields: [
          field(t('admin.code'), input('code', { value: j?.code || '', required: true }), { pointer: '/code' }),
          field(t('admin.name'), input('name', { value: j?.name || '', required: true }), { pointer: '/name' }),
          field(t('admin.delegation'), choice('delegation', delegationOptions, j?.delegation), { pointer: '/delegation' }),
          field(t('admin.role'), choice('role', ROLES.map((r) => ({ value: r, label: t(`admin.role_${r}`) })), j?.role || 'judge'), { pointer: '/role' }),
          skillBoxes,
        ],
        submitLabel: j ? t('admin.save') : t('admin.add'),
        extra: j ? cancelButton(() => again()) : null,
        submit: async (v) => {
          const body = { code: v.code, name: v.name, delegation: v.delegation, role: v.role, skills: c.skills.filter((s) => v[`skill_${s.code}`]).map((s) => s.code) };
          if (j) await ctx.put(path('competitions', c.code, 'judges', j.code), body);
          else await ctx.post(path('competitions', c.code, 'judges'), body);
          toast(t('admin.saved'), 'ok');
          await again();
        },
      }),
      uploadCard({
        title: t('admin.import_judges'),
        help: t('admin.judges_csv_help'),
        accept: '.csv,text/csv',
        button: t('admin.upload'),
        send: (text, onProgress) => ctx.upload('POST', path('competitions', c.code, 'judges.csv'), text, { contentType: 'text/csv', onProgress }),
        onDone: async (answer) => { toast(t('admin.csv_created', { count: answer?.created ?? 0 }), 'ok'); await again(); },
      })),
    codeSheetCard(ctx, c, list, () => again()),
    h('div', { class: 'card' },
      h('h2', null, t('admin.judge_count', { count: list.length })),
      table([t('admin.code'), t('admin.name'), t('admin.delegation'), t('admin.skills'), t('admin.role'), t('admin.login_code'), ''], rows)));
}

/**
 * `#/c/CODE/entries[/SKILL[/ENTRY]]` filters by skill and opens an entry for editing;
 * `#/c/CODE/judges[/JUDGE]` opens a judge (the readiness page links here).
 */
export async function render(ctx, el, { view, rest = [] }) {
  if (view === 'entries') return entries(ctx, el, { filter: rest[0] || null, editing: rest[1] || null });
  if (view === 'judges') return judges(ctx, el, { editing: rest[0] || null });
  return delegations(ctx, el);
}
