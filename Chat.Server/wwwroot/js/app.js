// The web client: log in, then one WebSocket for everything (docs/CLIENT.md, "The web client"). Message bodies are
// text: they are only ever put into the page as text nodes, never as markup.

import * as api from './api.js';
import { Connection, Refused } from './connection.js';
import { Room } from './rooms.js';
import { ProtocolView } from './protocol-view.js';

const $ = (id) => document.getElementById(id);
const HistoryPage = 50;
const TypingEveryMs = 3000;
const TypingShownMs = 4000;
// Who is online is asked again this often while a room is open: joins push no presence.
const WhoEveryMs = 30_000;
const EndReasons = {
  logged_out: 'You were logged out.',
  expired: 'Your session expired: log in again.',
  revoked: 'Your session was ended (logged out elsewhere, or the password changed): log in again.',
};

let connection = null;
let me = null;
let rooms = new Map();
let active = null;
let lastTypingSent = 0;
const typers = new Map();
const protocol = new ProtocolView($('frames'), $('raw-form'), $('raw-frame'));

// ---- views ----

function show(view) {
  for (const id of ['starting', 'login-view', 'chat-view']) {
    $(id).hidden = id !== view;
  }
}

function showLogin(reason) {
  connection?.stop();
  connection = null;
  me = null;
  rooms = new Map();
  active = null;
  $('login-reason').textContent = reason ?? '';
  $('login-reason').hidden = !reason;
  $('login-error').hidden = true;
  $('password').value = '';
  show('login-view');
  $(reason || !$('username').value ? 'username' : 'password').focus();
}

function showError(element, text) {
  element.textContent = text;
  element.hidden = !text;
}

function explain(error) {
  if (error.status === 429 || error.status === 503) {
    return `${error.message} (try again in ${error.retryAfter ?? 'a few'} s)`;
  }

  return error.message;
}

// ---- logging in ----

async function start() {
  try {
    const session = await api.currentSession();
    if (session) {
      enterChat(session.user);
    } else {
      showLogin();
    }
  } catch {
    // The server is down: the chat view shows it offline and keeps trying.
    showLogin('The server cannot be reached right now.');
    setTimeout(start, 2000);
  }
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  await logIn(false);
});

$('register-button').addEventListener('click', () => logIn(true));

async function logIn(registerFirst) {
  const username = $('username').value.trim();
  const password = $('password').value;
  showError($('login-error'), '');
  try {
    if (registerFirst) {
      await api.register(username, password);
    }

    const session = await api.login(username, password);
    enterChat(session.user);
  } catch (error) {
    showError($('login-error'), explain(error));
  }
}

// ---- the chat ----

function enterChat(user) {
  me = user;
  $('me').textContent = user;
  show('chat-view');
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  connection = new Connection(`${scheme}//${location.host}/ws`, async () => (await api.currentSession()) !== null);
  connection.addEventListener('state', (e) => drawState(e.detail));
  connection.addEventListener('welcome', () => resume());
  connection.addEventListener('push', (e) => onPush(e.detail.frame));
  connection.addEventListener('ended', (e) => showLogin(EndReasons[e.detail.reason] ?? EndReasons.revoked));
  connection.addEventListener('frame', (e) => protocol.record(e.detail));
  protocol.connection = connection;
  connection.start();
  $('message').focus();
}

function drawState({ state, retryInMs }) {
  const label = $('connection-state');
  label.dataset.state = state;
  label.textContent = state === 'open' ? 'Connected'
    : state === 'connecting' ? 'Connecting…'
      : retryInMs == null ? 'Disconnected' : `Offline: reconnecting in ${Math.ceil(retryInMs / 1000)} s`;
  const live = state === 'open';
  // Typing while offline is fine: the message waits, and goes once connected.
  $('message').disabled = active === null;
  $('send-button').disabled = active === null;
  document.body.classList.toggle('offline', !live);
}

// After every welcome: the rooms and their unread counts, then what the open room missed while the socket was down.
async function resume() {
  try {
    const ack = await connection.request({ type: 'rooms' });
    for (const summary of ack.rooms) {
      const room = roomNamed(summary.room);
      room.seen(summary.lastSeq);
      room.markRead(summary.readSeq);
    }

    drawRooms();
    if (active === null && ack.rooms.length > 0) {
      await open(ack.rooms[0].room);
    } else if (active !== null) {
      // Every room whose messages the page holds reads what it missed, the open one first.
      await catchUp(rooms.get(active));
      await who(rooms.get(active));
      for (const room of rooms.values()) {
        if (room.name !== active) {
          await catchUp(room);
        }
      }
    }
  } catch (error) {
    if (!(error instanceof Refused)) {
      throw error;
    }
  }
}

