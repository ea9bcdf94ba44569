/**
 * The command line of `fenix connect`: its options as parseArgs reads them, checked and turned into
 * {@link ConnectOptions}. Every problem is a usage error naming `fenix connect --help`.
 */
import { parse, usage, type Parsed } from "../args.js";

/** The protocol versions `--vsn` accepts. */
export const VERSIONS = ["2.0.0", "1.0.0"] as const;

/** A protocol version `fenix connect` speaks. */
export type Version = (typeof VERSIONS)[number];

/** What `fenix connect` was asked to do. */
export interface ConnectOptions {
  /** The socket's mount, as given (a trailing `/websocket` or `/longpoll` removed). */
  readonly url: string;
  /** Topics to join at start, in order. */
  readonly topics: readonly string[];
  /** Join params of the start joins, and of `/join` lines without a payload. */
  readonly joinParams: { readonly [key: string]: unknown };
  /** Connect params, sent in the query string. */
  readonly params: { readonly [key: string]: string };
  readonly authToken: string | undefined;
  readonly longpoll: boolean;
  readonly vsn: Version;
  readonly json: boolean;
  /** How long connecting, joins, pushes and leaves wait for an answer, in ms. */
  readonly timeoutMs: number;
  /** In script mode, how long to keep listening once stdin has ended, in ms. */
  readonly waitMs: number;
  readonly quiet: boolean;
}

/** The parseArgs declaration of every option. */
const OPTIONS = {
  topic: { type: "string", short: "t", multiple: true },
  join: { type: "string", short: "j", multiple: true },
  params: { type: "string", short: "p", multiple: true },
  "auth-token": { type: "string" },
  longpoll: { type: "boolean" },
  vsn: { type: "string" },
  json: { type: "boolean" },
  timeout: { type: "string" },
  wait: { type: "string" },
  quiet: { type: "boolean", short: "q" },
  help: { type: "boolean", short: "h" },
} as const;

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Reads the arguments after `fenix connect`; `env` supplies `FENIX_AUTH_TOKEN` when `--auth-token` is
 * not given.
 * @throws CliError `FENIX_ERR_CLI_USAGE` for anything missing, unknown or malformed.
 */
export function parseConnectOptions(args: readonly string[], env: NodeJS.ProcessEnv): ConnectOptions {
  const parsed = parse("connect", args, OPTIONS);
  const [url, extra] = parsed.positionals;
  if (url === undefined) throw usage("connect", "Give the socket's URL, as in `fenix connect ws://localhost:4000/socket`.");
  if (extra !== undefined) throw usage("connect", `Unexpected argument "${extra}": connect takes one URL.`);
  const params = Object.fromEntries(list(parsed, "params").map((pair) => keyValue("--params", pair)));
  if ("vsn" in params) throw usage("connect", "Choose the protocol version with --vsn, not --params vsn=….");
  const token = string(parsed, "auth-token") ?? env.FENIX_AUTH_TOKEN;
  return {
    url: endpointUrl(url),
    topics: list(parsed, "topic").map(topic),
    joinParams: joinParams(list(parsed, "join")),
    params,
    authToken: token === "" ? undefined : token,
    longpoll: parsed.values.longpoll === true,
    vsn: version(string(parsed, "vsn") ?? "2.0.0"),
    json: parsed.values.json === true,
    timeoutMs: milliseconds("--timeout", string(parsed, "timeout"), DEFAULT_TIMEOUT_MS, 1),
    waitMs: milliseconds("--wait", string(parsed, "wait"), 0, 0),
    quiet: parsed.values.quiet === true,
  };
}

function string(parsed: Parsed, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === "string" ? value : undefined;
}

function list(parsed: Parsed, name: string): string[] {
  const value = parsed.values[name];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** Checks the scheme, and drops a transport suffix the client adds by itself. */
function endpointUrl(url: string): string {
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(url);
  } catch {
    throw usage("connect", `"${url}" is not a URL; give the socket's mount, as in ws://localhost:4000/socket.`);
  }
  if (!["ws:", "wss:", "http:", "https:"].includes(parsedUrl.protocol)) {
    throw usage("connect", `The URL must start with ws://, wss://, http:// or https://; received "${url}".`);
  }
  if (parsedUrl.search !== "") throw usage("connect", `Give connect params with --params key=value, not in the URL ("${parsedUrl.search}").`);
  return url.replace(/\/+$/, "").replace(/\/(websocket|longpoll)$/, "");
}

function topic(name: string): string {
  if (name.trim() === "") throw usage("connect", "--topic needs a topic name, as in --topic room:lobby.");
  return name;
}

function keyValue(option: string, pair: string): [string, string] {
  const at = pair.indexOf("=");
  if (at <= 0) throw usage("connect", `${option} takes key=value; received "${pair}".`);
  return [pair.slice(0, at), pair.slice(at + 1)];
}

/** Merges `--join` values in order: `key=value` pairs (string values) and JSON objects. */
function joinParams(values: readonly string[]): { readonly [key: string]: unknown } {
  const merged: Record<string, unknown> = {};
  for (const value of values) {
    if (value.trimStart().startsWith("{")) {
      let object: unknown;
      try {
        object = JSON.parse(value);
      } catch (err) {
        throw usage("connect", `--join ${value} is not valid JSON (${(err as Error).message}).`);
      }
      if (typeof object !== "object" || object === null || Array.isArray(object)) throw usage("connect", "--join JSON must be an object.");
      Object.assign(merged, object);
    } else {
      const [key, v] = keyValue("--join", value);
      merged[key] = v;
    }
  }
  return merged;
}

function version(value: string): Version {
  const known = VERSIONS.find((v) => v === value);
  if (known === undefined) throw usage("connect", `--vsn must be ${VERSIONS.join(" or ")}; received "${value}".`);
  return known;
}

function milliseconds(option: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const ms = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(ms) || ms < min) {
    throw usage("connect", `${option} takes a whole number of milliseconds${min > 0 ? " above 0" : ""}; received "${value}".`);
  }
  return ms;
}
