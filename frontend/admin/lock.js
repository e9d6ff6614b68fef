// Locking a skill (signing off its marks). The server refuses a lock while marks are
// missing (409 marks_missing, listing each gap): the organizer sees every gap and may accept
// them with a reason, which the audit log keeps. An active entry without a single mark can
// never be accepted (409 entry_unmarked): it must be withdrawn first, which can be done here.
import { h } from '../lib/dom.js';
import { t, number, when, problemMessage } from '../lib/i18n.js';
import { path } from '../lib/api.js';
import { toast, ask } from '../lib/ui.js';

/**
 * Locks `skill`; resolves true when it was locked. `after()` runs after every change made
 * here (a lock, a withdrawal), so the page can redraw.
 */
export async function lockSkill(ctx, skill, after) {
  const url = path('competitions', ctx.comp.code, 'skills', skill.code, 'lock');
  let body = {};
  let reason = '';
  for (;;) {
    try {
      await ctx.post(url, body);
      toast(t('lock.locked', { skill: skill.name }), 'ok');
      await after();
      return true;
    } catch (problem) {
      if (problem.code === 'marks_missing') {
        reason = await gapsDialog(skill, problem.data.missing || [], reason);
        if (reason === null) return false;
        body = { accept_missing: true, reason };
        continue;
      }
      if (problem.code === 'entry_unmarked') {
        // Once every such entry is withdrawn the organizer may try again at once.
        if (await unmarkedDialog(ctx, skill, problem.data.entries || [], after)) continue;
        return false;
      }
      if (problem.status === 401) return false;
      toast(problemMessage(problem), 'error');
      return false;
    }
  }
}

function dialogShell(titleId, onCancel) {
  const dialog = h('dialog', { class: 'dialog wide-dialog', 'aria-labelledby': titleId });
  dialog.addEventListener('cancel', (e) => { e.preventDefault(); onCancel(); });
  return dialog;
}

/** Every gap, and a reason to accept them; resolves with the reason, or null. */
function gapsDialog(skill, missing, given = '') {
  return new Promise((resolve) => {
    const close = (result) => { dialog.close(); dialog.remove(); resolve(result); };
    const dialog = dialogShell('gaps-title', () => close(null));
    const entries = new Set(missing.map((m) => m.entry));
    const reason = h('textarea', { id: 'gaps-reason', rows: 3, required: true, value: given, 'aria-describedby': 'gaps-help' });
    const error = h('p', { class: 'field-error', hidden: true }, t('common.required'));
    const form = h('form', { method: 'dialog', class: 'stack lock-gaps', novalidate: true },
      h('h2', { id: 'gaps-title' }, t('lock.gaps_title', { skill: skill.name })),
      h('p', null, t('lock.gaps_message', { count: missing.length, entries: entries.size })),
      h('div', { class: 'table-wrap gaps-wrap', tabindex: '0', role: 'region', 'aria-label': t('lock.gaps_list') },
        h('table', { class: 'data gaps' },
          h('caption', { class: 'visually-hidden' }, t('lock.gaps_list')),
          h('thead', null, h('tr', null,
            h('th', { scope: 'col' }, t('admin.entry')),
            h('th', { scope: 'col' }, t('admin.aspect')),
            h('th', { scope: 'col', class: 'num' }, t('grid.have_needed')))),
          h('tbody', null, missing.map((m) => h('tr', { dataset: { entry: m.entry, aspect: m.aspect } },
            h('td', null, h('code', null, m.entry)),
            h('td', null, h('code', null, m.aspect)),
            h('td', { class: 'num' }, t('grid.count', { have: number(m.have), needed: number(m.needed) }))))))),
      h('p', { id: 'gaps-help', class: 'hint' }, t('lock.gaps_help')),
      h('label', { for: 'gaps-reason' }, t('admin.reason')),
      reason,
      error,
      h('div', { class: 'row end' },
        h('button', { type: 'button', class: 'button', on: { click: () => close(null) } }, t('common.cancel')),
        h('button', { type: 'submit', class: 'button danger', dataset: { action: 'accept-gaps' } }, t('lock.accept_gaps'))));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const text = reason.value.trim();
      if (!text) { error.hidden = false; reason.setAttribute('aria-invalid', 'true'); reason.focus(); return; }
      close(text);
    });
    dialog.append(form);
    document.body.append(dialog);
    dialog.showModal();
    reason.focus();
  });
}

