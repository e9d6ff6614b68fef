// Competitions: the list, creating one by hand, importing a package (upload progress), and
// one competition's settings, export and deletion.
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { path } from '../lib/api.js';
import { problemView, toast, confirmDialog, ask } from '../lib/ui.js';
import { form, field, input, choice, table, download } from './common.js';

const ORDERS = ['olympic', 'total', 'points'];
const LANGS = ['en', 'zh', 'ru'];

function competitionFields(c = {}) {
  return [
    field(t('admin.code'), input('code', { value: c.code || '', required: true, readOnly: Boolean(c.code), maxlength: 32 }), { pointer: '/code', hint: t('admin.code_hint') }),
    field(t('admin.name'), input('name', { value: c.name || '', required: true }), { pointer: '/name', wide: true }),
    field(t('admin.name_zh'), input('name_zh', { value: c.names?.zh || '', lang: 'zh' }), { pointer: '/names/zh', wide: true }),
    field(t('admin.name_ru'), input('name_ru', { value: c.names?.ru || '', lang: 'ru' }), { pointer: '/names/ru', wide: true }),
    field(t('admin.timezone'), input('timezone', { value: c.timezone || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC' }), { pointer: '/timezone' }),
    field(t('admin.starts_on'), input('starts_on', { type: 'date', value: c.starts_on || '' }), { pointer: '/starts_on' }),
    field(t('admin.ends_on'), input('ends_on', { type: 'date', value: c.ends_on || '' }), { pointer: '/ends_on' }),
    field(t('admin.default_language'), choice('default_language', LANGS.map((l) => ({ value: l, label: t(`admin.lang_${l}`) })), c.default_language || 'en'), { pointer: '/default_language' }),
    field(t('admin.medal_order'), choice('medal_order', ORDERS.map((o) => ({ value: o, label: t(`medals.order_${o}`) })), c.medal_order || 'olympic'), { pointer: '/medal_order' }),
  ];
}

function competitionBody(values) {
  const body = { code: values.code, name: values.name, timezone: values.timezone || 'UTC', default_language: values.default_language, medal_order: values.medal_order };
  body.names = {};
  for (const l of ['zh', 'ru']) if (values[`name_${l}`]) body.names[l] = values[`name_${l}`];
  if (values.starts_on) body.starts_on = values.starts_on;
  if (values.ends_on) body.ends_on = values.ends_on;
  return body;
}

/** A file picker with an upload progress bar; `send(text, onProgress)` does the request. */
export function uploadCard({ title, help, accept, button, send, onDone }) {
  const fileInput = h('input', { type: 'file', accept, id: `file-${Math.random().toString(36).slice(2)}`, required: true });
  const bar = h('progress', { max: 100, value: 0, hidden: true, class: 'upload-bar', 'aria-label': t('admin.upload_progress') });
  const barText = h('span', { class: 'progress-text', 'aria-live': 'polite' });
  const result = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'button primary' }, button);
  const el = h('form', { class: 'card form upload' },
    h('h2', null, title),
    help ? h('p', { class: 'hint' }, help) : null,
    h('div', { class: 'field' }, h('label', { for: fileInput.id }, t('admin.file')), fileInput),
    h('div', { class: 'progress' }, bar, barText),
    result,
    h('div', { class: 'row end' }, submit));
  el.addEventListener('submit', async (event) => {
    event.preventDefault();
    const file = fileInput.files[0];
    if (!file) { replace(result, h('p', { class: 'field-error' }, t('admin.choose_file'))); return; }
    submit.disabled = true;
    bar.hidden = false;
    bar.value = 0;
    barText.textContent = '0%';
    replace(result);
    try {
      const text = await file.text();
      const answer = await send(text, (fraction) => {
        bar.value = Math.round(fraction * 100);
        barText.textContent = fraction >= 1 ? t('admin.processing') : `${Math.round(fraction * 100)}%`;
      });
      bar.value = 100;
      barText.textContent = t('admin.upload_done');
      if (onDone) await onDone(answer, result);
    } catch (problem) {
      barText.textContent = '';
      bar.hidden = true;
      replace(result, problemView(problem.name === 'Problem' ? problem : { code: 'invalid_file', detail: String(problem.message || problem) }));
    } finally {
      submit.disabled = false;
    }
  });
  return el;
}

async function renderList(ctx, el) {
  const list = await ctx.get(path('competitions'));
  const rows = list.map((c) => h('tr', null,
    h('td', null, h('code', null, c.code)),
    h('td', null, h('a', { href: `#/c/${encodeURIComponent(c.code)}/judging` }, c.name)),
    h('td', null, [c.starts_on, c.ends_on].filter(Boolean).join(' – ')),
    h('td', null, h('a', { href: `/board/${encodeURIComponent(c.code)}`, target: '_blank', rel: 'noopener' }, t('admin.open_board')))));
  replace(el,
    h('h1', null, t('admin.competitions')),
    h('div', { class: 'card' }, table([t('admin.code'), t('admin.name'), t('admin.dates'), ''], rows)),
    h('div', { class: 'two-col' },
      form({
        title: t('admin.create_competition'),
        fields: competitionFields(),
        submitLabel: t('admin.create'),
        submit: async (values) => {
          const created = await ctx.post(path('competitions'), competitionBody(values));
          toast(t('admin.created', { what: created.code }), 'ok');
          ctx.navigate(`#/c/${encodeURIComponent(created.code)}/settings`);
        },
      }),
      uploadCard({
        title: t('admin.import_package'),
        help: t('admin.import_help'),
        accept: '.json,application/json',
        button: t('admin.import'),
        send: (text, onProgress) => ctx.upload('POST', path('competitions', 'import'), text, { contentType: 'application/json', onProgress }),
        onDone: (created, result) => {
          replace(result, h('p', { class: 'notice ok' }, t('admin.imported', { name: created.name, code: created.code }), ' ',
            h('a', { href: `#/c/${encodeURIComponent(created.code)}/judging` }, t('admin.open'))));
        },
      })));
}

async function renderSettings(ctx, el) {
  const c = ctx.comp;
  replace(el,
    h('h1', null, t('admin.settings_of', { name: c.name })),
    form({
      title: t('admin.settings'),
      fields: competitionFields(c),
      submitLabel: t('admin.save'),
      submit: async (values) => {
        await ctx.put(path('competitions', c.code), competitionBody(values));
        await ctx.loadCompetition(c.code);
        toast(t('admin.saved'), 'ok');
      },
    }),
    h('div', { class: 'card stack' },
      h('h2', null, t('admin.export')),
      h('p', { class: 'hint' }, t('admin.export_help')),
      h('div', { class: 'row' }, h('button', {
        type: 'button', class: 'button',
        on: { click: () => download(`${path('competitions', c.code, 'export')}`, ctx.token, `${c.code}.json`).catch((p) => toast(p.detail || p.code, 'error')) },
      }, t('admin.export_button')))),
    h('div', { class: 'card stack danger-zone' },
      h('h2', null, t('admin.delete_competition')),
      h('p', { class: 'hint' }, t('admin.delete_help')),
      h('div', { class: 'row' }, h('button', {
        type: 'button', class: 'button danger',
        on: {
          click: async () => {
            const typed = await ask({ title: t('admin.delete_competition'), message: t('admin.type_code', { code: c.code }), label: t('admin.code'), confirm: t('admin.delete'), multiline: false });
            if (typed === null) return;
            if (typed !== c.code) { toast(t('admin.code_mismatch'), 'error'); return; }
            const ok = await confirmDialog({ title: t('admin.delete_competition'), message: c.name, confirm: t('admin.delete'), danger: true });
            if (!ok) return;
            try {
              await ctx.del(path('competitions', c.code));
              ctx.comp = null;
              toast(t('admin.deleted'), 'ok');
              ctx.navigate('#/');
            } catch (problem) { toast(problem.detail || problem.code, 'error'); }
          },
        },
      }, t('admin.delete')))));
}

export async function render(ctx, el, { view }) {
  if (view === 'settings') return renderSettings(ctx, el);
  return renderList(ctx, el);
}
