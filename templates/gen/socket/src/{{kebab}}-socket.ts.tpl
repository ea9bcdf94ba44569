/**
 * The {{pascal}} socket, mounted at `{{path}}`: `connect` decides who may open a connection, `id` names
 * it, and `channels` routes topics to channels (`npx fenix gen channel Name "topic:*" --socket {{file}}`
 * adds routes at the marker).
 */
import { Socket, type ChannelRoute, type ConnectInfo, type Params } from "fenix";
// fenix:imports

export class {{pascal}}Socket extends Socket {
  static override channels: readonly ChannelRoute[] = [
    // fenix:channels
  ];

  /** Runs for every connection attempt: verify a token in `params` and return false to refuse. */
  override connect(_params: Params, _info: ConnectInfo): boolean {
    return true;
  }

  /** Names the connection so `endpoint.disconnect(id)` can close it; null for anonymous ones. */
  override id(): string | null {
    return null;
  }
}
