/**
 * The message types of a GenServer, declared once on its class and checked wherever it is talked to:
 * `GenServer<Args, Calls, Casts, Infos>` states what the server answers and receives, its typed pids and
 * names ({@link ServerPid}, {@link ServerName}) carry those types to callers, and `GenServer.call`,
 * `cast` and `send` check requests and messages against them and infer the reply. Types only: nothing
 * here exists at run time except the key of the phantom property.
 */
import type { NoReply } from "./gen-server-process.js";
import type { GenServer } from "./gen-server.js";
import type { Destination, ViaName } from "../registry/name.js";
import type { Pid } from "../process/pid.js";

/**
 * Key of the type-only property through which a server class, and its typed pids and names, carry the
 * server's {@link ServerProtocol}. It is never set: it exists for the compiler only.
 */
export const SERVER_PROTOCOL: unique symbol = Symbol("fenix.GenServer.protocol");

/**
 * One call a server answers: the request a caller sends and the reply it gets back.
 *
 * @remarks
 * A server's calls are a union of them, the second type argument of `GenServer`. The requests are
 * matched against what a caller sends, so give each call a request of its own (a distinct string, or an
 * object with its own `type`): a request that matches several resolves with the union of their replies.
 * So does a request written with an array literal for a field typed as a mutable array; declare such
 * fields `readonly` (`ids: readonly number[]`) to get the exact reply.
 *
 * @example
 * ```ts
 * type CounterCall = Call<"get", number> | Call<{ type: "add"; n: number }, number>;
 * class Counter extends GenServer<number, CounterCall> {}
 * ```
 */
export interface Call<Request = unknown, Reply = unknown> {
  readonly request: Request;
  readonly reply: Reply;
}

/** What a server handles: its calls, the messages it is cast, and the other messages it receives. */
export interface ServerProtocol<Calls extends Call = Call, Casts = unknown, Infos = unknown> {
  readonly calls: Calls;
  readonly casts: Casts;
  readonly infos: Infos;
}

/** The protocol of a server class instance type. */
type ProtocolOf<S> = S extends { readonly [SERVER_PROTOCOL]?: infer P extends ServerProtocol } ? P : ServerProtocol;

/** Whether a protocol declares nothing (all `unknown`): its pids and names stay plain. */
type IsUntyped<P extends ServerProtocol> = unknown extends P["calls"]["request"]
  ? unknown extends P["casts"]
    ? unknown extends P["infos"]
      ? true
      : false
    : false
  : false;

/** The protocol a destination carries, or `undefined` for a plain pid or name. */
type ProtocolAt<D> = [D] extends [{ readonly [SERVER_PROTOCOL]: infer P extends ServerProtocol }] ? P : undefined;

/**
 * The replies of `Calls` to `Request`: for each request of the union, the replies of the calls it
 * matches; all the replies when it matches none exactly.
 */
type ReplyTo<Calls extends Call, Request> = [MatchedReply<Calls, Request>] extends [never] ? Calls["reply"] : MatchedReply<Calls, Request>;

type MatchedReply<Calls extends Call, Request> = Request extends unknown
  ? Calls extends Call<infer Q, infer R>
    ? Request extends Q
      ? R
      : never
    : never
  : never;

/**
 * The pid of a running server of class `S`: a {@link Pid} that also carries the server's message types,
 * so `GenServer.call`, `cast` and `send` check what is sent to it. `GenServer.start` resolves with one;
 * {@link GenServer.typed} states it for a pid found elsewhere. A server that declares no message types
 * has plain `Pid`s.
 *
 * @example
 * ```ts
 * const counter: ServerPid<Counter> = await GenServer.start(Counter, 0);
 * const n = await GenServer.call(counter, "get"); // number
 * ```
 */
export type ServerPid<S extends GenServer<never>> =
  IsUntyped<ProtocolOf<S>> extends true ? Pid : Pid & { readonly [SERVER_PROTOCOL]: ProtocolOf<S> };

/**
 * A name (`{ via, key }`, such as `registry.via(key)`) of a server of class `S`, carrying its message
 * types as {@link ServerPid} does. Made by {@link GenServer.typed}.
 *
 * @example
 * ```ts
 * const visits: ServerName<Counter> = GenServer.typed<Counter>(names.via("visits"));
 * ```
 */
export type ServerName<S extends GenServer<never>> =
  IsUntyped<ProtocolOf<S>> extends true ? ViaName : ViaName & { readonly [SERVER_PROTOCOL]: ProtocolOf<S> };

/**
 * The requests a server of class `S` answers.
 *
 * @example
 * ```ts
 * const request: RequestOf<Counter> = { type: "add", n: 2 };
 * ```
 */
export type RequestOf<S extends GenServer<never>> = ProtocolOf<S>["calls"]["request"];

/**
 * The reply of a server of class `S` to `Request` (by default, to any of its requests).
 *
 * @example
 * ```ts
 * type Count = ReplyOf<Counter, "get">; // number
 * ```
 */
export type ReplyOf<S extends GenServer<never>, Request = RequestOf<S>> = ReplyTo<ProtocolOf<S>["calls"], Request>;

/** The messages a server of class `S` may be cast (what its `handleCast` takes). */
export type CastOf<S extends GenServer<never>> = ProtocolOf<S>["casts"];

/** The other messages a server of class `S` declares (what its `handleInfo` takes). */
export type InfoOf<S extends GenServer<never>> = ProtocolOf<S>["infos"];

/** What `handleCall` may return for calls whose replies are `Reply`. */
export type CallResult<Reply> = Reply | NoReply | PromiseLike<Reply | NoReply>;

/** @internal The requests `destination` accepts: any value for a plain pid or name. */
export type RequestAt<D extends Destination> = ProtocolAt<D> extends ServerProtocol ? ProtocolAt<D>["calls"]["request"] : unknown;

/**
 * @internal The reply a call of `request` to `destination` resolves with: the declared one for a typed
 * destination, else `T` (the caller's type argument, `unknown` by default).
 */
export type ReplyAt<D extends Destination, Request, T> =
  ProtocolAt<D> extends ServerProtocol
    ? unknown extends ProtocolAt<D>["calls"]["request"]
      ? T
      : ReplyTo<ProtocolAt<D>["calls"], Request>
    : T;

/** @internal The messages `destination` may be cast: any value for a plain pid or name. */
export type CastAt<D extends Destination> = ProtocolAt<D> extends ServerProtocol ? ProtocolAt<D>["casts"] : unknown;

/** @internal The messages `destination` may be sent: any value for a plain pid or name. */
export type InfoAt<D extends Destination> = ProtocolAt<D> extends ServerProtocol ? ProtocolAt<D>["infos"] : unknown;
