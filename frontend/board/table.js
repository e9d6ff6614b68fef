// The results table of one skill. Rows are kept by entry code across updates so that a
// rank change moves the existing row (animated, FLIP) and a changed row flashes.
import { h, replace } from '../lib/dom.js';
import { t, number } from '../lib/i18n.js';
import { localName } from '../lib/names.js';
import { rankText, sharedRanks, shownScore } from '../lib/results.js';
import { medalBadge } from '../lib/ui.js';

const reducedMotion = () => window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;

export class ResultsTable {
  /** `delegation(code)` → {name, names} for localized names. */
  constructor({ delegation, caption, big = false }) {
    this.delegation = delegation;
    this.big = big;
    this.rows = new Map(); // entry → {tr, key}
    this.tbody = h('tbody');
    this.captionEl = h('caption', { class: 'visually-hidden' }, caption || '');
    this.el = h('table', { class: ['results', big && 'results-big'] }, this.captionEl, this.head(), this.tbody);
  }

  head() {
    return h('thead', null, h('tr', null,
      h('th', { scope: 'col', class: 'col-rank' }, t('board.rank')),
      h('th', { scope: 'col', class: 'col-entry' }, t('board.competitor')),
      h('th', { scope: 'col', class: 'col-deleg' }, t('board.delegation')),
      h('th', { scope: 'col', class: 'col-score num' }, t('board.score')),
      h('th', { scope: 'col', class: 'col-medal' }, t('board.medal'))));
  }

  /** Rebuilds the header (language change). */
  relabel(caption) {
    this.captionEl.textContent = caption || '';
    this.el.replaceChild(this.head(), this.el.querySelector('thead'));
    for (const { tr, row, shared } of this.rows.values()) this.fill(tr, row, shared);
  }

  /** Shows `rows` (already in rank order). */
  update(rows, { animate = true } = {}) {
    const isShared = sharedRanks(rows);
    const before = new Map();
    if (animate) for (const [entry, r] of this.rows) before.set(entry, r.tr.getBoundingClientRect().top);
    const seen = new Set();
    const changed = [];
    for (const row of rows) {
      seen.add(row.entry);
      const shared = isShared(row.rank);
      const key = JSON.stringify([row.rank, shared, row.raw, row.scaled, row.medal, row.status, row.members, row.delegation, row.provisional, row.gaps_accepted]);
      let item = this.rows.get(row.entry);
      if (!item) {
        item = { tr: h('tr', { dataset: { entry: row.entry } }), key: null };
        this.rows.set(row.entry, item);
      }
      if (item.key !== key) {
        const previous = item.row;
        this.fill(item.tr, row, shared);
        if (item.key !== null) changed.push({ tr: item.tr, up: previous && row.rank != null && (previous.rank == null || row.rank < previous.rank), down: previous && previous.rank != null && (row.rank == null || row.rank > previous.rank) });
        item.key = key;
      }
      item.row = row;
      item.shared = shared;
      this.tbody.append(item.tr); // appending an existing row moves it: the order follows `rows`
    }
    for (const [entry, item] of this.rows) {
      if (!seen.has(entry)) {
        item.tr.remove();
        this.rows.delete(entry);
      }
    }
    if (!animate || reducedMotion()) return;
    for (const [entry, top] of before) {
      const item = this.rows.get(entry);
      if (!item) continue;
      const delta = top - item.tr.getBoundingClientRect().top;
      if (Math.abs(delta) > 1 && typeof item.tr.animate === 'function') {
        item.tr.animate([{ transform: `translateY(${delta}px)` }, { transform: 'translateY(0)' }], { duration: 600, easing: 'cubic-bezier(0.2, 0.8, 0.2, 1)' });
      }
    }
    for (const { tr, up, down } of changed) {
      tr.classList.remove('flash', 'moved-up', 'moved-down');
      void tr.offsetWidth; // restart the CSS animation
      tr.classList.add('flash');
      if (up) tr.classList.add('moved-up');
      if (down) tr.classList.add('moved-down');
      setTimeout(() => tr.classList.remove('flash', 'moved-up', 'moved-down'), 2600);
    }
  }

  fill(tr, row, shared) {
    const d = this.delegation(row.delegation);
    const delegationName = d ? localName(d) : row.delegation;
    const inactive = row.status && row.status !== 'active';
    tr.className = inactive ? 'inactive' : '';
    if (row.medal) tr.classList.add(`row-${row.medal}`);
    const members = (row.members || []).join(', ');
    replace(tr,
      h('td', { class: 'col-rank' }, h('span', { class: 'rank' }, rankText(row.rank, shared))),
      h('td', { class: 'col-entry' },
        h('span', { class: 'members' }, members || row.entry),
        h('span', { class: 'entry-code' }, row.entry),
        h('span', { class: 'deleg-inline' }, delegationName),
        row.provisional ? h('span', { class: 'badge warn provisional' }, t('board.provisional')) : null,
        row.gaps_accepted ? h('span', { class: 'badge info gaps', title: t('board.gaps_row_title') }, t('board.gaps_row')) : null),
      h('td', { class: 'col-deleg' }, h('span', { class: 'deleg-code' }, row.delegation), ' ', h('span', { class: 'deleg-name' }, delegationName)),
      h('td', { class: 'col-score num' },
        h('span', { class: 'score' }, inactive ? '' : number(shownScore(row), 2)),
        row.scaled != null && !inactive ? h('span', { class: 'raw' }, t('board.raw', { raw: number(row.raw, 2) })) : null),
      h('td', { class: 'col-medal' }, inactive ? h('span', { class: 'badge error' }, t(`status.${row.status}`)) : medalBadge(row.medal)));
  }
}
