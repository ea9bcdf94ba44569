/**
 * The byte stream under one MQTT connection: a TCP socket, or a WebSocket carrying MQTT in binary
 * messages (subprotocol `mqtt`). The connection process sees the same small interface for both.
 */
import type { Socket as NetSocket } from "node:net";
import type { WebSocket } from "ws";

/** One MQTT connection's byte stream. */
export interface MqttWire {
  /** `"mqtt"` (TCP) or `"mqtt-ws"` (WebSocket). */
  readonly transport: "mqtt" | "mqtt-ws";
  /** The peer's address. */
  readonly address: string | undefined;
  /** Writes bytes. Writes after close are dropped. */
  write(data: Uint8Array): void;
  /** Bytes queued and not yet written to the network. */
  readonly bufferedBytes: number;
  /** Flushes what was written, then closes. */
  end(): void;
  /** Closes at once. */
  destroy(): void;
  /** Starts reading: `data` for every chunk, `closed` once when the stream ends either way. */
  start(data: (chunk: Uint8Array) => void, closed: () => void): void;
}

/** A socket corked until the end of this turn of the event loop. */
interface Corkable {
  corked: boolean;
  uncork(): void;
}

/** Sockets corked in this turn: one setImmediate uncorks them all. */
let toUncork: Corkable[] = [];

function uncorkSoon(socket: Corkable): void {
  if (toUncork.length === 0) setImmediate(uncorkAll);
  toUncork.push(socket);
}

function uncorkAll(): void {
  const sockets = toUncork;
  toUncork = [];
  for (const socket of sockets) socket.uncork();
}

/**
 * An MQTT wire over a TCP socket. Writes made in one turn of the event loop are corked and leave in one
 * system call (a fanout often sends a subscriber several packets per turn; each would be a write).
 */
export function tcpWire(socket: NetSocket): MqttWire {
  socket.setNoDelay(true);
  let open = true;
  const corkable: Corkable = {
    corked: false,
    uncork() {
      this.corked = false;
      if (!socket.destroyed) socket.uncork();
    },
  };
  return {
    transport: "mqtt",
    address: socket.remoteAddress,
    write(data) {
      if (!open || socket.destroyed) return;
      if (!corkable.corked) {
        corkable.corked = true;
        socket.cork();
        uncorkSoon(corkable);
      }
      socket.write(data);
    },
    get bufferedBytes() {
      return socket.writableLength;
    },
    end() {
      if (!open) return;
      open = false;
      socket.end();
      // A peer that never reads would keep a half-closed socket: give it a moment, then cut.
      setTimeout(() => socket.destroy(), 2_000).unref();
    },
    destroy() {
      open = false;
      socket.destroy();
    },
    start(data, closed) {
      let done = false;
      const finish = () => {
        open = false;
        if (!done) {
          done = true;
          closed();
        }
      };
      socket.on("data", data);
      socket.on("error", () => socket.destroy());
      socket.on("close", finish);
      socket.on("end", () => socket.end());
      if (socket.destroyed) finish();
    },
  };
}

/** An MQTT wire over a WebSocket (binary messages; a packet may span messages and a message hold several). */
export function webSocketWire(ws: WebSocket, address: string | undefined): MqttWire {
  let open = true;
  return {
    transport: "mqtt-ws",
    address,
    write(data) {
      if (open && ws.readyState === ws.OPEN) ws.send(data, { binary: true });
    },
    get bufferedBytes() {
      return ws.bufferedAmount;
    },
    end() {
      if (!open) return;
      open = false;
      ws.close(1000);
      setTimeout(() => ws.terminate(), 2_000).unref();
    },
    destroy() {
      open = false;
      ws.terminate();
    },
    start(data, closed) {
      let done = false;
      ws.on("message", (message: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
        void isBinary;
        if (Array.isArray(message)) for (const part of message) data(part);
        else data(message instanceof ArrayBuffer ? new Uint8Array(message) : message);
      });
      ws.on("error", () => ws.terminate());
      ws.on("close", () => {
        open = false;
        if (!done) {
          done = true;
          closed();
        }
      });
    },
  };
}
