// Service worker of the judge tablet (registered only in secure contexts, with scope
// /judge): keeps the app shell so the page reloads offline. Network first, so a new
// version is picked up whenever the server answers; the API is never cached here (marks
// live in IndexedDB and go through the outbox).
const CACHE = 'podium-judge-v1';
const SHELL = [
  '/judge',
  '/static/css/base.css',
  '/static/css/judge.css',
  '/static/judge/judge.js',
  '/static/judge/outbox.js',
  '/static/judge/heartbeat.js',
  '/static/lib/api.js',
  '/static/lib/dom.js',
  '/static/lib/i18n.js',
  '/static/lib/idb.js',
  '/static/lib/live.js',
  '/static/lib/results.js',
  '/static/lib/ui.js',
  '/static/lib/uuid.js',
  '/static/i18n/en.json',
  '/static/i18n/zh.json',
  '/static/i18n/ru.json',
];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('podium-judge-') && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  const shell = url.pathname === '/judge' || url.pathname.startsWith('/static/');
  if (!shell) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const response = await fetch(event.request);
      if (response.ok) cache.put(url.pathname === '/judge' ? '/judge' : event.request, response.clone());
      return response;
    } catch (error) {
      const cached = await cache.match(url.pathname === '/judge' ? '/judge' : event.request, { ignoreSearch: url.pathname === '/judge' });
      if (cached) return cached;
      throw error;
    }
  })());
});
