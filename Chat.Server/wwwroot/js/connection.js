// One WebSocket to the server, kept open for as long as the session lives (docs/PROTOCOL.md, sections 3 to 8).
//
// Every event gets an id and exactly one reply; request() returns a promise of that reply, matched by id. While the
// socket is down, events wait; after a reconnect every event still unanswered is sent again with the same id, so a
// send that was stored before the connection dropped is answered with its original ack ("duplicate": true), never
// stored twice. It reconnects by itself with back-off, except after close 4001 (the session ended: log in again)
// and the codes that mean the page itself is at fault.

const MinDelayMs = 250;
const MaxDelayMs = 8000;
// Closes after which reconnecting with the same session cannot help (section 8).
const Final = new Set([4001, 1003, 1007, 1009]);
// Events worth nothing once the moment has passed: after a reconnect they are answered "offline" instead of resent.
const Momentary = new Set(['typing', 'who', 'ping']);

/** A nack: the event had no effect. */
export class Refused extends Error {
  constructor(code, message, retryable) {
    super(message);
    this.code = code;
    this.retryable = retryable;
  }
}

/**
 * Events: "state" {state: connecting | open | offline, retryInMs}, "welcome" {frame}, "push" {frame} (message,
 * presence, typing, readMarker), "ended" {reason} (the session is over), "frame" {direction: in | out, text,
 * frame, roundTripMs} for the protocol view.
 */
export class Connection extends EventTarget {
  #url;
  #prefix;
  #counter = 0;
  #socket = null;
  #pending = new Map();
  // Raw frames' ids, with when they went: their replies get a round trip in the protocol view too.
  #rawSent = new Map();
  #attempt = 0;
  #timer = 0;
  #stopped = false;
  #welcomed = false;
  #endReason = null;
  #checkSession;

  /** checkSession: resolves true while the session lives; asked when a handshake fails, which a browser does not explain. */
  constructor(url, checkSession) {
    super();
    this.#url = url;
    this.#checkSession = checkSession;
    // Ids are scoped to the user (section 5.1): a prefix per page load keeps this tab's apart from the others'.
    const random = crypto.getRandomValues(new Uint32Array(2));
    this.#prefix = `web-${random[0].toString(36)}${random[1].toString(36)}`;
    window.addEventListener('online', () => this.retryNow());
  }

  get state() {
    return this.#socket?.readyState === WebSocket.OPEN && this.#welcomed ? 'open' : this.#stopped ? 'stopped' : 'connecting';
  }

  start() {
    this.#stopped = false;
    this.#open();
  }

  /** Closes for good (logout, or the session ended), failing every event still waiting. */
  stop() {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#socket?.close(1000);
    this.#socket = null;
    for (const [id, waiting] of this.#pending) {
      waiting.reject(new Refused('unauthenticated', 'the session ended', false));
      this.#pending.delete(id);
    }
  }

  /** Tries to reconnect now rather than at the end of the back-off (the browser came back online, the user asked). */
  retryNow() {
    if (!this.#stopped && !this.#socket) {
      clearTimeout(this.#timer);
      this.#open();
    }
  }

  /** A new event id, unique for this page load. */
  nextId() {
    this.#counter += 1;
    return `${this.#prefix}-${this.#counter}`;
  }

  /** Sends the event (now, or once connected) and resolves with its ack; rejects with Refused on a nack. */
  request(frame) {
    const event = { ...frame, id: frame.id ?? this.nextId() };
    return new Promise((resolve, reject) => {
      this.#pending.set(event.id, { event, resolve, reject, sentAt: null });
      if (this.state === 'open') {
        this.#transmit(event);
      }
    });
  }

  /** The protocol view's raw frame: sent as typed; its reply shows in the log like any other. */
  sendRaw(text) {
    if (this.state !== 'open') {
      throw new Error('not connected');
    }

    let id = null;
    try {
      id = JSON.parse(text)?.id ?? null;
    } catch {
      // Not JSON: the server's nack (id null) says so.
    }

    if (typeof id === 'string' && !this.#pending.has(id)) {
      this.#rawSent.set(id, performance.now());
    }

    this.#socket.send(text);
    this.#emit('frame', { direction: 'out', text });
  }

  #transmit(event) {
    const waiting = this.#pending.get(event.id);
    if (waiting) {
      waiting.sentAt = performance.now();
    }

    const text = JSON.stringify(event);
    this.#socket.send(text);
    this.#emit('frame', { direction: 'out', text, frame: event });
  }

  #open() {
    this.#welcomed = false;
    this.#emit('state', { state: 'connecting' });
    const socket = new WebSocket(this.#url);
    this.#socket = socket;
    socket.onmessage = (message) => this.#receive(message.data);
    socket.onclose = (close) => this.#closed(socket, close.code);
  }

  #receive(text) {
    const frame = JSON.parse(text);
    let roundTripMs;
    if ((frame.type === 'ack' || frame.type === 'nack') && frame.id !== null && this.#pending.has(frame.id)) {
      const waiting = this.#pending.get(frame.id);
      this.#pending.delete(frame.id);
      roundTripMs = waiting.sentAt === null ? undefined : performance.now() - waiting.sentAt;
      if (frame.type === 'ack') {
        waiting.resolve(frame);
      } else {
        waiting.reject(new Refused(frame.code, frame.message, frame.retryable));
      }
    } else if ((frame.type === 'ack' || frame.type === 'nack') && this.#rawSent.has(frame.id)) {
      roundTripMs = performance.now() - this.#rawSent.get(frame.id);
      this.#rawSent.delete(frame.id);
    }

    this.#emit('frame', { direction: 'in', text, frame, roundTripMs });
    switch (frame.type) {
      case 'welcome':
        this.#welcomed = true;
        this.#attempt = 0;
        this.#emit('state', { state: 'open' });
        this.#resend();
        this.#emit('welcome', { frame });
        break;
      case 'sessionEnded':
        this.#endReason = frame.reason;
        break;
      case 'message':
      case 'presence':
      case 'typing':
      case 'readMarker':
        this.#emit('push', { frame });
        break;
      default:
        break;
    }
  }

  // After a reconnect: every event still unanswered goes again, with its own id, in the order it was made.
  #resend() {
    for (const [id, waiting] of this.#pending) {
      if (waiting.sentAt !== null && Momentary.has(waiting.event.type)) {
        this.#pending.delete(id);
        waiting.reject(new Refused('offline', 'the connection dropped before the answer', true));
      } else {
        this.#transmit(waiting.event);
      }
    }
  }

  async #closed(socket, code) {
    if (socket !== this.#socket) {
      return;
    }

    this.#socket = null;
    const welcomed = this.#welcomed;
    this.#welcomed = false;
    if (this.#stopped) {
      return;
    }

    if (code === 4001) {
      this.#end(this.#endReason ?? 'revoked');
      return;
    }

    if (Final.has(code)) {
      this.#stopped = true;
      this.#emit('state', { state: 'offline', retryInMs: null, code });
      return;
    }

    // A handshake refused (401 when the session is over) and a server that is down look alike to a page: ask.
    if (!welcomed) {
      const alive = await this.#checkSession().catch(() => true);
      if (!alive) {
        this.#end('expired');
        return;
      }
    }

    this.#attempt += 1;
    const base = Math.min(MaxDelayMs, MinDelayMs * 2 ** (this.#attempt - 1));
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.#emit('state', { state: 'offline', retryInMs: delay, code });
    this.#timer = setTimeout(() => this.#open(), delay);
  }

  #end(reason) {
    this.stop();
    this.#emit('ended', { reason });
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
