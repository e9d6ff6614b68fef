// The medal table: rank (a shared rank shows as "=2"), delegation, medals, medallions,
// points; one table element rebuilt from rows.
import { h } from '../lib/dom.js';
import { t, number } from '../lib/i18n.js';
import { localName } from '../lib/names.js';
import { rankText } from '../lib/results.js';

export const ORDERS = ['olympic', 'total', 'points'];

export function medalTable(rows, { limit, caption, order, labelled = false } = {}) {
  const shown = limit ? rows.slice(0, limit) : rows;
  // Columns are headed by the medal's colour; the name is there for screen readers and
  // spelled out in the legend below the table.
  const medalHead = (medal) => h('th', { scope: 'col', class: ['num', `col-${medal}`], title: t(`medal.${medal}`) },
    h('span', { class: ['medal', `medal-${medal}`] }, h('span', { class: 'medal-disc', 'aria-hidden': 'true' }), h('span', { class: labelled ? 'medal-label' : 'visually-hidden' }, t(`medal.${medal}`))));
  const table = h('table', { class: ['medal-table', order && `order-${order}`, labelled && 'labelled'] },
    h('caption', { class: 'visually-hidden' }, caption || t('board.medal_table')),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col', class: 'col-rank' }, t('board.rank')),
      h('th', { scope: 'col' }, t('board.delegation')),
      medalHead('gold'), medalHead('silver'), medalHead('bronze'),
      h('th', { scope: 'col', class: 'num col-total' }, t('medals.total')),
      medalHead('excellence'),
      h('th', { scope: 'col', class: 'num col-points' }, t('medals.points')))),
    h('tbody', null, shown.length === 0
      ? h('tr', null, h('td', { colspan: 8, class: 'muted empty' }, t('medals.none')))
      : shown.map((r) => h('tr', { dataset: { delegation: r.delegation } },
        h('td', { class: 'col-rank' }, h('span', { class: 'rank' }, rankText(r.rank, r.shared))),
        h('td', { class: 'col-deleg' }, h('span', { class: 'deleg-code' }, r.delegation), ' ', h('span', { class: 'deleg-name' }, localName({ name: r.name, names: r.names, code: r.delegation }))),
        h('td', { class: 'num col-gold' }, number(r.gold)),
        h('td', { class: 'num col-silver' }, number(r.silver)),
        h('td', { class: 'num col-bronze' }, number(r.bronze)),
        h('td', { class: 'num col-total' }, number(r.total)),
        h('td', { class: 'num col-excellence' }, number(r.excellence)),
        h('td', { class: 'num col-points' }, number(r.points))))));
  return h('div', { class: 'medal-table-wrap' }, table,
    h('p', { class: 'medal-legend', 'aria-hidden': 'true' }, ['gold', 'silver', 'bronze', 'excellence'].map((medal) => h('span', { class: ['medal', `medal-${medal}`] },
      h('span', { class: 'medal-disc' }), h('span', { class: 'medal-name' }, t(`medal.${medal}`))))));
}

/** Radio buttons olympic / total / points. */
export function orderSwitch(current, onChange, name = 'medal-order') {
  return h('fieldset', { class: 'order-switch' },
    h('legend', null, t('medals.order')),
    h('div', { class: 'segmented' }, ORDERS.map((order) => h('label', null,
      h('input', { type: 'radio', name, value: order, checked: order === current, on: { change: () => onChange(order) } }),
      h('span', null, t(`medals.order_${order}`))))));
}
