/**
 * A caller may reuse its buffer as soon as `FileOutStream.write` returns (as with fs.write or a
 * Writable's callback): the bytes that reach the workers and the UFS are those of the call, not
 * what the buffer holds later. Every write type, with one buffer refilled between calls, past the
 * first block (where a THROUGH write stops keeping its own copy for a replay); with a worker on
 * the client's host (blocks written short-circuit into its temp files) and with one the client
 * takes as remote (advertised as 127.0.0.2: blocks sent over the data channel).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { TestCluster, ROOT, getJson } from '../harness/cluster.js';
import { loadConfig } from '../../src/conf/index.js';
import { FileSystem, type WriteType } from '../../src/client/fileSystem.js';

const BLOCK = 1024 * 1024;
const PIECE = 256 * 1024;
const PIECES = 24; // 6 blocks

/** Piece `i` of the file: deterministic bytes that differ from every other piece. */
function fill(buf: Buffer, i: number): void {
  for (let off = 0, x = i * 2654435761 + 1; off < buf.length; off += 4) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; buf.writeUInt32LE(x, off); }
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const clusters = {
  'local worker (short-circuit)': new TestCluster({ ramdiskSize: '64MB', blockSize: '1MB' }),
  'remote worker (data channel)': new TestCluster({ ramdiskSize: '64MB', blockSize: '1MB', workerHosts: ['127.0.0.2'] }),
};
const clients = new Map<TestCluster, FileSystem>();
before(async () => {
  for (const c of Object.values(clusters)) {
    await c.setup(); await c.start();
    clients.set(c, new FileSystem(loadConfig({ env: c.env, home: ROOT })));
  }
});
after(async () => {
  for (const f of clients.values()) f.close();
  for (const c of Object.values(clusters)) await c.stop();
});

const counters = async (c: TestCluster) => (await getJson(`http://127.0.0.1:${c.workerPorts[0]!.web}/metrics/json/`)).counters;

for (const [where, c] of Object.entries(clusters)) for (const writeType of ['THROUGH', 'CACHE_THROUGH', 'MUST_CACHE'] as WriteType[]) {
  test(`${where}, ${writeType}: one buffer refilled after each write; the file holds what each call carried`, async () => {
    const afs = clients.get(c)!;
    const before = await counters(c);
    const want = Buffer.alloc(PIECE * PIECES);
    const buf = Buffer.alloc(PIECE);
    const p = `/reuse/${writeType}`;
    const out = await afs.createFile(p, { writeType, recursive: true, blockSize: BLOCK });
    for (let i = 0; i < PIECES; i++) {
      fill(buf, i);
      buf.copy(want, i * PIECE);
      await out.write(buf);
      buf.fill(0xee); // what a reused buffer holds next: never in the file
    }
    await out.close();
    if (writeType !== 'THROUGH') {
      const via = where.startsWith('local') ? 'Worker.BytesWrittenDomain' : 'Worker.BytesWrittenRemote';
      const grew = (await counters(c))[via]?.count - (before[via]?.count ?? 0);
      assert.equal(grew, PIECE * PIECES, `the blocks were written through ${via}`);
    }
    const chunks: Buffer[] = [];
    for await (const b of afs.read(p)) chunks.push(b);
    assert.equal(sha(Buffer.concat(chunks)), sha(want), 'read back through Alluxio');
    if (writeType !== 'MUST_CACHE') {
      assert.equal(sha(fs.readFileSync(path.join(c.ufsDir, 'reuse', writeType))), sha(want), 'the UFS copy');
    }
  });
}
