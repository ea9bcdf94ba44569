// The chat page's behaviour: joins `room:<name>` through Fenix's own client (/fenix/client.js), renders the room's
// messages (the last ones from the join reply, then live `new_msg` broadcasts, with their links) and who is
// online (Presence), and sends new messages. A tab that lost its connection shows every message it missed:
// the client rejoins with its position, and the server sends the missed ones as `new_msg`. It shows the
// server's limits (chat-limits.js, the module the server enforces) while the person types, so nothing is
// refused for its length. Plain browser ESM with no build step; user data reaches the DOM only as text
// nodes and checked links, never as markup.
import { ClientErrorCode, Presence, Socket } from "/fenix/client.js";
import { browserIdentity } from "/browser-identity.js";
import { MAX_BODY_LENGTH, MAX_NAME_LENGTH } from "/chat-limits.js";
import { linkedText } from "/linked-text.js";

const NAME_KEY = "fenix-chat:name";
const DEFAULT_ROOM = "lobby";
const PUSH_TIMEOUT_MS = 10_000;
/** How close to the bottom (px) the list must be for new messages to keep it scrolled down. */
const STICK_TO_BOTTOM_PX = 96;
/**
 * How long a WebSocket may take to open before the client switches to long polling (networks whose
 * proxies break WebSockets). A refused upgrade switches at once; the choice is kept for the tab's session.
 */
const LONG_POLL_FALLBACK_MS = 2500;
/** Show the remaining-characters counter once a draft is this close to the limit. */
const COUNTER_WITHIN = 200;

const byId = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const ui = {
  joinForm: /** @type {HTMLFormElement} */ (byId("join-form")),
  name: /** @type {HTMLInputElement} */ (byId("name")),
  nameRule: byId("name-rule"),
  nameCounter: byId("name-counter"),
  room: /** @type {HTMLInputElement} */ (byId("room")),
  join: /** @type {HTMLButtonElement} */ (byId("join")),
  status: byId("status"),
  statusText: /** @type {HTMLElement} */ (document.querySelector(".status-text")),
  chat: byId("chat"),
  roomTitle: byId("room-title"),
  identity: byId("identity-name"),
  leave: /** @type {HTMLButtonElement} */ (byId("leave")),
  messages: byId("messages"),
  online: byId("online"),
  onlineCount: byId("online-count"),
  composerForm: /** @type {HTMLFormElement} */ (byId("composer-form")),
  composer: /** @type {HTMLTextAreaElement} */ (byId("composer")),
  send: /** @type {HTMLButtonElement} */ (byId("send")),
  counter: byId("counter"),
  error: byId("error"),
};

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const fullTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

/**
 * One socket for the page's lifetime: connected when a room is joined, disconnected when it is left.
 * Its state callbacks report to whichever room session is current.
 */
const socket = new Socket("/socket", { longPollFallbackMs: LONG_POLL_FALLBACK_MS });
if (new URLSearchParams(location.search).has("debug")) {
  socket.onMessage((message) => console.debug("received", message));
  socket.onError((error) => console.debug("socket error", error));
}

/**
 * The room the page is in, or null on the join form.
 * @type {null | { channel: object, name: string, room: string, opened: boolean, joined: boolean,
 *   sending: boolean, node?: string | null }}
 */
let session = null;

/** Whether the reader is at the latest message; kept by scroll events so that a resize can honour it. */
let readingLatest = true;

socket.onOpen(() => {
  if (!session) return;
  session.opened = true;
  setStatus("connected");
});
socket.onError(() => {
  if (session) setStatus(session.opened ? "reconnecting" : "connecting");
});
socket.onClose(() => {
  if (session) setStatus(session.opened ? "reconnecting" : "connecting");
});

// ---- joining and leaving ----------------------------------------------------------------------------

function prefillJoinForm() {
  const params = new URLSearchParams(location.search);
  const room = params.get("room")?.trim();
  if (room) ui.room.value = room;
  try {
    const saved = localStorage.getItem(NAME_KEY);
    if (saved) ui.name.value = saved;
  } catch {
    // Storage can be blocked (private mode, policies); the form simply starts empty.
  }
  checkName();
  (ui.name.value ? ui.room : ui.name).focus();
}

// ---- the name's limit, shown before anything is sent -----------------------------------------------

ui.nameRule.textContent = `Up to ${MAX_NAME_LENGTH} characters`;
ui.name.addEventListener("input", checkName);

