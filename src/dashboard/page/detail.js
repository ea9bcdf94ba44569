// The detail panel: the selected connection (its peer, transport, socket id, queues and channels) with
// its actions — disconnect, suspend or resume it or one of its channels, and a live trace of its frames —
// or the selected process of a supervision tree, which can be suspended and resumed.
import { el, replaceChildren } from "./elements.js";
import { age, bytes, clock, count } from "./format.js";

/** Traced frames kept on screen. */
const MAX_FRAMES = 500;

export class Detail {
  /**
   * @param {{ root: HTMLElement, trace: HTMLOListElement, traceNote: HTMLElement }} parts
   * @param {import("./actions.js").Actions} actions
   */
  constructor(parts, actions) {
    this.parts = parts;
    this.actions = actions;
    /** @type {{ kind: "connection" | "process", node: string, pid: string, id?: string } | null} */
    this.selected = null;
    this.tracing = false;
    this.view = null;
    this.dropped = 0;
    this.#drawEmpty();
  }

  /** @param {{ node: string, pid: string }} row a socket row */
  selectConnection(row) {
    this.#switch({ kind: "connection", node: row.node, pid: row.pid });
  }

  /** @param {{ node: string, pid: string, id: string }} process a tree process */
  selectProcess(process) {
    this.#switch({ kind: "process", node: process.node, pid: process.pid, id: process.id });
  }

  /** Redraws with a new merged view. */
  update(view) {
    this.view = view;
    this.#draw();
  }

  /** Appends a batch of traced frames. */
  frames(batch) {
    const s = this.selected;
    if (s === null || s.kind !== "connection" || s.node !== batch.node || s.pid !== batch.pid) return;
    const list = this.parts.trace;
    for (const frame of batch.frames) {
      list.append(
        el(
          "li",
          { className: `frame ${frame.direction}`, "data-testid": "frame", "data-direction": frame.direction },
          el("span", { className: "at" }, clock(frame.at)),
          el("span", { className: "dir" }, frame.direction === "in" ? "⇢ in" : "⇠ out"),
          el("span", { className: "size" }, bytes(frame.bytes)),
          el("code", {}, frame.binary ? "(binary frame)" : (frame.text ?? "")),
        ),
      );
    }
    while (list.childElementCount > MAX_FRAMES) list.firstElementChild?.remove();
    this.dropped += batch.dropped;
    if (batch.ended) this.tracing = false;
    this.#drawTraceNote(batch.ended ? "the connection closed" : null);
    list.lastElementChild?.scrollIntoView({ block: "nearest" });
  }

  /** Asks again for the trace after a rejoin (the server forgot the watcher). */
  retrace() {
    const s = this.selected;
    if (this.tracing && s !== null && s.kind === "connection") void this.actions.run("trace", { node: s.node, pid: s.pid }, null);
  }

