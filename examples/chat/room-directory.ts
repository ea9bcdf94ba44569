/**
 * Finds or starts the room server of a room on this node: a Registry maps room names to room servers, a
 * DynamicSupervisor (a child of the endpoint's supervision tree) starts them on first use and restarts
 * one that crashes. Room servers record what is broadcast in their room, from any node, and stop when the
 * room has had no client here for a while; the directory keeps the last messages of the most recently
 * stopped rooms, a bounded number of them, for the room's next server.
 */
import { AlreadyStartedError, DynamicSupervisor, FenixError, GenServer, Registry, RuntimeErrorCode, type ChildSpec, type Pid, type PubSub, type Runtime } from "../../src/index.js";
import { runtimeOf } from "../../src/runtime/index.js";
import type { ChatMessage } from "./chat-message.js";
import { RoomServer, type RoomArchive, type RoomArgs, type RoomNotice, type RoomRequest } from "./room-server.js";

/** Options of a {@link RoomDirectory}. */
export interface RoomDirectoryOptions {
  /** How long a new room server waits for the other nodes' history (ms). @defaultValue 500 */
  readonly syncTimeoutMs?: number | undefined;
  /**
   * How long a room may have no client on this node before its server stops (ms). Its messages go to the
   * archive (see `archivedRooms`). @defaultValue 300_000 (5 minutes)
   */
  readonly idleMs?: number | undefined;
  /**
   * How many stopped rooms' histories the directory keeps, the most recently stopped ones; 0 keeps none.
   * Each holds at most `HISTORY_LENGTH` (50) messages, so the archive holds at most
   * `archivedRooms × 50` messages. @defaultValue 1_000
   */
  readonly archivedRooms?: number | undefined;
}

/**
 * The room servers of one chat endpoint.
 *
 * @remarks
 * Lifecycle of a room on this node: its server starts at the first join (or history request), taking the
 * messages the archive kept for the room and, with other nodes, merging their history; it stops once the
 * room has had no client here for `idleMs`, handing its messages back to the archive. The archive is a
 * least-recently-stopped list of at most `archivedRooms` rooms: a room that stays empty while that many
 * other rooms stop after it loses its history on this node (another node running the room still answers
 * the sync). Empty histories are not kept. A crash is not a stop: a restarted server starts from the
 * archive and the other nodes only, as before.
 */
export class RoomDirectory {
  readonly #pubsub: PubSub;
  readonly #syncTimeoutMs: number;
  readonly #idleMs: number;
  readonly #archive: RecentHistories;
  /** Clients of this node per room (rooms without any are left out). */
  readonly #clients = new Map<string, number>();
  #runtime: Runtime | null = null;
  #names: Registry<string> | null = null;
  #supervisor: Pid | null = null;

