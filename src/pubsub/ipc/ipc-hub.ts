/**
 * The primary's side of the cluster IPC adapter: it knows each worker's node name and relays frames
 * between workers — a broadcast to every other worker, a direct broadcast to the one named — in the
 * order they were sent. It decodes nothing: the bytes a worker encoded once are passed on as they are.
 */
import { isIpcMessage, type FramesMessage, type IpcPort } from "./ipc-messages.js";

interface Member {
  readonly port: IpcPort;
  readonly listener: (message: unknown) => void;
  node: string | null;
}

/**
 * Relays PubSub frames between the workers attached to it.
 *
 * @example
 * ```ts
 * // In the primary (startCluster does this for you):
 * const hub = new IpcHub();
 * cluster.on("fork", (worker) => hub.attach(worker));
 * cluster.on("exit", (worker) => hub.detach(worker));
 * ```
 */
export class IpcHub {
  readonly #members = new Map<IpcPort, Member>();

  /** Starts relaying for a worker (it joins once it says hello). */
  attach(port: IpcPort): void {
    if (this.#members.has(port)) return;
    const member: Member = { port, listener: (message) => this.#receive(member, message), node: null };
    this.#members.set(port, member);
    port.on("message", member.listener);
  }

  /** Stops relaying for a worker (it exited); the others learn that its node is gone. */
  detach(port: IpcPort): void {
    const member = this.#members.get(port);
    if (member === undefined) return;
    port.off("message", member.listener);
    this.#members.delete(port);
    if (member.node !== null) this.#announce();
  }

  /** The node names of the workers that joined. */
  nodes(): string[] {
    const names: string[] = [];
    for (const member of this.#members.values()) if (member.node !== null) names.push(member.node);
    return names;
  }

  #receive(from: Member, message: unknown): void {
    if (!isIpcMessage(message)) return;
    switch (message.fenix) {
      case "pubsub/hello": {
        const taken = [...this.#members.values()].some((m) => m !== from && m.node === message.node);
        if (taken) {
          send(from.port, { fenix: "pubsub/refused", reason: `another worker already uses the node name "${message.node}"` });
          return;
        }
        from.node = message.node;
        this.#announce();
        return;
      }
      case "pubsub/bye":
        if (from.node === null) return;
        from.node = null;
        this.#announce();
        return;
      case "pubsub/frames":
        if (from.node !== null) this.#relay(from, message);
        return;
      default:
        return;
    }
  }

  /** Sends each other worker, in one message, the frames of the batch meant for it, in order. */
  #relay(from: Member, batch: FramesMessage): void {
    const { frames, to } = batch;
    for (const member of this.#members.values()) {
      if (member === from || member.node === null) continue;
      let mine: Uint8Array[] | null = null;
      for (let i = 0; i < frames.length; i++) {
        const target = to?.[i] ?? null;
        if (target === null || target === member.node) (mine ??= []).push(frames[i]!);
      }
      if (mine !== null) send(member.port, { fenix: "pubsub/frames", frames: mine });
    }
  }

  #announce(): void {
    const nodes = this.nodes();
    for (const member of this.#members.values()) if (member.node !== null) send(member.port, { fenix: "pubsub/nodes", nodes });
  }
}

/** A worker that just died may still be attached: a failed send is its exit, which detach handles. */
function send(port: IpcPort, message: Parameters<IpcPort["send"]>[0]): void {
  try {
    port.send(message, ignore);
  } catch {
    // The channel closed; the worker's exit event follows.
  }
}

function ignore(): void {}
