/**
 * A shared subscription group (`$share/<group>/<filter>`) on one node: its members and whose turn it is.
 * Each message the group gets goes to one member, in turn, preferring members whose client is connected.
 */
import type { Session, Subscription } from "./session/session.js";

/** A shared subscription group on this node: its members and whose turn it is. */
export class SharedGroup {
  readonly members = new Map<Session, Subscription>();
  #turn = 0;
  constructor(
    readonly key: string,
    readonly group: string,
    readonly filter: string,
  ) {}

  /** The next member in turn, preferring connected ones. */
  pick(): [Session, Subscription] | undefined {
    const n = this.members.size;
    if (n === 0) return undefined;
    const members = [...this.members];
    for (let i = 0; i < n; i++) {
      const member = members[(this.#turn + i) % n]!;
      if (member[0].connected) {
        this.#turn = (this.#turn + i + 1) % n;
        return member;
      }
    }
    const member = members[this.#turn % n]!;
    this.#turn = (this.#turn + 1) % n;
    return member;
  }
}
