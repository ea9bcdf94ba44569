/**
 * The PubSub every broadcast of the application goes through. On one node it needs nothing else;
{{#if redis}}
 * with REDIS_URL set, it links this node to every other node given the same URL, through Redis.
{{/if}}
{{#unless redis}}
 * to link several nodes, see https://www.npmjs.com/package/fenix (docs/several-nodes.md) or create the
 * project with `fenix new --redis`.
{{/unless}}
 */
import { PubSub } from "fenix";
{{#if redis}}
import { RedisAdapter } from "fenix/redis";

const redisUrl = process.env.REDIS_URL;
{{/if}}

/** The application's PubSub, started by the endpoint (see `children` in endpoint.ts). */
{{#if redis}}
export const pubsub = new PubSub(redisUrl === undefined || redisUrl === "" ? {} : { adapter: new RedisAdapter({ url: redisUrl }) });
{{/if}}
{{#unless redis}}
export const pubsub = new PubSub();
{{/unless}}
