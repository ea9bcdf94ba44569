/**
 * Bounds the distinct values of one open-ended label (an event name a client chose, an error code, a
 * child id): the first `limit` values pass as they are, later ones are counted under {@link OTHER_LABEL},
 * so a client that invents event names cannot grow the number of series without end.
 */

/** The label value that stands for every value past a cap. Parenthesised so no event or code name collides with it. */
export const OTHER_LABEL = "(other)";

/** The first `limit` distinct values of one label, remembered in arrival order. */
export class LabelCap {
  readonly #limit: number;
  readonly #kept = new Set<string>();
  readonly #onOverflow: () => void;

  /** `onOverflow` runs each time a value is folded into {@link OTHER_LABEL}. */
  constructor(limit: number, onOverflow: () => void = () => {}) {
    this.#limit = limit;
    this.#onOverflow = onOverflow;
  }

  /** `value` itself while it is one of the first `limit` distinct values, else {@link OTHER_LABEL}. */
  of(value: string): string {
    if (this.#kept.has(value)) return value;
    if (this.#kept.size < this.#limit) {
      this.#kept.add(value);
      return value;
    }
    this.#onOverflow();
    return OTHER_LABEL;
  }

  /** How many distinct values are kept. */
  get size(): number {
    return this.#kept.size;
  }
}
