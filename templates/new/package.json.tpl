{
  "name": "{{appName}}",
  "version": "0.1.0",
  "private": true,
  "type": "module",
  "engines": {
    "node": ">=20"
  },
  "scripts": {
    "dev": "fenix server --watch",
    "start": "fenix server",
    "test": "node --import tsx --test test/*.test.ts",
    "typecheck": "tsc --noEmit",
    "routes": "fenix routes"
  },
  "fenix": {
    "endpoint": "src/endpoint.ts",
    "server": "src/server.ts",
    "socket": "src/user-socket.ts",
    "channels": "src/channels",
    "tests": "test"
  },
  "dependencies": {
{{#if redis}}
    "@redis/client": "{{redisClientVersion}}",
{{/if}}
    "fenix": "{{fenixSpec}}"
  },
  "devDependencies": {
    "@types/node": "{{typesNodeVersion}}",
    "tsx": "{{tsxVersion}}",
    "typescript": "{{typescriptVersion}}"
  }
}