/**
 * Checks the name as the server does (trimmed, counted in code points) while it is typed: the counter
 * shows how much room is left, and a name over the limit disables Join and says by how much.
 */
function checkName() {
  const raw = ui.name.value;
  const name = raw.trim();
  const length = [...name].length;
  const over = length - MAX_NAME_LENGTH;
  ui.nameCounter.textContent =
    over > 0 ? `${length}/${MAX_NAME_LENGTH}: ${characters(over)} too many` : length > 0 ? `${length}/${MAX_NAME_LENGTH}` : "";
  ui.nameCounter.classList.toggle("over", over > 0);
  const problem = over > 0 ? `A name has at most ${MAX_NAME_LENGTH} characters; remove ${over}.` : raw !== "" && name === "" ? "A name needs more than spaces." : "";
  ui.name.setCustomValidity(problem);
  ui.name.setAttribute("aria-invalid", String(problem !== ""));
  ui.join.disabled = over > 0;
  ui.join.title = over > 0 ? problem : "";
}

const characters = (n) => `${n} character${n === 1 ? "" : "s"}`;

ui.joinForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const name = ui.name.value.trim();
  const room = ui.room.value.trim() || DEFAULT_ROOM;
  try {
    localStorage.setItem(NAME_KEY, name);
  } catch {
    // Remembering the name is a convenience only.
  }
  enterRoom(name, room);
});

ui.leave.addEventListener("click", () => {
  leaveRoom();
  clearError();
  showView("join");
  ui.room.focus();
});

/**
 * Joins `room:<room>` as `name`. The server has the last word on the name: it checks the length again, and
 * refuses a name that someone else in the room uses.
 */
function enterRoom(name, room) {
  leaveRoom();
  clearError();

  const channel = socket.channel(`room:${room}`, { name, identity: browserIdentity() });
  const current = { channel, name, room, opened: socket.isConnected(), joined: false, sending: false };
  session = current;

  ui.messages.replaceChildren();
  readingLatest = true;
  ui.roomTitle.textContent = `#${room}`;
  ui.identity.textContent = name;
  ui.composer.placeholder = `Message #${room}`;
  document.title = `#${room} · Fenix chat`;
  const url = new URL(location.href);
  url.searchParams.set("room", room);
  history.replaceState(null, "", url);
  setStatus(current.opened ? "connected" : "connecting");
  setJoined(false);
  showView("chat");

  // Every message once, in order, across reconnects: the room keeps a history, and fenix/client rejoins
  // with the position of the last message it delivered, drops duplicates and fills gaps.
  channel.on("new_msg", (payload) => {
    if (session === current) appendMessage(current, toMessage(payload));
  });
  // Who is in the room: the server pushes the full list after each (re)join and diffs as people come
  // and go; the client's Presence merges them. One entry per name (and person), with a meta per open tab.
  const presence = new Presence(channel);
  presence.onSync(() => {
    if (session === current) renderOnline(presence);
  });
  // The client rejoins by itself after a network error or a server-side crash of the channel; until
  // then nothing can be sent. Every successful (re)join enables sending again. A refusal, of the first
  // join or of a rejoin (someone else took the name while this page was offline), ends the visit.
  channel.onError((error) => {
    if (session !== current) return;
    if (error.code === ClientErrorCode.JOIN_REFUSED) refused(current, error.response);
    else setJoined(false);
  });
  channel.onJoin((response) => {
    if (session !== current) return;
    // The node serving this connection: the server names it in the join reply, again after a rejoin.
    current.node = response && typeof response.node === "string" ? response.node : null;
    // `recovered: true`: a rejoin that gets every message missed meanwhile; they follow as new_msg, so
    // what the page shows stays. Otherwise (the first join, a tab away too long, a server that lost the
    // room's history) the reply's last messages replace it, and new_msg continue from them without a gap.
    // A reply without messages (the servers' shared history could not be read) leaves the page as it is.
    const recovered = response && response.recovered === true;
    if (!recovered && response && Array.isArray(response.messages)) showMessages(current, response.messages);
    setStatus(ui.status.dataset.state ?? "connected");
    clearError();
    setJoined(true);
  });

  socket.connect();
  channel.join().catch((error) => {
    // A refusal is handled by onError above.
    if (session === current && error.code === ClientErrorCode.JOIN_TIMEOUT) {
      showError(`Joining #${room} is taking longer than expected; still trying…`);
    }
  });
}

