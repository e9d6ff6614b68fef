// The medal table over published skills: order switch, delegations without medals,
// CSV export (a public URL, no token needed) and printing (print stylesheet).
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { get, path, withQuery } from '../lib/api.js';
import { problemView } from '../lib/ui.js';
import { medalTable, orderSwitch } from '../board/medals.js';

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
    h('div', { class: 'card medals-print' }, controls, slot));
  await draw();
}
