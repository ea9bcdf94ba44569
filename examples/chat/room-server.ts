/**
 * One chat room's memory: a GenServer per room holding its last 50 messages, so a client that joins
 * sees the recent conversation. Started on demand under a DynamicSupervisor and found through a Registry.
 */
import { GenServer, type From } from "../../src/index.js";
import type { ChatMessage } from "./chat-message.js";

/** How many messages a room remembers. */
export const HISTORY_LENGTH = 50;

/** What a room server answers. */
export type RoomRequest = { readonly type: "history" };
/** What a room server is told. */
export type RoomNotice = { readonly type: "record"; readonly message: ChatMessage };

/** Keeps the last {@link HISTORY_LENGTH} messages of one room, oldest first. */
export class RoomServer extends GenServer<{ room: string }> {
  #messages: ChatMessage[] = [];

  override init(_args: { room: string }): void {
    this.#messages = [];
  }

  override handleCall(request: unknown, _from: From): ChatMessage[] {
    if ((request as RoomRequest).type === "history") return this.#messages.slice();
    return super.handleCall(request, _from) as never;
  }

  override handleCast(notice: unknown): void {
    const { type, message } = notice as RoomNotice;
    if (type !== "record") return super.handleCast(notice) as void;
    this.#messages.push(message);
    if (this.#messages.length > HISTORY_LENGTH) this.#messages.splice(0, this.#messages.length - HISTORY_LENGTH);
  }
}
