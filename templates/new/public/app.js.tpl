// The page of {{appName}}: joins `room:<room>` over the socket at /socket with fenix/client (served by the
// endpoint at /fenix/client.js), shows messages, and sends new ones. User text reaches the page only as
// text, never as markup.
import { Socket } from "/fenix/client.js";

const $ = (id) => document.getElementById(id);
const socket = new Socket("/socket", { longPollFallbackMs: 2500 });
socket.onOpen(() => ($("status").textContent = `Connected (${socket.transportKind})`));
socket.onClose(() => ($("status").textContent = "Disconnected; reconnecting…"));
socket.connect();

let channel = null;

$("join-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (channel !== null) await channel.leave();
  $("messages").replaceChildren();
  const room = $("room").value.trim() || "lobby";
  channel = socket.channel(`room:${room}`, { name: $("name").value });
  channel.on("new_msg", ({ name, body }) => {
    const item = document.createElement("li");
    const who = document.createElement("b");
    who.textContent = name;
    item.append(who, body);
    $("messages").append(item);
  });
  try {
    const { name } = await channel.join();
    $("status").textContent = `In room:${room} as ${name}`;
    $("message-form").hidden = false;
    $("body").focus();
  } catch (error) {
    $("status").textContent = `Could not join: ${error.response?.reason ?? error.message}`;
    channel = null;
  }
});

$("message-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (channel === null) return;
  try {
    await channel.push("new_msg", { body: $("body").value });
    $("body").value = "";
  } catch (error) {
    $("status").textContent = `Not sent: ${error.response?.reason ?? error.message}`;
  }
});
