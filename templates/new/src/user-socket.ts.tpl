/**
 * The socket browsers connect to at `/socket`: `connect` decides who may open a connection, `id` names
 * it, and `channels` routes topics to channels. `npx fenix gen channel` adds routes at the marker.
 */
import { Socket, type ChannelRoute, type ConnectInfo, type Params } from "fenix";
import { RoomChannel } from "./channels/room-channel.js";
// fenix:imports

/** What is known about a connection, copied into every channel it joins. */
export interface UserAssigns {
  /** Where the connection comes from. */
  peer: string;
}

export class UserSocket extends Socket<UserAssigns> {
  static override channels: readonly ChannelRoute[] = [
    ["room:*", RoomChannel],
    // fenix:channels
  ];

  /**
   * Runs for every connection attempt, with the URL's params (`new Socket("/socket", { params })` in the
   * browser). Verify a token here and return false to refuse; everyone may connect as generated.
{{#if mqtt}}
   * MQTT clients come here too, with params `{ username, password, client_id }` and `info.transport`
   * `"mqtt"` or `"mqtt-ws"`; returning false refuses its CONNECT.
{{/if}}
   */
  override connect(_params: Params, info: ConnectInfo): boolean {
    this.assigns.peer = info.peer.address;
    return true;
  }

  /** Names the connection (such as `user_socket:42`) so `endpoint.disconnect(id)` can close it; null for anonymous ones. */
  override id(): string | null {
    return null;
  }
}
