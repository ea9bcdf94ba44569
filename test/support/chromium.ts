// Starts the machine's own Chromium for browser tests through playwright-core. Locally a missing browser
// skips those tests with a visible reason; in CI it is an error, so a broken setup never passes quietly.
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/** Where Chromium is looked for: `$CHROMIUM_PATH`, else Debian's package location. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Flags for a headless run on a machine with a closed network. Without the background-networking
 * flags Chromium keeps dialling out at start-up and its refused connections slow every launch.
 */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const inCI = (): boolean => process.env.CI === "true";

/**
 * Why browser tests cannot run here, or `undefined` when Chromium is present.
 *
 * @remarks
 * Synchronous so that it can feed `describe.skipIf` at collection time; put the reason in the suite's
 * name so the skip shows in the report. In CI (`CI=true`) a missing browser throws instead.
 *
 * @example
 * ```ts
 * const skipReason = chromiumSkipReason();
 * describe.skipIf(skipReason !== undefined)(`page${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {});
 * ```
 */
export function chromiumSkipReason(): string | undefined {
  if (existsSync(chromiumPath)) return undefined;
  const reason = `Chromium not found at ${chromiumPath} (install Debian's chromium package or set CHROMIUM_PATH)`;
  if (inCI()) throw new Error(`${reason}; .ci/run installs it before the tests.`);
  return reason;
}

/**
 * Launches headless Chromium, or resolves to `null` when it is missing outside CI.
 *
 * @remarks
 * Playwright gives each launch a fresh temporary profile and deletes it on `browser.close()`; the
 * caller owns the browser and must close it.
 *
 * @example
 * ```ts
 * const browser = await launchChromium();
 * if (browser) { const page = await browser.newPage(); await browser.close(); }
 * ```
 */
export async function launchChromium(): Promise<Browser | null> {
  if (chromiumSkipReason() !== undefined) return null;
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS });
}
