# {{appName}}

A real-time application on [Fenix](https://www.npmjs.com/package/fenix).

```sh
npm install        # once (fenix new does it unless given --no-install)
npm run dev        # http://localhost:4000, restarted when a file changes
npm test           # the channel tests (node:test + fenix/testing, no ports opened)
npm start          # run it; PORT=8080 npm start to change the port
```

Open http://localhost:4000 in two tabs, pick a name in each, and chat.

## What is where

| file | what it does |
| --- | --- |
| `src/server.ts` | starts the endpoint (`npm start` / `npm run dev` run it through `fenix server`) |
| `src/endpoint.ts` | the endpoint: the sockets it mounts, the static folder, the processes it supervises |
| `src/pubsub.ts` | the PubSub every broadcast goes through |
| `src/user-socket.ts` | who may connect (`connect`), and which channel serves which topic (`channels`) |
| `src/channels/room-channel.ts` | the `room:*` channel: `join`, `handleIn` |
| `public/` | the page, on `fenix/client` (served by every endpoint at `/fenix/client.js`) |
| `test/room-channel.test.ts` | the room channel's tests, with `fenix/testing` |

## Growing it

```sh
npx fenix gen channel Game "game:*"   # src/channels/game-channel.ts, its test, and the route
npx fenix gen presence Presence       # a presence tracker, supervised by the endpoint
npx fenix gen socket Admin            # another socket, mounted at /admin
npx fenix routes                      # every socket and channel route
npx fenix connect ws://localhost:4000/socket --topic room:lobby --join name=cli   # talk to it from a terminal
npx fenix gen secret                  # a secret key base for production
```
{{#if redis}}

## Several nodes

Set `REDIS_URL` and every node started with the same URL shares broadcasts and presence:

```sh
REDIS_URL=redis://127.0.0.1:6379 PORT=4001 npm start
REDIS_URL=redis://127.0.0.1:6379 PORT=4002 npm start
```

Give every node the same `SECRET_KEY_BASE` (from `npx fenix gen secret`) so LongPoll clients can move
between them.
{{/if}}
