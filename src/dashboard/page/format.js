// How numbers read on the dashboard: counts with thousands separators, rates with one decimal, bytes in
// binary units, probabilities in percent, ages as the largest unit or two.

const integer = new Intl.NumberFormat("en", { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat("en", { maximumFractionDigits: 1 });

/** @param {number} n */
export const count = (n) => integer.format(n);

/** @param {number} n a per-second rate */
export const rate = (n) => `${decimal.format(n)}/s`;

/** @param {number} n */
export function bytes(n) {
  if (n < 1024) return `${integer.format(n)} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${decimal.format(value)} ${units[unit]}`;
}

/** @param {number} p a probability between 0 and 1 */
export function percent(p) {
  if (p === 0) return "0%";
  if (p < 0.0001) return "<0.01%";
  return `${new Intl.NumberFormat("en", { maximumSignificantDigits: 3 }).format(p * 100)}%`;
}

/** @param {number} ms a duration */
export function age(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** @param {number} at ms since the epoch */
export const clock = (at) => new Date(at).toLocaleTimeString("en-GB", { hour12: false }) + `.${String(at % 1000).padStart(3, "0")}`;
