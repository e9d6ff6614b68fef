// Browser tests of the Podium pages in headless Chromium, against a running server.
//
//   node tests/e2e/run.mjs <base-url> <admin-password> [--screenshots DIR] [--only NAME]
//
// tests/browser.rs starts the server on a fresh database and runs this; it can also be run
// by hand against `podium serve`. Exits 0 when every scenario passes.
import { chromium } from 'playwright-core';
import { readFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import os from 'node:os';
import assert from 'node:assert/strict';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const args = process.argv.slice(2);
const flag = (name) => { const i = args.indexOf(name); if (i < 0) return null; const v = args[i + 1]; args.splice(i, 2); return v; };
const screenshotDir = flag('--screenshots');
const only = flag('--only');
const [base, adminPassword] = args;
if (!base || !adminPassword) {
  console.error('usage: node tests/e2e/run.mjs <base-url> <admin-password> [--screenshots DIR] [--only NAME]');
  process.exit(2);
}

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const XSS = '<img src=x onerror=alert(1)>';

// ------------------------------------------------------------------ HTTP helpers

async function api(method, url, { body, token, raw } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = raw ? 'text/csv' : 'application/json';
  const response = await fetch(`${base}/api/v1${url}`, { method, headers, body: body === undefined ? undefined : raw ? body : JSON.stringify(body) });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = text; }
  return { status: response.status, body: json };
}

async function ok(method, url, options, expected = [200, 201, 204]) {
  const r = await api(method, url, options);
  assert.ok(expected.includes(r.status), `${method} ${url} → ${r.status} ${JSON.stringify(r.body).slice(0, 600)}`);
  return r.body;
}

let adminToken = null;
async function admin() {
  if (!adminToken) adminToken = (await ok('POST', '/session', { body: { username: 'admin', password: adminPassword } })).token;
  return adminToken;
}

async function issueCode(competition, judge) {
  return (await ok('POST', `/competitions/${competition}/judges/${judge}/code`, { body: {}, token: await admin() })).code;
}

function uuid() {
  return crypto.randomUUID();
}

// ------------------------------------------------------------------ the test package

/** A small competition: XS (published, with an XSS-looking competitor name) and LV (no marks, for the judge). */
function e2ePackage(code) {
  const marks = [];
  const add = (judge, entry, aspect, value) => marks.push({ judge, entry, aspect, value });
  add('J-XS-B', 'XS-AAA', 'M1', '8.50'); add('J-XS-B', 'XS-AAA', 'M2', '4.00');
  add('J-XS-B', 'XS-CCC', 'M1', '6.00'); add('J-XS-B', 'XS-CCC', 'M2', '2.50');
  add('J-XS-A', 'XS-BBB', 'M1', '7.00'); add('J-XS-A', 'XS-BBB', 'M2', '3.00');
  add('J-DS-B', 'DS-CCC', 'J1', '0');
  return {
    format: 'podium.competition/1',
    competition: { code, name: `E2E ${XSS} competition`, timezone: 'UTC', medal_order: 'olympic', default_language: 'en' },
    delegations: [
      { code: 'AAA', name: 'Alphaland', names: { en: 'Alphaland', zh: '阿尔法国', ru: 'Альфания' } },
      { code: 'BBB', name: 'Betaland', names: { en: 'Betaland', zh: '贝塔国', ru: 'Бетания' } },
      { code: 'CCC', name: `Gamma ${XSS}` },
    ],
    skills: [
      {
        code: 'XS', name: `Safety ${XSS} skill`, team_size: 1, standardise: 'none', tie_tolerance: 0, tie_break: 'none', max_judgement_spread: 1,
        judgement_aggregation: { method: 'mean' },
        criteria: [{ code: 'A', name: 'Module A', aspects: [
          { code: 'M1', description: 'Measured one', kind: 'measurement', max: 10 },
          { code: 'M2', description: 'Measured two', kind: 'measurement', max: 5 },
        ] }],
      },
      {
        code: 'LV', name: 'Live marking', team_size: 1, standardise: 'none', tie_tolerance: 0, tie_break: 'none', max_judgement_spread: 1,
        judgement_aggregation: { method: 'mean' },
        criteria: [
          { code: 'A', name: 'Module A', aspects: [
            { code: 'M1', description: 'Dimensions within tolerance', kind: 'measurement', max: 10 },
            { code: 'M2', description: 'Safety check passed', kind: 'measurement', max: 2, mode: 'binary' },
          ] },
          { code: 'B', name: 'Module B', aspects: [
            { code: 'J1', description: 'Finish quality', kind: 'judgement', max: 6, panel: 1 },
          ] },
        ],
      },
      {
        code: 'DS', name: 'Discrepancies', team_size: 1, standardise: 'none', tie_tolerance: 0, tie_break: 'none', max_judgement_spread: 1,
        judgement_aggregation: { method: 'mean' },
        criteria: [{ code: 'A', name: 'Module A', aspects: [{ code: 'J1', description: 'Overall impression', kind: 'judgement', max: 5, panel: 2 }] }],
      },
    ],
    entries: [
      { code: 'DS-CCC', skill: 'DS', delegation: 'CCC', members: ['Carla C'] },
      { code: 'XS-AAA', skill: 'XS', delegation: 'AAA', members: [XSS] },
      { code: 'XS-BBB', skill: 'XS', delegation: 'BBB', members: ['Zhang Wei'] },
      { code: 'XS-CCC', skill: 'XS', delegation: 'CCC', members: ['Иван Петров'] },
      { code: 'LV-AAA', skill: 'LV', delegation: 'AAA', members: ['Anna A'] },
      { code: 'LV-BBB', skill: 'LV', delegation: 'BBB', members: ['Boris B'] },
      { code: 'LV-CCC', skill: 'LV', delegation: 'CCC', members: [`Chen ${XSS}`] },
    ],
    judges: [
      { code: 'J-XS-A', name: 'Judge XS A', delegation: 'AAA', skills: ['XS'], role: 'judge' },
      { code: 'J-XS-B', name: 'Judge XS B', delegation: 'BBB', skills: ['XS'], role: 'judge' },
      { code: 'J-LV-A', name: `Judge ${XSS}`, delegation: 'AAA', skills: ['LV'], role: 'judge' },
      { code: 'J-DS-A', name: 'Judge DS A', delegation: 'AAA', skills: ['DS'], role: 'judge' },
      { code: 'J-DS-B', name: 'Judge DS B', delegation: 'BBB', skills: ['DS'], role: 'judge' },
    ],
    marks,
    published: ['XS'],
  };
}

// ------------------------------------------------------------------ browser helpers

let browser;
let screenshotsTaken = [];

async function newPage({ width = 1280, height = 800, lang = 'en-US' } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, locale: lang, serviceWorkers: 'block' });
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (error) => page.problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    const text = message.text();
    if (/Content Security Policy|Refused to/i.test(text)) page.problems.push(`CSP: ${text}`);
  });
  page.on('dialog', async (dialog) => {
    page.problems.push(`a ${dialog.type()} dialog fired: ${dialog.message()}`);
    await dialog.dismiss();
  });
  return page;
}

function assertClean(page) {
  assert.deepEqual(page.problems, [], `the page reported problems:\n${page.problems.join('\n')}`);
}

async function shot(page, name) {
  if (!screenshotDir) return;
  await page.waitForTimeout(700); // let entrance animations finish
  const file = path.resolve(root, screenshotDir, `${name}.png`);
  await page.screenshot({ path: file });
  screenshotsTaken.push(file);
}

async function text(page, selector) {
  return (await page.textContent(selector))?.replace(/\s+/g, ' ').trim();
}

async function waitLive(page) {
  await page.waitForSelector('.live-badge[data-state="open"]', { timeout: 10_000 });
}

// ------------------------------------------------------------------ scenarios

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test('i18n: en, zh and ru have the same keys', async () => {
  const dicts = {};
  for (const lang of ['en', 'zh', 'ru']) dicts[lang] = JSON.parse(await readFile(path.join(root, 'frontend', 'i18n', `${lang}.json`), 'utf8'));
  const keys = Object.keys(dicts.en).sort();
  for (const lang of ['zh', 'ru']) {
    assert.deepEqual(Object.keys(dicts[lang]).sort(), keys, `${lang}.json keys differ from en.json`);
    for (const key of keys) assert.ok(dicts[lang][key].trim(), `${lang}.json: empty ${key}`);
  }
  // The same placeholders in every language.
  for (const key of keys) {
    const names = (s) => (s.match(/\{\w+\}/g) || []).sort().join();
    for (const lang of ['zh', 'ru']) assert.equal(names(dicts[lang][key]), names(dicts.en[key]), `${lang}.json: placeholders of ${key}`);
  }
});

