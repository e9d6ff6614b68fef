// Building blocks of the console pages: labelled fields, forms that show problem
// responses beside their fields, tables, downloads.
import { h, replace, formValues } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { problemView, showFieldErrors } from '../lib/ui.js';
import { parseProblem } from '../lib/api.js';

let fieldSeq = 0;

/** A labelled field. `input` gets an id; `pointer` ties it to a problem's JSON pointer. */
export function field(label, input, { hint, pointer, wide = false } = {}) {
  if (!input.id) input.id = `f${++fieldSeq}`;
  if (pointer) input.dataset.pointer = pointer;
  const hintEl = hint ? h('span', { class: 'hint', id: `${input.id}-hint` }, hint) : null;
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: ['field', wide && 'wide'] }, h('label', { for: input.id }, label), input, hintEl);
}

export function input(name, attrs = {}) {
  return h('input', { name, type: 'text', autocomplete: 'off', ...attrs });
}

export function choice(name, options, current, attrs = {}) {
  return h('select', { name, ...attrs }, options.map((o) => h('option', { value: o.value, selected: String(o.value) === String(current ?? '') }, o.label)));
}

/**
 * A form that calls `submit(values, form)`; a Problem it throws is shown above the button,
 * its per-field errors beside the fields (by `data-pointer`).
 */
export function form({ title, fields, submitLabel, submit, extra, className }) {
  const problemSlot = h('div', { class: 'form-problem', 'aria-live': 'assertive' });
  const button = h('button', { type: 'submit', class: 'button primary' }, submitLabel);
  const el = h('form', { class: ['card', 'form', className], novalidate: true },
    title ? h('h2', null, title) : null,
    h('div', { class: 'fields' }, fields),
    problemSlot,
    h('div', { class: 'row end' }, extra, button));
  el.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    replace(problemSlot);
    try {
      await submit(formValues(el), el);
      showFieldErrors(el, { errors: [] });
    } catch (problem) {
      if (!problem || problem.name !== 'Problem') { console.error(problem); problem = { code: 'unknown', detail: String(problem) }; }
      showFieldErrors(el, problem);
      replace(problemSlot, problemView(problem));
    } finally {
      button.disabled = false;
    }
  });
  return el;
}


export function table(headers, rows, { caption, className } = {}) {
  return h('div', { class: 'table-wrap' }, h('table', { class: ['data', className] },
    caption ? h('caption', { class: 'visually-hidden' }, caption) : null,
    h('thead', null, h('tr', null, headers.map((x) => h('th', { scope: 'col', class: x.num ? 'num' : null }, x.label ?? x)))),
    h('tbody', null, rows.length ? rows : h('tr', null, h('td', { colspan: headers.length, class: 'muted empty' }, t('admin.empty'))))));
}

/** Saves a Blob under `name` through a temporary link. */
export function saveBlob(name, blob) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Downloads an authenticated URL (the token goes in a header, never in the link). */
export async function download(url, token, name) {
  const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
  if (!response.ok) {
    throw parseProblem(response.status, await response.text(), response.headers.get('Content-Type') || '');
  }
  saveBlob(name, await response.blob());
}

/** "a; b;c" or lines → ["a", "b", "c"]. */
export function splitList(text) {
  return String(text || '').split(/[;\n]/).map((s) => s.trim()).filter(Boolean);
}

export function stateBadge(state) {
  const cls = { setup: '', marking: 'info', under_review: 'warn', locked: 'warn', published: 'ok' }[state] || '';
  return h('span', { class: ['badge', cls], dataset: { state } }, t(`state.${state}`));
}

