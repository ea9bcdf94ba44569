/**
 * Driving the chat demo's page in a browser test: send a message through the composer, read the
 * messages shown. Shared by the browser tests that open the chat page.
 */
import type { Page } from "playwright-core";

/** Types `body` into the composer and sends it. */
export async function say(page: Page, body: string): Promise<void> {
  await page.getByTestId("composer").fill(body);
  await page.getByTestId("composer").press("Enter");
}

/** The page's messages as "name: body" lines, in the order shown. */
export function transcript(page: Page): Promise<string[]> {
  return page
    .getByTestId("message")
    .evaluateAll((items) => items.map((item) => `${item.querySelector(".name")?.textContent}: ${item.querySelector(".body")?.textContent}`));
}
