# {{appName}}

A real-time application on [Fenix](https://www.npmjs.com/package/fenix).

```sh
npm install        # once (fenix new does it unless given --no-install)
npm run dev        # http://localhost:4000, restarted when a file changes
npm test           # the channel tests (node:test + fenix/testing, no ports opened)
npm start          # run it; PORT=8080 npm start to change the port
```

Open http://localhost:4000 in two tabs, pick a name in each, and chat.
{{#if mqtt}}

## MQTT

The endpoint is also an MQTT broker (`fenix/mqtt`, MQTT 3.1.1 and 5.0), bridged to the room channel:
an MQTT client and a browser meet in the same room.

| variable | default | what it does |
| --- | --- | --- |
| `MQTT_PORT` | `1883` | the MQTT TCP port (`0` picks a free one); `HOST` applies to it too |

MQTT over WebSocket is served at `/mqtt` on the endpoint's port (`ws://localhost:4000/mqtt`).
The topic `room/<name>` is the room `room:<name>`; the client's username is its name (its client id
without one); a message published there is a chat message (UTF-8 text, the same length rules), and a
subscriber receives every chat message as the JSON `{"name","body","at"}`. Other topics are refused.

```sh
MQTT_PORT=1884 npm start
mosquitto_sub -p 1884 -u bob -t room/lobby &
mosquitto_pub -p 1884 -u ada -t room/lobby -m hello    # ada says hello to the lobby, browsers included
```

`src/user-socket.ts`'s `connect` decides who may connect over MQTT too (its params are `username`,
`password` and `client_id`); `roomMqtt` in `src/channels/room-channel.ts` is how MQTT maps onto the room.
{{/if}}

## What is where

| file | what it does |
| --- | --- |
| `src/server.ts` | starts the endpoint (`npm start` / `npm run dev` run it through `fenix server`) |
{{#if mqtt}}
| `src/endpoint.ts` | the endpoint: the sockets it mounts, MQTT (`enableMqtt`), the static folder, the processes it supervises |
{{/if}}
{{#unless mqtt}}
| `src/endpoint.ts` | the endpoint: the sockets it mounts, the static folder, the processes it supervises |
{{/unless}}
| `src/pubsub.ts` | the PubSub every broadcast goes through |
| `src/user-socket.ts` | who may connect (`connect`), and which channel serves which topic (`channels`) |
{{#if mqtt}}
| `src/channels/room-channel.ts` | the `room:*` channel: `join`, `handleIn`; `roomMqtt`, how MQTT clients take part |
{{/if}}
{{#unless mqtt}}
| `src/channels/room-channel.ts` | the `room:*` channel: `join`, `handleIn` |
{{/unless}}
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