  /**
   * @param pubsub - the endpoint's PubSub: room servers listen to their room on it, and ask the other
   *   nodes' room servers for the history when they start.
   */
  constructor(pubsub: PubSub, options: RoomDirectoryOptions = {}) {
    this.#pubsub = pubsub;
    this.#syncTimeoutMs = options.syncTimeoutMs ?? 500;
    this.#idleMs = options.idleMs ?? 300_000;
    const archived = options.archivedRooms ?? 1_000;
    if (!(this.#idleMs > 0) || !Number.isFinite(this.#idleMs)) throw new RangeError(`idleMs must be a finite number > 0; got ${this.#idleMs}`);
    if (!Number.isInteger(archived) || archived < 0) throw new RangeError(`archivedRooms must be an integer ≥ 0; got ${archived}`);
    this.#archive = new RecentHistories(archived);
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

  /** How many stopped rooms' histories the archive holds now (at most `archivedRooms`). */
  get archivedRooms(): number {
    return this.#archive.size;
  }

  /** The room server of `room`, started if it does not run yet. */
  async serverOf(room: string): Promise<Pid> {
    const { runtime, names, supervisor } = this.#started();
    const running = names.whereis(room);
    if (running !== undefined) return running;
    let started: Pid | null = null;
    try {
      started = await DynamicSupervisor.startChild(supervisor, {
        // Transient: a server that stops idle is not restarted; one that crashes is.
        restart: "transient",
        // Also used by the supervisor to restart a crashed room server: if a join already started a new
        // one for the room in the meantime, that one serves the room and this child is dropped.
        start: (parent) =>
          names.whereis(room) !== undefined ? null : GenServer.startLink(RoomServer, this.#argsOf(room), parent, { runtime, name: names.via(room) }),
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
    try {
      return await GenServer.call(GenServer.typed<RoomServer>(await this.serverOf(room)), request, 5_000);
    } catch (err) {
      // The server stopped idle between the lookup and the call: its messages are in the archive, and
      // the next server (started now) takes them.
      if (!(err instanceof FenixError) || !(err.code === RuntimeErrorCode.CALLEE_EXITED || err.code === RuntimeErrorCode.NOPROC)) throw err;
      return GenServer.call(GenServer.typed<RoomServer>(await this.serverOf(room)), request, 5_000);
    }
  }

  /**
   * Counts a client of this node into the room: its server does not stop while the room has one. The
   * chat channel calls it once joined, and {@link RoomDirectory.left} exactly once as it ends.
   *
   * @remarks
   * The count lives here rather than in the room server, so a restarted server knows it too. A channel
   * ends through its `terminate` whatever the reason (leave, disconnect, crash, kill), so no monitor is
   * needed.
   */
  entered(room: string): void {
    this.#clients.set(room, (this.#clients.get(room) ?? 0) + 1);
  }

  /**
   * Counts a client of this node out of the room, and tells the room's server, whose idle time then
   * counts from now if it was the last one.
   */
  left(room: string): void {
    const clients = (this.#clients.get(room) ?? 0) - 1;
    if (clients > 0) this.#clients.set(room, clients);
    else this.#clients.delete(room);
    const pid = this.#names?.whereis(room);
    if (pid !== undefined) GenServer.cast(pid, { type: "left" } satisfies RoomNotice);
  }

  #argsOf(room: string): RoomArgs {
    return {
      room,
      pubsub: this.#pubsub,
      syncTimeoutMs: this.#syncTimeoutMs,
      idleMs: this.#idleMs,
      archive: this.#archive,
      clients: () => this.#clients.get(room) ?? 0,
    };
  }

  #started(): { runtime: Runtime; names: Registry<string>; supervisor: Pid } {
    if (this.#runtime === null || this.#names === null || this.#supervisor === null) {
      throw new Error("the room directory is not started: pass rooms.childSpec() in the endpoint's children");
    }
    return { runtime: this.#runtime, names: this.#names, supervisor: this.#supervisor };
  }
}

/**
 * The archive: the last messages of the most recently stopped rooms, at most `limit` rooms (a Map keeps
 * insertion order, so the first key is the room that stopped longest ago and goes first).
 */
class RecentHistories implements RoomArchive {
  readonly #limit: number;
  readonly #rooms = new Map<string, readonly ChatMessage[]>();

  constructor(limit: number) {
    this.#limit = limit;
  }

  get size(): number {
    return this.#rooms.size;
  }

  recall(room: string): readonly ChatMessage[] {
    const messages = this.#rooms.get(room);
    if (messages === undefined) return [];
    // The room's new server holds them now; it hands them back when it stops.
    this.#rooms.delete(room);
    return messages;
  }

  keep(room: string, messages: readonly ChatMessage[]): void {
    this.#rooms.delete(room);
    if (messages.length === 0 || this.#limit === 0) return;
    this.#rooms.set(room, messages);
    for (const oldest of this.#rooms.keys()) {
      if (this.#rooms.size <= this.#limit) break;
      this.#rooms.delete(oldest);
    }
  }
}

function isAlreadyStarted(err: FenixError): boolean {
  return err instanceof AlreadyStartedError || (err as { cause?: unknown }).cause instanceof AlreadyStartedError;
}
