// The medal table over published skills: order switch, delegations without medals,
// CSV export (a public URL, no token needed) and printing (print stylesheet).
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { get, path, withQuery } from '../lib/api.js';
import { problemView } from '../lib/ui.js';
import { medalTable, orderSwitch } from '../board/medals.js';
import { localName } from '../lib/names.js';

/**
 * Links to the printable documents. They open in a new tab that keeps this tab's session
 * (`rel=opener` copies sessionStorage), so locked skills' sheets print before publication.
 */
function documents(c) {
  const choice = { delegation: '', lang: c.default_language || 'en', paper: 'a4' };
  const links = h('div', { class: 'row documents-links' });
  const draw = () => {
    const query = (extra) => {
      const q = new URLSearchParams({ lang: choice.lang, paper: choice.paper, ...extra });
      for (const [k, v] of [...q]) if (!v) q.delete(k);
      return `?${q}`;
    };
    const base = `/print/${encodeURIComponent(c.code)}`;
    const link = (href, label) => h('a', { class: 'button', href, target: '_blank', rel: 'opener' }, label);
    replace(links,
      link(`${base}/results${query({})}`, t('admin.print_results')),
      link(`${base}/certificates${query({ delegation: choice.delegation })}`, t('admin.print_certificates')),
      link(`${base}/medals${query({})}`, t('admin.print_medals')));
  };
  const select = (key, options) => h('select', { name: key, on: { change: (ev) => { choice[key] = ev.target.value; draw(); } } },
    options.map((o) => h('option', { value: o.value, selected: o.value === choice[key] }, o.label)));
  draw();
  return h('section', { class: 'card documents' },
    h('h2', null, t('admin.documents')),
    h('div', { class: 'row' },
      h('label', null, t('admin.delegation'), ' ', select('delegation', [{ value: '', label: t('admin.all_delegations') }, ...c.delegations.map((d) => ({ value: d.code, label: `${d.code} – ${localName(d)}` }))])),
      h('label', null, t('common.language'), ' ', select('lang', [{ value: 'en', label: 'English' }, { value: 'zh', label: '中文' }, { value: 'ru', label: 'Русский' }])),
      h('label', null, t('print.paper'), ' ', select('paper', [{ value: 'a4', label: t('print.paper_a4') }, { value: 'letter', label: t('print.paper_letter') }]))),
    links);
}

export async function render(ctx, el) {
  const c = ctx.comp;
  let order = c.medal_order || 'olympic';
  let all = false;
  const slot = h('div', { class: 'table-wrap' });
  const csv = h('a', { class: 'button', download: `${c.code}-medals.csv` }, t('admin.download_csv'));
  const controls = h('div', { class: 'row no-print' });
  const printNote = h('p', { class: 'print-only' });

  async function draw() {
    printNote.textContent = `${t(`medals.order_${order}`)} · ${new Date().toLocaleString()}`;
    csv.href = withQuery(path('competitions', c.code, 'medals'), { format: 'csv', order, all: all ? 'true' : '' });
    replace(controls,
      orderSwitch(order, (o) => { order = o; draw(); }, 'admin-medal-order'),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', checked: all, on: { change: (ev) => { all = ev.target.checked; draw(); } } }), ` ${t('admin.show_all_delegations')}`),
      h('span', { class: 'grow' }),
      csv,
      h('button', { type: 'button', class: 'button', on: { click: () => window.print() } }, t('admin.print')));
    try {
      const body = await get(withQuery(path('competitions', c.code, 'medals'), { order, all: all ? 'true' : '' }));
      replace(slot, medalTable(body.rows || [], { caption: t('board.medal_table') }));
    } catch (problem) {
      replace(slot, problemView(problem));
    }
  }

  replace(el,
    h('h1', null, t('admin.medals_title', { name: c.name })),
    printNote,
    h('div', { class: 'card medals-print' }, controls, slot),
    documents(c));
  await draw();
}