/** Back to the join form with the server's reason, the name selected to be changed. */
function refused(current, response) {
  leaveRoom();
  showView("join");
  showError(refusalText(current, response));
  ui.name.focus();
  ui.name.select();
}

function refusalText({ room, name }, response) {
  if (response && typeof response === "object" && response.reason === "name_taken") {
    const holder = typeof response.name === "string" ? response.name : name;
    return `Someone else in #${room} is called ${holder} — pick another name.`;
  }
  return `Could not join #${room}: ${reasonOf(response)}`;
}

/** Shows who is online: each person once, with the number of tabs when there are several. */
function renderOnline(presence) {
  const people = presence.list(peopleOf).flat();
  people.sort((a, b) => a.name.localeCompare(b.name));
  const items = people.map(({ name, tabs, nodes }) => {
    const item = document.createElement("li");
    item.dataset.testid = "online-person";
    item.textContent = name;
    if (nodes.length > 0) item.title = `connected to ${nodes.join(", ")}`;
    if (tabs > 1) {
      const count = document.createElement("span");
      count.className = "tabs";
      count.textContent = ` · ${tabs} tabs`;
      item.append(count);
    }
    return item;
  });
  ui.online.replaceChildren(...items);
  ui.onlineCount.textContent = people.length === 1 ? "1 person online" : `${people.length} people online`;
}

/**
 * The people behind one name, each with their tabs and nodes. The server gives a name to one person, so
 * this is one entry, but two people who took a free name at the same moment on two nodes both get in:
 * their metas carry different `person`s, and they are listed apart rather than as one person's tabs.
 */
function peopleOf(name, { metas }) {
  const byPerson = new Map();
  for (const meta of metas) {
    const person = typeof meta.person === "string" ? meta.person : "";
    byPerson.set(person, [...(byPerson.get(person) ?? []), meta]);
  }
  return [...byPerson.values()].map((own) => ({ name, tabs: own.length, nodes: [...new Set(own.map((m) => m.node).filter(Boolean))] }));
}

/** Leaves the current room, if any, and disconnects: the page holds a connection only while in a room. */
function leaveRoom() {
  const current = session;
  if (!current) return;
  session = null;
  ui.online.replaceChildren();
  ui.onlineCount.textContent = "Nobody here yet";
  void current.channel.leave();
  void socket.disconnect();
  setJoined(false);
  setStatus("disconnected");
  document.title = "Fenix chat";
}

// ---- sending ----------------------------------------------------------------------------------------

ui.composer.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || event.shiftKey || event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.isComposing) return; // an IME is still composing: Enter confirms the candidate
  event.preventDefault();
  ui.composerForm.requestSubmit();
});

ui.composer.addEventListener("input", updateDraft);

ui.composerForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const current = session;
  const body = ui.composer.value;
  if (!current || !current.joined || current.sending || body.trim() === "" || draftLength() > MAX_BODY_LENGTH) return;

  current.sending = true;
  ui.send.setAttribute("aria-busy", "true");
  const done = () => {
    current.sending = false;
    ui.send.removeAttribute("aria-busy");
  };

  current.channel.push("new_msg", { body }, { timeout: PUSH_TIMEOUT_MS }).then(
    () => {
      done();
      if (session !== current) return;
      clearError();
      // Keep anything typed while the push was in flight.
      if (ui.composer.value === body) ui.composer.value = "";
      updateDraft();
    },
    (error) => {
      done();
      if (session !== current) return;
      if (error.code === ClientErrorCode.PUSH_TIMEOUT) showError("Message not sent: the server did not answer in time.");
      else if (error.code === ClientErrorCode.PUSH_ERROR) showError(`Message not sent: ${reasonOf(error.response)}`);
      else showError("Message not sent: the connection dropped; try again once reconnected.");
    },
  );
});

/** The draft's length in code points, as the server counts it. */
const draftLength = () => [...ui.composer.value].length;

/**
 * Shows how much room the draft has left near the limit; over it, Send is disabled and the counter says
 * why, so a message is never sent only to be refused for its length.
 */
function updateDraft() {
  const left = MAX_BODY_LENGTH - draftLength();
  ui.counter.textContent =
    left < 0
      ? `${characters(-left)} over the ${MAX_BODY_LENGTH}-character limit: shorten the message to send it`
      : left <= COUNTER_WITHIN
        ? `${characters(left)} left`
        : "";
  ui.counter.classList.toggle("over", left < 0);
  ui.composer.setAttribute("aria-invalid", String(left < 0));
  updateSend();
}

