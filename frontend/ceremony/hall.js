// A hall screen: /ceremony/{code}[?lang=zh]. Public, no log-in: it follows the presenter over
// the live `ceremony` channel, which carries revealed steps only, and redraws the stage.
import * as i18n from '../lib/i18n.js';
import { get, path } from '../lib/api.js';
import { LiveClient } from '../lib/live.js';
import { renderStage } from './stage.js';

const code = decodeURIComponent(window.location.pathname.split('/').filter(Boolean)[1] || '');
const stage = document.getElementById('stage');
let shown = null;
let view = null;

function draw(next) {
  view = next;
  renderStage(stage, view, shown);
  shown = view.position;
  document.body.dataset.position = String(view.position);
}

async function start() {
  await i18n.init();
  try {
    draw(await get(path('competitions', code, 'ceremony')));
  } catch {
    /* the live snapshot follows */
  }
  const live = new LiveClient(code, {
    onStatus: ({ state }) => { document.body.dataset.live = state; },
  });
  live.subscribe('ceremony', (frame) => draw(frame.data));
  live.start();
  i18n.onLanguageChange(() => view && renderStage(stage, view, null));
}

start();
