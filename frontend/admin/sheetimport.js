// A marking scheme from a spreadsheet (CSV or XLSX): the file is previewed first — the
// scheme as read, and every error with its sheet, row and column — and imported only when
// the preview is clean. The server reads the file; nothing is parsed here.
import { h, replace } from '../lib/dom.js';
import { t, number, fieldErrorMessage } from '../lib/i18n.js';
import { path, withQuery } from '../lib/api.js';
import { toast, problemView } from '../lib/ui.js';
import { table } from './common.js';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

function contentType(file) {
  return /\.xlsx$/i.test(file.name) || file.type === XLSX ? XLSX : 'text/csv';
}

function errorsTable(errors) {
  return table([t('import.sheet'), t('import.row'), t('import.column'), t('import.problem')],
    errors.map((e) => h('tr', { dataset: { row: e.row ?? '', column: e.column ?? '' } },
      h('td', null, e.sheet || '–'),
      h('td', { class: 'num' }, e.row ?? ''),
      h('td', null, e.column || ''),
      h('td', null, fieldErrorMessage(e)))),
    { className: 'import-errors', caption: t('import.errors', { count: errors.length }) });
}

function schemeTable(criteria) {
  const rows = [];
  for (const c of criteria) {
    for (const a of c.aspects) {
      rows.push(h('tr', { dataset: { aspect: a.code } },
        h('td', null, h('code', null, c.code), ' ', c.name),
        h('td', null, h('code', null, a.code)),
        h('td', null, a.description),
        h('td', null, t(`judge.kind_${a.kind}`)),
        h('td', { class: 'num' }, number(a.max, 2)),
        h('td', null, a.mode === 'binary' ? t('admin.binary') : ''),
        h('td', { class: 'num' }, a.panel ?? '')));
    }
  }
  return table([t('import.criterion'), t('admin.code'), t('admin.description'), t('admin.kind'), { label: t('admin.max'), num: true }, t('admin.binary'), { label: t('admin.panel'), num: true }],
    rows, { className: 'import-scheme' });
}

/** The import card of a skill's editor; `onImported` runs after a successful import. */
export function schemeImportCard(ctx, skill, onImported) {
  const url = path('competitions', ctx.comp.code, 'skills', skill.code, 'scheme', 'import');
  const fileInput = h('input', { type: 'file', accept: '.csv,.xlsx,text/csv', id: 'scheme-file', name: 'scheme-file' });
  const result = h('div', { class: 'import-result', 'aria-live': 'polite' });
  const previewButton = h('button', { type: 'button', class: 'button', dataset: { action: 'preview' } }, t('import.preview'));
  const send = (file, preview) => ctx.call('POST', withQuery(url, preview ? { preview: 'true' } : null), file, { contentType: contentType(file) });

  async function doImport(file) {
    try {
      await send(file, false);
      toast(t('import.imported'), 'ok');
      await onImported();
    } catch (problem) {
      replace(result, problemView(problem), problem.errors?.length ? errorsTable(problem.errors) : null);
    }
  }

  previewButton.addEventListener('click', async () => {
    const file = fileInput.files[0];
    if (!file) { replace(result, h('p', { class: 'field-error' }, t('admin.choose_file'))); return; }
    previewButton.disabled = true;
    replace(result, h('p', { class: 'muted' }, t('common.loading')));
    try {
      const p = await send(file, true);
      const importButton = h('button', { type: 'button', class: 'button primary', dataset: { action: 'import' }, disabled: !p.valid,
        on: { click: () => doImport(file) } }, t('import.import'));
      replace(result,
        h('p', { class: 'import-summary', dataset: { valid: String(p.valid), errors: p.errors.length, aspects: p.aspects } },
          t('import.summary', { aspects: p.aspects, criteria: p.criteria.length, max: number(p.total_max, 2) }),
          p.sheet ? ` · ${t('import.from_sheet', { sheet: p.sheet })}` : ''),
        p.errors.length ? h('p', { class: 'notice error-notice' }, t('import.errors', { count: p.errors.length })) : null,
        p.errors.length ? errorsTable(p.errors) : null,
        p.refused ? problemView({ code: p.refused.code, detail: p.refused.detail, status: p.refused.status }) : null,
        p.errors.length ? null : schemeTable(p.criteria),
        h('p', { class: 'notice warn' }, t('import.replaces')),
        h('div', { class: 'row end' }, importButton));
    } catch (problem) {
      replace(result, problemView(problem));
    } finally {
      previewButton.disabled = false;
    }
  });
  return h('section', { class: 'card form scheme-import' },
    h('h2', null, t('import.scheme_title')),
    h('p', { class: 'hint' }, t('import.scheme_help')),
    h('div', { class: 'field' }, h('label', { for: fileInput.id }, t('admin.file')), fileInput),
    h('div', { class: 'row end' }, previewButton),
    result);
}
