/**
 * The Redis adapter's history store: each history topic's stream lives in Redis, so that any node can
 * serve a recovery, and every broadcast on such a topic reaches every node, the sending one included,
 * through one channel of Redis Pub/Sub, in the order Redis gave the offsets.
 *
 * Per topic, under the adapter's prefix:
 *
 * - `<prefix>:history:<topic>`, a Redis Stream of the kept messages: auto (time-based) IDs, so that
 *   `XTRIM MINID` drops what is older than the retention's `ttlMs`; fields `o` (the offset, decimal) and
 *   `f` (the node frame). Trimmed to the retention's `size` (exact `MAXLEN`); expires `ttlMs` after the
 *   last append.
 * - `<prefix>:history-meta:<topic>`, a hash: `epoch` and `offset` (the last one given). Expires
 *   `metaTtlMs` (at least `ttlMs`) after the last append or read; when it is gone (expired, evicted, or a
 *   Redis that lost its data), the next append or read starts a new epoch and drops the stream's leftovers.
 *
 * An append is one `EVALSHA` (pipelined with whatever else the publisher connection sends that turn): the
 * script gives the next offset, keeps the frame, trims, refreshes the expiries and publishes on
 * `<prefix>:history`, all atomically, so the order of the publishes is the order of the offsets. A read is
 * one `EVALSHA` too. Messages on the history channel, version 1 (lengths are single bytes):
 *
 * ```text
 * u8 version (1)   u8 epoch length   epoch (ASCII)   u8 offset length   offset (decimal ASCII)   frame
 * ```
 */
import { createHash } from "node:crypto";
import { ErrorReply, RESP_TYPES, type createClient } from "@redis/client";
import type { AdapterHost } from "../adapter.js";
import { PubSubError, PubSubErrorCode } from "../errors.js";
import type { HistoryQuery, HistoryRetention, HistoryStore, StoredEntry, StoredHistory } from "../history/history-store.js";
import { DEFAULT_META_TTL_MS, newEpoch } from "../history/topic-streams.js";

/** The version of the history channel's messages this build writes and reads. */
export const HISTORY_MESSAGE_VERSION = 1;

/** What the store sends commands through: the publisher connection of the adapter's current generation. */
export type HistoryConnection = Pick<ReturnType<typeof createClient>, "sendCommand">;

/** What a {@link RedisHistory} needs of its adapter. */
export interface RedisHistoryLink {
  /** The publisher connection of the current generation when it is ready for commands, else `null`. */
  publisher(): HistoryConnection | null;
  /** The PubSub's host, once the adapter started (`null` before). */
  host(): AdapterHost | null;
}

/** Options of {@link RedisHistory}. */
export interface RedisHistoryOptions {
  /** The adapter's prefix: keys `<prefix>:history:<topic>`, `<prefix>:history-meta:<topic>`, channel `<prefix>:history`. */
  readonly prefix: string;
  /**
   * How long a topic's epoch and last offset are kept after its last append or read (ms); never less
   * than the retention's `ttlMs`.
   * @defaultValue 24 hours
   */
  readonly metaTtlMs?: number;
  /**
   * Most appends waiting for Redis's answer; past it, appends are dropped and reported rather than
   * queued without bound behind a stalled connection.
   * @defaultValue 10000
   */
  readonly maxPending?: number;
}

/**
 * Appends: KEYS stream, meta; ARGV a fresh epoch, the frame, size, ttlMs, metaTtlMs, the history channel.
 * Returns the offset given (decimal).
 */
const APPEND_SCRIPT = `
local stream, meta = KEYS[1], KEYS[2]
if redis.call('HSETNX', meta, 'epoch', ARGV[1]) == 1 then redis.call('DEL', stream) end
local offset = string.format('%d', redis.call('HINCRBY', meta, 'offset', 1))
local epoch = redis.call('HGET', meta, 'epoch')
local now = redis.call('TIME')
local oldest = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) - tonumber(ARGV[4])
redis.call('XADD', stream, 'MAXLEN', ARGV[3], '*', 'o', offset, 'f', ARGV[2])
if oldest > 0 then redis.call('XTRIM', stream, 'MINID', string.format('%d', oldest)) end
redis.call('PEXPIRE', stream, ARGV[4])
redis.call('PEXPIRE', meta, ARGV[5])
redis.call('PUBLISH', ARGV[6], string.char(${HISTORY_MESSAGE_VERSION}, #epoch) .. epoch .. string.char(#offset) .. offset .. ARGV[2])
return offset
`;

/**
 * Reads: KEYS stream, meta; ARGV a fresh epoch, metaTtlMs, ttlMs, limit, after ('' for none).
 * Returns epoch, last offset, then offset and frame of each entry, oldest first.
 */
