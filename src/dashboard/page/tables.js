// The sockets and topics tables: rows filtered by a search box (a substring of any shown column) and
// sorted by the clicked column (click again to reverse). Rows are rebuilt on every sample; the selected
// row stays selected by its key.
import { el, replaceChildren } from "./elements.js";
import { age, bytes, count, rate } from "./format.js";

/** Most rows drawn at once; the note under the table says how many matched. */
const MAX_DRAWN = 300;

/**
 * @typedef {object} Column
 * @property {string} key
 * @property {string} label
 * @property {(row: any) => string | number} value what the column sorts by and searches in
 * @property {(row: any) => Node | string} [render] what the cell shows (defaults to the value)
 * @property {boolean} [numeric]
 */

class DataTable {
  /**
   * @param {{ table: HTMLTableElement, search: HTMLInputElement, note: HTMLElement, columns: Column[], key: (row: any) => string,
   *   sort: { key: string, descending: boolean }, onSelect?: (row: any) => void }} options
   */
  constructor(options) {
    this.options = options;
    this.rows = [];
    this.sort = options.sort;
    this.selected = null;
    this.head = el("tr");
    this.body = el("tbody");
    replaceChildren(options.table, el("thead", {}, this.head), this.body);
    options.search.addEventListener("input", () => this.#draw());
    this.#drawHead();
  }

  /** @param {any[]} rows */
  update(rows) {
    this.rows = rows;
    this.#draw();
  }

  /** @param {string | null} key */
  select(key) {
    this.selected = key;
    this.#draw();
  }

  #drawHead() {
    const cells = this.options.columns.map((column) => {
      const active = this.sort.key === column.key;
      return el(
        "th",
        {
          className: column.numeric ? "num sortable" : "sortable",
          "data-column": column.key,
          "aria-sort": active ? (this.sort.descending ? "descending" : "ascending") : "none",
          onclick: () => {
            this.sort = { key: column.key, descending: active ? !this.sort.descending : column.numeric === true };
            this.#drawHead();
            this.#draw();
          },
        },
        column.label,
        active ? (this.sort.descending ? " ▾" : " ▴") : "",
      );
    });
    replaceChildren(this.head, ...cells);
  }

  #draw() {
    const { columns, key, onSelect, note } = this.options;
    const needle = this.options.search.value.trim().toLowerCase();
    const matching = needle === "" ? this.rows : this.rows.filter((row) => columns.some((c) => String(c.value(row)).toLowerCase().includes(needle)));
    const column = columns.find((c) => c.key === this.sort.key) ?? columns[0];
    const sign = this.sort.descending ? -1 : 1;
    const sorted = [...matching].sort((a, b) => {
      const x = column.value(a);
      const y = column.value(b);
      return sign * (typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y)));
    });
    const rows = sorted.slice(0, MAX_DRAWN).map((row) => {
      const rowKey = key(row);
      return el(
        "tr",
        {
          "data-key": rowKey,
          className: rowKey === this.selected ? "selected" : undefined,
          onclick: onSelect === undefined ? undefined : () => onSelect(row),
        },
        ...columns.map((c) => el("td", { className: c.numeric ? "num" : undefined, "data-column": c.key }, c.render ? c.render(row) : String(c.value(row)))),
      );
    });
    replaceChildren(this.body, ...rows);
    const shown = Math.min(sorted.length, MAX_DRAWN);
    replaceChildren(note, `${count(shown)} shown of ${count(matching.length)} matching, ${count(this.rows.length)} in all`);
  }
}

/**
 * The sockets table: one row per connection of every node.
 * @param {{ table: HTMLTableElement, search: HTMLInputElement, note: HTMLElement, onSelect: (row: any) => void }} parts
 */
export function socketsTable(parts) {
  const now = () => Date.now();
  return new DataTable({
    ...parts,
    key: (row) => `${row.node} ${row.pid}`,
    sort: { key: "queue", descending: true },
    columns: [
      { key: "node", label: "node", value: (r) => r.node },
      { key: "pid", label: "pid", value: (r) => r.pid },
      { key: "peer", label: "peer", value: (r) => r.address ?? "" },
      { key: "transport", label: "transport", value: (r) => r.transport },
      { key: "id", label: "socket id", value: (r) => r.socketId ?? "" },
      { key: "topics", label: "topics", value: (r) => r.channels.map((c) => c.topic).join(" ") },
      { key: "queue", label: "queue", value: (r) => r.mailbox, render: (r) => (r.suspended ? `${count(r.mailbox)} (suspended)` : count(r.mailbox)), numeric: true },
      { key: "buffered", label: "out bytes", value: (r) => r.bufferedBytes, render: (r) => bytes(r.bufferedBytes), numeric: true },
      { key: "age", label: "age", value: (r) => now() - r.connectedAt, render: (r) => age(now() - r.connectedAt), numeric: true },
    ],
  });
}

/**
 * The topics table: one row per topic, summed over the nodes.
 * @param {{ table: HTMLTableElement, search: HTMLInputElement, note: HTMLElement, onSelect: (row: any) => void }} parts
 */
export function topicsTable(parts) {
  return new DataTable({
    ...parts,
    key: (row) => row.topic,
    sort: { key: "subscribers", descending: true },
    columns: [
      { key: "topic", label: "topic", value: (r) => r.topic },
      { key: "subscribers", label: "subscribers", value: (r) => r.subscribers, render: (r) => count(r.subscribers), numeric: true },
      { key: "rate", label: "messages", value: (r) => r.messagesPerSecond, render: (r) => rate(r.messagesPerSecond), numeric: true },
      { key: "presence", label: "presence", value: (r) => r.presence ?? -1, render: (r) => (r.presence === null ? "–" : count(r.presence)), numeric: true },
    ],
  });
}
