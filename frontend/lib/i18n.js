// Strings of every page in English, Chinese and Russian (i18n/{en,zh,ru}.json, flat keys).
// The language comes from `?lang=` first, then the browser's languages, then English.
// Switching re-renders in place (no reload: a judge tablet may be offline).

export const LANGUAGES = [
  { code: 'en', label: 'English', short: 'EN' },
  { code: 'zh', label: '中文', short: '中文' },
  { code: 'ru', label: 'Русский', short: 'RU' },
];
const SUPPORTED = LANGUAGES.map((l) => l.code);

const dictionaries = new Map();
let current = 'en';
const listeners = new Set();

/** `?lang=` if supported, else the first supported of `navigator.languages`, else `en`. */
export function pickLanguage(search = window.location.search, preferred = navigator.languages || [navigator.language]) {
  const asked = new URLSearchParams(search).get('lang');
  if (asked && SUPPORTED.includes(asked.toLowerCase())) return asked.toLowerCase();
  for (const tag of preferred || []) {
    const base = String(tag || '').toLowerCase().split('-')[0];
    if (SUPPORTED.includes(base)) return base;
  }
  return 'en';
}

async function load(lang) {
  if (dictionaries.has(lang)) return dictionaries.get(lang);
  const response = await fetch(`/static/i18n/${lang}.json`, { cache: 'no-cache' });
  if (!response.ok) throw new Error(`no strings for ${lang}`);
  const dict = await response.json();
  dictionaries.set(lang, dict);
  return dict;
}

/** Loads English (the fallback) and the chosen language, and applies it to the page. */
export async function init(lang = pickLanguage()) {
  await load('en');
  try {
    await load(lang);
    current = lang;
  } catch {
    current = 'en';
  }
  applyStatic();
  return current;
}

/** Loads the other languages in the background so switching works offline later. */
export function preloadAll() {
  for (const code of SUPPORTED) load(code).catch(() => {});
}

export function lang() {
  return current;
}

/** Switches language, keeps `?lang=` in the address (replaceState), re-applies static text. */
export async function setLanguage(lang) {
  if (!SUPPORTED.includes(lang)) return;
  await load(lang);
  current = lang;
  const url = new URL(window.location.href);
  url.searchParams.set('lang', lang);
  history.replaceState(history.state, '', url);
  applyStatic();
  for (const listener of listeners) listener(lang);
}

export function onLanguageChange(listener) {
  listeners.add(listener);
}

/** t('board.rank') or t('judge.queued', {count: 3}): `{name}` placeholders are filled in. */
export function t(key, params) {
  const text = dictionaries.get(current)?.[key] ?? dictionaries.get('en')?.[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (_, name) => (params[name] !== undefined ? String(params[name]) : `{${name}}`));
}

/** True when a key exists (in any loaded language). */
export function has(key) {
  return dictionaries.get(current)?.[key] !== undefined || dictionaries.get('en')?.[key] !== undefined;
}

/**
 * Fills elements marked in the HTML: `data-i18n="key"` sets the text,
 * `data-i18n-attr="placeholder:key;aria-label:key2"` sets attributes.
 */
export function applyStatic(root = document) {
  if (root === document) {
    document.documentElement.lang = current === 'zh' ? 'zh-Hans' : current;
  }
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':').map((s) => s.trim());
      if (attr && key) el.setAttribute(attr, t(key));
    }
  }
  const title = document.querySelector('title[data-i18n-title]');
  if (root === document && title) document.title = t(title.dataset.i18nTitle);
}

/** The problem's message in the page language: a translated code, else the server's detail. */
export function problemMessage(problem) {
  if (!problem) return '';
  const key = `error.${problem.code}`;
  if (has(key)) return t(key);
  return problem.detail || problem.title || problem.code || t('error.unknown');
}

/** Text of one item of a problem's `errors` list. */
export function fieldErrorMessage(error) {
  const key = `error.${error.code}`;
  const translated = has(key) ? t(key) : '';
  // The server's detail names the exact value; keep it beside a translated code.
  if (translated && error.detail && current === 'en') return error.detail;
  return translated ? (error.detail ? `${translated} (${error.detail})` : translated) : (error.detail || error.code);
}

/** Numbers in the page's language (decimals arrive as strings like "75.77"). */
export function number(value, digits) {
  if (value === null || value === undefined || value === '') return '';
  const n = Number(value);
  if (!Number.isFinite(n)) return String(value);
  const opts = digits === undefined ? {} : { minimumFractionDigits: digits, maximumFractionDigits: digits };
  return new Intl.NumberFormat(current === 'zh' ? 'zh-CN' : current, opts).format(n);
}

function locale() {
  return current === 'zh' ? 'zh-CN' : current;
}

/** A moment (ISO string) in the page's language: the time alone when it is today, else date and time. */
export function when(iso, now = new Date()) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const today = date.toDateString() === now.toDateString();
  const options = today ? { hour: '2-digit', minute: '2-digit' } : { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' };
  return new Intl.DateTimeFormat(locale(), options).format(date);
}

/** "5 minutes ago" in the page's language (seconds are rounded to "now"). */
export function ago(iso, now = Date.now()) {
  if (!iso) return '';
  const ms = now - new Date(iso).getTime();
  if (!Number.isFinite(ms)) return '';
  const format = new Intl.RelativeTimeFormat(locale(), { numeric: 'auto' });
  const minutes = Math.round(ms / 60_000);
  if (Math.abs(minutes) < 1) return format.format(0, 'second');
  if (Math.abs(minutes) < 60) return format.format(-minutes, 'minute');
  const hours = Math.round(minutes / 60);
  if (Math.abs(hours) < 24) return format.format(-hours, 'hour');
  return format.format(-Math.round(hours / 24), 'day');
}
