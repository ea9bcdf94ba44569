/**
 * The error context of a connection attempt over a TCP socket, whose peer address is read from the socket
 * only when something asks for it: the address costs a system call, and most connections never report an
 * error nor meet a listener that wants it. Node keeps the address on the socket once read, so a reading
 * made while the connection is open still answers after it closed.
 */
import type { ClientErrorContext } from "../endpoint/endpoint-context.js";

/** The part of a TCP socket the context reads. */
interface PeerSocket {
  readonly remoteAddress?: string | undefined;
}

/** @internal A {@link ClientErrorContext} with `address` read from the socket when first asked. */
export class PeerErrorContext implements ClientErrorContext {
  readonly path: string;
  readonly transport: string;
  readonly socketId: string | null = null;
  readonly #socket: PeerSocket;

  constructor(path: string, transport: string, socket: PeerSocket) {
    this.path = path;
    this.transport = transport;
    this.#socket = socket;
  }

  get address(): string | undefined {
    return this.#socket.remoteAddress;
  }

  /** The plain fields, so that logging or `JSON.stringify` of the context shows the address. */
  toJSON(): ClientErrorContext {
    return plainErrorContext(this);
  }
}

/**
 * @internal `context` as a plain object with every field its own: what listeners and telemetry are given,
 * so that spreading or serializing it keeps the address even when `context` reads it lazily.
 */
export function plainErrorContext(context: ClientErrorContext): ClientErrorContext {
  return { path: context.path, transport: context.transport, address: context.address, socketId: context.socketId };
}
