/**
 * FileSystem.read with a BufferPool (lent buffers, src/bufferPool.ts) and writes whose caller
 * reuses its buffer, against a real cluster: files of 0, 1, block-1, block and 3 blocks + 1 bytes,
 * read short-circuit and through the data channel, with pool buffers smaller and larger than a
 * block; every byte checked (sha256 and per buffer), buffers held across blocks keep their bytes
 * while the others are reused.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { TestCluster, getJson } from '../harness/cluster.js';
import { loadConfig } from '../../src/conf/index.js';
import { FileSystem } from '../../src/client/fileSystem.js';
import { BufferPool } from '../../src/bufferPool.js';
import { LOCAL_READ_BUFFER } from '../../src/client/shortCircuit.js';

const MiB = 1024 * 1024;
const B = MiB;
const SIZES = [0, 1, B - 1, B, 3 * B + 1];
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('lent-buffer reads and reused-buffer writes', () => {
  let c: TestCluster;
  let local: FileSystem, remote: FileSystem;
  const files = new Map<number, Buffer>();
  const scReads = async (): Promise<number> => (await getJson(`http://127.0.0.1:${c.workerPorts[0]!.web}/api/v1/worker/info`)).shortCircuit.reads;

  before(async () => {
    c = await (await new TestCluster({ workers: 1, blockSize: '1MB', ramdiskSize: '64MB' }).setup()).start();
    local = new FileSystem(loadConfig({ env: c.env, home: process.cwd(), flags: {} }));
    remote = new FileSystem(loadConfig({ env: c.env, home: process.cwd(), flags: { 'alluxio.user.short.circuit.enabled': 'false' } }));
  });
  after(async () => {
    local?.close();
    remote?.close();
    await c?.stop();
  });

  test('writes: the caller refills one buffer between writes; what was written is what it passed (short-circuit and data channel)', async () => {
    for (const [name, client] of [['short-circuit', local], ['data channel', remote]] as const) {
      for (const size of SIZES) {
        const data = randomBytes(size);
        const scratch = Buffer.alloc(300_001);
        const out = await client.createFile(`/w/${name}/f${size}`, { writeType: 'MUST_CACHE' });
        for (let off = 0; off < size; off += scratch.length) {
          const n = Math.min(scratch.length, size - off);
          data.copy(scratch, 0, off, off + n);
          await out.write(scratch.subarray(0, n));
          scratch.fill(0xee); // reused at once: the stream must have kept its own copy
        }
        await out.close();
        assert.equal(sha(await client.readAll(`/w/${name}/f${size}`)), sha(data), `${name}, ${size} bytes`);
        if (name === 'short-circuit') files.set(size, data);
      }
    }
  });

  test('reads with a pool: same bytes for every size, both paths, pool buffers smaller and larger than a block; held buffers unchanged', async () => {
    for (const [name, client] of [['short-circuit', local], ['data channel', remote]] as const) {
      for (const bufferBytes of [LOCAL_READ_BUFFER, 300_001]) {
        for (const size of SIZES) {
          const data = files.get(size)!;
          const pool = new BufferPool(bufferBytes);
          const before = await scReads();
          const h = createHash('sha256');
          const held: { b: Buffer; off: number }[] = [];
          const memory = new Set<ArrayBufferLike>();
          let off = 0, i = 0;
          for await (const b of client.read(`/w/short-circuit/f${size}`, 'NO_CACHE', { buffers: pool })) {
            assert.ok(b.equals(data.subarray(off, off + b.length)), `${name}, pool of ${bufferBytes}, ${size} bytes: buffer ${i} at ${off}`);
            h.update(b);
            memory.add(b.buffer);
            if (i++ % 3 === 0) held.push({ b, off }); else pool.give(b); // every third kept across the next blocks
            off += b.length;
          }
          const what = `${name}, pool of ${bufferBytes} bytes, ${size}-byte file`;
          assert.equal(off, size, what);
          assert.equal(h.digest('hex'), sha(data), what);
          for (const { b, off: at } of held) assert.ok(b.equals(data.subarray(at, at + b.length)), `${what}: held buffer at ${at} unchanged`);
          const reads = (await scReads()) - before;
          assert.equal(reads, name === 'short-circuit' ? Math.ceil(size / B) : 0, `${what}: blocks read short-circuit`);
          if (name === 'short-circuit' && i >= 3) {
            // Local blocks come in the pool's buffers: of any three in a row, two went back and were reused.
            assert.ok(memory.size < i, `${what}: ${memory.size} distinct buffers for ${i} yielded`);
            assert.ok(held.every(({ b }) => b.length <= bufferBytes));
          }
          for (const { b } of held) pool.give(b);
        }
      }
    }
  });
});