const READ_SCRIPT = `
local stream, meta = KEYS[1], KEYS[2]
if redis.call('HSETNX', meta, 'epoch', ARGV[1]) == 1 then redis.call('DEL', stream) end
redis.call('PEXPIRE', meta, ARGV[2])
local epoch = redis.call('HGET', meta, 'epoch')
local top = tonumber(redis.call('HGET', meta, 'offset') or '0')
local reply = {epoch, top}
local count = tonumber(ARGV[4])
local after = nil
if ARGV[5] ~= '' then
  after = tonumber(ARGV[5])
  if after > top or top - after > count then return reply end
  count = top - after
end
if count <= 0 then return reply end
local now = redis.call('TIME')
local oldest = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) - tonumber(ARGV[3])
if oldest < 0 then oldest = 0 end
local found = redis.call('XREVRANGE', stream, '+', string.format('%d', oldest), 'COUNT', string.format('%d', count))
for i = #found, 1, -1 do
  local fields = found[i][2]
  local offset, frame = nil, nil
  for j = 1, #fields - 1, 2 do
    if fields[j] == 'o' then offset = tonumber(fields[j + 1]) elseif fields[j] == 'f' then frame = fields[j + 1] end
  end
  if offset ~= nil and frame ~= nil and (after == nil or offset > after) then
    reply[#reply + 1] = offset
    reply[#reply + 1] = frame
  end
end
return reply
`;

interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash("sha1").update(source).digest("hex") };
}

const APPEND = script(APPEND_SCRIPT);
const READ = script(READ_SCRIPT);

/** Replies with bulk strings as Buffers (frames are bytes). */
const BUFFERS = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } };

/** The longest expiry handed to Redis (ms, about 35 years): `PEXPIRE` refuses what overflows its clock. */
const MAX_EXPIRY_MS = 2 ** 40;
/** The largest `limit` handed to Redis. */
const MAX_LIMIT = 1_000_000_000;

/**
 * The {@link HistoryStore} of the Redis adapter (its `history`); see the module comment for the keys,
 * scripts and the history channel.
 *
 * @remarks
 * `append` never throws and never waits: a message that cannot be appended (no ready connection, a
 * failed script, too many appends waiting) is dropped and counted; the adapter reports the count once per
 * heartbeat tick as `FENIX_ERR_PUBSUB_HISTORY_UNAVAILABLE`. A message that was appended but missed by a
 * node (its subscriber connection was down) is in the stream: a client recovers it. `read` rejects with
 * `FENIX_ERR_PUBSUB_HISTORY_UNAVAILABLE` when Redis cannot be reached.
 *
 * The adapter drives it: {@link RedisHistory.connected} on each new ready publisher connection,
 * {@link RedisHistory.receive} for each message of {@link RedisHistory.channel}, {@link RedisHistory.tick}
 * once per heartbeat.
 */
export class RedisHistory implements HistoryStore {
  /** The Pub/Sub channel every node subscribes to: `<prefix>:history`. */
  readonly channel: string;
  readonly #link: RedisHistoryLink;
  readonly #prefix: string;
  readonly #metaTtlMs: number;
  readonly #maxPending: number;
  #pending = 0;
  /** Appends dropped since the last tick, and the last reason why. */
  #dropped = 0;
  #lastCause: unknown = null;

  constructor(link: RedisHistoryLink, options: RedisHistoryOptions) {
    this.#link = link;
    this.#prefix = options.prefix;
    this.#metaTtlMs = options.metaTtlMs ?? DEFAULT_META_TTL_MS;
    this.#maxPending = options.maxPending ?? 10_000;
    this.channel = `${options.prefix}:history`;
  }

  append(topic: string, frame: Uint8Array, retention: HistoryRetention): void {
    const connection = this.#link.publisher();
    if (connection === null || this.#pending >= this.#maxPending) {
      this.#dropped++;
      if (connection === null) this.#lastCause = null;
      return;
    }
    const ttlMs = expiry(retention.ttlMs);
    const args = [
      newEpoch(),
      Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength),
      String(Math.max(1, Math.min(MAX_LIMIT, Math.floor(retention.size) || 1))),
      String(ttlMs),
      String(Math.max(ttlMs, this.#metaTtlMs)),
      this.channel,
    ];
    this.#pending++;
    evaluate(connection, APPEND, this.#keys(topic), args).then(this.#appended, (error: unknown) => {
      this.#pending--;
      this.#dropped++;
      this.#lastCause = error;
    });
  }

