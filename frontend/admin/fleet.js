// Tablets: every judge's tablets as their heartbeats last described them — online or stale
// (no heartbeat for two minutes), unsent marks and since when, last sync, battery, app
// version — polled every few seconds, with a banner when a tablet has held unsent marks for
// more than a minute (marks that exist only on that tablet).
import { h, replace } from '../lib/dom.js';
import { t, ago } from '../lib/i18n.js';
import { path } from '../lib/api.js';
import { problemView } from '../lib/ui.js';
import { table } from './common.js';

const POLL_MS = 3000;

function stateBadge(tablet) {
  if (!tablet) return h('span', { class: 'badge', dataset: { state: 'never' } }, t('fleet.never'));
  const cls = tablet.state === 'online' ? 'ok' : 'warn';
  return h('span', { class: ['badge', cls], dataset: { state: tablet.state } }, t(`fleet.${tablet.state}`));
}

function unsentBadge(tablet) {
  if (!tablet) return h('span', { class: 'muted' }, '–');
  if (!tablet.unsent) return h('span', { class: 'badge ok', dataset: { unsent: 0 } }, t('fleet.all_sent'));
  return h('span', { class: ['badge', tablet.alert ? 'error' : 'warn'], dataset: { unsent: tablet.queued } },
    t('fleet.unsent', { count: tablet.queued }));
}

function battery(tablet) {
  if (!tablet?.battery) return h('span', { class: 'muted' }, '–');
  const { percent, charging } = tablet.battery;
  const low = percent <= 20 && !charging;
  return h('span', { class: low ? 'badge warn' : null }, `${percent}%${charging ? ` · ${t('fleet.charging')}` : ''}`);
}

function rowsOf(fleet) {
  const rows = [];
  for (const judge of fleet.judges) {
    const tablets = judge.tablets.length ? judge.tablets : [null];
    for (const tablet of tablets) {
      rows.push(h('tr', { class: tablet?.alert ? 'alert-row' : null, dataset: { judge: judge.judge, tablet: tablet?.tablet || '', state: tablet?.state || 'never', queued: tablet?.queued ?? 0 } },
        h('td', null, h('code', null, judge.judge), ' ', judge.name),
        h('td', null, judge.skills.join(', ')),
        h('td', null, tablet ? h('code', { title: tablet.tablet }, tablet.tablet.slice(0, 8)) : h('span', { class: 'muted' }, '–')),
        h('td', null, stateBadge(tablet), tablet ? h('span', { class: 'muted small' }, ` ${ago(tablet.last_seen_at)}`) : null),
        h('td', null, unsentBadge(tablet), tablet?.unsent_since ? h('span', { class: 'muted small' }, ` ${t('fleet.since', { ago: ago(tablet.unsent_since) })}`) : null),
        h('td', null, tablet?.last_sync_at ? ago(tablet.last_sync_at) : h('span', { class: 'muted' }, '–')),
        h('td', null, battery(tablet)),
        h('td', null, tablet ? h('span', { class: tablet.app_version === fleet.server_version ? null : 'badge warn', title: tablet.app_version === fleet.server_version ? null : t('fleet.version_differs', { server: fleet.server_version }) }, tablet.app_version) : null)));
    }
  }
  return rows;
}

function banner(fleet) {
  if (!fleet.alerts) return null;
  const names = [];
  for (const judge of fleet.judges) {
    for (const tablet of judge.tablets) {
      if (tablet.alert) names.push(t('fleet.alert_item', { judge: judge.judge, name: judge.name, count: tablet.queued }));
    }
  }
  return h('div', { class: 'notice error-notice fleet-alert', role: 'alert' },
    h('strong', null, t('fleet.alert', { count: fleet.alerts })), ' ', names.join(' · '));
}

function draw(slot, fleet) {
  replace(slot,
    banner(fleet),
    h('p', { class: 'fleet-summary', dataset: { online: fleet.online, stale: fleet.stale, unsent: fleet.unsent, alerts: fleet.alerts } },
      t('fleet.summary', { online: fleet.online, stale: fleet.stale, unsent: fleet.unsent })),
    h('div', { class: 'card' },
      table([t('fleet.judge'), t('admin.skills'), t('fleet.tablet'), t('fleet.state'), t('fleet.unsent_marks'), t('fleet.last_sync'), t('fleet.battery'), t('fleet.version')],
        rowsOf(fleet), { caption: t('fleet.title'), className: 'fleet' })),
    h('p', { class: 'muted small' }, t('fleet.help', { stale: Math.round(fleet.stale_after_seconds / 60), alert: fleet.alert_after_seconds })));
}

export async function render(ctx, el) {
  const code = ctx.comp.code;
  const slot = h('div', { 'aria-live': 'polite' });
  replace(el, h('h1', null, t('fleet.title')), slot);
  let stopped = false;
  const load = async () => {
    try {
      const fleet = await ctx.get(path('competitions', code, 'tablets'));
      if (!stopped) draw(slot, fleet);
    } catch (problem) {
      if (!stopped && problem.status !== 401) replace(slot, problemView(problem));
    }
  };
  await load();
  const timer = setInterval(load, POLL_MS);
  ctx.onLeave(() => { stopped = true; clearInterval(timer); });
}
