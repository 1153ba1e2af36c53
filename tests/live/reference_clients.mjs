// The protocols' reference clients subscribing to a running citygraph: graphql-ws (the
// graphql-transport-ws protocol, over the `ws` package: Node 20 has no WebSocket) and
// graphql-sse (distinct connections mode), both by the protocols' author.
//
// Usage: node tests/live/reference_clients.mjs http://127.0.0.1:8000 <access token>
//
// Subscribes once with each client to placeChanged and prints one JSON line per event:
// {"client": "ws" | "sse", "event": "next" | "error" | "complete", "payload": ...}.
// Runs until killed. Packages come from assets/node_modules (`make assets`).

import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.resolve(here, '..', '..', 'assets', 'node_modules', 'x.js'));
const { createClient: createWSClient } = require('graphql-ws');
const { createClient: createSSEClient } = require('graphql-sse');
const WebSocket = require('ws');

const [base, token] = process.argv.slice(2);
const query = 'subscription { placeChanged { kind id node { title } } }';
const emit = (client, event, payload) =>
  process.stdout.write(JSON.stringify({ client, event, payload }) + '\n');
const sink = (client) => ({
  next: (result) => emit(client, 'next', result),
  error: (error) => emit(client, 'error', String(error?.message ?? JSON.stringify(error))),
  complete: () => emit(client, 'complete', null),
});

const ws = createWSClient({
  url: base.replace(/^http/, 'ws') + '/graphql',
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `JWT ${token}` },
  lazy: false,
  retryAttempts: 0,
});
ws.subscribe({ query }, sink('ws'));

const sse = createSSEClient({
  url: base + '/graphql',
  headers: { Authorization: `JWT ${token}` },
  retryAttempts: 0,
});
sse.subscribe({ query }, sink('sse'));