  async read(topic: string, query: HistoryQuery, retention: HistoryRetention): Promise<StoredHistory<Uint8Array>> {
    const connection = this.#link.publisher();
    if (connection === null) throw this.#unavailable(`The history of "${topic}" cannot be read: the connection to Redis is down.`, null);
    const ttlMs = expiry(retention.ttlMs);
    const limit = Math.max(0, Math.min(MAX_LIMIT, Math.floor(query.limit) || 0));
    const after = query.after === undefined ? "" : String(Math.max(-1, Math.min(Number.MAX_SAFE_INTEGER, Math.floor(query.after))));
    let reply: unknown;
    try {
      reply = await evaluate(connection, READ, this.#keys(topic), [newEpoch(), String(Math.max(ttlMs, this.#metaTtlMs)), String(ttlMs), String(limit), after]);
    } catch (error) {
      throw this.#unavailable(`The history of "${topic}" cannot be read (${describe(error)}).`, error);
    }
    return readReply(topic, reply);
  }

  /**
   * A new publisher connection is ready: loads both scripts on it first, so that every `EVALSHA` sent
   * after them on this connection finds its script (commands on one connection run in order).
   */
  connected(connection: HistoryConnection): void {
    for (const { source } of [APPEND, READ]) connection.sendCommand(["SCRIPT", "LOAD", source]).catch(ignore);
  }

  /** Reads one message of the history channel and delivers its frame, with its position, to the host. */
  receive(data: Buffer): void {
    const host = this.#link.host();
    if (host === null) return;
    const message = readHistoryMessage(data);
    if (message === null) {
      host.reportError(
        new PubSubError(
          PubSubErrorCode.BAD_FRAME,
          `A message on ${this.channel} was dropped: it is not a Fenix history message this build can read (run the same Fenix version on every node; keep other publishers off the channel).`,
        ),
      );
      return;
    }
    host.deliverPositioned(message.frame, { epoch: message.epoch, offset: message.offset });
  }

  /** Reports the appends dropped since the last call, if any, in one error; the adapter calls it once per tick. */
  tick(): void {
    if (this.#dropped === 0) return;
    const host = this.#link.host();
    if (host === null) return;
    const cause = this.#lastCause;
    const detail = cause === null ? "the connection to Redis is down" : describe(cause);
    host.reportError(
      this.#unavailable(
        `${this.#dropped} broadcast(s) on history topics were dropped: Redis did not take them (${detail}, or more than maxPendingPublishes waiting for an answer).`,
        cause,
      ),
    );
    this.#dropped = 0;
    this.#lastCause = null;
  }

  readonly #appended = (): void => {
    this.#pending--;
  };

  #keys(topic: string): [string, string] {
    return [`${this.#prefix}:history:${topic}`, `${this.#prefix}:history-meta:${topic}`];
  }

  #unavailable(message: string, cause: unknown): PubSubError {
    return new PubSubError(PubSubErrorCode.HISTORY_UNAVAILABLE, message, cause === null || cause === undefined ? undefined : { cause });
  }
}

/** One message of the history channel. */
export interface HistoryMessage {
  readonly epoch: string;
  readonly offset: number;
  /** A view into the received bytes. */
  readonly frame: Buffer;
}

/** Reads a history channel message, or returns `null` for bytes that are not one this build can read. */
export function readHistoryMessage(data: Buffer): HistoryMessage | null {
  if (data.length < 2 || data[0] !== HISTORY_MESSAGE_VERSION) return null;
  const epochEnd = 2 + data[1]!;
  if (data[1] === 0 || epochEnd >= data.length) return null;
  const offsetEnd = epochEnd + 1 + data[epochEnd]!;
  if (offsetEnd > data.length) return null;
  const digits = data.toString("latin1", epochEnd + 1, offsetEnd);
  if (!/^[0-9]{1,16}$/.test(digits)) return null;
  const offset = Number(digits);
  const epoch = data.toString("latin1", 2, epochEnd);
  if (!Number.isSafeInteger(offset) || offset < 1 || epoch.includes(":")) return null;
  return { epoch, offset, frame: data.subarray(offsetEnd) };
}

/** Runs a script by its SHA1; a Redis that does not know it (flushed scripts) gets its source once more. */
async function evaluate(connection: HistoryConnection, script: Script, keys: readonly string[], args: readonly (string | Buffer)[]): Promise<unknown> {
  try {
    return await connection.sendCommand(["EVALSHA", script.sha, String(keys.length), ...keys, ...args], BUFFERS);
  } catch (error) {
    if (!(error instanceof ErrorReply) || !error.message.startsWith("NOSCRIPT")) throw error;
    return connection.sendCommand(["EVAL", script.source, String(keys.length), ...keys, ...args], BUFFERS);
  }
}

function readReply(topic: string, reply: unknown): StoredHistory<Uint8Array> {
  if (!Array.isArray(reply) || reply.length < 2 || reply.length % 2 !== 0 || !Buffer.isBuffer(reply[0]) || typeof reply[1] !== "number") {
    throw new PubSubError(PubSubErrorCode.HISTORY_UNAVAILABLE, `The history of "${topic}" cannot be read: Redis answered with something else than a Fenix history.`);
  }
  const entries: StoredEntry<Uint8Array>[] = [];
  for (let i = 2; i < reply.length; i += 2) {
    const offset: unknown = reply[i];
    const data: unknown = reply[i + 1];
    if (typeof offset === "number" && Buffer.isBuffer(data)) entries.push({ offset, data });
  }
  return { position: { epoch: reply[0].toString("latin1"), offset: reply[1] }, entries };
}

/** A retention's `ttlMs` as Redis takes it: a whole number of ms, at least 1. */
function expiry(ttlMs: number): number {
  if (Number.isNaN(ttlMs)) return 1;
  return Math.max(1, Math.min(MAX_EXPIRY_MS, Math.ceil(ttlMs)));
}

function describe(error: unknown): string {
  if (error === null || error === undefined) return "no answer";
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === "string" && !message.includes(code) ? `${code}: ${message}` : message;
}

function ignore(): void {}