function roomNamed(name) {
  if (!rooms.has(name)) {
    rooms.set(name, new Room(name));
  }

  return rooms.get(name);
}

$('join-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const name = $('room-name').value.trim();
  showError($('join-error'), '');
  if (!name) {
    return;
  }

  try {
    const ack = await connection.request({ type: 'join', room: name });
    const room = roomNamed(ack.room);
    room.seen(ack.lastSeq);
    room.markRead(ack.readSeq);
    $('room-name').value = '';
    await open(ack.room);
  } catch (error) {
    showError($('join-error'), error.message);
  }
});

async function open(name) {
  active = name;
  const room = roomNamed(name);
  drawRooms();
  drawRoom();
  $('message').disabled = false;
  $('send-button').disabled = false;
  if (!room.loaded) {
    const ack = await connection.request({ type: 'history', room: name, limit: HistoryPage });
    room.add(ack.messages);
    room.hasOlder = ack.hasMore;
    room.loaded = true;
    // Pushes that came while the page was read carry seqs past it: read them in order.
    await catchUp(room);
  }

  drawRoom();
  markRead(room);
  await who(room);
}

// Reads everything after the newest message held, page by page: after a reconnect, or a push past the next seq.
async function catchUp(room) {
  if (!room.loaded) {
    return;
  }

  let more = true;
  while (more) {
    const ack = await connection.request({ type: 'sync', room: room.name, after: room.newestSeq });
    room.add(ack.messages);
    more = ack.hasMore;
  }

  if (room.name === active) {
    drawRoom();
    markRead(room);
  }

  drawRooms();
}

async function who(room) {
  try {
    const ack = await connection.request({ type: 'who', room: room.name });
    room.online = new Set(ack.online);
    if (room.name === active) {
      drawOnline(room);
    }
  } catch (error) {
    if (!(error instanceof Refused)) {
      throw error;
    }
  }
}

$('older-button').addEventListener('click', () => loadOlder());
$('messages').addEventListener('scroll', () => {
  if ($('messages').scrollTop === 0) {
    loadOlder();
  }
});

let loadingOlder = false;
async function loadOlder() {
  const room = rooms.get(active);
  if (!room?.hasOlder || loadingOlder) {
    return;
  }

  loadingOlder = true;
  try {
    const list = $('messages');
    const before = list.scrollHeight;
    const ack = await connection.request({ type: 'history', room: room.name, before: room.oldestSeq, limit: HistoryPage });
    room.add(ack.messages);
    room.hasOlder = ack.hasMore;
    drawRoom({ keepScroll: true });
    list.scrollTop = list.scrollHeight - before;
  } finally {
    loadingOlder = false;
  }
}

// The read marker follows what the user can see: the open room, while the page is visible.
function markRead(room) {
  if (document.visibilityState !== 'visible' || room.name !== active || !room.loaded) {
    return;
  }

  const seq = room.newestSeq;
  if (seq > room.readSeq) {
    room.markRead(seq);
    drawRooms();
    connection.request({ type: 'read', room: room.name, seq }).then((ack) => {
      room.markRead(ack.readSeq);
      drawRooms();
    }, () => { /* the next visible message moves it again */ });
  }
}

setInterval(() => {
  if (active !== null && connection?.state === 'open' && document.visibilityState === 'visible') {
    who(rooms.get(active));
  }
}, WhoEveryMs);

document.addEventListener('visibilitychange', () => {
  if (active !== null && connection) {
    markRead(rooms.get(active));
  }
});

function onPush(frame) {
  switch (frame.type) {
    case 'message': {
      const room = roomNamed(frame.room);
      const outcome = room.accept(frame);
      typers.delete(`${frame.room}/${frame.sender}`);
      // Joining pushes no presence (section 5.3): a sender this page has not seen online may have joined since.
      if (frame.room === active && frame.sender !== me && !room.online.has(frame.sender)) {
        who(room);
      }

      if (outcome === 'gap') {
        catchUp(room);
      } else if (frame.room === active) {
        drawRoom();
        markRead(room);
      }

      drawTyping();
      drawRooms();
      break;
    }
    case 'readMarker':
      roomNamed(frame.room).markRead(frame.seq);
      drawRooms();
      break;
    case 'presence': {
      const room = roomNamed(frame.room);
      if (frame.online) {
        room.online.add(frame.user);
      } else {
        room.online.delete(frame.user);
      }

      if (frame.room === active) {
        drawOnline(room);
      }

      break;
    }
    case 'typing': {
      const key = `${frame.room}/${frame.user}`;
      clearTimeout(typers.get(key)?.timer);
      typers.set(key, { room: frame.room, user: frame.user, timer: setTimeout(() => { typers.delete(key); drawTyping(); }, TypingShownMs) });
      drawTyping();
      break;
    }
    default:
      break;
  }
}

