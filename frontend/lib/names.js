// Names in the viewer's language, shared by every page (boards, tablets, ceremony, documents):
// things carry a default `name` (an aspect its `description`) and optional translations
// `names: {zh, ru, en}`; the page's language picks one, the default stands in for the rest.
import { h } from './dom.js';
import { lang as pageLanguage } from './i18n.js';

/**
 * `obj`'s name in `language` (the page's by default), else its default name (or description),
 * else `fallback` (its code unless given).
 */
export function localName(obj, language = pageLanguage(), fallback = obj?.code || '') {
  if (!obj) return fallback || '';
  const translated = obj.names && obj.names[language];
  return translated || obj.name || obj.description || fallback || '';
}

/**
 * A delegation's badge: its code on a neutral plate. Flags proper come with an embedded flag
 * set (issue 11, item 9); pages call this one function so they get them when it lands.
 */
export function flag(code) {
  return h('span', { class: 'flag flag-neutral', dataset: { delegation: code || '' }, 'aria-hidden': 'true' }, code || '');
}
