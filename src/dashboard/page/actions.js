// The dashboard's actions: each asks for confirmation, is pushed on the dashboard channel, and shows the
// server's answer (or the refusal, with its code) in the action line. The broadcast form sends an event
// with a JSON payload to a topic, on every node.
import { replaceChildren } from "./elements.js";

export class Actions {
  /**
   * @param {{ push: (event: string, payload: object) => Promise<any> }} channel the joined dashboard channel
   * @param {HTMLElement} line where answers are shown (`data-testid="action-result"`)
   */
  constructor(channel, line) {
    this.channel = channel;
    this.line = line;
  }

  /**
   * Confirms (when `question` is given), pushes the action, and shows the answer.
   * @param {string} event
   * @param {object} payload
   * @param {string | null} question
   * @returns {Promise<boolean>} whether it succeeded
   */
  async run(event, payload, question) {
    if (question !== null && !window.confirm(question)) return false;
    this.show("pending", `${event}…`);
    try {
      const response = await this.channel.push(event, payload);
      this.show("ok", response?.message ?? `${event}: done`);
      return true;
    } catch (error) {
      const response = error?.response;
      this.show("error", response?.message ? `${response.message} (${response.code})` : `${event} failed: ${error?.message ?? error}`);
      return false;
    }
  }

  /**
   * @param {"pending" | "ok" | "error"} state
   * @param {string} text
   */
  show(state, text) {
    this.line.dataset.state = state;
    replaceChildren(this.line, text);
  }
}

/**
 * Wires the broadcast form: topic, event and a JSON payload, sent after confirmation.
 * @param {{ form: HTMLFormElement, topic: HTMLInputElement, event: HTMLInputElement, payload: HTMLTextAreaElement }} parts
 * @param {Actions} actions
 */
export function broadcastForm(parts, actions) {
  parts.form.addEventListener("submit", (submit) => {
    submit.preventDefault();
    let payload;
    try {
      payload = JSON.parse(parts.payload.value.trim() === "" ? "{}" : parts.payload.value);
    } catch (error) {
      actions.show("error", `The payload is not JSON: ${error.message}`);
      return;
    }
    if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
      actions.show("error", 'The payload must be a JSON object, such as {"body": "hello"}.');
      return;
    }
    const topic = parts.topic.value.trim();
    const event = parts.event.value.trim();
    void actions.run("broadcast", { topic, event, payload }, `Broadcast "${event}" to every client joined to ${topic}, on every node?`);
  });
  return {
    /** Puts a topic in the form (clicking a topic in the topics table). */
    useTopic(topic) {
      parts.topic.value = topic;
    },
  };
}
