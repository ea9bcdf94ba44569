/**
 * A small seeded pseudo-random generator (32-bit xor-shift) for property tests, so a failing case can be
 * replayed from its seed without adding a dependency.
 */

/** Returns a function giving floats in [0, 1), fully determined by `seed`. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 0x9e3779b9; // zero is a fixed point of xor-shift
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
}

/** An integer in [0, n). */
export function randomInt(random: () => number, n: number): number {
  return Math.floor(random() * n);
}