test('live.js: applies frames in seq order, resubscribes on a gap, resumes after a reconnect', async () => {
  // The live client in Node with a fake socket: the protocol logic, without a server.
  const listeners = {};
  globalThis.window = {
    location: { protocol: 'http:', host: 'podium.test' },
    addEventListener: (type, fn) => { listeners[type] = fn; },
    removeEventListener: () => {},
  };
  const sockets = [];
  class FakeSocket {
    constructor(url) { this.url = url; this.readyState = 0; this.sent = []; this.handlers = {}; sockets.push(this); }
    addEventListener(type, fn) { this.handlers[type] = fn; }
    send(text) { this.sent.push(JSON.parse(text)); }
    close() { this.readyState = 3; }
    open() { this.readyState = 1; this.handlers.open?.(); }
    frame(f) { this.handlers.message?.({ data: JSON.stringify(f) }); }
    drop() { this.readyState = 3; this.handlers.close?.(); }
  }
  const { LiveClient, backoffDelay } = await import(new URL('../../frontend/lib/live.js', import.meta.url));
  const states = [];
  const got = [];
  const revoked = [];
  const live = new LiveClient('MINI', { token: () => 'secret-token', WebSocket: FakeSocket, onStatus: (s) => states.push(s.state), onRevoked: (d) => revoked.push(d.reason) });
  live.subscribe('skill:IR', (m) => got.push([m.type, m.seq, m.data.n]));
  live.start();
  const ws = sockets[0];
  assert.equal(ws.url, 'ws://podium.test/api/v1/competitions/MINI/live');
  ws.open();
  assert.deepEqual(ws.sent, [{ auth: 'secret-token' }, { subscribe: ['skill:IR'] }], 'the token goes in a message, first');
  ws.frame({ type: 'snapshot', channel: 'skill:IR', seq: 40, data: { n: 'a' } });
  ws.frame({ type: 'delta', channel: 'skill:IR', seq: 41, data: { n: 'b' } });
  ws.frame({ type: 'delta', channel: 'skill:IR', seq: 41, data: { n: 'dup' } });
  ws.frame({ type: 'heartbeat', channel: null, seq: null, data: null });
  ws.frame({ type: 'delta', channel: 'skill:IR', seq: 43, data: { n: 'gap' } });
  assert.deepEqual(ws.sent.at(-1), { subscribe: ['skill:IR'], since: { 'skill:IR': 41 } }, 'a gap asks for the missed deltas');
  ws.frame({ type: 'delta', channel: 'skill:IR', seq: 42, data: { n: 'c' } });
  ws.frame({ type: 'delta', channel: 'skill:IR', seq: 43, data: { n: 'd' } });
  assert.deepEqual(got, [['snapshot', 40, 'a'], ['delta', 41, 'b'], ['delta', 42, 'c'], ['delta', 43, 'd']]);
  // A merged delta covers from…seq: it applies on anything from `from - 1` on.
  ws.frame({ type: 'delta', channel: 'skill:IR', from: 43, seq: 45, data: { n: 'merged' } });
  ws.frame({ type: 'delta', channel: 'skill:IR', from: 44, seq: 46, data: { n: 'overlap' } });
  assert.deepEqual(got.slice(4), [['delta', 45, 'merged'], ['delta', 46, 'overlap']]);
  ws.frame({ type: 'revoked', channel: null, seq: null, data: { reason: 'logged out' } });
  assert.deepEqual(revoked, ['logged out']);
  // The connection drops: reconnecting, then resumed from the last seq.
  ws.drop();
  assert.equal(live.state, 'reconnecting');
  await new Promise((r) => setTimeout(r, 600));
  const again = sockets[1];
  assert.ok(again, 'a new socket after the backoff');
  again.open();
  assert.deepEqual(again.sent, [{ auth: 'secret-token' }, { subscribe: ['skill:IR'], since: { 'skill:IR': 46 } }]);
  assert.deepEqual(states.slice(0, 4), ['connecting', 'open', 'reconnecting', 'reconnecting']);
  live.stop();
  // A revoked session: the page hears of it and drops its token, the socket carries on with
  // the public variants (their snapshots replace what the page had), and a reconnect sends
  // no token.
  const revokedToo = [];
  const pub = [];
  let pageToken = 'old-token';
  const live2 = new LiveClient('MINI', { token: () => pageToken, WebSocket: FakeSocket, onRevoked: (d) => { revokedToo.push(d.reason); pageToken = null; } });
  live2.subscribe('skill:IR', (m) => pub.push([m.type, m.seq]));
  live2.start();
  const ws2 = sockets.at(-1);
  ws2.open();
  ws2.frame({ type: 'snapshot', channel: 'skill:IR', seq: 90, data: {} });
  ws2.frame({ type: 'revoked', channel: null, seq: null, data: { reason: 'logged_out' } });
  assert.deepEqual(revokedToo, ['logged_out']);
  ws2.frame({ type: 'snapshot', channel: 'skill:IR', seq: 3, data: {} });
  ws2.frame({ type: 'delta', channel: 'skill:IR', seq: 4, data: {} });
  assert.deepEqual(pub, [['snapshot', 90], ['snapshot', 3], ['delta', 4]], 'the public snapshot replaces the private seq');
  ws2.drop();
  await new Promise((r) => setTimeout(r, 600));
  const ws3 = sockets.at(-1);
  assert.notEqual(ws3, ws2);
  ws3.open();
  assert.deepEqual(ws3.sent, [{ subscribe: ['skill:IR'], since: { 'skill:IR': 4 } }], 'no revoked token on reconnect');
  live2.stop();
  // Backoff: grows, capped at 30 s, with jitter between half and all of the ceiling.
  assert.equal(backoffDelay(0, () => 0), 250);
  assert.equal(backoffDelay(0, () => 1), 500);
  assert.equal(backoffDelay(3, () => 1), 4000);
  assert.equal(backoffDelay(30, () => 1), 30000);
  assert.equal(backoffDelay(30, () => 0), 15000);
  delete globalThis.window;
});

test('results.js: compact deltas patch rows by number, then move ranks and medals', async () => {
  const { mergeRows } = await import(new URL('../../frontend/lib/results.js', import.meta.url));
  const rows = [
    { i: 0, entry: 'A', raw: '5.00', rank: 1, medal: 'gold', criteria: { X: '5.00', Y: '0.00' } },
    { i: 1, entry: 'B', raw: '4.00', rank: 2, medal: 'silver', criteria: { X: '4.00', Y: '0.00' } },
  ];
  const merged = mergeRows(rows, [{ i: 1, raw: '6.00', rank: 1, medal: 'gold', criteria: { Y: '2.00' } }], [0, 2], [0, 'silver']);
  assert.deepEqual(merged.map((r) => [r.entry, r.raw, r.rank, r.medal, r.criteria]), [
    ['B', '6.00', 1, 'gold', { X: '4.00', Y: '2.00' }],
    ['A', '5.00', 2, 'silver', { X: '5.00', Y: '0.00' }],
  ]);
  assert.equal(rows[1].raw, '4.00', 'the rows held are not changed in place');
  assert.equal(mergeRows(rows, [{ i: 7, raw: '1.00' }]), null, 'a row the page does not hold asks for a snapshot');
});

test('pages are served with a strict CSP and no inline script or style', async () => {
  for (const url of ['/', '/board/DEMO', '/judge', '/admin']) {
    const response = await fetch(`${base}${url}`);
    assert.equal(response.status, 200, url);
    const csp = response.headers.get('content-security-policy') || '';
    assert.match(csp, /script-src 'self'/, `${url} CSP`);
    assert.doesNotMatch(csp, /unsafe-inline/, `${url} CSP`);
    const html = await response.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, `${url} has an inline script`);
    assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i, `${url} has inline style or handlers`);
  }
  // No page module inserts HTML.
  for (const dir of ['lib', 'board', 'judge', 'admin']) {
    for (const file of await readdir(path.join(root, 'frontend', dir))) {
      if (!file.endsWith('.js')) continue;
      const source = await readFile(path.join(root, 'frontend', dir, file), 'utf8');
      assert.doesNotMatch(source, /\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write/, `${dir}/${file} inserts HTML`);
    }
  }
});

test('(a) the board shows an imported competition and follows marks live within a second', async () => {
  const token = await admin();
  const mini = JSON.parse(await readFile(path.join(root, 'tests', 'fixtures', 'mini.json'), 'utf8'));
  const code = mini.competition.code;
  const existing = await api('GET', `/competitions/${code}`);
  if (existing.status === 200) await ok('DELETE', `/competitions/${code}`, { token });
  await ok('POST', '/competitions/import', { body: mini, token });
  const expected = JSON.parse(await readFile(path.join(root, 'tests', 'fixtures', 'mini.expected.json'), 'utf8'));

  const page = await newPage();
  await page.goto(`${base}/board/${code}?lang=en`);
  await page.waitForSelector('#skill-CNC table.results tbody tr');
  assert.equal(await text(page, '#title'), mini.competition.name);
  // Every published skill shows its ranking as the fixture says.
  for (const [skill, rows] of Object.entries(expected.skills)) {
    const first = rows[0];
    const cell = await text(page, `#skill-${skill} tr[data-entry="${first.entry}"] .rank`);
    assert.match(cell, new RegExp(`^=?${first.rank}$`), `${skill} ${first.entry} rank`);
    assert.equal(await page.locator(`#skill-${skill} tbody tr`).count(), rows.length, `${skill} rows`);
  }
  // The medal table in its default order.
  const top = expected.medals.olympic[0];
  assert.equal(await page.locator('.medal-table tbody tr').first().getAttribute('data-delegation'), top.delegation);
  assert.equal(await text(page, `.medal-table tr[data-delegation="${top.delegation}"] .col-gold`), String(top.gold));
  // The order switch.
  await page.check('input[name="medal-order"][value="points"]');
  await page.waitForFunction((d) => document.querySelector('.medal-table tbody tr')?.dataset.delegation === d, expected.medals.points[0].delegation);
  await waitLive(page);
  await shot(page, 'board-desktop');

  // Unlock CNC: the public view loses its results ("under review") at once.
  const skill = 'CNC';
  await ok('POST', `/competitions/${code}/skills/${skill}/unlock`, { body: { reason: 'e2e: re-check a measurement' }, token });
  await page.waitForSelector(`#skill-${skill} .status-review`, { timeout: 1000 });
  assert.equal(await page.locator(`#skill-${skill} table.results`).count(), 0, 'results hidden while under review');

  // Void the last-ranked entry's measurement mark and enter it again at the maximum:
  // the marking progress moves with each, live.
  const last = expected.skills[skill].filter((r) => r.rank != null).at(-1);
  const scheme = await ok('GET', `/competitions/${code}/skills/${skill}`);
  const measurements = scheme.criteria.flatMap((c) => c.aspects).filter((a) => a.kind === 'measurement' && a.mode !== 'binary');
  const marks = await ok('GET', `/competitions/${code}/marks?skill=${skill}&entry=${last.entry}`, { token });
  // An aspect marked once (no corrections): voiding that mark leaves the aspect unmarked.
  const single = (a) => { const list = marks.filter((m) => m.aspect === a.code); return list.length === 1 && !list[0].void ? list[0] : null; };
  const aspect = measurements.map((a) => ({ a, m: single(a) })).filter((x) => x.m && Number(x.m.value) < Number(x.a.max)).sort((x, y) => Number(x.m.value) - Number(y.m.value))[0];
  assert.ok(aspect, 'a measurement mark to replace');
  const progressText = () => text(page, `#skill-${skill} .progress-text`);
  const before = await progressText();
  await ok('POST', `/competitions/${code}/marks/${aspect.m.id}/void`, { body: { reason: 'e2e: entered against the wrong entry' }, token });
  await page.waitForFunction(([sel, b]) => document.querySelector(sel)?.textContent.trim() !== b, [`#skill-${skill} .progress-text`, before], { timeout: 1000 });
  const afterVoid = await progressText();
  const started = Date.now();
  await ok('POST', `/competitions/${code}/marks`, { body: { marks: [{ id: uuid(), entry: last.entry, aspect: aspect.a.code, value: aspect.a.max, judge: aspect.m.judge, reason: 'e2e: re-measured' }] }, token });
  await page.waitForFunction(([sel, b]) => document.querySelector(sel)?.textContent.trim() !== b, [`#skill-${skill} .progress-text`, afterVoid], { timeout: 1000 });
  const elapsed = Date.now() - started;
  assert.equal(await progressText(), before, 'progress back where it was');
  console.log(`      progress followed the mark in ${elapsed} ms`);

  // Lock and publish: the new ranking appears, live, with the entry's higher score.
  const oldScore = last.scaled ?? last.raw;
  await ok('POST', `/competitions/${code}/skills/${skill}/lock`, { body: {}, token });
  await ok('POST', `/competitions/${code}/skills/${skill}/publish`, { body: {}, token });
  await page.waitForSelector(`#skill-${skill} .status-official`, { timeout: 1000 });
  await page.waitForSelector(`#skill-${skill} tr[data-entry="${last.entry}"]`, { timeout: 1000 });
  const published = await ok('GET', `/competitions/${code}/skills/${skill}/results`);
  const row = published.results.find((r) => r.entry === last.entry);
  assert.ok(Number(row.raw) > Number(last.raw), 'the re-measured entry scores more');
  const shown = await text(page, `#skill-${skill} tr[data-entry="${last.entry}"] .score`);
  assert.equal(shown, (row.scaled ?? row.raw), `the board shows the new score (was ${oldScore})`);
  assert.equal(await text(page, `#skill-${skill} tr[data-entry="${last.entry}"] .rank`).then((r) => r.replace('=', '')), String(row.rank));
  assertClean(page);
  await page.context().close();
});