function updateSend() {
  const tooLong = draftLength() > MAX_BODY_LENGTH;
  ui.send.disabled = !session?.joined || tooLong;
  ui.send.title = tooLong ? "Too long to send: see the counter below" : "";
}

// ---- rendering messages -----------------------------------------------------------------------------

/**
 * Narrows a payload from the wire to a message; anything malformed still renders, as text.
 * @returns {{ id: string | null, name: string, body: string, at: number }}
 */
function toMessage(payload) {
  const p = payload && typeof payload === "object" ? payload : {};
  return {
    id: typeof p.id === "string" ? p.id : null,
    name: typeof p.name === "string" ? p.name : "unknown",
    body: typeof p.body === "string" ? p.body : String(p.body ?? ""),
    at: typeof p.at === "number" && Number.isFinite(p.at) ? p.at : Date.now(),
  };
}

function appendMessage(current, message) {
  const stick = isNearBottom() || message.name === current.name;
  ui.messages.append(renderMessage(current, message));
  if (stick) scrollToBottom();
}

/** Shows a join reply's `messages` (the room's last ones, oldest first) in place of what was shown. */
function showMessages(current, messages) {
  const stick = isNearBottom();
  ui.messages.replaceChildren(...messages.map((payload) => renderMessage(current, toMessage(payload))));
  if (stick) scrollToBottom();
}

function renderMessage(current, message) {
  const item = document.createElement("li");
  item.className = "message";
  item.dataset.testid = "message";
  if (message.name === current.name) item.classList.add("mine");

  const avatar = element("span", "avatar", initialOf(message.name));
  avatar.setAttribute("aria-hidden", "true");
  avatar.style.setProperty("--hue", String(hueOf(message.name)));

  const date = new Date(message.at);
  const time = element("time", "time", timeFormat.format(date));
  time.dateTime = date.toISOString();
  time.title = fullTimeFormat.format(date);

  const meta = element("div", "meta");
  meta.append(element("span", "name", message.name), time);
  const body = element("p", "body");
  body.append(linkedText(message.body));
  item.append(avatar, meta, body);
  return item;
}

function element(tag, className, text) {
  const el = document.createElement(tag);
  el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

const initialOf = (name) => (Array.from(name.trim())[0] ?? "?").toUpperCase();

/** A stable hue per name so each person keeps one avatar colour. */
function hueOf(name) {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  return hash % 360;
}

ui.messages.addEventListener("scroll", () => (readingLatest = isNearBottom()), { passive: true });
// The list shrinks when the composer grows or the keyboard opens; stay on the latest message if there.
new ResizeObserver(() => readingLatest && scrollToBottom()).observe(ui.messages);

function isNearBottom() {
  const list = ui.messages;
  return list.scrollHeight - list.scrollTop - list.clientHeight < STICK_TO_BOTTOM_PX;
}

function scrollToBottom() {
  ui.messages.scrollTop = ui.messages.scrollHeight;
}

// ---- page state -------------------------------------------------------------------------------------

function showView(view) {
  document.body.dataset.view = view;
  ui.joinForm.hidden = view !== "join";
  ui.chat.hidden = view !== "chat";
}

/** @param {"disconnected" | "connecting" | "connected" | "reconnecting"} state */
function setStatus(state) {
  ui.status.dataset.state = state;
  ui.statusText.textContent = state;
  // Which transport carries the chat: shown as a tooltip, and readable by tests.
  const transport = socket.transportKind ?? "websocket";
  ui.status.dataset.transport = transport;
  const node = session?.node ?? null;
  if (node) ui.status.dataset.node = node;
  else delete ui.status.dataset.node;
  const over = `connected over ${transport === "longpoll" ? "long polling" : "WebSocket"}`;
  ui.status.title = state === "connected" ? (node ? `${over} to node ${node}` : over) : "";
}

function setJoined(joined) {
  if (session) session.joined = joined;
  ui.composer.disabled = !joined;
  updateSend();
  // Disabling drops focus to <body>; give it back to the composer unless the user has moved on.
  if (joined && (document.activeElement === document.body || document.activeElement === null)) {
    ui.composer.focus();
  }
}

function showError(text) {
  ui.error.textContent = text;
  ui.error.hidden = false;
}

function clearError() {
  ui.error.textContent = "";
  ui.error.hidden = true;
}

function reasonOf(response) {
  if (response && typeof response === "object" && typeof response.reason === "string") return response.reason;
  return "the server refused without a reason";
}

prefillJoinForm();
