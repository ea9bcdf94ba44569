// The official phoenix client, served by the chat demo at /vendor/phoenix.mjs, joining the room named in
// the page's query as the name given there. It lists the room's messages and who is online, and exposes
// `window.say(body)` for the test to send one.
import { Presence, Socket } from "/vendor/phoenix.mjs";

const query = new URLSearchParams(location.search);
const room = query.get("room") ?? "lobby";
const name = query.get("name") ?? "official";
const byId = (id) => document.getElementById(id);

const socket = new Socket("/socket", {});
const channel = socket.channel(`room:${room}`, { name });
channel.on("new_msg", ({ name: from, body }) => {
  const item = document.createElement("li");
  item.textContent = `${from}: ${body}`;
  byId("messages").append(item);
});
const presence = new Presence(channel);
presence.onSync(() => {
  const names = presence.list((key, { metas }) => `${key}×${metas.length}`).sort();
  byId("online").replaceChildren(...names.map((text) => Object.assign(document.createElement("li"), { textContent: text })));
});
socket.connect();
channel
  .join()
  .receive("ok", () => (byId("state").textContent = "joined"))
  .receive("error", (response) => (byId("state").textContent = `refused: ${JSON.stringify(response)}`));

window.say = (body) =>
  new Promise((resolve, reject) => {
    channel.push("new_msg", { body }).receive("ok", resolve).receive("error", reject).receive("timeout", () => reject(new Error("timeout")));
  });