test('(a2) the board resumes after the socket drops and shows that it is reconnecting', async () => {
  const page = await newPage();
  const token = await admin();
  const code = 'E2E-LIVE';
  if ((await api('GET', `/competitions/${code}`)).status === 200) await ok('DELETE', `/competitions/${code}`, { token });
  await ok('POST', '/competitions/import', { body: e2ePackage(code), token });
  await page.goto(`${base}/board/${code}`);
  await waitLive(page);
  const before = await text(page, '#skill-LV .progress-text');
  await page.context().setOffline(true);
  // The socket notices (Chromium closes it when the network goes), the badge says so.
  await page.evaluate(() => window.dispatchEvent(new Event('offline')));
  await page.waitForSelector('.live-badge[data-state="reconnecting"]', { timeout: 40_000 });
  // A mark while the board is away…
  const judgeToken = (await ok('POST', '/session', { body: { code: await issueCode(code, 'J-LV-A') } })).token;
  await ok('POST', `/competitions/${code}/marks`, { body: { marks: [{ id: uuid(), entry: 'LV-BBB', aspect: 'M1', value: '5' }] }, token: judgeToken });
  await page.context().setOffline(false);
  // …arrives after the reconnect (resumed from the last seq).
  await waitLive(page);
  await page.waitForFunction(([sel, b]) => document.querySelector(sel)?.textContent.trim() !== b, ['#skill-LV .progress-text', before], { timeout: 5000 });
  assertClean(page);
  await page.context().close();
});

test('(b) a judge marks online and offline; every mark is stored exactly once', async () => {
  const token = await admin();
  const code = 'E2E-JUDGE';
  if ((await api('GET', `/competitions/${code}`)).status === 200) await ok('DELETE', `/competitions/${code}`, { token });
  await ok('POST', '/competitions/import', { body: e2ePackage(code), token });
  const loginCode = await issueCode(code, 'J-LV-A');

  const page = await newPage();
  await page.goto(`${base}/judge`);
  await page.fill('#code', loginCode.toLowerCase().replace(/(.{5})/, '$1-'));
  await page.click('form.login button[type="submit"]');
  await page.waitForSelector('.entry-button');
  assert.doesNotMatch(page.url(), /token|code=/i, 'nothing secret in the address');
  // The judge's own delegation is not offered.
  const entries = await page.locator('.entry-button').evaluateAll((els) => els.map((e) => e.dataset.entry));
  assert.deepEqual(entries.sort(), ['LV-BBB', 'LV-CCC']);
  // The judge's name (user data) renders as text.
  assert.equal(await text(page, '.who-name'), `Judge ${XSS}`);

  const mark = async (entry, aspect, value) => {
    if (!(await page.locator('.sheet-head .entry-code').count()) || (await text(page, '.sheet-head .entry-code')) !== entry) {
      await page.click(`.entry-button[data-entry="${entry}"]`);
      await page.waitForSelector(`.sheet-head .entry-code:text("${entry}")`);
    }
    const card = page.locator(`.aspect[data-aspect="${aspect}"]`);
    if (await card.locator('.score-button').count()) {
      await card.locator(`.score-button[data-value="${value}"]`).click();
    } else {
      await card.locator('input.measure-input').fill(value);
      await card.locator('button[type="submit"]').click();
    }
  };
  const pending = () => page.locator('.sync').getAttribute('data-pending').then(Number);

  // Online: three marks; the first answer is lost on the way back (the server stored the
  // batch), so the tablet sends it again and the server recognises the duplicates.
  let dropped = 0;
  await page.route('**/api/v1/competitions/*/marks', async (route) => {
    if (route.request().method() === 'POST' && dropped === 0) {
      dropped += 1;
      await route.fetch();
      await route.abort('connectionreset');
      return;
    }
    await route.continue();
  });
  await mark('LV-BBB', 'M1', '7,5');
  await mark('LV-BBB', 'M2', '2.00');
  await mark('LV-BBB', 'J1', '2');
  // All three saved on the server (each aspect says so) and nothing waiting.
  await page.waitForFunction(() => document.querySelectorAll('.sheet .aspect .status-icon.st-synced').length === 3
    && document.querySelector('.sync')?.dataset.pending === '0', null, { timeout: 15_000 });
  assert.equal(dropped, 1, 'one answer was dropped');
  await page.unroute('**/api/v1/competitions/*/marks');

  // Offline: three more and a correction, queued visibly.
  await page.context().setOffline(true);
  await page.evaluate(() => window.dispatchEvent(new Event('offline')));
  await mark('LV-CCC', 'M1', '3');
  await mark('LV-CCC', 'M2', '0');
  await mark('LV-CCC', 'J1', '3');
  await page.waitForFunction(() => document.querySelector('.sync')?.dataset.pending === '3');
  assert.match(await text(page, '.sync'), /3/);
  await mark('LV-BBB', 'M1', '8');
  await page.waitForSelector('dialog[open] textarea');
  await page.fill('dialog[open] textarea', 'misread the gauge');
  await page.click('dialog[open] button[type="submit"]');
  await page.waitForFunction(() => document.querySelector('.sync')?.dataset.pending === '4');
  await shot(page, 'judge-offline');
  // Marks survive a reload while offline? Not without a service worker on plain HTTP; they are
  // in IndexedDB, which the next check reads back after the network returns.
  assert.equal(await pending(), 4);

  // Back online: the queue drains.
  await page.context().setOffline(false);
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  await page.waitForFunction(() => document.querySelector('.sync')?.dataset.pending === '0', null, { timeout: 20_000 });

  const stored = await ok('GET', `/competitions/${code}/marks?judge=J-LV-A`, { token });
  const ids = stored.map((m) => m.id);
  assert.equal(new Set(ids).size, ids.length, 'no id twice');
  assert.equal(stored.length, 7, `7 marks stored: ${JSON.stringify(stored.map((m) => [m.entry, m.aspect, m.value]))}`);
  const byKey = (entry, aspect) => stored.filter((m) => m.entry === entry && m.aspect === aspect && !m.void);
  assert.deepEqual(byKey('LV-BBB', 'M1').map((m) => m.value), ['7.50', '8.00']);
  assert.equal(byKey('LV-BBB', 'M1')[1].reason, 'misread the gauge');
  assert.equal(byKey('LV-BBB', 'M1')[1].supersedes, byKey('LV-BBB', 'M1')[0].id);
  assert.deepEqual(byKey('LV-BBB', 'M2').map((m) => m.value), ['2.00']);
  assert.deepEqual(byKey('LV-BBB', 'J1').map((m) => m.value), ['2.00']);
  assert.deepEqual(byKey('LV-CCC', 'M1').map((m) => m.value), ['3.00']);
  assert.deepEqual(byKey('LV-CCC', 'M2').map((m) => m.value), ['0.00']);
  assert.deepEqual(byKey('LV-CCC', 'J1').map((m) => m.value), ['3.00']);
  // The tablet shows what the server has.
  await page.click('.entry-button[data-entry="LV-BBB"]');
  await page.waitForSelector('.aspect[data-aspect="M1"] .mark-status:has-text("8.00")');

  // A mark refused by the server stays on the tablet with the reason, until discarded.
  await page.context().setOffline(true);
  await page.evaluate(() => window.dispatchEvent(new Event('offline')));
  await mark('LV-CCC', 'M1', '9');
  await page.waitForSelector('dialog[open] textarea');
  await page.fill('dialog[open] textarea', 'second look');
  await page.click('dialog[open] button[type="submit"]');
  await page.waitForFunction(() => document.querySelector('.sync')?.dataset.pending === '1');
  // Meanwhile the organizers lock the skill (LV-AAA, which no judge here may mark, is
  // withdrawn first: an active entry without a mark cannot be signed off).
  await ok('POST', `/competitions/${code}/entries/LV-AAA/status`, { body: { status: 'withdrawn', reason: 'e2e: no eligible judge' }, token });
  await ok('POST', `/competitions/${code}/skills/LV/lock`, { body: {}, token });
  await page.context().setOffline(false);
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  await page.waitForSelector('.rejected .rejected-item', { timeout: 20_000 });
  assert.match(await text(page, '.rejected'), /LV-CCC/);
  assert.equal(await page.locator('.sync').getAttribute('data-rejected'), '1');
  await page.waitForSelector('.lock-banner', { timeout: 5000 });
  await shot(page, 'judge-rejected');
  await page.click('.rejected .rejected-item button:has-text("Discard")');
  await page.click('dialog[open] button.danger');
  await page.waitForFunction(() => !document.querySelector('.rejected .rejected-item'));
  assert.equal((await ok('GET', `/competitions/${code}/marks?judge=J-LV-A`, { token })).length, 7, 'the refused mark was not stored');
  assertClean(page);
  await page.context().close();
});

test('(b2) on a secure origin the tablet keeps its shell in a service worker and reloads offline', async () => {
  const token = await admin();
  const code = 'E2E-SW';
  if ((await api('GET', `/competitions/${code}`)).status === 200) await ok('DELETE', `/competitions/${code}`, { token });
  await ok('POST', '/competitions/import', { body: e2ePackage(code), token });
  // 127.0.0.1 is a secure context (like HTTPS); on a plain-HTTP LAN the worker is skipped,
  // which every other scenario here simulates by blocking service workers.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, serviceWorkers: 'allow' });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(`${base}/judge`);
  assert.equal(await page.evaluate(() => window.isSecureContext), true);
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await page.fill('#code', await issueCode(code, 'J-LV-A'));
  await page.click('form.login button[type="submit"]');
  await page.waitForSelector('.entry-button');
  await page.reload();
  await page.waitForSelector('.entry-button');
  assert.equal(await page.evaluate(() => Boolean(navigator.serviceWorker.controller)), true, 'the page is controlled by the worker');

  await context.setOffline(true);
  assert.equal(await page.evaluate(() => fetch('/healthz').then(() => 'reached', () => 'offline')), 'offline');
  const response = await page.reload();
  assert.ok(response && response.fromServiceWorker(), 'the page came from the service worker');
  await page.waitForSelector('.entry-button[data-entry="LV-BBB"]');
  await page.click('.entry-button[data-entry="LV-BBB"]');
  await page.click('.aspect[data-aspect="J1"] .score-button[data-value="1"]');
  await page.waitForFunction(() => document.querySelector('.sync')?.dataset.pending === '1');
  await context.setOffline(false);
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  await page.waitForFunction(() => document.querySelector('.sync')?.dataset.pending === '0', null, { timeout: 20_000 });
  const stored = await ok('GET', `/competitions/${code}/marks?judge=J-LV-A`, { token });
  assert.deepEqual(stored.map((m) => [m.entry, m.aspect, m.value]), [['LV-BBB', 'J1', '1.00']]);
  assert.deepEqual(problems, []);
  await context.close();
});

test('(b3) discrepancy alerts and lock changes reach the judge live', async () => {
  const token = await admin();
  const code = 'E2E-DS';
  if ((await api('GET', `/competitions/${code}`)).status === 200) await ok('DELETE', `/competitions/${code}`, { token });
  await ok('POST', '/competitions/import', { body: e2ePackage(code), token });
  const page = await newPage();
  await page.goto(`${base}/judge`);
  await page.fill('#code', await issueCode(code, 'J-DS-A'));
  await page.click('form.login button[type="submit"]');
  await page.waitForSelector('.entry-button[data-entry="DS-CCC"]');
  await waitLive(page);
  await page.click('.entry-button[data-entry="DS-CCC"]');
  // The other judge gave 0; a 3 makes the panel disagree by more than the skill allows.
  await page.click('.aspect[data-aspect="J1"] .score-button[data-value="3"]');
  await page.waitForSelector('.alerts .alert-item[data-entry="DS-CCC"][data-aspect="J1"]', { timeout: 5000 });
  assert.match(await text(page, '.alerts .alert-item'), /J-DS-B: 0(?![.\d])/);
  await page.waitForSelector('.aspect[data-aspect="J1"].has-discrepancy');
  await shot(page, 'judge-discrepancy');
  // The chief accepts the panel: the alert goes away, live.
  await ok('POST', `/competitions/${code}/skills/DS/discrepancies/override`, { body: { entry: 'DS-CCC', aspect: 'J1', reason: 'both views are defensible' }, token });
  await page.waitForSelector('.alerts .alert-item', { state: 'detached', timeout: 2000 });
  // Locking disables the buttons at once.
  await ok('POST', `/competitions/${code}/skills/DS/lock`, { body: {}, token });
  await page.waitForSelector('.lock-banner', { timeout: 2000 });
  assert.equal(await page.locator('.aspect[data-aspect="J1"] .score-button[disabled]').count(), 4);
  assertClean(page);
  await page.context().close();
});