  #switch(selected) {
    const s = this.selected;
    if (s !== null && s.node === selected.node && s.pid === selected.pid) return;
    if (this.tracing) void this.actions.run("untrace", {}, null);
    this.tracing = false;
    this.dropped = 0;
    this.selected = selected;
    replaceChildren(this.parts.trace);
    this.#drawTraceNote(null);
    this.#draw();
  }

  #draw() {
    const s = this.selected;
    if (s === null) return this.#drawEmpty();
    if (s.kind === "process") return this.#drawProcess(s);
    const row = this.view?.sockets.find((r) => r.node === s.node && r.pid === s.pid);
    if (row === undefined) {
      replaceChildren(this.parts.root, el("p", { "data-testid": "detail-gone" }, `Connection ${s.pid} on ${s.node} is no longer open (or not among the rows its node reports).`));
      return;
    }
    const fields = [
      ["node", row.node],
      ["pid", row.pid],
      ["peer", row.address ?? "unknown"],
      ["transport", row.transport],
      ["mount", row.path],
      ["socket id", row.socketId ?? "(anonymous)"],
      ["connected", `${age(Date.now() - row.connectedAt)} ago`],
      ["queued messages", count(row.mailbox)],
      ["queued out bytes", bytes(row.bufferedBytes)],
    ];
    const channels = row.channels.map((ch) =>
      el(
        "tr",
        { "data-topic": ch.topic },
        el("td", {}, ch.topic),
        el("td", {}, ch.channel),
        el("td", {}, ch.pid),
        el("td", { className: "num" }, count(ch.mailbox)),
        el("td", {}, this.#suspendButton(row.node, ch.pid, ch.suspended, `channel ${ch.topic}`)),
      ),
    );
    replaceChildren(
      this.parts.root,
      el("dl", { "data-testid": "detail-fields" }, ...fields.flatMap(([name, value]) => [el("dt", {}, name), el("dd", { "data-field": name }, value)])),
      el(
        "div",
        { className: "buttons" },
        el(
          "button",
          {
            type: "button",
            "data-testid": "disconnect",
            onclick: () => void this.actions.run("disconnect", { node: row.node, pid: row.pid }, `Disconnect ${row.pid} (${row.address ?? "unknown peer"})? The client will reconnect.`),
          },
          "Disconnect",
        ),
        this.#suspendButton(row.node, row.pid, row.suspended, "this connection"),
        el(
          "button",
          {
            type: "button",
            "data-testid": "trace-toggle",
            onclick: () => void this.#toggleTrace(row),
          },
          this.tracing ? "Stop trace" : "Trace frames",
        ),
      ),
      el(
        "table",
        { className: "channels", "data-testid": "detail-channels" },
        el("thead", {}, el("tr", {}, el("th", {}, "topic"), el("th", {}, "channel"), el("th", {}, "pid"), el("th", { className: "num" }, "queue"), el("th", {}, ""))),
        el("tbody", {}, ...channels),
      ),
    );
  }

  #drawProcess(s) {
    const item = this.#findProcess(s);
    replaceChildren(
      this.parts.root,
      el(
        "dl",
        { "data-testid": "detail-fields" },
        el("dt", {}, "node"),
        el("dd", {}, s.node),
        el("dt", {}, "process"),
        el("dd", {}, `${s.id} ${s.pid}`),
        el("dt", {}, "kind"),
        el("dd", {}, item?.kind ?? "ended"),
        el("dt", {}, "restarts"),
        el("dd", {}, count(item?.restarts ?? 0)),
      ),
      item === null ? el("p", {}, "This process is no longer in the tree.") : el("div", { className: "buttons" }, this.#suspendButton(s.node, s.pid, item.suspended, s.id)),
    );
  }

  #findProcess(s) {
    const tree = this.view?.trees.find((t) => t.node === s.node)?.tree;
    const walk = (item) => (item.pid === s.pid ? item : item.children.map(walk).find((found) => found !== null) ?? null);
    return tree === undefined ? null : walk(tree);
  }

  #suspendButton(node, pid, suspended, what) {
    const action = suspended ? "resume" : "suspend";
    const question = suspended
      ? `Resume ${what} (${pid})? It handles its queued messages in order.`
      : `Suspend ${what} (${pid})? Its messages will queue, unhandled, until you resume it.`;
    return el(
      "button",
      { type: "button", "data-testid": action, "data-pid": pid, onclick: () => void this.actions.run(action, { node, pid }, question) },
      suspended ? "Resume" : "Suspend",
    );
  }

  async #toggleTrace(row) {
    if (this.tracing) {
      this.tracing = false;
      this.#draw();
      await this.actions.run("untrace", {}, null);
      return;
    }
    this.tracing = true;
    this.#draw();
    this.#drawTraceNote(null);
    const ok = await this.actions.run("trace", { node: row.node, pid: row.pid }, null);
    if (!ok) {
      this.tracing = false;
      this.#draw();
    }
  }

  #drawTraceNote(ended) {
    const parts = [];
    parts.push(this.tracing ? "tracing live" : "not tracing");
    if (this.dropped > 0) parts.push(`${count(this.dropped)} frames dropped (too fast to show)`);
    if (ended !== null) parts.push(ended);
    replaceChildren(this.parts.traceNote, parts.join(" · "));
  }

  #drawEmpty() {
    replaceChildren(this.parts.root, el("p", { className: "hint" }, "Select a connection in the sockets table, or a process in a supervision tree."));
  }
}
