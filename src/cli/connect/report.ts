/**
 * Everything `fenix connect` tells its user, as one union of reports, and its two renderings: a line for
 * people (a mark, the report's type, the details) and a JSON object per line for programs. Both use the
 * same type names, listed in docs/cli.md.
 */

/** What `/topics` lists about one topic. */
export interface TopicInfo {
  readonly topic: string;
  /** The channel's state: `joining`, `joined`, `errored` (rejoining) or `leaving`. */
  readonly state: string;
  readonly current: boolean;
}

/** One thing to tell the user, told apart by `type`. */
export type Report =
  | { readonly type: "connected"; readonly url: string; readonly transport: string; readonly vsn: string }
  | { readonly type: "disconnected"; readonly code: number; readonly reason: string }
  | { readonly type: "reconnected"; readonly transport: string }
  | { readonly type: "joined"; readonly topic: string; readonly response: unknown; readonly rejoin: boolean }
  | { readonly type: "refused"; readonly topic: string; readonly status: string; readonly response: unknown }
  | { readonly type: "left"; readonly topic: string }
  | { readonly type: "closed"; readonly topic: string }
  | { readonly type: "crashed"; readonly topic: string }
  | {
      readonly type: "reply";
      readonly topic: string;
      readonly event: string;
      readonly ref: string | null;
      readonly status: string;
      readonly response: unknown;
      readonly ms: number;
    }
  | { readonly type: "push" | "broadcast" | "message"; readonly topic: string; readonly event: string; readonly payload: unknown }
  | { readonly type: "timeout"; readonly topic: string; readonly event: string; readonly ref: string | null; readonly ms: number }
  | { readonly type: "using"; readonly topic: string }
  | { readonly type: "topics"; readonly topics: readonly TopicInfo[] }
  | { readonly type: "help"; readonly text: string }
  | {
      readonly type: "error";
      /** A short word for programs: `bad_json`, `not_joined`, `connect_failed`… (see docs/cli.md). */
      readonly reason: string;
      readonly message: string;
      readonly topic?: string;
      readonly event?: string;
      /** The `FENIX_ERR_CLIENT_*` code, when the error came from the client. */
      readonly code?: string;
    };

/** Whether a report makes the exit code 1: a refusal, a timeout, an error, or a reply that is not ok. */
export function isProblem(report: Report): boolean {
  return report.type === "refused" || report.type === "timeout" || report.type === "error" || (report.type === "reply" && report.status !== "ok");
}

/** Whether `--quiet` hides a report: confirmations of what the user asked for. */
export function isConfirmation(report: Report): boolean {
  return report.type === "connected" || report.type === "left" || report.type === "using" || (report.type === "joined" && !report.rejoin);
}

/** How many bytes a binary preview shows. */
const PREVIEW_BYTES = 16;

/** A payload for people: compact JSON, or `<n bytes hex…>` for bytes. */
export function showPayload(value: unknown): string {
  if (value instanceof Uint8Array) {
    const hex = Buffer.from(value.subarray(0, PREVIEW_BYTES)).toString("hex");
    return `<${value.length} byte${value.length === 1 ? "" : "s"}${hex === "" ? "" : ` ${hex}`}${value.length > PREVIEW_BYTES ? "…" : ""}>`;
  }
  return JSON.stringify(value) ?? String(value);
}

const COLORS = { red: 31, green: 32, yellow: 33, cyan: 36, dim: 2 } as const;

type Color = keyof typeof COLORS;

/** Renders a report as one line (or more, for `help`) for people; `color` adds ANSI colors to the head. */
export function renderHuman(report: Report, color: boolean): string {
  const head = (mark: string, word: string, tint: Color): string => {
    const text = `${mark} ${word}`;
    return color ? `\u001b[${COLORS[tint]}m${text}\u001b[0m` : text;
  };
  switch (report.type) {
    case "connected":
      return `${head("*", "connected", "green")} to ${report.url} (${report.transport}, vsn ${report.vsn})`;
    case "disconnected":
      return `${head("!", "disconnected", "yellow")} (${report.code}${report.reason === "" ? "" : ` ${report.reason}`}); reconnecting`;
    case "reconnected":
      return `${head("*", "reconnected", "green")} (${report.transport})`;
    case "joined":
      return `${head("*", report.rejoin ? "rejoined" : "joined", "green")} ${report.topic} ${showPayload(report.response)}`;
    case "refused":
      return `${head("!", "refused", "red")} ${report.topic} ${report.status} ${showPayload(report.response)}`;
    case "left":
      return `${head("*", "left", "dim")} ${report.topic}`;
    case "closed":
      return `${head("!", "closed", "yellow")} ${report.topic}: the server closed the channel`;
    case "crashed":
      return `${head("!", "crashed", "yellow")} ${report.topic}: the channel crashed on the server; rejoining`;
    case "reply": {
      const ok = report.status === "ok";
      const ref = report.ref === null ? "" : `ref ${report.ref}, `;
      return `${head(ok ? "<" : "!", "reply", ok ? "green" : "red")} ${report.topic} ${report.event} ${report.status} (${ref}${report.ms} ms) ${showPayload(report.response)}`;
    }
    case "push":
    case "broadcast":
    case "message":
      return `${head("<", report.type, "cyan")} ${report.topic} ${report.event} ${showPayload(report.payload)}`;
    case "timeout": {
      const ref = report.ref === null ? "" : ` (ref ${report.ref})`;
      return `${head("!", "timeout", "red")} ${report.topic} ${report.event}${ref}: no reply within ${report.ms} ms`;
    }
    case "using":
      return `${head("*", "using", "dim")} ${report.topic}`;
    case "topics": {
      const list = report.topics.map((t) => `${t.topic} (${t.state}${t.current ? ", current" : ""})`).join(", ");
      return `${head("*", "topics", "dim")} ${list === "" ? "none" : list}`;
    }
    case "help":
      return report.text;
    case "error":
      return report.reason === "connect_failed" ? `fenix connect: ${report.message}` : `${head("!", "error", "red")} ${report.message}`;
  }
}

/** Renders a report as one JSON line; bytes become base64 with `"binary": true` beside them. */
export function renderJson(report: Report): string {
  const object: Record<string, unknown> = { ...report };
  for (const key of ["payload", "response"]) {
    const value = object[key];
    if (value instanceof Uint8Array) {
      object[key] = Buffer.from(value).toString("base64");
      object.binary = true;
    }
  }
  return JSON.stringify(object);
}