test('(c) user data renders as text: a competitor named like an HTML tag', async () => {
  const token = await admin();
  const code = 'E2E-XSS';
  if ((await api('GET', `/competitions/${code}`)).status === 200) await ok('DELETE', `/competitions/${code}`, { token });
  await ok('POST', '/competitions/import', { body: e2ePackage(code), token });

  const page = await newPage();
  await page.goto(`${base}/board/${code}`);
  await page.waitForSelector('#skill-XS tr[data-entry="XS-AAA"]');
  assert.equal(await text(page, '#skill-XS tr[data-entry="XS-AAA"] .members'), XSS);
  await page.getByText(XSS, { exact: true }).first().waitFor();
  assert.equal(await text(page, '#title'), `E2E ${XSS} competition`);
  assert.equal(await page.locator('main img, main [onerror]').count(), 0, 'no element was created from data');
  // The medal table and the big screen too.
  assert.match(await text(page, '.medal-table'), /Alphaland/);
  await page.goto(`${base}/board/${code}?screen=big`);
  await page.waitForSelector('.slide');
  assert.equal(await page.locator('main img').count(), 0);

  // The console lists the entry by its name, as text.
  await page.goto(`${base}/admin#/c/${code}/entries`);
  await page.fill('input[name="password"]', adminPassword);
  await page.click('form.login-form button[type="submit"]');
  await page.waitForSelector('tr[data-code="XS-AAA"]');
  assert.equal(await text(page, 'tr[data-code="XS-AAA"] td.members'), XSS);
  assert.equal(await page.locator('main img').count(), 0);
  await page.waitForTimeout(300);
  assertClean(page);
  await page.context().close();
});

test('(d) the pages speak English, Chinese and Russian', async () => {
  const code = 'E2E-XSS';
  const page = await newPage();
  const cases = [
    { lang: 'en', board: 'Medal table', judge: 'Log in with your code', admin: 'Organizer log-in', deleg: 'Alphaland' },
    { lang: 'zh', board: '奖牌榜', judge: '使用登录码登录', admin: '组织者登录', deleg: '阿尔法国' },
    { lang: 'ru', board: 'Медальный зачёт', judge: 'Вход по коду', admin: 'Вход для организаторов', deleg: 'Альфания' },
  ];
  for (const c of cases) {
    await page.goto(`${base}/board/${code}?lang=${c.lang}`);
    await page.waitForSelector('#medals-title');
    assert.equal(await text(page, '#medals-title'), c.board, `board in ${c.lang}`);
    assert.equal(await page.getAttribute('html', 'lang'), c.lang === 'zh' ? 'zh-Hans' : c.lang);
    // Delegation names as entered, in the page's language when there is one.
    assert.equal(await text(page, '#skill-XS tr[data-entry="XS-AAA"] .deleg-name'), c.deleg);
    assert.equal(await text(page, '#skill-XS tr[data-entry="XS-CCC"] .deleg-name'), `Gamma ${XSS}`);
    if (c.lang === 'zh') await shot(page, 'board-desktop-zh');
    await page.goto(`${base}/judge?lang=${c.lang}`);
    await page.waitForSelector('form.login h1');
    assert.equal(await text(page, 'form.login h1'), c.judge, `judge in ${c.lang}`);
    await page.goto(`${base}/admin?lang=${c.lang}`);
    await page.waitForSelector('form.login-form h2');
    assert.equal(await text(page, 'form.login-form h2'), c.admin, `console in ${c.lang}`);
  }
  // The browser's languages when there is no ?lang=.
  const zhPage = await newPage({ lang: 'zh-CN' });
  await zhPage.goto(`${base}/board/${code}`);
  await zhPage.waitForSelector('#medals-title');
  assert.equal(await text(zhPage, '#medals-title'), '奖牌榜');
  // Switching in place, without a reload.
  await zhPage.click('.lang-button[data-lang="ru"]');
  await zhPage.waitForFunction(() => document.querySelector('#medals-title')?.textContent === 'Медальный зачёт');
  assert.match(zhPage.url(), /lang=ru/);
  assertClean(page);
  assertClean(zhPage);
  await page.context().close();
  await zhPage.context().close();
});

test('the console: log in, issue a judge code (text and QR), edit a scheme, read the audit log', async () => {
  const token = await admin();
  const code = 'E2E-CONSOLE';
  if ((await api('GET', `/competitions/${code}`)).status === 200) await ok('DELETE', `/competitions/${code}`, { token });
  await ok('POST', '/competitions/import', { body: e2ePackage(code), token });
  const page = await newPage();
  await page.goto(`${base}/admin`);
  await page.fill('input[name="password"]', adminPassword);
  await page.click('form.login-form button[type="submit"]');
  await page.waitForSelector('h1:has-text("Competitions")');
  assert.doesNotMatch(page.url(), /token/i);
  await page.goto(`${base}/admin#/c/${code}/judges`);
  await page.waitForSelector('tr[data-code="J-XS-A"]');
  await page.click('tr[data-code="J-XS-A"] button[data-action="issue"]');
  await page.waitForSelector('.code-dialog svg.qr path');
  const shownCode = (await page.getAttribute('.login-code', 'data-code'));
  assert.match(shownCode, /^[A-Z2-9]{10}$/);
  // The code works (once).
  const session = await api('POST', '/session', { body: { code: shownCode } });
  assert.equal(session.status, 201);
  await page.click('.code-dialog button.primary');

  // The scheme of a skill with marks is locked: the server says so, beside the form.
  await page.goto(`${base}/admin#/c/${code}/skills/XS`);
  await page.waitForSelector('.scheme-form');
  await page.fill('.scheme-form input[data-pointer="/criteria/0/aspects/0/max"]', '12');
  await page.click('.scheme-form button[type="submit"]');
  await page.waitForSelector('.scheme-form .problem[data-code]');
  assert.equal(await page.getAttribute('.scheme-form .problem', 'data-status'), '409');

  // A scheme without marks can change; a bad value is pointed at its field.
  await page.goto(`${base}/admin#/c/${code}/skills/new`);
  await page.waitForSelector('.scheme-form');
  await page.fill('.scheme-form input[name="code"]', 'NEW');
  await page.fill('.scheme-form input[name="name"]', 'A new skill');
  await page.fill('.scheme-form input[name="team_size"]', '2');
  await page.fill('.scheme-form input[data-pointer="/criteria/0/aspects/0/max"]', '-3');
  await page.click('.scheme-form button[type="submit"]');
  await page.waitForSelector('.scheme-form .problem');
  await page.waitForSelector('.scheme-form input[data-pointer="/criteria/0/aspects/0/max"][aria-invalid="true"]');
  await page.fill('.scheme-form input[data-pointer="/criteria/0/aspects/0/max"]', '4.5');
  await page.click('.scheme-form button[type="submit"]');
  await page.waitForFunction(() => window.location.hash.endsWith('/skills/NEW'));
  const created = await ok('GET', `/competitions/${code}/skills/NEW`);
  assert.equal(created.criteria[0].aspects[0].max, '4.50');

  // Entries from CSV, with the upload progress bar.
  await page.goto(`${base}/admin#/c/${code}/entries`);
  await page.waitForSelector('.upload input[type="file"]');
  await page.setInputFiles('.upload input[type="file"]', { name: 'entries.csv', mimeType: 'text/csv', buffer: Buffer.from('code,skill,delegation,members\nNEW-AAA,NEW,AAA,Ann;Bob\nNEW-BBB,NEW,BBB,Cid;Dan\n') });
  await page.click('.upload button[type="submit"]');
  await page.waitForSelector('tr[data-code="NEW-AAA"]');
  assert.equal(await text(page, 'tr[data-code="NEW-AAA"] td.members'), 'Ann; Bob');

  // The audit log, filtered.
  await page.goto(`${base}/admin#/c/${code}/audit`);
  await page.waitForSelector('table.audit tbody tr');
  assert.ok(await page.locator('table.audit tbody tr').count() >= 4);
  await page.fill('input[name="action"]', 'skill.');
  await page.click('form.filters button[type="submit"]');
  await page.waitForFunction(() => document.querySelectorAll('table.audit tbody tr').length === 1);
  assert.equal(await text(page, 'table.audit tbody tr td:nth-child(4)'), 'skill.created');
  assert.equal(await text(page, 'table.audit tbody tr td:nth-child(5)'), 'NEW');

  // Lock (one judgement score of DS-CCC is missing: accepted with a reason), publish and
  // unlock from the progress page; a published skill reopened is "under review".
  await page.goto(`${base}/admin#/c/${code}/judging`);
  const card = page.locator('.skill-status[data-skill="DS"]');
  await card.locator('button[data-action="lock"]').click();
  await page.waitForSelector('dialog[open] .lock-gaps tr[data-entry="DS-CCC"][data-aspect="J1"]');
  await page.fill('dialog[open] textarea', 'e2e: the second judge fell ill');
  await page.click('dialog[open] button[data-action="accept-gaps"]');
  await page.waitForSelector('.skill-status[data-skill="DS"][data-state="locked"]');
  await page.locator('.skill-status[data-skill="DS"] button[data-action="publish"]').click();
  await page.click('dialog[open] button.primary');
  await page.waitForSelector('.skill-status[data-skill="DS"][data-state="published"]');
  await page.locator('.skill-status[data-skill="DS"] button[data-action="unlock"]').click();
  await page.fill('dialog[open] textarea', 'e2e: reopen');
  await page.click('dialog[open] button[type="submit"]');
  await page.waitForSelector('.skill-status[data-skill="DS"][data-state="under_review"]');
  assert.equal(await text(page, '.skill-status[data-skill="DS"] .badge[data-state]'), 'Results under review');
  const unlocked = (await ok('GET', `/competitions/${code}/audit?action=skill.unlocked`, { token })).events;
  assert.equal(unlocked.at(-1).reason, 'e2e: reopen');

  // The medal table with its CSV link.
  await page.goto(`${base}/admin#/c/${code}/medals`);
  await page.waitForSelector('.medal-table tbody tr');
  const href = await page.getAttribute('a[download]', 'href');
  const csv = await fetch(`${base}${href}`);
  assert.equal(csv.status, 200);
  assert.match(await csv.text(), /^rank,delegation/);
  assertClean(page);
  await page.context().close();
});

/** A fresh copy of the test package under `code`. */
async function freshCompetition(code) {
  const token = await admin();
  if ((await api('GET', `/competitions/${code}`)).status === 200) await ok('DELETE', `/competitions/${code}`, { token });
  await ok('POST', '/competitions/import', { body: e2ePackage(code), token });
  return token;
}

async function consoleAt(page, hash) {
  await page.goto(`${base}/admin${hash}`);
  await page.fill('input[name="password"]', adminPassword);
  await page.click('form.login-form button[type="submit"]');
}

async function judgeToken(code, judge) {
  return (await ok('POST', '/session', { body: { code: await issueCode(code, judge) } })).token;
}

async function markAs(code, token, marks) {
  return ok('POST', `/competitions/${code}/marks`, { body: { marks: marks.map(([entry, aspect, value, reason]) => ({ id: uuid(), entry, aspect, value, ...(reason ? { reason } : {}) })) }, token });
}

