// Every judge's log-in code at once, as a printable sheet with one QR code per judge.
// Issuing a code ends the judge's previous code and sessions, so the console asks first,
// then issues fresh codes for every judge of the competition (or of one skill).
import { h } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { path } from '../lib/api.js';
import { toast, confirmDialog } from '../lib/ui.js';
import { toSvg } from '../lib/qr.js';
import { choice } from './common.js';

function loginLink(code) {
  return `${window.location.origin}/judge#code=${encodeURIComponent(code)}`;
}

function sheet(comp, issued, failed) {
  const close = () => { dialog.close(); dialog.remove(); document.body.classList.remove('printing-codes'); };
  const print = () => { document.body.classList.add('printing-codes'); window.print(); document.body.classList.remove('printing-codes'); };
  const dialog = h('dialog', { class: 'dialog codes-dialog', 'aria-labelledby': 'codes-title' },
    h('div', { class: 'row between no-print' },
      h('h2', { id: 'codes-title' }, t('codes.title', { count: issued.length })),
      h('div', { class: 'row' },
        h('button', { type: 'button', class: 'button primary', dataset: { action: 'print' }, on: { click: print } }, t('admin.print')),
        h('button', { type: 'button', class: 'button', on: { click: close } }, t('admin.done')))),
    failed.length ? h('p', { class: 'notice error-notice no-print' }, t('codes.failed', { judges: failed.join(', ') })) : null,
    h('p', { class: 'notice warn no-print' }, t('admin.code_once')),
    h('div', { class: 'code-cards' }, issued.map(({ judge, code }) => h('article', { class: 'code-card', dataset: { judge: judge.code } },
      h('h3', null, judge.name),
      h('p', { class: 'muted' }, `${judge.code} · ${judge.delegation} · ${(judge.skills || []).join(', ')}`),
      h('div', { class: 'qr-wrap' }, toSvg(loginLink(code), { title: t('admin.qr_label', { name: judge.name }) })),
      h('p', { class: 'login-code', dataset: { code } }, code.replace(/(.{5})(?=.)/g, '$1-')),
      h('p', { class: 'small' }, `${comp.name} · ${window.location.origin}/judge`)))));
  dialog.addEventListener('cancel', (ev) => { ev.preventDefault(); close(); });
  document.body.append(dialog);
  dialog.showModal();
}

/** Asks, issues a fresh code for each chosen judge one by one, then shows the sheet. */
async function issueAll(ctx, comp, judges, skill) {
  const chosen = skill ? judges.filter((j) => (j.skills || []).includes(skill)) : judges;
  if (!chosen.length) { toast(t('codes.none'), 'error'); return; }
  const ok = await confirmDialog({
    title: t('codes.confirm_title', { count: chosen.length }),
    message: t('codes.confirm', { count: chosen.length }),
    confirm: t('codes.issue'),
    danger: true,
  });
  if (!ok) return;
  const issued = [];
  const failed = [];
  for (const judge of chosen) {
    try {
      const answer = await ctx.post(path('competitions', comp.code, 'judges', judge.code, 'code'), {});
      issued.push({ judge, code: answer.code });
    } catch {
      failed.push(judge.code);
    }
  }
  sheet(comp, issued, failed);
}

/** The "print all codes" card of the judges page; `after` runs once the codes are issued. */
export function codeSheetCard(ctx, comp, judges, after) {
  const skill = choice('codes-skill', [{ value: '', label: t('admin.all_skills') }, ...comp.skills.map((s) => ({ value: s.code, label: `${s.code} – ${s.name}` }))], '', { id: 'codes-skill' });
  const button = h('button', { type: 'button', class: 'button primary', dataset: { action: 'print-all-codes' } }, t('codes.print_all'));
  button.addEventListener('click', async () => {
    button.disabled = true;
    try { await issueAll(ctx, comp, judges, skill.value || null); await after(); } finally { button.disabled = false; }
  });
  return h('section', { class: 'card form code-sheet-card no-print' },
    h('h2', null, t('codes.print_all')),
    h('p', { class: 'hint' }, t('codes.help')),
    h('div', { class: 'field' }, h('label', { for: skill.id }, t('admin.skill')), skill),
    h('div', { class: 'row end' }, button));
}
