/**
 * One chat room's memory: a GenServer per room and node holding the room's last 50 messages, so a client
 * that joins sees the recent conversation. It listens to the room's broadcasts, so it records messages
 * sent through any node; a room server that starts while other nodes run asks theirs for the history
 * first (answering history requests only once it has an answer, or after a short wait), so every node
 * shows the same recent conversation. A room server with no client on this node for `idleMs` stops, and
 * leaves its messages to the directory's archive, where the next server of the room picks them up.
 */
import { GenServer, shutdown, type Call, type From, type PubSub } from "../../src/index.js";
import { isChatMessage, type ChatMessage } from "./chat-message.js";

/** How many messages a room remembers. */
export const HISTORY_LENGTH = 50;

/** What a room server answers. */
export type RoomRequest = { readonly type: "history" };

/** What a room server is told: a client of this node left the room (sent by the channel as it ends). */
export type RoomNotice = { readonly type: "left" };

/** The call a room server answers: its history, oldest first. */
export type RoomCall = Call<RoomRequest, ChatMessage[]>;

/**
 * Where room servers leave their messages when they stop idle, and where a new one finds them: the
 * directory's bounded archive (see room-directory.ts).
 */
export interface RoomArchive {
  /** Takes the messages a stopped server of `room` left (none if it has none, or they were dropped). */
  recall(room: string): readonly ChatMessage[];
  /** Keeps the messages of a room whose server stops. */
  keep(room: string, messages: readonly ChatMessage[]): void;
}

/** What a room server starts with. */
export interface RoomArgs {
  readonly room: string;
  readonly pubsub: PubSub;
  /** How long a new room server waits for another node's history before answering with what it has (ms). */
  readonly syncTimeoutMs: number;
  /** How long the room may have no client on this node before its server stops (ms). */
  readonly idleMs: number;
  readonly archive: RoomArchive;
  /** How many clients of this node are in the room now. */
  readonly clients: () => number;
}

/** Asks the room servers of the other nodes for their history (sent to `chat:history:<room>`). */
interface SyncRequest {
  readonly type: "sync?";
  readonly node: string;
}
/** One node's answer: its history of the room. */
interface SyncReply {
  readonly type: "sync!";
  readonly messages: readonly ChatMessage[];
}

const SYNC_TIMEOUT = Symbol("sync timeout");
const IDLE_CHECK = Symbol("idle check");

/** Keeps the last {@link HISTORY_LENGTH} messages of one room, oldest first. */
export class RoomServer extends GenServer<RoomArgs, RoomCall, RoomNotice> {
  #messages: ChatMessage[] = [];
  #pubsub!: PubSub;
  #room = "";
  #syncTopic = "";
  /** History calls that arrived while the first sync ran; answered when it ends. */
  #waiting: From<ChatMessage[]>[] | null = null;
  #archive!: RoomArchive;
  #clients!: () => number;
  #idleMs = 0;
  /** When the room last had a client on this node, as far as this server knows (runtime clock). */
  #lastUsed = 0;

  override init({ room, pubsub, syncTimeoutMs, idleMs, archive, clients }: RoomArgs): void {
    this.#pubsub = pubsub;
    this.#room = room;
    this.#syncTopic = `chat:history:${room}`;
    this.#archive = archive;
    this.#clients = clients;
    this.#idleMs = idleMs;
    this.#messages = archive.recall(room).slice();
    this.#lastUsed = this.runtime.clock.now();
    // One idle check is always pending: each one schedules the next (no timer to cancel on every join).
    this.sendAfter(IDLE_CHECK, idleMs);
    // Subscribed before asking: a message broadcast meanwhile is recorded live and merged with the answers.
    pubsub.subscribe(`room:${room}`, this.self);
    pubsub.subscribe(this.#syncTopic, this.self);
    if (pubsub.nodes().length > 1) {
      this.#waiting = [];
      pubsub.broadcastFrom(this.self, this.#syncTopic, { type: "sync?", node: pubsub.nodeName } satisfies SyncRequest);
      this.sendAfter(SYNC_TIMEOUT, syncTimeoutMs);
    }
  }

  override handleCall(request: RoomRequest, from: From<ChatMessage[]>) {
    if (request.type !== "history") return super.handleCall(request, from);
    // A history call is a join (or a reader): the room is in use now.
    this.#lastUsed = this.runtime.clock.now();
    if (this.#waiting === null) return this.#messages.slice();
    this.#waiting.push(from);
    return this.noReply();
  }

  override handleCast(notice: RoomNotice) {
    if (notice?.type !== "left") return super.handleCast(notice);
    // The last client may have left just now: the idle time counts from here, not from the last check.
    this.#lastUsed = this.runtime.clock.now();
  }

  override handleInfo(message: unknown): void {
    if (message === SYNC_TIMEOUT) return this.#synced();
    if (message === IDLE_CHECK) return this.#checkIdle();
    const m = message as { event?: unknown; payload?: unknown; type?: unknown; node?: unknown; messages?: unknown } | null;
    if (m === null || typeof m !== "object") return;
    if (m.event === "new_msg" && isChatMessage(m.payload)) {
      this.#merge([m.payload]);
    } else if (m.type === "sync?" && typeof m.node === "string") {
      this.#pubsub.directBroadcast(m.node, this.#syncTopic, { type: "sync!", messages: this.#messages } satisfies SyncReply);
    } else if (m.type === "sync!" && Array.isArray(m.messages)) {
      this.#merge(m.messages.filter(isChatMessage));
      this.#synced();
    }
  }

  /**
   * Adds messages not seen yet in time order, and keeps the cap. The sort is stable: messages of the same
   * millisecond keep the order they arrived in (each sender's order).
   */
  #merge(incoming: readonly ChatMessage[]): void {
    const known = new Set(this.#messages.map((m) => m.id));
    const fresh = incoming.filter((m) => !known.has(m.id));
    if (fresh.length === 0) return;
    const merged = [...this.#messages, ...fresh].sort((a, b) => a.at - b.at);
    this.#messages = merged.slice(-HISTORY_LENGTH);
  }

  /**
   * Stops the server once the room has had no client on this node for `idleMs`, leaving its messages to
   * the archive. The directory counts the clients (see `RoomDirectory.entered`), so the count holds
   * across restarts of this server. Messages from other nodes and their sync requests do not keep the
   * room alive.
   */
  #checkIdle(): void {
    const now = this.runtime.clock.now();
    if (this.#clients() > 0) this.#lastUsed = now;
    const left = this.#lastUsed + this.#idleMs - now;
    // Not while the first sync runs: its waiting callers would get an exit instead of the history.
    if (left > 0 || this.#waiting !== null) {
      this.sendAfter(IDLE_CHECK, Math.max(left, 1));
      return;
    }
    this.#archive.keep(this.#room, this.#messages);
    this.stop(shutdown("idle"));
  }

  #synced(): void {
    const waiting = this.#waiting;
    if (waiting === null) return;
    this.#waiting = null;
    for (const from of waiting) from.reply(this.#messages.slice());
  }
}