test('(e) the console grid follows marks live: have/needed, who scored, who has not, per judge', async () => {
  const code = 'E2E-GRID';
  await freshCompetition(code);
  const page = await newPage();
  await consoleAt(page, `#/c/${code}/grid/LV`);
  await page.waitForSelector('table.marking-grid tbody tr[data-entry="LV-BBB"]');
  await waitLive(page);
  const cellOf = (entry, aspect) => page.locator(`table.marking-grid tr[data-entry="${entry}"] td[data-aspect="${aspect}"]`);
  // Table semantics: entries are row headers, aspects column headers.
  assert.equal(await page.locator('table.marking-grid tbody th[scope="row"]').count(), 3);
  assert.deepEqual(await page.locator('table.marking-grid thead th[data-aspect]').evaluateAll((els) => els.map((e) => e.dataset.aspect)), ['M1', 'M2', 'J1']);
  assert.equal(await cellOf('LV-BBB', 'J1').getAttribute('data-missing'), 'true');
  assert.match(await cellOf('LV-BBB', 'J1').innerText(), /0\/1/);
  assert.match(await text(page, 'table.marking-grid tr[data-entry="LV-BBB"] td[data-aspect="J1"] .pending'), /J-LV-A/);
  assert.equal(await page.getAttribute('table.grid-judges tr[data-judge="J-LV-A"]', 'data-marks'), '0');
  // The grid region can be reached and scrolled with the keyboard.
  assert.equal(await page.getAttribute('.grid-wrap', 'tabindex'), '0');

  // A judge scores LV-BBB on the tablet's behalf (over the API): the grid follows, live.
  const judge = await judgeToken(code, 'J-LV-A');
  await markAs(code, judge, [['LV-BBB', 'J1', '2']]);
  const started = Date.now();
  await page.waitForSelector('table.marking-grid tr[data-entry="LV-BBB"] td[data-aspect="J1"][data-missing="false"]', { timeout: 3000 });
  console.log(`      the grid followed the mark in ${Date.now() - started} ms (300 ms of it the debounce)`);
  assert.match(await cellOf('LV-BBB', 'J1').innerText(), /1\/1/);
  assert.match(await text(page, 'table.marking-grid tr[data-entry="LV-BBB"] td[data-aspect="J1"] .scored'), /J-LV-A/);
  assert.equal(await page.locator('table.marking-grid tr[data-entry="LV-BBB"] td[data-aspect="J1"] .pending').count(), 0);
  await page.waitForSelector('table.grid-judges tr[data-judge="J-LV-A"][data-marks="1"] time');

  // "Missing only": an entry with every mark in leaves the list.
  await markAs(code, judge, [['LV-BBB', 'M1', '5'], ['LV-BBB', 'M2', '2']]);
  await page.waitForSelector('table.marking-grid tr[data-entry="LV-BBB"][data-missing="0"]', { timeout: 3000 });
  await page.check('#grid-missing-only');
  await page.waitForSelector('table.marking-grid tr[data-entry="LV-BBB"]', { state: 'detached' });
  assert.deepEqual(await page.locator('table.marking-grid tbody tr[data-entry]').evaluateAll((els) => els.map((e) => e.dataset.entry)), ['LV-AAA', 'LV-CCC']);
  // Still filtered after the next live refresh.
  await markAs(code, judge, [['LV-CCC', 'M1', '4']]);
  await page.waitForSelector('table.marking-grid tr[data-entry="LV-CCC"] td[data-aspect="M1"][data-missing="false"]', { timeout: 3000 });
  assert.equal(await page.locator('table.marking-grid tr[data-entry="LV-BBB"]').count(), 0);
  assert.match(await text(page, '.grid-summary'), /of 9 marks missing/);
  assertClean(page);
  await page.context().close();
});

test('(f) readiness: a panel that cannot be filled, an entry no judge may mark, judges without a skill', async () => {
  const code = 'E2E-READY';
  const token = await freshCompetition(code);
  // DS needs a panel of 2; for an entry of AAA only J-DS-B is eligible.
  await ok('POST', `/competitions/${code}/entries`, { body: { code: 'DS-AAA', skill: 'DS', delegation: 'AAA', members: ['Ada A'] }, token });
  await ok('POST', `/competitions/${code}/judges`, { body: { code: 'J-IDLE', name: 'Idle judge', delegation: 'CCC', skills: [], role: 'judge' }, token });
  const page = await newPage();
  await consoleAt(page, `#/c/${code}/readiness`);
  const ds = page.locator('.readiness-skill[data-skill="DS"]');
  await ds.waitFor();
  assert.equal(await ds.getAttribute('data-ready'), 'false');
  const panel = ds.locator('.readiness-problem[data-kind="panel_unfillable"]');
  assert.equal(await panel.getAttribute('data-severity'), 'error');
  assert.equal(await panel.getAttribute('data-aspect'), 'J1');
  assert.match(await panel.innerText(), /needs 2 judges; eligible for some entries: 1\./);
  assert.match(await panel.innerText(), /DS-AAA/);
  assert.match(await panel.locator('.severity').innerText(), /Error/);
  // LV-AAA: the only LV judge is of AAA.
  const lv = page.locator('.readiness-skill[data-skill="LV"] .readiness-problem[data-kind="no_eligible_judge"]');
  assert.ok(await lv.count() >= 1);
  assert.match(await lv.first().innerText(), /LV-AAA/);
  // A scheme that does not add up to 100 is a warning, and looks like one.
  const total = page.locator('.readiness-skill[data-skill="XS"] .readiness-problem[data-kind="scheme_total"]');
  assert.equal(await total.getAttribute('data-severity'), 'warning');
  assert.match(await total.locator('.severity').innerText(), /Warning/);
  assert.match(await total.innerText(), /adds up to 15[.,]00/);
  assert.match(await text(page, '.readiness-judges'), /J-IDLE/);
  // Each problem links to where it is fixed.
  await panel.locator('a[data-fix="judges"]').click();
  await page.waitForSelector('tr[data-code="J-DS-A"]');
  assert.match(page.url(), /#\/c\/E2E-READY\/judges$/);
  await page.goBack();
  await page.locator('.readiness-judges a[href$="/judges/J-IDLE"]').click();
  await page.waitForFunction(() => document.querySelector('form h2')?.textContent.includes('J-IDLE'));
  // The progress page shows each skill's readiness at a glance.
  await page.goto(`${base}/admin#/c/${code}/judging`);
  await page.waitForSelector('.skill-status[data-skill="DS"] .readiness-badge.error');
  assertClean(page);
  await page.context().close();
});

test('(g) locking with gaps: every gap shown, accepted with a reason; an unmarked entry withdrawn first', async () => {
  const code = 'E2E-LOCK';
  const token = await freshCompetition(code);
  const judge = await judgeToken(code, 'J-LV-A');
  await markAs(code, judge, [['LV-BBB', 'M1', '7'], ['LV-BBB', 'M2', '2'], ['LV-BBB', 'J1', '3'], ['LV-CCC', 'M1', '5']]);
  const page = await newPage();
  await consoleAt(page, `#/c/${code}/judging`);
  await page.locator('.skill-status[data-skill="LV"] button[data-action="lock"]').click();
  // Every gap: LV-AAA (nothing), LV-CCC (M2, J1).
  await page.waitForSelector('dialog[open] .lock-gaps');
  const gaps = await page.locator('dialog[open] .lock-gaps tbody tr').evaluateAll((els) => els.map((e) => `${e.dataset.entry}/${e.dataset.aspect}`));
  assert.deepEqual(gaps.sort(), ['LV-AAA/J1', 'LV-AAA/M1', 'LV-AAA/M2', 'LV-CCC/J1', 'LV-CCC/M2']);
  assert.match(await text(page, 'dialog[open] .lock-gaps tr[data-entry="LV-CCC"][data-aspect="J1"]'), /0\/1/);
  // A reason is required.
  await page.click('dialog[open] button[data-action="accept-gaps"]');
  await page.waitForSelector('dialog[open] .lock-gaps .field-error:not([hidden])');
  await page.fill('dialog[open] textarea', 'e2e: the second day was cancelled');
  await page.click('dialog[open] button[data-action="accept-gaps"]');
  // LV-AAA has no mark at all: it must be withdrawn first, which can be done right here.
  await page.waitForSelector('dialog[open] .lock-unmarked li[data-entry="LV-AAA"]');
  assert.match(await text(page, 'dialog[open] .lock-unmarked'), /without a single mark/);
  await page.click('dialog[open] .lock-unmarked li[data-entry="LV-AAA"] button[data-action="withdraw"]');
  await page.fill('dialog[open] #ask-field', 'e2e: did not compete');
  await page.click('dialog[open] form button[type="submit"]');
  await page.waitForSelector('dialog[open] .lock-unmarked li[data-entry="LV-AAA"][data-status="withdrawn"]');
  await page.click('dialog[open] button[data-action="lock-again"]');
  await page.waitForSelector('.skill-status[data-skill="LV"][data-state="locked"]');
  const results = await ok('GET', `/competitions/${code}/skills/LV/results`, { token });
  assert.equal(results.accepted_gaps.reason, 'e2e: the second day was cancelled');
  assert.deepEqual(results.accepted_gaps.missing.map((m) => `${m.entry}/${m.aspect}`).sort(), ['LV-CCC/J1', 'LV-CCC/M2']);
  assert.ok(results.results.every((r) => !r.provisional), 'no row is provisional once signed off');
  // The results preview carries the note.
  const card = page.locator('.skill-status[data-skill="LV"]');
  await card.locator('button:has-text("Results")').click();
  await page.waitForSelector('.skill-status[data-skill="LV"] .accepted-gaps');
  assert.match(await text(page, '.skill-status[data-skill="LV"] .accepted-gaps'), /missing marks: 2\).*the second day was cancelled/);
  assert.equal(await page.locator('.skill-status[data-skill="LV"] tr[data-entry="LV-CCC"] .gaps-accepted').count(), 1);
  assert.equal(await page.locator('.skill-status[data-skill="LV"] .results-preview .badge:has-text("provisional")').count(), 0);

  // Published: the board says "Official" and nothing is provisional; the row says its marks
  // were incomplete. Reopened: "Results under review", never "Official".
  const board = await newPage();
  await board.goto(`${base}/board/${code}?skill=LV`);
  await waitLive(board);
  await ok('POST', `/competitions/${code}/skills/LV/publish`, { body: {}, token });
  await board.waitForSelector('#skill-LV .status-official', { timeout: 3000 });
  await board.waitForSelector('#skill-LV tr[data-entry="LV-CCC"] .gaps');
  assert.equal(await board.locator('#skill-LV .provisional').count(), 0);
  assert.match(await text(board, '#skill-LV .note'), /accepted the gaps/);
  await ok('POST', `/competitions/${code}/skills/LV/unlock`, { body: { reason: 'e2e: appeal' }, token });
  await board.waitForSelector('#skill-LV .status-review', { timeout: 3000 });
  assert.equal(await board.locator('#skill-LV .status-official').count(), 0);
  assert.equal(await board.locator('#skill-LV table.results').count(), 0);
  await page.waitForSelector('.skill-status[data-skill="LV"][data-state="under_review"]', { timeout: 5000 });
  // After a reload too (the state comes from the server, not from what the page saw).
  await board.reload();
  await board.waitForSelector('#skill-LV .status-review');
  assertClean(page);
  assertClean(board);
  await page.context().close();
  await board.context().close();
});

