/**
 * {{value}}: who is present on each topic, replicated to every node over the application's PubSub. The
 * endpoint supervises its tracker (see `children` in endpoint.ts).
 *
 * In a channel, track the client after its join and push the topic's list, on every join:
 *
 *   override join(_topic: string, params: JsonObject) {
 *     this.send("after_join");
 *     return ok();
 *   }
 *   override handleInfo(message: unknown) {
 *     if (message !== "after_join") return;
 *     {{value}}.track(this, this.assigns.name, { online_at: Date.now() });
 *     this.push("presence_state", {{value}}.list(this.topic));
 *   }
 *
 * The tracker broadcasts `presence_diff` on every change; `new Presence(channel)` from fenix/client
 * keeps the list in the browser.
 */
import { Presence } from "fenix";
import { pubsub } from "{{pubsubImport}}";

export const {{value}} = new Presence(pubsub);
