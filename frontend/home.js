// The start page: every competition with links to its board (normal and big screen).
import { h, replace } from './lib/dom.js';
import * as i18n from './lib/i18n.js';
import { t } from './lib/i18n.js';
import { get, path } from './lib/api.js';
import { languageSwitcher, problemView } from './lib/ui.js';
import { localName } from './lib/names.js';

let competitions = null;
let failure = null;

function langQuery() {
  const lang = new URLSearchParams(window.location.search).get('lang');
  return lang ? `lang=${encodeURIComponent(lang)}` : '';
}

function boardHref(code, extra) {
  const query = [extra, langQuery()].filter(Boolean).join('&');
  return `/board/${encodeURIComponent(code)}${query ? `?${query}` : ''}`;
}

function render() {
  const list = document.getElementById('list');
  if (failure) { replace(list, problemView(failure)); return; }
  if (!competitions) return;
  if (competitions.length === 0) { replace(list, h('p', { class: 'muted' }, t('home.none'))); return; }
  replace(list, h('ul', { class: 'competitions' }, competitions.map((c) => h('li', { class: 'card' },
    h('h2', null, h('a', { href: boardHref(c.code) }, localName(c))),
    h('p', { class: 'muted small' }, [c.code, c.starts_on && c.ends_on ? `${c.starts_on} – ${c.ends_on}` : null, c.timezone].filter(Boolean).join(' · ')),
    h('p', { class: 'row' },
      h('a', { class: 'button primary', href: boardHref(c.code) }, t('home.open_board')),
      h('a', { class: 'button', href: boardHref(c.code, 'screen=big') }, t('home.big_screen')))))));
}

async function start() {
  await i18n.init();
  document.getElementById('lang-slot').append(languageSwitcher());
  i18n.onLanguageChange(render);
  try {
    competitions = await get(path('competitions'));
  } catch (problem) {
    failure = problem;
  }
  render();
}

start();