test('(h) the tablet: shared measurements with who and when, reasons for changes, search, Enter, No/Yes', async () => {
  const code = 'E2E-TABLET';
  const token = await freshCompetition(code);
  // A second LV judge measures LV-CCC first.
  await ok('POST', `/competitions/${code}/judges`, { body: { code: 'J-LV-B', name: 'Judge LV B', delegation: 'AAA', skills: ['LV'], role: 'judge' }, token });
  const other = await judgeToken(code, 'J-LV-B');
  await markAs(code, other, [['LV-CCC', 'M1', '6.5']]);

  const page = await newPage({ width: 1024, height: 640 });
  await page.goto(`${base}/judge`);
  await page.waitForSelector('form.login h1');
  // Nothing shows a raw string key before log-in (the live badge is not even there).
  const bodyText = await page.evaluate(() => document.body.innerText);
  assert.doesNotMatch(bodyText, /\b(live|judge|common)\.[a-z_]+\b/, 'no raw i18n key');
  assert.equal(await page.locator('.live-badge:visible').count(), 0);
  // A wrong code and a used one are told apart.
  await page.fill('#code', 'WRONGCODE9');
  await page.click('form.login button[type="submit"]');
  await page.waitForSelector('.login-hint[data-code="invalid_credentials"]');
  const used = await issueCode(code, 'J-LV-A');
  await ok('POST', '/session', { body: { code: used } });
  const again = await api('POST', '/session', { body: { code: used } });
  assert.deepEqual([again.status, again.body?.code], [401, 'code_used']);
  await page.fill('#code', used);
  await page.click('form.login button[type="submit"]');
  await page.waitForSelector('.problem[data-code="code_used"]');
  await page.waitForSelector('.login-hint[data-code="code_used"]');
  assert.match(await text(page, 'form.login .problem'), /used already/);
  await page.fill('#code', await issueCode(code, 'J-LV-A'));
  await page.click('form.login button[type="submit"]');
  await page.waitForSelector('.entry-button[data-entry="LV-CCC"]');
  await waitLive(page);
  assert.match(await text(page, '.own-note'), /own delegation \(Alphaland\)/);

  // Search and "unmarked only".
  await page.fill('#entry-search', 'boris');
  await page.waitForFunction(() => [...document.querySelectorAll('.entry-button')].map((b) => b.dataset.entry).join() === 'LV-BBB');
  await page.fill('#entry-search', 'ccc');
  await page.waitForFunction(() => [...document.querySelectorAll('.entry-button')].map((b) => b.dataset.entry).join() === 'LV-CCC');
  await page.press('#entry-search', 'Enter');
  await page.waitForSelector('.sheet-head[data-entry="LV-CCC"]');
  await page.fill('#entry-search', '');

  // Another judge's measurement: the value, who and when.
  const m1 = page.locator('.aspect[data-aspect="M1"]');
  await m1.locator('.entered-by[data-judge="J-LV-B"]').waitFor();
  assert.match(await text(page, '.aspect[data-aspect="M1"] .mark-status'), /Current: 6\.50 · entered by J-LV-B, \d/);
  assert.equal(await page.locator('.entry-button[data-entry="LV-CCC"]').getAttribute('data-done'), '1');
  // Binary aspects say No and Yes.
  assert.deepEqual(await page.locator('.aspect[data-aspect="M2"] .score-button .score-value').allInnerTexts(), ['No', 'Yes']);

  // Changing it shows the old value (and whose it was) and asks for a reason; Enter saves
  // and moves on to the next aspect.
  await m1.locator('input.measure-input').fill('7');
  await m1.locator('input.measure-input').press('Enter');
  await page.waitForSelector('dialog[open] #ask-field');
  assert.equal(await text(page, 'dialog[open] .old-value'), '6.50');
  assert.equal(await text(page, 'dialog[open] .new-value'), '7.00');
  assert.match(await text(page, 'dialog[open] .old-by'), /J-LV-B/);
  await page.fill('dialog[open] #ask-field', 'e2e: measured again');
  await page.click('dialog[open] button[type="submit"]');
  await page.waitForFunction(() => document.activeElement?.closest('.aspect')?.dataset.aspect === 'M2');
  // Enter on a score button chooses it and moves on.
  await page.keyboard.press('Tab'); // from "No" to "Yes"
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.activeElement?.closest('.aspect')?.dataset.aspect === 'J1');
  await page.waitForSelector('.aspect[data-aspect="M2"] .score-button.yes[aria-pressed="true"]');
  await page.waitForFunction(() => document.querySelector('.sync')?.dataset.pending === '0', null, { timeout: 10_000 });
  const stored = (await ok('GET', `/competitions/${code}/marks?entry=LV-CCC`, { token })).filter((m) => m.aspect === 'M1');
  assert.deepEqual(stored.map((m) => [m.judge, m.value, m.reason]), [['J-LV-B', '6.50', null], ['J-LV-A', '7.00', 'e2e: measured again']]);
  assert.equal(stored[1].supersedes, stored[0].id);
  await m1.locator('.entered-by[data-judge="J-LV-A"]').waitFor();
  assert.match(await text(page, '.aspect[data-aspect="M1"] .mark-status'), /Current: 7\.00 · entered by you/);

  // The entry being marked stays in view while the judge scrolls.
  await page.setViewportSize({ width: 1024, height: 420 });
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await page.waitForTimeout(100);
  const { head, bar } = await page.evaluate(() => ({
    head: document.querySelector('.sheet-head').getBoundingClientRect().top,
    bar: document.querySelector('.topbar').getBoundingClientRect().bottom,
  }));
  assert.ok(await page.evaluate(() => window.scrollY) > 0, 'the page scrolled');
  assert.ok(Math.abs(head - bar) <= 2, `the entry header sits under the top bar (${head} vs ${bar})`);

  // "Unmarked only" hides entries with every aspect marked (LV-BBB: the other judge measures
  // both, this judge scores J1).
  await page.setViewportSize({ width: 1024, height: 640 });
  await markAs(code, other, [['LV-BBB', 'M1', '8'], ['LV-BBB', 'M2', '0']]);
  await page.click('.entry-button[data-entry="LV-BBB"]');
  await page.locator('.aspect[data-aspect="M2"] .entered-by[data-judge="J-LV-B"]').waitFor();
  assert.match(await text(page, '.aspect[data-aspect="M2"] .mark-status'), /Current: No/);
  await page.click('.aspect[data-aspect="J1"] .score-button[data-value="1"]');
  await page.waitForSelector('.entry-button[data-entry="LV-BBB"].complete');
  await page.click('.entry-button[data-entry="LV-CCC"]');
  await page.check('#entry-unmarked');
  await page.waitForFunction(() => [...document.querySelectorAll('.entry-button')].map((b) => b.dataset.entry).join() === 'LV-CCC');
  assert.match(await text(page, '.list-count'), /1 of 2/);
  assertClean(page);
  await page.context().close();
});

/**
 * Puts the page's live socket through a proxy that forwards everything both ways and can
 * add a frame from the "server" side (for what the server cannot be made to do on cue).
 * Resolves with `push(frame)` and `heard(type)`: whether the server itself sent such a frame.
 */
async function liveProxy(page) {
  const sockets = [];
  const seen = new Set();
  await page.routeWebSocket(/\/live$/, (ws) => {
    const server = ws.connectToServer();
    server.onMessage((message) => {
      try { seen.add(JSON.parse(message).type); } catch { /* not JSON */ }
      ws.send(message);
    });
    sockets.push(ws);
  });
  return {
    push: (frame) => { for (const ws of sockets) ws.send(JSON.stringify(frame)); },
    heard: (type) => seen.has(type),
  };
}

const REVOKED = { type: 'revoked', channel: null, seq: null, data: { reason: 'your session ended or your rights changed' } };

/** The server's own revoked frame arrives (within the second it promises, and some slack). */
async function expectRevoked(proxy, what) {
  const until = Date.now() + 3000;
  while (Date.now() < until && !proxy.heard('revoked')) await new Promise((r) => setTimeout(r, 50));
  assert.ok(proxy.heard('revoked'), `the server sent a revoked frame after ${what}`);
}

test('(i) revoked: an ended session sends the console and the tablet to the log-in, live; changed rights reload; the board carries on', async () => {
  const code = 'E2E-REVOKE';
  await freshCompetition(code);
  // The console: logged out elsewhere (its token deleted).
  const consolePage = await newPage();
  const consoleProxy = await liveProxy(consolePage);
  await consoleAt(consolePage, `#/c/${code}/grid/LV`);
  await waitLive(consolePage);
  const consoleToken = await consolePage.evaluate(() => JSON.parse(sessionStorage.getItem('podium.admin')).token);
  await ok('DELETE', '/session', { token: consoleToken });
  await expectRevoked(consoleProxy, 'a log-out');
  await consolePage.waitForSelector('form.login-form .notice.warn', { timeout: 5000 });
  assert.match(await text(consolePage, 'form.login-form .notice.warn'), /session has ended/);

  // The tablet: a revoked frame while the session is still valid (rights changed; sent by
  // the proxy) reloads and stays on the entry; after a new code was issued (the session
  // ended; sent by the server) it logs out.
  const tablet = await newPage();
  const tabletProxy = await liveProxy(tablet);
  await tablet.goto(`${base}/judge`);
  await tablet.fill('#code', await issueCode(code, 'J-LV-A'));
  await tablet.click('form.login button[type="submit"]');
  await tablet.waitForSelector('.entry-button');
  await waitLive(tablet);
  await tablet.click('.entry-button[data-entry="LV-BBB"]');
  tabletProxy.push(REVOKED);
  await tablet.waitForSelector('.toast:has-text("assignments changed")');
  await tablet.waitForSelector('.sheet-head[data-entry="LV-BBB"]');
  assert.equal(await tablet.locator('form.login').count(), 0, 'still logged in');
  await waitLive(tablet);
  // Given another skill, the tablet follows (the judge channel lists the new skills).
  await ok('PUT', `/competitions/${code}/judges/J-LV-A`, { body: { code: 'J-LV-A', name: `Judge ${XSS}`, delegation: 'AAA', role: 'judge', skills: ['LV', 'DS'] }, token: await admin() });
  await tablet.waitForSelector('.skill-tabs .tab:has-text("Discrepancies")', { timeout: 5000 });
  await tablet.waitForSelector('.sheet-head[data-entry="LV-BBB"]');
  await waitLive(tablet);
  await issueCode(code, 'J-LV-A');
  await expectRevoked(tabletProxy, 'a new code');
  await tablet.waitForSelector('form.login .notice.warn', { timeout: 5000 });
  assert.match(await text(tablet, 'form.login .notice.warn'), /session has ended/);
  assert.equal(await tablet.locator('.live-badge:visible').count(), 0);

  // The board has no session: a revoked frame changes nothing.
  const board = await newPage();
  const boardProxy = await liveProxy(board);
  await board.goto(`${base}/board/${code}`);
  await waitLive(board);
  boardProxy.push(REVOKED);
  await board.waitForTimeout(300);
  assert.equal(await board.getAttribute('.live-badge', 'data-state'), 'open');
  await board.waitForSelector('#skill-XS table.results');
  for (const p of [consolePage, tablet, board]) { assertClean(p); await p.context().close(); }
});