// ---- sending ----

$('send-form').addEventListener('submit', (event) => {
  event.preventDefault();
  send();
});

$('message').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    send();
  }
});

$('message').addEventListener('input', () => {
  const now = Date.now();
  if (active !== null && connection?.state === 'open' && now - lastTypingSent > TypingEveryMs && $('message').value.trim()) {
    lastTypingSent = now;
    connection.request({ type: 'typing', room: active }).catch(() => { /* shown or not, typing is best effort */ });
  }
});

function send() {
  const input = $('message');
  const body = input.value;
  if (active === null || !body.trim()) {
    return;
  }

  const room = rooms.get(active);
  const id = connection.nextId();
  const entry = { id, body, error: null };
  room.outbox.set(id, entry);
  input.value = '';
  drawRoom();
  // Sent now, or when the socket is back: with this id each time, so it is stored once.
  connection.request({ type: 'send', id, room: room.name, body }).then((ack) => {
    room.seen(ack.seq);
    // The message itself arrives as a push (after the ack); until then it stays in the outbox, as sent.
    if (room.messages.has(ack.seq)) {
      room.outbox.delete(id);
    } else {
      entry.acked = ack.seq;
    }

    drawRoom();
  }, (error) => {
    entry.error = error.message;
    drawRoom();
  });
}

// ---- logging out ----

$('logout-button').addEventListener('click', async () => {
  try {
    await api.logout();
  } catch {
    // Already over: the form is the right place either way.
  }

  showLogin(EndReasons.logged_out);
});

$('logout-all-button').addEventListener('click', async () => {
  try {
    await api.logoutEverywhere();
  } catch {
    // As above.
  }

  showLogin('You were logged out on every device.');
});

// ---- drawing ----

function drawRooms() {
  const list = $('room-list');
  const names = [...rooms.keys()].sort();
  list.replaceChildren(...names.map((name) => {
    const room = rooms.get(name);
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = name;
    button.className = 'room-button';
    if (name === active) {
      button.setAttribute('aria-current', 'true');
    }

    button.addEventListener('click', () => open(name));
    item.append(button);
    if (room.unread > 0) {
      const badge = document.createElement('span');
      badge.className = 'unread';
      badge.textContent = `${room.unread} unread`;
      item.append(badge);
    }

    return item;
  }));
}

function drawRoom({ keepScroll = false } = {}) {
  const room = rooms.get(active);
  const list = $('messages');
  $('room-title').textContent = room ? room.name : 'No room yet: join one';
  $('older-button').hidden = !room?.hasOlder;
  if (!room) {
    list.replaceChildren();
    return;
  }

  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  const items = room.ordered().map((message) => messageItem(message.sender, message.body, message.ts, message.seq));
  for (const entry of room.outbox.values()) {
    if (entry.acked && room.messages.has(entry.acked)) {
      room.outbox.delete(entry.id);
      continue;
    }

    const item = messageItem(me, entry.body, null, null);
    item.classList.add(entry.error ? 'failed' : 'pending');
    const state = document.createElement('span');
    state.className = 'state';
    state.textContent = entry.error ? `Not sent: ${entry.error}` : 'sending…';
    item.append(state);
    items.push(item);
  }

  list.replaceChildren(...items);
  if (!keepScroll && (atBottom || items.length < 30)) {
    list.scrollTop = list.scrollHeight;
  }

  drawOnline(room);
  drawTyping();
}

function messageItem(sender, body, ts, seq) {
  const item = document.createElement('li');
  item.className = 'message';
  if (seq !== null) {
    item.dataset.seq = seq;
  }

  const who = document.createElement('span');
  who.className = 'sender';
  who.textContent = sender;
  const when = document.createElement('time');
  if (ts !== null) {
    const date = new Date(ts);
    when.dateTime = date.toISOString();
    when.textContent = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }

  const text = document.createElement('p');
  text.className = 'body';
  // Text, never markup.
  text.textContent = body;
  item.append(who, when, text);
  return item;
}

function drawOnline(room) {
  const others = [...room.online].filter((user) => user !== me).sort();
  $('online').textContent = others.length === 0 ? 'No one else is online here.' : `Online: ${others.join(', ')}`;
}

function drawTyping() {
  const names = [...typers.values()].filter((t) => t.room === active).map((t) => t.user);
  $('typing').textContent = names.length === 0 ? '' : `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} typing…`;
}

$('protocol-toggle').addEventListener('click', () => {
  const panel = $('protocol');
  panel.hidden = !panel.hidden;
  $('protocol-toggle').setAttribute('aria-pressed', String(!panel.hidden));
  $('chat-view').classList.toggle('with-protocol', !panel.hidden);
});

start();
