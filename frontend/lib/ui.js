// Shared widgets: language switcher, live-status badge, problem display, progress bars,
// medal badges, dialogs and toasts. All text goes in as text.
import { h, replace, announce } from './dom.js';
import { LANGUAGES, lang, setLanguage, t, problemMessage, fieldErrorMessage, number, onLanguageChange } from './i18n.js';
import { fraction } from './results.js';

export function languageSwitcher() {
  const nav = h('nav', { class: 'lang-switch', 'aria-label': t('common.language') });
  const render = () => {
    nav.setAttribute('aria-label', t('common.language'));
    replace(nav, LANGUAGES.map((l) => h('button', {
      type: 'button',
      class: 'lang-button',
      lang: l.code,
      'aria-pressed': String(l.code === lang()),
      dataset: { lang: l.code },
      on: { click: () => setLanguage(l.code).catch(() => toast(t('error.network_error'), 'error')) },
    }, l.short)));
  };
  render();
  onLanguageChange(render);
  return nav;
}

/** The live badge; `update({state, retryAt})` with state open|connecting|reconnecting|polling|offline. */
export function liveBadge() {
  // The countdown is for the eyes; screen readers hear only changes of state.
  const text = h('span', { class: 'live-text', 'aria-hidden': 'true' });
  const spoken = h('span', { class: 'visually-hidden' });
  const el = h('div', { class: 'live-badge', dataset: { state: 'connecting' } },
    h('span', { class: 'live-dot', 'aria-hidden': 'true' }), text, h('span', { role: 'status', 'aria-live': 'polite' }, spoken));
  let last = { state: 'connecting' };
  let timer = null;
  const render = () => {
    el.dataset.state = last.state;
    let label = t(`live.${last.state}`);
    if (spoken.textContent !== label) spoken.textContent = label;
    if (last.state === 'reconnecting' && last.retryAt) {
      const seconds = Math.max(0, Math.ceil((last.retryAt - Date.now()) / 1000));
      if (seconds > 0) label = t('live.reconnecting_in', { seconds });
    }
    text.textContent = label;
  };
  onLanguageChange(render);
  render();
  return {
    el,
    update(status) {
      last = status;
      clearInterval(timer);
      if (status.state === 'reconnecting' && status.retryAt) timer = setInterval(render, 1000);
      render();
    },
    get state() { return last.state; },
  };
}

/** A problem response with every per-item error, for forms and panels. */
export function problemView(problem, { describe } = {}) {
  const items = (problem.errors || []).map((e) => h('li', null,
    e.pointer ? h('code', { class: 'pointer' }, describe ? describe(e) : e.pointer) : null,
    e.pointer ? ' ' : null,
    fieldErrorMessage(e)));
  return h('div', { class: 'problem', role: 'alert', dataset: { code: problem.code, status: problem.status } },
    h('p', { class: 'problem-title' }, problemMessage(problem)),
    problem.detail && problemMessage(problem) !== problem.detail ? h('p', { class: 'problem-detail' }, problem.detail) : null,
    items.length ? h('ul', { class: 'problem-errors' }, items) : null);
}

/**
 * Marks fields of `form` named by the problem's JSON pointers (`data-pointer="/members"`)
 * as invalid and puts the message beside them. Returns the errors no field claimed.
 */
export function showFieldErrors(form, problem) {
  for (const old of form.querySelectorAll('.field-error')) old.remove();
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  const unclaimed = [];
  for (const error of problem.errors || []) {
    const field = error.pointer ? form.querySelector(`[data-pointer="${CSS.escape(error.pointer)}"]`) : null;
    if (!field) { unclaimed.push(error); continue; }
    field.setAttribute('aria-invalid', 'true');
    const id = `err-${Math.random().toString(36).slice(2)}`;
    const message = h('span', { class: 'field-error', id }, fieldErrorMessage(error));
    field.setAttribute('aria-describedby', id);
    field.insertAdjacentElement('afterend', message);
  }
  return unclaimed;
}

export function progressBar(marked, expected, { big = false } = {}) {
  const pct = Math.round(fraction(marked, expected) * 100);
  const label = t('progress.marks', { marked: number(marked), expected: number(expected) });
  return h('div', { class: ['progress', big && 'progress-big'] },
    h('progress', { max: expected || 1, value: Math.min(marked, expected || 1), 'aria-label': label }),
    h('span', { class: 'progress-text' }, `${label} · ${pct}%`));
}

export function medalBadge(medal) {
  if (!medal) return null;
  // The full name of a medallion is long; rows show the short one and keep the full one as a title.
  const label = medal === 'excellence' ? t('medal.excellence_row') : t(`medal.${medal}`);
  return h('span', { class: ['medal', `medal-${medal}`], title: t(`medal.${medal}`) },
    h('span', { class: 'medal-disc', 'aria-hidden': 'true' }), h('span', { class: 'medal-name' }, label));
}

let toastRegion = null;
export function toast(message, kind = 'info', ms = 4000) {
  if (!toastRegion) {
    toastRegion = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(toastRegion);
  }
  const el = h('div', { class: ['toast', `toast-${kind}`] }, message);
  toastRegion.append(el);
  setTimeout(() => el.remove(), ms);
}

/**
 * A modal dialog asking for text (a reason). Resolves with the text, or null when cancelled.
 */
export function ask({ title, message, label, confirm, value = '', required = true, multiline = true }) {
  return new Promise((resolve) => {
    const field = multiline
      ? h('textarea', { id: 'ask-field', rows: 3, required, value })
      : h('input', { id: 'ask-field', type: 'text', required, value, autocomplete: 'off' });
    const error = h('p', { class: 'field-error', hidden: true }, t('common.required'));
    const form = h('form', { method: 'dialog', class: 'stack' },
      h('h2', null, title),
      message ? h('p', null, message) : null,
      h('label', { for: 'ask-field' }, label),
      field,
      error,
      h('div', { class: 'row end' },
        h('button', { type: 'button', class: 'button', value: 'cancel', on: { click: () => close(null) } }, t('common.cancel')),
        h('button', { type: 'submit', class: 'button primary', value: 'ok' }, confirm)));
    const dialog = h('dialog', { class: 'dialog' }, form);
    const close = (result) => { dialog.close(); dialog.remove(); resolve(result); };
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const text = field.value.trim();
      if (required && !text) { error.hidden = false; field.focus(); return; }
      close(text);
    });
    dialog.addEventListener('cancel', (e) => { e.preventDefault(); close(null); });
    document.body.append(dialog);
    dialog.showModal();
    field.focus();
  });
}

/** A modal yes/no question. */
export function confirmDialog({ title, message, confirm, danger = false }) {
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'dialog' });
    const close = (result) => { dialog.close(); dialog.remove(); resolve(result); };
    dialog.append(h('div', { class: 'stack' },
      h('h2', null, title),
      message ? h('p', null, message) : null,
      h('div', { class: 'row end' },
        h('button', { type: 'button', class: 'button', on: { click: () => close(false) } }, t('common.cancel')),
        h('button', { type: 'button', class: ['button', danger ? 'danger' : 'primary'], on: { click: () => close(true) } }, confirm))));
    dialog.addEventListener('cancel', (e) => { e.preventDefault(); close(false); });
    document.body.append(dialog);
    dialog.showModal();
  });
}

export { announce };