test('(j) the fleet: a tablet holding queued marks offline shows as "unsent" in the console, with an alert after a minute', async () => {
  const code = 'E2E-FLEET';
  await freshCompetition(code);
  const loginCode = await issueCode(code, 'J-LV-A');
  const tablet = await newPage();
  // The tablet's own clock, so that a minute can pass on it without the test waiting one.
  await tablet.clock.install();
  await tablet.goto(`${base}/judge`);
  await tablet.fill('#code', loginCode);
  await tablet.click('form.login button[type="submit"]');
  await tablet.waitForSelector('.entry-button');
  const mark = async (entry, aspect, value) => {
    if (!(await tablet.locator('.sheet-head .entry-code').count()) || (await text(tablet, '.sheet-head .entry-code')) !== entry) {
      await tablet.click(`.entry-button[data-entry="${entry}"]`);
      await tablet.waitForSelector(`.sheet-head .entry-code:text("${entry}")`);
    }
    const card = tablet.locator(`.aspect[data-aspect="${aspect}"]`);
    if (await card.locator('.score-button').count()) await card.locator(`.score-button[data-value="${value}"]`).click();
    else { await card.locator('input.measure-input').fill(value); await card.locator('button[type="submit"]').click(); }
  };

  const consolePage = await newPage();
  await consoleAt(consolePage, `#/c/${code}/tablets`);
  // The tablet reported itself on log-in: online, nothing unsent.
  await consolePage.waitForSelector('tr[data-judge="J-LV-A"][data-state="online"][data-queued="0"]', { timeout: 15_000 });
  assert.equal(await consolePage.locator('tr[data-judge="J-XS-A"][data-state="never"]').count(), 1, 'a judge without a tablet is listed');

  // The network goes: two marks queue on the tablet, and its heartbeats fail too.
  await tablet.context().setOffline(true);
  await tablet.evaluate(() => window.dispatchEvent(new Event('offline')));
  await mark('LV-BBB', 'M1', '5');
  await mark('LV-BBB', 'J1', '2');
  await tablet.waitForFunction(() => document.querySelector('.sync')?.dataset.pending === '2');
  // It comes back on a network where sending marks still fails (a proxy refusing the
  // batch): the heartbeat gets through and says what the tablet holds.
  let refused = 0;
  await tablet.route('**/api/v1/competitions/*/marks', (route) => {
    if (route.request().method() === 'POST') { refused += 1; return route.abort('connectionrefused'); }
    return route.continue();
  });
  await tablet.context().setOffline(false);
  await tablet.evaluate(() => window.dispatchEvent(new Event('online')));
  const row = 'tr[data-judge="J-LV-A"][data-queued="2"]';
  await consolePage.waitForSelector(row, { timeout: 15_000 });
  assert.match(await text(consolePage, `${row} [data-unsent]`), /unsent: 2/);
  assert.ok(refused > 0, 'the tablet tried to send the marks');
  assert.equal(await consolePage.locator('.fleet-alert').count(), 0, 'no alert before a minute has passed');
  // A minute and more later (on the tablet's clock), its next heartbeat raises the alert.
  await tablet.clock.fastForward('01:05');
  await consolePage.waitForSelector('.fleet-alert', { timeout: 15_000 });
  assert.match(await text(consolePage, '.fleet-alert'), /J-LV-A/);
  assert.equal(await consolePage.locator(`${row}.alert-row`).count(), 1);
  await shot(consolePage, 'admin-tablets');
  // Once the marks go through, the tablet is no longer unsent and the alert clears.
  await tablet.unroute('**/api/v1/competitions/*/marks');
  await tablet.evaluate(() => window.dispatchEvent(new Event('online')));
  await tablet.waitForFunction(() => document.querySelector('.sync')?.dataset.pending === '0', null, { timeout: 20_000 });
  await consolePage.waitForSelector('tr[data-judge="J-LV-A"][data-queued="0"]', { timeout: 15_000 });
  await consolePage.waitForFunction(() => !document.querySelector('.fleet-alert'), null, { timeout: 10_000 });
  const stored = await ok('GET', `/competitions/${code}/marks?judge=J-LV-A`, { token: await admin() });
  assert.equal(stored.length, 2);
  for (const p of [tablet, consolePage]) { assertClean(p); await p.context().close(); }
});

test('(k) setup at scale: a scheme previewed from a spreadsheet with its errors, then imported; every judge\'s code on one printable sheet', async () => {
  const code = 'E2E-SHEET';
  await freshCompetition(code);
  const page = await newPage();
  await consoleAt(page, `#/c/${code}/skills/LV`);
  await page.waitForSelector('.scheme-import');
  const file = (text) => ({ name: 'scheme.csv', mimeType: 'text/csv', buffer: Buffer.from(text) });
  const header = 'criterion,criterion name,aspect,description,kind,max,mode,panel\n';
  await page.setInputFiles('#scheme-file', file(`${header}A,Prep,A1,Tools,M,1,,\nA,Prep,A2,Plan,Q,2,,\nB,Result,B1,Size,M,-1,,\n`));
  await page.click('.scheme-import button[data-action="preview"]');
  await page.waitForSelector('.import-summary[data-valid="false"]');
  const cells = await page.locator('table.import-errors tbody tr').evaluateAll((rows) => rows.map((r) => `${r.dataset.row}:${r.dataset.column}`));
  assert.deepEqual(cells, ['3:kind', '4:max']);
  assert.ok(await page.locator('.scheme-import button[data-action="import"]').isDisabled(), 'a scheme with errors cannot be imported');
  await page.setInputFiles('#scheme-file', file(`${header}A,Prep,A1,Tools,M,1,,\n,,A2,Plan,J,2,,2\nB,Result,B1,Size,M,6.5,,\n`));
  await page.click('.scheme-import button[data-action="preview"]');
  await page.waitForSelector('.import-summary[data-valid="true"][data-aspects="3"]');
  assert.equal(await page.locator('table.import-scheme tbody tr').count(), 3);
  await shot(page, 'admin-scheme-import');
  await page.click('.scheme-import button[data-action="import"]');
  await page.waitForFunction(() => [...document.querySelectorAll('.scheme-form input[name="code"]')].some((i) => i.value === 'B1'));
  const skill = await ok('GET', `/competitions/${code}/skills/LV`);
  assert.deepEqual(skill.criteria.map((c) => c.aspects.map((a) => a.code)), [['A1', 'A2'], ['B1']]);

  await page.goto(`${base}/admin#/c/${code}/judges`);
  await page.waitForSelector('.code-sheet-card');
  await page.selectOption('#codes-skill', 'XS');
  await page.click('button[data-action="print-all-codes"]');
  await page.click('dialog[open] button.danger');
  await page.waitForSelector('.codes-dialog .code-card svg.qr');
  const judges = await page.locator('.codes-dialog .code-card').evaluateAll((els) => els.map((e) => e.dataset.judge));
  assert.deepEqual(judges.sort(), ['J-XS-A', 'J-XS-B']);
  await shot(page, 'admin-judge-codes');
  // The codes on the sheet are the judges' current ones.
  const first = await page.locator('.codes-dialog .code-card[data-judge="J-XS-A"] .login-code').getAttribute('data-code');
  assert.equal((await api('POST', '/session', { body: { code: first } })).status, 201);
  assertClean(page);
  await page.context().close();
});

test('screenshots of the board, the tablet and the console', async () => {
  if (!screenshotDir) return 'skip';
  await mkdir(path.resolve(root, screenshotDir), { recursive: true });
  const token = await admin();
  const mini = 'MINI2025';
  // Something still being marked, beside the published skills.
  await api('POST', `/competitions/${mini}/skills/AI/unlock`, { body: { reason: 'screenshots' }, token });

  const desk = await newPage();
  await desk.goto(`${base}/board/${mini}`);
  await waitLive(desk);
  await shot(desk, 'board-desktop');
  await desk.goto(`${base}/board/${mini}?screen=big`);
  await desk.waitForSelector('.slide');
  await waitLive(desk);
  await shot(desk, 'board-big');
  await desk.goto(`${base}/board/${mini}?screen=big&lang=zh`);
  await desk.waitForSelector('.slide');
  await desk.evaluate(() => new Promise((r) => setTimeout(r, 300)));
  await shot(desk, 'board-big-zh');
  const phone = await newPage({ width: 390, height: 844 });
  await phone.goto(`${base}/board/${mini}`);
  await waitLive(phone);
  await shot(phone, 'board-phone');
  await phone.goto(`${base}/board/${mini}?skill=IR&lang=ru`);
  await waitLive(phone);
  await shot(phone, 'board-phone-ru');

  // The tablet, marking an entry of a skill still open.
  const code = 'E2E-SHOTS';
  if ((await api('GET', `/competitions/${code}`)).status === 200) await ok('DELETE', `/competitions/${code}`, { token });
  await ok('POST', '/competitions/import', { body: e2ePackage(code), token });
  // Another judge has measured already: the tablets show whose value it is.
  await ok('POST', `/competitions/${code}/judges`, { body: { code: 'J-LV-B', name: 'Judge LV B', delegation: 'AAA', skills: ['LV'], role: 'judge' }, token });
  await markAs(code, await judgeToken(code, 'J-LV-B'), [['LV-BBB', 'M2', '2'], ['LV-CCC', 'M2', '0']]);
  for (const [device, w, h, entry] of [['judge-tablet', 1280, 800, 'LV-BBB'], ['judge-phone', 390, 844, 'LV-CCC']]) {
    const p = await newPage({ width: w, height: h });
    await p.goto(`${base}/judge`);
    await shot(p, `${device}-login`);
    await p.fill('#code', await issueCode(code, 'J-LV-A'));
    await p.click('form.login button[type="submit"]');
    await p.waitForSelector('.entry-button');
    await p.click(`.entry-button[data-entry="${entry}"]`);
    await p.click('.aspect[data-aspect="J1"] .score-button[data-value="2"]');
    await p.fill('.aspect[data-aspect="M1"] input.measure-input', '7.25');
    await p.click('.aspect[data-aspect="M1"] button[type="submit"]');
    await p.waitForFunction(() => document.querySelector('.sync')?.dataset.pending === '0');
    await p.evaluate(() => window.scrollTo(0, 0));
    await shot(p, device);
    await p.context().close();
  }

  const consolePage = await newPage();
  await consolePage.goto(`${base}/admin#/c/${mini}/judging`);
  await consolePage.fill('input[name="password"]', adminPassword);
  await consolePage.click('form.login-form button[type="submit"]');
  await consolePage.waitForSelector('.skill-status');
  await shot(consolePage, 'admin-progress');
  // The grid, readiness and the lock with gaps, on the skill the tablets marked.
  await consolePage.goto(`${base}/admin#/c/${code}/grid/LV`);
  await consolePage.waitForSelector('table.marking-grid tbody tr');
  await waitLive(consolePage);
  await shot(consolePage, 'admin-grid');
  await ok('POST', `/competitions/${code}/entries`, { body: { code: 'DS-AAA', skill: 'DS', delegation: 'AAA', members: ['Ada A'] }, token });
  await consolePage.goto(`${base}/admin#/c/${code}/readiness`);
  await consolePage.waitForSelector('.readiness-skill[data-skill="DS"]');
  await shot(consolePage, 'admin-readiness');
  await consolePage.goto(`${base}/admin#/c/${code}/judging`);
  await consolePage.locator('.skill-status[data-skill="LV"] button[data-action="lock"]').click();
  await consolePage.waitForSelector('dialog[open] .lock-gaps');
  await consolePage.fill('dialog[open] textarea', 'The second day was cancelled by the venue.');
  await shot(consolePage, 'admin-lock-gaps');
  await consolePage.click('dialog[open] button:has-text("Cancel")');
  await consolePage.goto(`${base}/admin#/c/${code}/skills/LV`);
  await consolePage.waitForSelector('.scheme-form');
  await shot(consolePage, 'admin-scheme');
  await consolePage.goto(`${base}/admin#/c/${code}/judges`);
  await consolePage.waitForSelector('tr[data-code="J-LV-A"]');
  await consolePage.click('tr[data-code="J-XS-B"] button[data-action="issue"]');
  await consolePage.waitForSelector('.code-dialog svg.qr');
  await shot(consolePage, 'admin-judge-code');
  await consolePage.click('.code-dialog button.primary');
  await consolePage.goto(`${base}/admin#/c/${mini}/medals`);
  await consolePage.waitForSelector('.medal-table tbody tr');
  await shot(consolePage, 'admin-medals');
  await consolePage.goto(`${base}/admin#/c/${mini}/audit`);
  await consolePage.waitForSelector('table.audit tbody tr');
  await shot(consolePage, 'admin-audit');
  const adminPhone = await newPage({ width: 390, height: 844 });
  await adminPhone.goto(`${base}/admin#/c/${mini}/judging`);
  await adminPhone.fill('input[name="password"]', adminPassword);
  await adminPhone.click('form.login-form button[type="submit"]');
  await adminPhone.waitForSelector('.skill-status');
  await shot(adminPhone, 'admin-phone');
  for (const p of [desk, phone, consolePage, adminPhone]) { assertClean(p); await p.context().close(); }
});

