/**
 * Which transport the official `phoenix` client uses in a test run. The channel suite
 * (test/integration/channels) runs once per transport as the vitest projects `channels:websocket` and
 * `channels:longpoll` (see vitest.config.ts), which provide `transport`; every other project leaves it
 * unset and gets WebSocket. The descriptors hold the few values in which the two transports legitimately
 * differ, so a test of the suite states its expectation once for both.
 */
import { LongPoll, type SocketConnectOption } from "phoenix";
import WebSocket from "ws";
import { inject } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** The official client's transport in the channel suite; set by the `channels:*` projects only. */
    transport: "websocket" | "longpoll";
  }
}

/** The name of a transport, as the vitest projects provide it. */
export type TransportName = "websocket" | "longpoll";

/** What tests need to know about one transport of the official client. */
export interface ClientTransport {
  readonly name: TransportName;
  /** Options of the official client's `Socket` that select this transport. */
  readonly clientOptions: { readonly transport: SocketConnectOption["transport"] };
  /**
   * The close code the client reports when the server ends its connection on purpose
   * (`endpoint.disconnect`, a `disconnect` broadcast): 1001 (going away) from the WebSocket close frame;
   * over LongPoll, 3410 (`session_gone`), which the official client reports when a poll is answered with
   * status 410 while it holds a session token.
   */
  readonly forcedDisconnectCloseCode: 1001 | 3410;
}

/** The official client over WebSocket (the `ws` package, as Node 20 has no global WebSocket). */
export const WEBSOCKET: ClientTransport = {
  name: "websocket",
  clientOptions: { transport: WebSocket },
  forcedDisconnectCloseCode: 1001,
};

/**
 * The official client over LongPoll. Besides the close code, it sends no periodic heartbeats
 * (`skipHeartbeat`), uses its default JSON serializer whatever `encode`/`decode` say, and cannot receive
 * binary frames; tests that depend on those live outside the channel suite.
 */
export const LONGPOLL: ClientTransport = {
  name: "longpoll",
  clientOptions: { transport: LongPoll },
  forcedDisconnectCloseCode: 3410,
};

/** The transport of this run: the project's `transport`, WebSocket when the project provides none. */
export const clientTransport: ClientTransport = inject("transport") === "longpoll" ? LONGPOLL : WEBSOCKET;
