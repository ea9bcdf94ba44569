/**
 * One chat room's memory: a GenServer per room and node holding the room's last 50 messages, so a client
 * that joins sees the recent conversation. It listens to the room's broadcasts, so it records messages
 * sent through any node; a room server that starts while other nodes run asks theirs for the history
 * first (answering history requests only once it has an answer, or after a short wait), so every node
 * shows the same recent conversation.
 */
import { GenServer, type From, type PubSub } from "../../src/index.js";
import { isChatMessage, type ChatMessage } from "./chat-message.js";

/** How many messages a room remembers. */
export const HISTORY_LENGTH = 50;

/** What a room server answers. */
export type RoomRequest = { readonly type: "history" };

/** What a room server starts with. */
export interface RoomArgs {
  readonly room: string;
  readonly pubsub: PubSub;
  /** How long a new room server waits for another node's history before answering with what it has (ms). */
  readonly syncTimeoutMs: number;
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

/** Keeps the last {@link HISTORY_LENGTH} messages of one room, oldest first. */
export class RoomServer extends GenServer<RoomArgs> {
  #messages: ChatMessage[] = [];
  #pubsub!: PubSub;
  #syncTopic = "";
  /** History calls that arrived while the first sync ran; answered when it ends. */
  #waiting: From[] | null = null;

  override init({ room, pubsub, syncTimeoutMs }: RoomArgs): void {
    this.#pubsub = pubsub;
    this.#syncTopic = `chat:history:${room}`;
    // Subscribed before asking: a message broadcast meanwhile is recorded live and merged with the answers.
    pubsub.subscribe(`room:${room}`, this.self);
    pubsub.subscribe(this.#syncTopic, this.self);
    if (pubsub.nodes().length > 1) {
      this.#waiting = [];
      pubsub.broadcastFrom(this.self, this.#syncTopic, { type: "sync?", node: pubsub.nodeName } satisfies SyncRequest);
      this.sendAfter(SYNC_TIMEOUT, syncTimeoutMs);
    }
  }

  override handleCall(request: unknown, from: From): unknown {
    if ((request as RoomRequest).type !== "history") return super.handleCall(request, from);
    if (this.#waiting === null) return this.#messages.slice();
    this.#waiting.push(from);
    return this.noReply();
  }

  override handleInfo(message: unknown): void {
    if (message === SYNC_TIMEOUT) return this.#synced();
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

  #synced(): void {
    const waiting = this.#waiting;
    if (waiting === null) return;
    this.#waiting = null;
    for (const from of waiting) from.reply(this.#messages.slice());
  }
}
