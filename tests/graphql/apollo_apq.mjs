// Apollo Client 4 with PersistedQueryLink against a running server: every request it sends,
// and what it got.
//
// Usage: node tests/graphql/apollo_apq.mjs http://127.0.0.1:8000/graphql [get]
//
// With `get`, hashed queries go as GET (useGETForHashedQueries), as a CDN-cached front end
// would send them. Three queries: client A twice (its first try only sends the hash: unknown,
// so it sends the document; then the hash alone), then a fresh client B (the hash alone).
// Packages come from the repository's assets/node_modules (`make assets`). Prints
// {"requests": [{"client", "method", "sentQuery", "sentHash", "status", "etag",
// "cacheControl", "body"}], "results": [data, ...]} on stdout.

import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.resolve(here, '..', '..', 'assets', 'package.json'));
const { ApolloClient, HttpLink, InMemoryCache, gql } = require('@apollo/client');
const { PersistedQueryLink } = require('@apollo/client/link/persisted-queries');

const QUERY = gql`
  query Districts($first: Int!) {
    districts {
      id
      title
      places(first: $first) {
        totalCount
      }
    }
  }
`;

async function main() {
  const [url, mode] = process.argv.slice(2);
  if (!url) {
    process.stderr.write('usage: node apollo_apq.mjs <graphql endpoint url> [get]\n');
    return 2;
  }
  const requests = [];

  function clientNamed(name) {
    async function recordingFetch(input, init = {}) {
      const target = new URL(typeof input === 'string' ? input : input.url);
      const method = (init.method || 'GET').toUpperCase();
      const sent = method === 'GET' ? Object.fromEntries(target.searchParams) : JSON.parse(init.body);
      const extensions =
        typeof sent.extensions === 'string' ? JSON.parse(sent.extensions) : sent.extensions;
      const response = await fetch(input, init);
      requests.push({
        client: name,
        method,
        sentQuery: typeof sent.query === 'string',
        sentHash: Boolean(extensions && extensions.persistedQuery),
        status: response.status,
        etag: response.headers.get('etag'),
        cacheControl: response.headers.get('cache-control'),
        body: await response.clone().text(),
      });
      return response;
    }
    const persisted = new PersistedQueryLink({
      sha256: (text) => createHash('sha256').update(text).digest('hex'),
      useGETForHashedQueries: mode === 'get',
    });
    return new ApolloClient({
      link: persisted.concat(new HttpLink({ uri: url, fetch: recordingFetch })),
      cache: new InMemoryCache(),
    });
  }

  const results = [];
  const a = clientNamed('A');
  for (const client of [a, a, clientNamed('B')]) {
    const { data } = await client.query({
      query: QUERY,
      variables: { first: 1 },
      fetchPolicy: 'network-only',
    });
    results.push(data);
  }
  process.stdout.write(`${JSON.stringify({ requests, results })}\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`apollo_apq failed: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 1;
  },
);
