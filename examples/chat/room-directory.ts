/**
 * Finds or starts the room server of a room on this node: a Registry maps room names to room servers, a
 * DynamicSupervisor (a child of the endpoint's supervision tree) starts them on first use and restarts
 * one that crashes. Room servers record what is broadcast in their room, from any node.
 */
import {
  AlreadyStartedError,
  DynamicSupervisor,
  FenixError,
  GenServer,
  Registry,
  runtimeOf,
  type ChildSpec,
  type Pid,
  type PubSub,
  type Runtime,
} from "../../src/index.js";
import type { ChatMessage } from "./chat-message.js";
import { RoomServer, type RoomRequest } from "./room-server.js";

/** The room servers of one chat endpoint. */
export class RoomDirectory {
  readonly #pubsub: PubSub;
  readonly #syncTimeoutMs: number;
  #runtime: Runtime | null = null;
  #names: Registry<string> | null = null;
  #supervisor: Pid | null = null;

  /**
   * @param pubsub - the endpoint's PubSub: room servers listen to their room on it, and ask the other
   *   nodes' room servers for the history when they start.
   * @param syncTimeoutMs - how long a new room server waits for that history. @defaultValue 500
   */
  constructor(pubsub: PubSub, syncTimeoutMs = 500) {
    this.#pubsub = pubsub;
    this.#syncTimeoutMs = syncTimeoutMs;
  }

  /**
   * The child spec of the room servers' supervisor, for the endpoint's `children`. Started in the
   * endpoint's tree, the rooms run before the first connection and stop after the last one.
   */
  childSpec(id = "rooms"): ChildSpec {
    return {
      id,
      type: "supervisor",
      restart: "permanent",
      start: async (parent) => {
        const runtime = runtimeOf(parent);
        if (runtime === undefined) throw new Error("the parent of the room supervisor is not alive");
        this.#runtime = runtime;
        this.#names ??= new Registry<string>({ keys: "unique", runtime });
        this.#supervisor = await DynamicSupervisor.startLink(parent, { runtime, maxRestarts: 10, maxSeconds: 5 });
        return this.#supervisor;
      },
    };
  }

  /** The supervisor of the room servers (once started). */
  get supervisor(): Pid {
    return this.#started().supervisor;
  }

  /** The room server of `room`, started if it does not run yet. */
  async serverOf(room: string): Promise<Pid> {
    const { runtime, names, supervisor } = this.#started();
    const running = names.whereis(room);
    if (running !== undefined) return running;
    let started: Pid | null = null;
    try {
      started = await DynamicSupervisor.startChild(supervisor, {
        restart: "permanent",
        // Also used by the supervisor to restart a crashed room server: if a join already started a new
        // one for the room in the meantime, that one serves the room and this child is dropped.
        start: (parent) =>
          names.whereis(room) !== undefined ? null : GenServer.startLink(RoomServer, { room, pubsub: this.#pubsub, syncTimeoutMs: this.#syncTimeoutMs }, parent, { runtime, name: names.via(room) }),
      });
    } catch (err) {
      // Two joins raced to start the same room: the loser's start fails because the name is taken.
      if (!(err instanceof FenixError) || !isAlreadyStarted(err)) throw err;
    }
    const pid = started ?? names.whereis(room);
    if (pid === undefined) throw new Error(`the room server of "${room}" could not be started`);
    return pid;
  }

  /** The room's recent messages, oldest first. */
  async history(room: string): Promise<ChatMessage[]> {
    const request: RoomRequest = { type: "history" };
    return GenServer.call<ChatMessage[]>(await this.serverOf(room), request, 5_000);
  }

  #started(): { runtime: Runtime; names: Registry<string>; supervisor: Pid } {
    if (this.#runtime === null || this.#names === null || this.#supervisor === null) {
      throw new Error("the room directory is not started: pass rooms.childSpec() in the endpoint's children");
    }
    return { runtime: this.#runtime, names: this.#names, supervisor: this.#supervisor };
  }
}

function isAlreadyStarted(err: FenixError): boolean {
  return err instanceof AlreadyStartedError || (err as { cause?: unknown }).cause instanceof AlreadyStartedError;
}
