/**
 * How the load generator speaks to each server: the Phoenix V2 JSON protocol (Fenix and the raw `ws`
 * server) and Socket.IO's engine.io v4 / socket.io v5 text packets. Every frame is built as a string
 * from parts, so the load generator never serialises an object per message.
 */

/** The servers under test. */
export type ServerName = "fenix" | "ws" | "socketio";

/** One protocol, as the load generator needs it. */
export interface Dialect {
  /** The upgrade path, query included. */
  readonly path: string;
  /** Frames the client sends after the upgrade before it may join, each sent after a server frame that starts with `waitFor`. */
  readonly opening: readonly { readonly waitFor: string; readonly send: string | null }[];
  /** A join of `topic` with request id `ref`. */
  join(topic: string, ref: number): string;
  /** Whether `text` is the successful answer to a join. */
  isJoinOk(text: string): boolean;
  /** A push answered with its payload (`payload` is JSON text). */
  ping(topic: string, joinRef: number, ref: number, payload: string): string;
  /** A push the server broadcasts to the topic (`payload` is JSON text), with no reply. */
  shout(topic: string, joinRef: number, ref: number, payload: string): string;
  /** The payload of a broadcast frame. */
  broadcastPayload(text: string): unknown;
  /** The response carried by a reply frame. */
  replyPayload(text: string): unknown;
}

const phoenix: Dialect = {
  path: "/socket/websocket?vsn=2.0.0",
  opening: [],
  join: (topic, ref) => `["${ref}","${ref}","${topic}","phx_join",{}]`,
  isJoinOk: (text) => text.includes('"phx_reply"') && text.includes('"status":"ok"'),
  ping: (topic, joinRef, ref, payload) => `["${joinRef}","${ref}","${topic}","ping",${payload}]`,
  shout: (topic, joinRef, ref, payload) => `["${joinRef}","${ref}","${topic}","shout",${payload}]`,
  broadcastPayload: (text) => (JSON.parse(text) as unknown[])[4],
  replyPayload: (text) => ((JSON.parse(text) as unknown[])[4] as { response: unknown }).response,
};

const socketio: Dialect = {
  path: "/socket.io/?EIO=4&transport=websocket",
  // engine.io open packet "0{…}", then a connect to the main namespace "40", answered "40{sid}".
  opening: [
    { waitFor: "0", send: "40" },
    { waitFor: "40", send: null },
  ],
  join: (topic, ref) => `42${ref}["join","${topic}"]`,
  isJoinOk: (text) => text.startsWith("43") && text.includes('"ok"'),
  ping: (_topic, _joinRef, ref, payload) => `42${ref}["ping",${payload}]`,
  shout: (topic, _joinRef, _ref, payload) => `42["shout","${topic}",${payload}]`,
  broadcastPayload: (text) => (JSON.parse(text.slice(2)) as unknown[])[1],
  replyPayload: (text) => (JSON.parse(text.slice(text.indexOf("["))) as unknown[])[0],
};

/** The dialect each server speaks. */
export const DIALECTS: Record<ServerName, Dialect> = { fenix: phoenix, ws: phoenix, socketio };