// ------------------------------------------------------------------ the closing ceremony

/** The mini fixture as `code`, every skill locked and nothing published. */
async function lockedMini(code) {
  const token = await admin();
  if ((await api('GET', `/competitions/${code}`)).status === 200) await ok('DELETE', `/competitions/${code}`, { token });
  const pkg = JSON.parse(await readFile(path.join(root, 'tests/fixtures/mini.json'), 'utf8'));
  pkg.competition.code = code;
  pkg.published = [];
  for (const s of pkg.skills) s.state = 'locked';
  await ok('POST', '/competitions/import', { body: pkg, token });
  return { token, pkg };
}

/** The RGBA pixels of a PNG as Chromium writes it (8-bit RGBA, not interlaced). */
function decodePng(png) {
  assert.equal(png.toString('latin1', 1, 4), 'PNG');
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.deepEqual([data[8], data[9], data[12]], [8, 6, 0], 'an 8-bit RGBA, non-interlaced PNG');
    } else if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const byte = raw[y * (stride + 1) + 1 + x];
      const a = x >= 4 ? pixels[y * stride + x - 4] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const c = x >= 4 && y > 0 ? pixels[(y - 1) * stride + x - 4] : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const predicted = [0, a, b, (a + b) >> 1, paeth][filter];
      pixels[y * stride + x] = (byte + predicted) & 0xff;
    }
  }
  return { width, height, alpha: (x, y) => pixels[y * stride + x * 4 + 3] };
}

/** The stage fits its window: nothing scrolls, every step is inside. */
async function assertFits(page, what) {
  const fit = await page.evaluate(() => {
    const box = (el) => el.getBoundingClientRect();
    const steps = [...document.querySelectorAll('.stage .step, .stage .skill-name')].map(box);
    return {
      scroll: document.documentElement.scrollHeight <= window.innerHeight && document.documentElement.scrollWidth <= window.innerWidth,
      inside: steps.every((r) => r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight + 0.5 && r.right <= window.innerWidth + 0.5),
      count: steps.length,
    };
  });
  assert.ok(fit.scroll && fit.inside && fit.count > 1, `${what}: the stage does not fit: ${JSON.stringify(fit)}`);
}

test('ceremony: a full reveal of two skills shows nothing early, back undoes a step, then the board shows both', async () => {
  const code = 'E2E-CER';
  const { token, pkg } = await lockedMini(code);
  const hall = await newPage({ width: 1280, height: 720 });
  const frames = [];
  hall.on('websocket', (ws) => ws.on('framereceived', (frame) => frames.push(String(frame.payload))));
  await hall.goto(`${base}/ceremony/${code}`);
  await hall.waitForSelector('.stage-idle');
  // The presenter logs in and plans: two of the locked skills, in reveal order.
  const presenter = await newPage({ width: 1280, height: 800 });
  await presenter.goto(`${base}/ceremony/${code}/present`);
  await presenter.fill('#user', 'admin');
  await presenter.fill('#pass', adminPassword);
  await presenter.click('form.login button[type="submit"]');
  await presenter.waitForSelector('#plan-form');
  assert.equal(await presenter.inputValue('#plan-skills'), 'IR, NE, AI, CNC', 'the locked skills are offered');
  await presenter.fill('#plan-skills', 'IR, NE');
  await presenter.click('#plan-form button[type="submit"]');
  await presenter.waitForSelector('#cue');
  const { steps } = await ok('GET', `/competitions/${code}/ceremony`, { token });
  assert.equal(steps.length, 6);
  const entriesOf = (list) => list.flatMap((s) => s.winners.map((w) => w.entry));
  const membersOf = (entries) => pkg.entries.filter((e) => entries.includes(e.code)).flatMap((e) => e.members);
  assert.match(await text(presenter, '#cue'), /Medallion for Excellence in Industrial Robotics, PAK — /);
  await hall.waitForFunction(() => document.querySelector('.stage-idle .headline')?.textContent === 'The ceremony will begin shortly');

  // A rehearsal first: watermarked, generated, and gone when it ends.
  await presenter.click('#rehearsal');
  await hall.waitForSelector('.stage .watermark');
  assert.equal(await text(hall, '.stage .watermark'), 'REHEARSAL');
  await presenter.keyboard.press('ArrowRight');
  await hall.waitForSelector('.stage.rehearsal .step[data-medal="excellence"]');
  await presenter.click('#rehearsal');
  await hall.waitForSelector('.stage-idle');
  assert.equal(await hall.$('.stage .watermark'), null);

  // Frames once received stay received: after "back" they are checked against the furthest
  // step revealed so far, the screen against the current one.
  let reached = 0;
  const check = async (position) => {
    reached = Math.max(reached, position);
    await presenter.waitForSelector(`body[data-position="${position}"]`);
    await hall.waitForSelector(`body[data-position="${position}"]:not(:has(.watermark))`);
    await hall.waitForTimeout(150); // any frame still on its way
    const hiddenFrom = (n) => {
      const hidden = entriesOf(steps.slice(n));
      const shownNames = new Set(membersOf(entriesOf(steps.slice(0, n))));
      return { hidden, names: membersOf(hidden).filter((name) => !shownNames.has(name)) };
    };
    const dom = await hall.evaluate(() => document.documentElement.outerHTML);
    for (const name of hiddenFrom(position).names) {
      assert.ok(!dom.includes(name), `step ${position}: '${name}' is on the hall screen before their step`);
    }
    const received = frames.join('\n');
    const unrevealed = hiddenFrom(reached);
    for (const name of unrevealed.names) assert.ok(!received.includes(name), `step ${position}: a frame carried '${name}' before their step`);
    for (const entry of unrevealed.hidden) assert.ok(!received.includes(`"${entry}"`), `step ${position}: a frame carried ${entry}`);
    assert.ok(!/"rank"/.test(received), `step ${position}: a frame carried a rank`);
    // The stage shows exactly the revealed medals of the skill being revealed, newest first.
    const shown = steps.slice(0, position);
    const current = shown.at(-1);
    const expected = current ? shown.filter((s) => s.skill === current.skill).map((s) => s.medal).reverse() : [];
    assert.deepEqual(await hall.$$eval('.stage .step', (els) => els.map((e) => e.dataset.medal)), expected, `step ${position}`);
  };
  const state = async (skill) => (await ok('GET', `/competitions/${code}/skills/${skill}/results`, { token })).state;

  await check(0);
  for (const position of [1, 2]) {
    await presenter.keyboard.press('ArrowRight');
    await check(position);
  }
  await shot(hall, 'ceremony-hall');
  await shot(presenter, 'ceremony-presenter');
  // The lower third over a transparent page.
  const overlay = await newPage({ width: 1280, height: 720 });
  await overlay.goto(`${base}/overlay/${code}?view=lower-third`);
  await overlay.waitForSelector('.lower-third.medal-bronze');
  await overlay.waitForTimeout(800);
  const png = await overlay.screenshot({ omitBackground: true });
  const image = decodePng(png);
  const box = await overlay.locator('.lower-third .lt-medal').boundingBox();
  for (const [x, y] of [[5, 5], [image.width - 5, 5], [image.width / 2, image.height / 3], [image.width - 5, image.height - 5]]) {
    assert.equal(image.alpha(Math.floor(x), Math.floor(y)), 0, `the overlay is transparent at ${x},${y}`);
  }
  assert.equal(image.alpha(Math.floor(box.x + box.width / 2), Math.floor(box.y + box.height / 2)), 255, 'the lower third\'s medal panel is opaque');
  if (screenshotDir) {
    const file = path.resolve(root, screenshotDir, 'ceremony-overlay.png');
    await writeFile(file, png);
    screenshotsTaken.push(file);
  }

  await presenter.keyboard.press(' ');
  await check(3);
  assert.equal(await state('IR'), 'published', "IR's last step publishes it");
  await assertFits(hall, '1280×720');
  const big = await newPage({ width: 1920, height: 1080 });
  await big.goto(`${base}/ceremony/${code}`);
  await big.waitForSelector('body[data-position="3"] .stage .step');
  await assertFits(big, '1920×1080');
  // Back undoes the step: the shared gold leaves the screen and IR is locked again.
  await presenter.keyboard.press('ArrowLeft');
  await check(2);
  assert.equal(await state('IR'), 'locked');
  for (const position of [3, 4, 5, 6]) {
    await presenter.keyboard.press('ArrowRight');
    await check(position);
  }
  assert.deepEqual([await state('IR'), await state('NE')], ['published', 'published']);
  await hall.waitForSelector('.stage .finale');
  const board = await newPage();
  await board.goto(`${base}/board/${code}?lang=en`);
  await board.waitForSelector('#skill-IR table.results tbody tr');
  await board.waitForSelector('#skill-NE table.results tbody tr');
  for (const p of [hall, presenter, overlay, big, board]) { assertClean(p); await p.context().close(); }
});

// ------------------------------------------------------------------ runner

browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
let failed = 0;
let ran = 0;
const started = Date.now();
for (const t of tests) {
  if (only && !t.name.includes(only)) continue;
  ran += 1;
  const t0 = Date.now();
  try {
    const outcome = await t.fn();
    console.log(outcome === 'skip' ? `  skip ${t.name}` : `  ok   ${t.name} (${Date.now() - t0} ms)`);
  } catch (error) {
    failed += 1;
    let n = 0;
    for (const context of browser.contexts()) {
      for (const page of context.pages()) {
        const file = path.join(os.tmpdir(), `podium-e2e-failure-${tests.indexOf(t)}-${n++}.png`);
        if (await page.screenshot({ path: file }).then(() => true, () => false)) console.log(`       screenshot of the failure: ${file}`);
      }
    }
    console.log(`  FAIL ${t.name} (${Date.now() - t0} ms)\n       ${String(error && error.stack || error).split('\n').join('\n       ')}`);
    for (const context of browser.contexts()) await context.close().catch(() => {});
  }
}
await browser.close();
if (screenshotsTaken.length) console.log(`  screenshots: ${[...new Set(screenshotsTaken)].map((f) => path.relative(root, f)).join(', ')}`);
console.log(`${failed ? 'FAILED' : 'passed'}: ${ran - failed}/${ran} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(failed ? 1 : 0);
