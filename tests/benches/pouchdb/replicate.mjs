// The side-by-side peer for tests/benches/sync_throughput/: pouchdb-server (LevelDB in a temp
// folder, on a free loopback port, in its own process) and PouchDB (pouchdb-node, LevelDB on disk)
// replicating the same records the Rust benchmark synced. It times a push replication of every
// record into the server (batch_size 500), then a pull replication from the server into a fresh
// local database, and prints one JSON line: {"docs", "push_s", "pull_s", "push_per_s", "pull_per_s"}.
//
//     node replicate.mjs RECORDS.jsonl     (one JSON object per line, each with an "id")
//
// Writing the records into the first local database is not timed, as on the Mamori side.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const PouchDB = require('pouchdb-node');
const here = dirname(fileURLToPath(import.meta.url));
const BATCH = 500;

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(url, server) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`pouchdb-server exited with ${server.exitCode}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('pouchdb-server did not answer within 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main() {
  const recordsPath = process.argv[2];
  if (!recordsPath) throw new Error('usage: node replicate.mjs RECORDS.jsonl');
  const docs = readFileSync(recordsPath, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const record = JSON.parse(line);
      return { _id: record.id, ...record };
    });

  const work = mkdtempSync(join(tmpdir(), 'mamori-bench-pouchdb-'));
  const port = await freePort();
  const server = spawn(
    process.execPath,
    [
      join(here, 'node_modules', 'pouchdb-server', 'bin', 'pouchdb-server'),
      '--host', '127.0.0.1',
      '--port', String(port),
      '--dir', join(work, 'server'),
      '--config', join(work, 'config.json'),
      '--no-stdout-logs',
    ],
    { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitUntilUp(base, server);
    const remote = new PouchDB(`${base}/bench`);
    await remote.info(); // creates the database

    const local = new PouchDB(join(work, 'local-writer'));
    for (let i = 0; i < docs.length; i += 1000) {
      await local.bulkDocs(docs.slice(i, i + 1000));
    }

    let started = process.hrtime.bigint();
    const pushed = await PouchDB.replicate(local, remote, { batch_size: BATCH });
    const pushS = Number(process.hrtime.bigint() - started) / 1e9;
    if (pushed.docs_written !== docs.length) {
      throw new Error(`push wrote ${pushed.docs_written} of ${docs.length} docs`);
    }

    const reader = new PouchDB(join(work, 'local-reader'));
    started = process.hrtime.bigint();
    const pulled = await PouchDB.replicate(remote, reader, { batch_size: BATCH });
    const pullS = Number(process.hrtime.bigint() - started) / 1e9;
    if (pulled.docs_written !== docs.length) {
      throw new Error(`pull wrote ${pulled.docs_written} of ${docs.length} docs`);
    }

    await Promise.all([local.close(), reader.close(), remote.close()]);
    console.log(
      JSON.stringify({
        docs: docs.length,
        push_s: pushS,
        pull_s: pullS,
        push_per_s: docs.length / pushS,
        pull_per_s: docs.length / pullS,
      }),
    );
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => (server.exitCode !== null ? r() : server.once('exit', r)));
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`pouchdb side failed: ${error.stack || error}`);
  process.exit(1);
});
