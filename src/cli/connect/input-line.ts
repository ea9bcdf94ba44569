/**
 * What a line typed at `fenix connect` means: a push to the current topic, a push to a named topic, or one
 * of the slash commands. Pure: the session decides what to do with it. A payload is a JSON object, or
 * bytes written as `base64:…` or `hex:…`.
 */

/** A payload read from a line: a JSON object, or bytes. */
export type LinePayload = { readonly [key: string]: unknown } | Uint8Array;

/** One line of input, told apart by `kind`. */
export type InputLine =
  | { readonly kind: "skip" }
  | { readonly kind: "push"; readonly topic: string | undefined; readonly event: string; readonly payload: LinePayload }
  | { readonly kind: "join"; readonly topic: string; readonly params: { readonly [key: string]: unknown } | undefined }
  | { readonly kind: "leave"; readonly topic: string | undefined }
  | { readonly kind: "use"; readonly topic: string }
  | { readonly kind: "topics" }
  | { readonly kind: "wait"; readonly ms: number }
  | { readonly kind: "help" }
  | { readonly kind: "quit" }
  | { readonly kind: "invalid"; readonly reason: InvalidReason; readonly message: string };

/** Why a line was not understood. */
export type InvalidReason = "bad_json" | "bad_payload" | "bad_command";

/** The slash commands, as `/help` and completion list them. */
export const SLASH_COMMANDS = ["/join", "/leave", "/use", "/topics", "/push", "/wait", "/help", "/quit"] as const;

/** The input part of the help, shared by `fenix connect --help` and `/help`. */
export const INPUT_HELP = `Input, one line at a time:
  <event> [payload]                push <event> to the current topic
  /push <topic> <event> [payload]  push to another joined topic
  /join <topic> [json]             join a topic with the JSON object as params (default: the --join
                                   params); it becomes the current topic
  /leave [topic]                   leave a topic (default: the current one)
  /use <topic>                     make a joined topic the current one
  /topics                          list the joined topics
  /wait <ms>                       keep listening for <ms> before the next line (script mode)
  /help                            list these commands
  /quit                            disconnect and exit (so does the end of input, Ctrl-D)
A payload is a JSON object (default {}), or bytes as base64:<data> or hex:<data>. Empty lines and lines
starting with # are skipped.`;

/** Reads one line of input. */
export function parseLine(line: string): InputLine {
  const text = line.trim();
  if (text === "" || text.startsWith("#")) return { kind: "skip" };
  if (!text.startsWith("/")) {
    const [event, rest] = firstWord(text);
    return push(undefined, event, rest);
  }
  const [command, args] = firstWord(text);
  switch (command) {
    case "/join": {
      const [topic, rest] = firstWord(args);
      if (topic === "") return invalid("bad_command", "/join needs a topic, as in /join room:lobby.");
      if (rest === "") return { kind: "join", topic, params: undefined };
      const params = jsonObject(rest);
      return "kind" in params ? params : { kind: "join", topic, params: params.object };
    }
    case "/leave":
      return noMore(command, args, 1) ?? { kind: "leave", topic: args === "" ? undefined : args };
    case "/use":
      if (args === "") return invalid("bad_command", "/use needs a topic, as in /use room:lobby.");
      return noMore(command, args, 1) ?? { kind: "use", topic: args };
    case "/push": {
      const [topic, afterTopic] = firstWord(args);
      const [event, rest] = firstWord(afterTopic);
      if (event === "") return invalid("bad_command", "/push needs a topic and an event, as in /push room:lobby ping {}.");
      return push(topic, event, rest);
    }
    case "/wait": {
      if (!/^\d+$/.test(args)) return invalid("bad_command", "/wait needs a whole number of milliseconds, as in /wait 500.");
      return { kind: "wait", ms: Number(args) };
    }
    case "/topics":
    case "/help":
    case "/quit":
      return noMore(command, args, 0) ?? { kind: command.slice(1) as "topics" | "help" | "quit" };
    default:
      return invalid("bad_command", `Unknown command ${command}; /help lists the commands.`);
  }
}

function push(topic: string | undefined, event: string, rest: string): InputLine {
  const payload = parsePayload(rest);
  return "kind" in payload ? payload : { kind: "push", topic, event, payload: payload.payload };
}

/** Reads a payload: empty for `{}`, `base64:`/`hex:` bytes, or a JSON object. */
export function parsePayload(text: string): { readonly payload: LinePayload } | Extract<InputLine, { kind: "invalid" }> {
  if (text === "") return { payload: {} };
  const bytes = /^(base64|hex):(.*)$/s.exec(text);
  if (bytes !== null) {
    const [, encoding, data = ""] = bytes;
    const valid = encoding === "hex" ? /^(?:[0-9a-fA-F]{2})*$/.test(data) : /^[A-Za-z0-9+/_-]*={0,2}$/.test(data);
    if (!valid) return invalid("bad_payload", `"${data}" is not valid ${encoding}; nothing sent.`);
    return { payload: new Uint8Array(Buffer.from(data, encoding === "hex" ? "hex" : "base64")) };
  }
  const parsed = jsonObject(text);
  return "kind" in parsed ? parsed : { payload: parsed.object };
}

function jsonObject(text: string): { readonly object: { readonly [key: string]: unknown } } | Extract<InputLine, { kind: "invalid" }> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return invalid("bad_json", `Bad JSON (${(err as Error).message}); nothing sent.`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return invalid("bad_payload", `A payload must be a JSON object such as {"body":"hi"}, received ${text}; nothing sent.`);
  }
  return { object: value as { readonly [key: string]: unknown } };
}

/** Splits off the first whitespace-separated word. */
function firstWord(text: string): [string, string] {
  const match = /^(\S*)\s*(.*)$/s.exec(text.trim());
  return [match?.[1] ?? "", match?.[2] ?? ""];
}

function noMore(command: string, args: string, words: number): InputLine | undefined {
  const count = args === "" ? 0 : args.split(/\s+/).length;
  return count > words ? invalid("bad_command", `${command} takes ${words === 0 ? "nothing" : `${words} word`}; received "${args}".`) : undefined;
}

function invalid(reason: InvalidReason, message: string): Extract<InputLine, { kind: "invalid" }> {
  return { kind: "invalid", reason, message };
}
