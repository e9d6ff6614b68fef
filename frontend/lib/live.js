// The live client: one websocket to /api/v1/competitions/{code}/live that authenticates
// (token in the first message, never in a URL), subscribes to channels, applies frames in
// seq order, notices gaps and resubscribes with `since`, watches heartbeats and reconnects
// with exponential backoff and jitter, resuming every channel from its last seq. A `revoked`
// frame (the session ended or lost its rights) is passed to `onRevoked`; the socket carries
// on with what an anonymous viewer sees, and a page that drops its session (so `token()`
// returns null) reconnects as one.

const HEARTBEAT_TIMEOUT_MS = 35_000;
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;

export function liveUrl(code, loc = window.location) {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}/api/v1/competitions/${encodeURIComponent(code)}/live`;
}

/** Delay before reconnect attempt `attempt` (0-based): exponential, capped, with jitter. */
export function backoffDelay(attempt, random = Math.random) {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 16));
  // "Equal jitter": at least half the ceiling, so clients spread out but never hammer.
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export class LiveClient {
  /**
   * @param {string} code competition code
   * @param {object} options
   *   token: () => string|null   read at every (re)connect
   *   onStatus: ({state, attempt, retryAt}) => void   state: connecting|open|reconnecting|stopped
   *   onError: ({code, detail}, channel) => void       error frames from the server
   *   onRevoked: ({reason}) => void   the session behind the token ended (log-out, expiry,
   *     a reissued code) or lost its rights; the server has already moved the subscriptions
   *     to what the public may see, with fresh snapshots
   *   WebSocket: constructor (tests may inject one)
   */
  constructor(code, { token = () => null, onStatus = () => {}, onError = () => {}, onRevoked = () => {}, url, WebSocket: WS } = {}) {
    this.code = code;
    this.url = url || liveUrl(code);
    this.token = token;
    this.onStatus = onStatus;
    this.onError = onError;
    this.onRevoked = onRevoked;
    this.WS = WS || window.WebSocket;
    this.channels = new Map();
    this.ws = null;
    this.attempt = 0;
    this.state = 'stopped';
    this.retryTimer = null;
    this.watchdog = null;
    this.everOpened = false;
    this.onOnline = () => { if (this.state === 'reconnecting') this.reconnectNow(); };
    // The browser knows the network went away before the socket does: say so at once.
    this.onOffline = () => { if (this.state === 'open' || this.state === 'connecting') { this.detach(); this.scheduleReconnect(); } };
  }

  /** Follows `channel`; `handler({type: 'snapshot'|'delta', data, seq})`. Returns an unsubscribe function. */
  subscribe(channel, handler) {
    let ch = this.channels.get(channel);
    if (!ch) {
      ch = { seq: null, handlers: new Set(), ready: false, resyncing: false };
      this.channels.set(channel, ch);
      this.send({ subscribe: [channel] });
    }
    ch.handlers.add(handler);
    return () => {
      ch.handlers.delete(handler);
      if (ch.handlers.size === 0) {
        this.channels.delete(channel);
        this.send({ unsubscribe: [channel] });
      }
    };
  }

  /**
   * Asks for a fresh snapshot of `channel` (when a delta cannot be applied to what the page
   * holds). Deltas are ignored until the snapshot arrives.
   */
  refresh(channel) {
    const ch = this.channels.get(channel);
    if (!ch) return;
    ch.ready = false;
    ch.seq = null;
    this.send({ unsubscribe: [channel], subscribe: [channel] });
  }

  /** The last seq applied on `channel` (null before its first snapshot). */
  seqOf(channel) {
    return this.channels.get(channel)?.seq ?? null;
  }

  start() {
    if (this.state !== 'stopped') return;
    window.addEventListener('online', this.onOnline);
    window.addEventListener('offline', this.onOffline);
    this.connect();
  }

  stop() {
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOffline);
    clearTimeout(this.retryTimer);
    clearTimeout(this.watchdog);
    this.detach();
    this.setState('stopped');
  }

  /** Drops the current socket (if any) and connects at once, e.g. when the network returns. */
  reconnectNow() {
    clearTimeout(this.retryTimer);
    this.detach();
    this.attempt = 0;
    this.connect();
  }

  // ------------------------------------------------------------------ internals

  setState(state, extra = {}) {
    this.state = state;
    this.onStatus({ state, attempt: this.attempt, everOpened: this.everOpened, ...extra });
  }

  connect() {
    this.setState(this.everOpened ? 'reconnecting' : 'connecting');
    let ws;
    try {
      ws = new this.WS(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.addEventListener('open', () => {
      if (this.ws !== ws) return;
      this.everOpened = true;
      this.setState('open');
      const token = this.token();
      if (token) this.send({ auth: token });
      this.resubscribeAll();
      this.armWatchdog();
    });
    ws.addEventListener('message', (event) => {
      if (this.ws !== ws) return;
      this.armWatchdog();
      // The endpoint answers, so a later drop starts the backoff afresh (a socket that opens
      // and closes at once keeps backing off).
      this.attempt = 0;
      let frame;
      try { frame = JSON.parse(event.data); } catch { return; }
      this.handle(frame);
    });
    ws.addEventListener('close', () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.scheduleReconnect();
    });
    ws.addEventListener('error', () => {
      // A close event follows; reconnecting happens there.
    });
  }

  detach() {
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      try { ws.close(); } catch { /* already closed */ }
    }
  }

  scheduleReconnect() {
    clearTimeout(this.watchdog);
    clearTimeout(this.retryTimer);
    if (this.state === 'stopped') return;
    const delay = backoffDelay(this.attempt);
    this.attempt += 1;
    this.setState('reconnecting', { retryAt: Date.now() + delay });
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  armWatchdog() {
    clearTimeout(this.watchdog);
    // Heartbeats arrive every 15 s on an idle socket; silence for longer means a dead link
    // that the browser has not noticed (Wi-Fi dropped, a proxy timed out).
    this.watchdog = setTimeout(() => {
      this.detach();
      this.scheduleReconnect();
    }, HEARTBEAT_TIMEOUT_MS);
  }

  send(message) {
    if (this.ws && this.ws.readyState === 1) this.ws.send(JSON.stringify(message));
  }

  resubscribeAll() {
    const names = [...this.channels.keys()];
    if (names.length === 0) return;
    const since = {};
    for (const [name, ch] of this.channels) {
      if (ch.seq !== null) since[name] = ch.seq;
      ch.resyncing = false;
    }
    this.send(Object.keys(since).length ? { subscribe: names, since } : { subscribe: names });
  }

  resync(name, ch) {
    ch.resyncing = true;
    this.send(ch.seq !== null ? { subscribe: [name], since: { [name]: ch.seq } } : { subscribe: [name] });
  }

  handle(frame) {
    if (!frame || typeof frame !== 'object') return;
    const { type, channel, seq, data } = frame;
    if (type === 'heartbeat') return;
    if (type === 'error') {
      this.onError(data || {}, channel ?? null);
      return;
    }
    if (type === 'revoked') {
      try { this.onRevoked(data || {}); } catch (error) { console.error('revoked handler failed', error); }
      return;
    }
    const ch = channel ? this.channels.get(channel) : null;
    if (!ch) return;
    if (type === 'snapshot') {
      ch.seq = typeof seq === 'number' ? seq : ch.seq;
      ch.ready = true;
      ch.resyncing = false;
      this.dispatch(ch, { type, data, seq });
    } else if (type === 'delta') {
      if (!ch.ready) return; // the snapshot is on its way
      if (typeof seq !== 'number' || ch.seq === null) {
        this.dispatch(ch, { type, data, seq });
        return;
      }
      if (seq <= ch.seq) return; // replayed, already applied
      // A merged delta covers the changes `from` … `seq`; it applies on anything from
      // `from - 1` on (its rows carry their latest state).
      const from = typeof frame.from === 'number' ? frame.from : seq;
      if (from > ch.seq + 1) {
        if (!ch.resyncing) this.resync(channel, ch);
        return;
      }
      ch.seq = seq;
      ch.resyncing = false;
      this.dispatch(ch, { type, data, seq });
    }
  }

  dispatch(ch, message) {
    for (const handler of ch.handlers) {
      try { handler(message); } catch (error) { console.error('live handler failed', error); }
    }
  }
}
