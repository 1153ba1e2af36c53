// GraphQL-over-HTTP compliance audit (graphql-http's auditServer) of a running server.
//
// Usage: node tests/graphql/audit.mjs http://127.0.0.1:8000/graphql
//
// graphql-http is resolved from the repository's assets/node_modules (installed by
// `make assets`), or from $CITYGRAPH_ASSETS_DIR (the assets folder, or its node_modules).
// Prints {"results": [{"id", "name", "status", "reason"}, ...], "summary": {...}} on stdout,
// where name starts with MUST, SHOULD or MAY and status is "ok", "notice", "warn" or "error";
// exits 0 whatever the audits found (the caller judges). With CITYGRAPH_AUDIT_VERBOSE=1 each
// failed result also carries the response's status, content type and (start of) body.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function nodeModulesDir() {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const base = process.env.CITYGRAPH_ASSETS_DIR
    ? path.resolve(process.env.CITYGRAPH_ASSETS_DIR)
    : path.resolve(here, '..', '..', 'assets');
  for (const candidate of [path.join(base, 'node_modules'), base]) {
    if (existsSync(path.join(candidate, 'graphql-http', 'package.json'))) {
      return candidate;
    }
  }
  throw new Error(`graphql-http is not installed under ${base}: run \`make assets\``);
}

async function describeResponse(response) {
  try {
    const body = await response.text();
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      body: body.length > 500 ? `${body.slice(0, 500)}...` : body,
    };
  } catch (err) {
    return { status: response.status, error: String(err) };
  }
}

async function main() {
  const url = process.argv[2];
  if (!url) {
    process.stderr.write('usage: node audit.mjs <graphql endpoint url>\n');
    return 2;
  }

  // createRequire anchored in node_modules' parent folder, so that `graphql-http` and its
  // peer `graphql` both come from the assets install.
  const require = createRequire(path.join(path.dirname(nodeModulesDir()), 'package.json'));
  const { auditServer } = require('graphql-http');

  const verbose = process.env.CITYGRAPH_AUDIT_VERBOSE === '1';
  const audits = await auditServer({ url });

  const results = [];
  const summary = {};
  for (const audit of audits) {
    const level = audit.name.split(' ', 1)[0];
    const entry = {
      id: audit.id,
      name: audit.name,
      status: audit.status,
      reason: audit.status === 'ok' ? null : audit.reason,
    };
    if (verbose && audit.status !== 'ok' && audit.response) {
      entry.response = await describeResponse(audit.response);
    }
    results.push(entry);
    summary[level] ??= { total: 0, ok: 0 };
    summary[level].total += 1;
    if (audit.status === 'ok') {
      summary[level].ok += 1;
    }
  }

  process.stdout.write(`${JSON.stringify({ results, summary }, null, 2)}\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`audit failed: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 1;
  },
);