/**
 * The entries that have no mark at all; each can be withdrawn (with a reason) from here.
 * Resolves true when the organizer asks to lock again.
 */
function unmarkedDialog(ctx, skill, entries, after) {
  return new Promise((resolve) => {
    const close = (retry = false) => { dialog.close(); dialog.remove(); resolve(retry === true); };
    const dialog = dialogShell('unmarked-title', close);
    let left = entries.length;
    const retry = h('button', { type: 'button', class: 'button primary', hidden: true, dataset: { action: 'lock-again' }, on: { click: () => close(true) } }, t('lock.try_again'));
    const entriesLink = `#/c/${encodeURIComponent(ctx.comp.code)}/entries/${encodeURIComponent(skill.code)}`;
    const withdraw = async (entry, button, row) => {
      const reason = await ask({ title: t('lock.withdraw_title', { entry }), message: t('lock.withdraw_message'), label: t('admin.reason'), confirm: t('lock.withdraw') });
      if (reason === null) return;
      button.disabled = true;
      try {
        await ctx.post(path('competitions', ctx.comp.code, 'entries', entry, 'status'), { status: 'withdrawn', reason });
        row.dataset.status = 'withdrawn';
        button.replaceWith(h('span', { class: 'badge' }, t('status.withdrawn')));
        left -= 1;
        retry.hidden = left > 0;
        await after();
      } catch (problem) {
        button.disabled = false;
        toast(problemMessage(problem), 'error');
      }
    };
    dialog.append(h('div', { class: 'stack lock-unmarked', role: 'alert' },
      h('h2', { id: 'unmarked-title' }, t('lock.unmarked_title', { skill: skill.name })),
      h('p', null, t('lock.unmarked_message', { count: entries.length })),
      h('ul', { class: 'unmarked-list' }, entries.map((entry) => {
        const row = h('li', { dataset: { entry } }, h('code', null, entry), ' ');
        const button = h('button', { type: 'button', class: 'button small', dataset: { action: 'withdraw' }, on: { click: () => withdraw(entry, button, row) } }, `${t('lock.withdraw')}…`);
        row.append(button);
        return row;
      })),
      h('p', { class: 'hint' }, t('lock.unmarked_help'), ' ', h('a', { href: entriesLink, on: { click: () => close() } }, t('lock.open_entries'))),
      h('div', { class: 'row end' }, h('button', { type: 'button', class: 'button', on: { click: () => close() } }, t('admin.done')), retry)));
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** The note on results locked with accepted gaps: who, when, why, and which marks. */
export function acceptedGapsNote(gaps) {
  if (!gaps) return null;
  const missing = gaps.missing || [];
  return h('div', { class: 'notice warn accepted-gaps', role: 'note' },
    h('p', null, h('strong', null, t('lock.accepted_note', { count: missing.length })), ' ',
      t('lock.accepted_by', { by: gaps.by || '?', at: when(gaps.at) })),
    h('p', null, t('lock.accepted_reason'), ' ', h('q', { class: 'reason' }, gaps.reason || '')),
    missing.length ? h('details', null,
      h('summary', null, t('lock.accepted_list', { count: missing.length })),
      h('ul', { class: 'gap-list' }, missing.map((m) => h('li', null,
        h('code', null, m.entry), ' · ', h('code', null, m.aspect), ' ',
        t('grid.count', { have: number(m.have), needed: number(m.needed) }))))) : null);
}
