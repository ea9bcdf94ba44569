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

/** A socket whose writes of this turn of the event loop wait to leave together. */
interface Batched {
  flush(): void;
}

/** Sockets with writes waiting in this turn: one setImmediate flushes them all. */
let toFlush: Batched[] = [];

function flushSoon(socket: Batched): void {
  if (toFlush.length === 0) setImmediate(flushAll);
  toFlush.push(socket);
}

function flushAll(): void {
  const sockets = toFlush;
  toFlush = [];
  for (const socket of sockets) socket.flush();
}

/**
 * An MQTT wire over a TCP socket. Writes made in one turn of the event loop leave together at its end,
 * in one system call (a fanout often sends a subscriber several packets per turn; each would be a
 * write): one packet as it is, several joined into one buffer (they are small; one copy costs less than
 * a vectored write).
 */
export function tcpWire(socket: NetSocket): MqttWire {
  socket.setNoDelay(true);
  let open = true;
  let pending: Uint8Array[] | null = null;
  let pendingBytes = 0;
  const batched: Batched = {
    flush() {
      const chunks = pending;
      pending = null;
      pendingBytes = 0;
      if (chunks === null || socket.destroyed) return;
      socket.write(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    },
  };
  return {
    transport: "mqtt",
    address: socket.remoteAddress,
    write(data) {
      if (!open || socket.destroyed) return;
      if (pending === null) {
        pending = [data];
        flushSoon(batched);
      } else pending.push(data);
      pendingBytes += data.byteLength;
    },
    get bufferedBytes() {
      return socket.writableLength + pendingBytes;
    },
    end() {
      if (!open) return;
      batched.flush();
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
