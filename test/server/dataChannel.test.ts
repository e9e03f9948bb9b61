/**
 * The worker's data channel (src/dataProtocol.ts, src/server/worker/dataServer.ts,
 * src/client/dataChannel.ts) in process, against a block service that counts what the worker's
 * would: streams in flight (serve()), read locks held, temp blocks committed and aborted. Round
 * trips with typed errors, hostile input (never a crash, never unbounded memory), the drain's
 * refusals, a client that leaves mid-stream, and gRPC served on the same port.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { DataServer, type BlockService, type BlockWriteHandle } from '../../src/server/worker/dataServer.js';
import { DataChannel } from '../../src/client/dataChannel.js';
import { WorkerClient } from '../../src/client/workerClient.js';
import { MAGIC, Frame, controlFrame, frameHeader, MAX_DATA_BYTES } from '../../src/dataProtocol.js';
import { protos, toServiceError } from '../../src/rpc.js';
import { BufferPool } from '../../src/bufferPool.js';
import { createLogger } from '../../src/log.js';
import {
  AuthenticationError, BlockDoesNotExistError, FailedPreconditionError, InvalidArgumentError, ResourceExhaustedError,
  UnavailableError, WorkerShuttingDownError,
} from '../../src/errors.js';
import { waitFor } from '../harness/wait.js';

const SECRET = 'a'.repeat(64);
const TIMEOUT_MS = 400;

/** The worker's side, counted. */
class FakeWorker implements BlockService {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alluxio-dc-'));
  readonly blocks = new Map<number, string>();
  inFlight = 0;
  locks = 0;
  draining = false;
  committed: number[] = [];
  aborted: number[] = [];
  /** Bytes a block write may take before it fails as out of space. */
  capacity = Number.MAX_SAFE_INTEGER;

  serve(what: string, refuse: (e: WorkerShuttingDownError) => void, body: () => Promise<void>): void {
    if (this.draining) { refuse(new WorkerShuttingDownError(`test worker is shutting down: ${what} refused, use another worker`)); return; }
    this.inFlight++;
    void body().finally(() => { this.inFlight--; });
  }

  async openBlockRead(r: { blockId: number; offset: number; length: number }) {
    const file = this.blocks.get(r.blockId);
    if (!file) throw new BlockDoesNotExistError(`block ${r.blockId} is not on this worker`);
    const size = fs.statSync(file).size;
    this.locks++;
    let done = false;
    const end = r.length > 0 ? Math.min(size, r.offset + r.length) : size;
    return { file, start: Math.min(r.offset, end), end, release: () => { if (!done) { done = true; this.locks--; } } };
  }

  async openBlockWrite(h: { blockId: number }): Promise<BlockWriteHandle> {
    if (this.blocks.has(h.blockId)) throw new FailedPreconditionError(`block ${h.blockId} already exists on this worker`);
    const tmp = path.join(this.dir, `.tmp-${h.blockId}`);
    const fh = await fs.promises.open(tmp, 'w');
    let written = 0;
    return {
      write: async (parts, length) => {
        if (written + length > this.capacity) throw new ResourceExhaustedError(`no space left for block ${h.blockId}`);
        await fh.writev(parts);
        written += length;
      },
      commit: async () => {
        await fh.close();
        const file = path.join(this.dir, String(h.blockId));
        fs.renameSync(tmp, file);
        this.blocks.set(h.blockId, file);
        this.committed.push(h.blockId);
        return written;
      },
      abort: async () => { await fh.close().catch(() => {}); fs.rmSync(tmp, { force: true }); this.aborted.push(h.blockId); },
    };
  }

  block(id: number, data: Buffer): void {
    const file = path.join(this.dir, String(id));
    fs.writeFileSync(file, data);
    this.blocks.set(id, file);
  }
}

const w = new FakeWorker();
let grpcServer: grpc.Server;
let server: DataServer;
let port = 0;
let address = '';
const channels: DataChannel[] = [];
const channel = (secret: string | null = SECRET) => { const ch = new DataChannel(address, secret ?? undefined, 2000); channels.push(ch); return ch; };

before(async () => {
  grpcServer = new grpc.Server();
  // gRPC on the same port: ReadUfsBlock answers one chunk naming its path.
  grpcServer.addService(protos().worker.BlockWorker.service, {
    ReadUfsBlock: (call: grpc.ServerWritableStream<any, any>) => { call.write({ data: Buffer.from(`ufs ${call.request.ufsPath}`) }); call.end(); },
    WriteUfsFile: (_call: unknown, cb: grpc.sendUnaryData<any>) => cb(toServiceError(new FailedPreconditionError('not here')) as grpc.ServiceError),
  });
  const injector = grpcServer.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  server = new DataServer(w, { secret: SECRET, timeoutMs: TIMEOUT_MS, name: 'worker test', log: createLogger('dataChannel.test'), http2: (s) => injector.injectConnection(s) });
  port = await server.listen('127.0.0.1', 0);
  address = `127.0.0.1:${port}`;
});
after(async () => {
  for (const ch of channels) ch.close();
  grpcServer.forceShutdown();
  await server.close();
  fs.rmSync(w.dir, { recursive: true, force: true });
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
async function readAll(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of it) parts.push(b);
  return Buffer.concat(parts);
}
async function writeBlock(ch: DataChannel, id: number, data: Buffer, piece = 1024 * 1024 + 7): Promise<number> {
  const up = ch.writeBlock(id, data.length, '', false);
  await up.accepted;
  for (let off = 0; off < data.length; off += piece) await up.write(data.subarray(off, off + piece));
  return Number((await up.close()).length);
}
const idle = () => waitFor('the worker has no stream in flight and no read lock', () => w.inFlight === 0 && w.locks === 0, 10_000);

/**
 * A raw connection: send `bytes`, collect what comes back until the worker closes it (or
 * `waitMs` passes); the frames received are decoded.
 */
function rawExchange(bytes: Buffer, waitMs = 3000): Promise<{ frames: { type: number; body: any }[]; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const got: Buffer[] = [];
    let closed = false;
    const finish = () => {
      clearTimeout(timer);
      s.destroy();
      const all = Buffer.concat(got);
      const frames: { type: number; body: any }[] = [];
      for (let off = 0; off + 5 <= all.length;) {
        const type = all.readUInt8(off), len = all.readUInt32BE(off + 1);
        const payload = all.subarray(off + 5, off + 5 + len);
        frames.push({ type, body: type === Frame.DATA ? payload.length : JSON.parse(payload.toString() || '{}') });
        off += 5 + len;
      }
      resolve({ frames, closed });
    };
    const timer = setTimeout(finish, waitMs);
    s.on('data', (c) => got.push(c));
    s.on('error', () => {});
    s.on('close', () => { closed = true; finish(); });
    s.on('connect', () => s.write(bytes));
  });
}
const hello = (secret = SECRET, version: unknown = 1) => Buffer.concat([MAGIC, controlFrame(Frame.HELLO, { version, secret })]);

test('blocks of 0, 1, frame-1, frame, 2 frames+1 bytes and a 9 MiB block round-trip, ranges too (sha256)', async () => {
  const ch = channel();
  const sizes = [0, 1, 2 * 1024 * 1024 - 1, 2 * 1024 * 1024, 4 * 1024 * 1024 + 1, 9 * 1024 * 1024];
  for (const [i, size] of sizes.entries()) {
    const data = randomBytes(size);
    assert.equal(await writeBlock(ch, 100 + i, data), size, `write of ${size} bytes`);
    assert.equal(sha(await readAll(ch.readBlock(100 + i, 0, 0, false))), sha(data), `read of ${size} bytes`);
    if (size > 10) assert.equal(sha(await readAll(ch.readBlock(100 + i, 3, size - 10, false))), sha(data.subarray(3, size - 7)), `range of ${size} bytes`);
  }
  assert.deepEqual(w.committed.slice(-sizes.length), sizes.map((_, i) => 100 + i));
  await idle();
});

test('lent DATA payloads: slabs are reused once every view is given back; views held meanwhile keep their bytes (sha256)', async () => {
  const ch = channel();
  const MiB = 1024 * 1024;
  const data = randomBytes(48 * MiB);
  w.block(7001, data);
  const consumer = new BufferPool(MiB); // any pool's give() returns a view to the pool it came from
  // 1. Every view given back at once, over 3 reads of 48 MiB: the slabs are reused, so the
  //    distinct memory seen stays far below the 144 MiB a read into new slabs would need.
  const seen = new Set<ArrayBufferLike>();
  for (let round = 0; round < 3; round++) {
    const h = createHash('sha256');
    let off = 0;
    for await (const b of ch.readBlock(7001, 0, 0, false)) {
      assert.ok(b.equals(data.subarray(off, off + b.length)), `round ${round}: bytes at ${off}`);
      h.update(b);
      off += b.length;
      seen.add(b.buffer);
      consumer.give(b);
    }
    assert.equal(off, data.length);
    assert.equal(h.digest('hex'), sha(data));
  }
  console.log(`# 144 MiB read through ${seen.size} distinct slabs of 4 MiB`);
  assert.ok(seen.size <= 12, `slabs reused: ${seen.size} distinct slabs for 144 MiB`);
  // 2. Every third view held until the end, the rest given back: a held view's slab is never
  //    reused under it (the bytes still match after 2 more reads went through the pool).
  const held: { b: Buffer; off: number }[] = [];
  for (let round = 0; round < 3; round++) {
    let off = 0, i = 0;
    for await (const b of ch.readBlock(7001, 0, 0, false)) {
      if (round === 0 && i++ % 3 === 0) held.push({ b, off }); else consumer.give(b);
      off += b.length;
    }
  }
  assert.ok(held.length > 3);
  for (const { b, off } of held) assert.ok(b.equals(data.subarray(off, off + b.length)), `held view at ${off} (${b.length} bytes) unchanged`);
  for (const { b } of held) consumer.give(b);
  consumer.give(held[0]!.b); // twice: ignored
  await idle();
});

test('the worker reuses its DATA frame buffers across reads and connections, never one the socket still sends (lagging concurrent readers, sha256)', async () => {
  const F = 2 * 1024 * 1024; // DATA_FRAME_BYTES
  const sizes = [5 * F + 1, 4 * F, 3 * F - 1, 1, 0];
  const data = sizes.map((n) => randomBytes(n));
  data.forEach((d, i) => w.block(7100 + i, d));
  for (let round = 0; round < 2; round++) {
    // Every block at once, each on its own connection; the readers lag now and then, so the
    // worker's socket writes wait while its next frames are read into buffers from the pool.
    const got = await Promise.all(data.map(async (_, i) => {
      const parts: Buffer[] = [];
      for await (const b of channel().readBlock(7100 + i, 0, 0, false)) {
        if (parts.length % 3 === (round + i) % 3) await new Promise((r) => setTimeout(r, 20));
        parts.push(Buffer.from(b)); // a copy: the check is on what the worker sent, not on the client's slabs
      }
      return Buffer.concat(parts);
    }));
    got.forEach((b, i) => { assert.equal(b.length, sizes[i], `round ${round}: length of block ${7100 + i}`); assert.equal(sha(b), sha(data[i]!), `round ${round}: block ${7100 + i} (${sizes[i]} bytes)`); });
  }
  await idle();
  // Given back once sent, and the pool keeps a bounded number.
  await waitFor('frame buffers back in the pool', () => server.freeFrameBuffers > 0, 5000);
  assert.ok(server.freeFrameBuffers <= 8, `${server.freeFrameBuffers} free frame buffers kept`);
});

test('errors are the typed errors of errors.ts; the connection serves the next request after a read error', async () => {
  const ch = channel();
  await assert.rejects(readAll(ch.readBlock(999, 0, 0, false)), (e: unknown) => e instanceof BlockDoesNotExistError && /block 999 is not on this worker/.test(e.message));
  w.block(5, Buffer.from('five'));
  assert.equal((await readAll(ch.readBlock(5, 0, 0, false))).toString(), 'five');
  // A write that runs out of space mid-block: the worker's error, the temp block aborted.
  w.capacity = 3 * 1024 * 1024;
  try {
    const up = ch.writeBlock(6, 8 * 1024 * 1024, '', false);
    await up.accepted;
    await assert.rejects(async () => { await up.write(randomBytes(8 * 1024 * 1024)); await up.close(); }, ResourceExhaustedError);
  } finally { w.capacity = Number.MAX_SAFE_INTEGER; }
  await waitFor('block 6 aborted', () => w.aborted.includes(6), 5000);
  assert.equal(w.blocks.has(6), false);
  // A block that exists already.
  await assert.rejects(writeBlock(ch, 5, Buffer.from('x')), FailedPreconditionError);
  // No secret, a wrong secret: refused as unauthenticated, as gRPC calls are.
  await assert.rejects(readAll(channel(null).readBlock(5, 0, 0, false)), (e: unknown) => e instanceof AuthenticationError && /accepts only members of this cluster/.test(e.message));
  await assert.rejects(channel('b'.repeat(64)).writeBlock(7, 1, '', false).accepted, AuthenticationError);
  // Nothing listening: unavailable (writes move to another worker, reads wait for the holder).
  const gone = await new Promise<number>((r) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => r(p)); }); });
  await assert.rejects(readAll(new DataChannel(`127.0.0.1:${gone}`, SECRET, 2000).readBlock(5, 0, 0, false)), UnavailableError);
  await idle();
});

test('gRPC calls share the port: the worker hands HTTP/2 connections to grpc-js', async () => {
  const wc = new WorkerClient(address, SECRET);
  try {
    assert.equal((await readAll(wc.readUfsBlock('/u/f', 1, 0, 1, false))).toString(), 'ufs /u/f');
    w.block(8, Buffer.from('eight'));
    assert.equal((await readAll(wc.readBlock(8, 0, 0, false))).toString(), 'eight');
  } finally { wc.close(); }
});

test('hostile input gets a typed error frame or a closed connection, never a crash or an unbounded buffer', async () => {
  // Garbage before the hello: closed without an answer.
  assert.deepEqual(await rawExchange(Buffer.from('GET / HTTP/1.1\r\n\r\n')), { frames: [], closed: true });
  // A request before the hello, a wrong secret, a wrong version: one error frame, then closed.
  const noHello = await rawExchange(Buffer.concat([MAGIC, controlFrame(Frame.READ, { blockId: 5, offset: 0, length: 0 })]));
  assert.deepEqual(noHello.frames.map((f) => [f.type, f.body.code]), [[Frame.ERROR, 'INVALID_ARGUMENT']]);
  assert.match(noHello.frames[0]!.body.message, /the first frame must be HELLO/);
  assert.equal(noHello.closed, true);
  const wrong = await rawExchange(Buffer.concat([hello('c'.repeat(64)), controlFrame(Frame.READ, { blockId: 5, offset: 0, length: 0 })]));
  assert.deepEqual(wrong.frames.map((f) => [f.type, f.body.code]), [[Frame.ERROR, 'UNAUTHENTICATED']], 'nothing is read without the secret');
  assert.equal(wrong.closed, true);
  const version = await rawExchange(hello(SECRET, 99));
  assert.deepEqual(version.frames.map((f) => [f.type, f.body.code]), [[Frame.ERROR, 'FAILED_PRECONDITION']]);
  // A frame claiming 2^32-1 bytes, a DATA frame over MAX_DATA_BYTES, a control frame over 64 KiB: refused from the header alone.
  for (const [type, claimed] of [[Frame.DATA, 2 ** 32 - 1], [Frame.DATA, MAX_DATA_BYTES + 1], [Frame.READ, 64 * 1024 + 1]] as const) {
    const r = await rawExchange(Buffer.concat([hello(), frameHeader(type, claimed), Buffer.alloc(100)]));
    assert.deepEqual(r.frames.map((f) => [f.type, f.body.code]), [[Frame.ERROR, 'INVALID_ARGUMENT']], `type ${type} claiming ${claimed}`);
    assert.match(r.frames[0]!.body.message, new RegExp(`claims ${claimed} bytes`));
    assert.equal(r.closed, true);
  }
  // An unknown frame type, a JSON array, a non-request frame.
  for (const bad of [frameHeader(77 as Frame, 0), Buffer.concat([frameHeader(Frame.READ, 2), Buffer.from('[]')]), controlFrame(Frame.DONE, {})]) {
    const r = await rawExchange(Buffer.concat([hello(), bad]));
    assert.deepEqual(r.frames.map((f) => [f.type, f.body.code]), [[Frame.ERROR, 'INVALID_ARGUMENT']], bad.toString('hex'));
  }
  // Bad fields: typed errors naming them; the connection stays usable (the next request is answered).
  w.block(9, Buffer.from('nine'));
  const fields = await rawExchange(Buffer.concat([
    hello(),
    controlFrame(Frame.READ, { blockId: 9, offset: -7, length: 0 }),
    controlFrame(Frame.READ, { blockId: 2 ** 60, offset: 0, length: 0 }),
    controlFrame(Frame.READ, { blockId: '9', offset: 0, length: 0 }),
    controlFrame(Frame.READ, { blockId: 9, offset: 1, length: 2 }),
  ]), 1500);
  assert.deepEqual(fields.frames.map((f) => f.type === Frame.ERROR ? f.body.message : [f.type, f.body]), [
    'READ offset must be an integer between 0 and 9007199254740991, not -7',
    'READ blockId must be an integer between 0 and 9007199254740991, not 1152921504606847000',
    'READ blockId must be an integer between 0 and 9007199254740991, not "9"',
    [Frame.HEADER, { length: 2 }], [Frame.DATA, 2], [Frame.END, {}],
  ]);
  const badWrite = await rawExchange(Buffer.concat([hello(), controlFrame(Frame.WRITE, { blockId: 11, spaceToReserve: -100, tierAlias: '' })]));
  assert.deepEqual(badWrite.frames.map((f) => f.type === Frame.ERROR ? f.body.message : f.type), [Frame.ACCEPTED, 'WRITE spaceToReserve must be an integer between 0 and 9007199254740991, not -100']);
  // A write interrupted by a frame that is not DATA or END: error, temp block aborted.
  const mixed = await rawExchange(Buffer.concat([hello(), controlFrame(Frame.WRITE, { blockId: 12, spaceToReserve: 10, tierAlias: '' }), frameHeader(Frame.DATA, 3), Buffer.from('abc'), controlFrame(Frame.READ, { blockId: 9, offset: 0, length: 0 })]));
  assert.deepEqual(mixed.frames.map((f) => f.type === Frame.ERROR ? f.body.code : f.type), [Frame.ACCEPTED, 'INVALID_ARGUMENT']);
  assert.ok(w.aborted.includes(12) && !w.blocks.has(12));
  await idle();
});

test('stalls: a connection silent before its hello, mid-frame, or mid-write is closed after the timeout; the write is aborted', async () => {
  const t0 = Date.now();
  const silent = await rawExchange(Buffer.from('AL'), 5000);
  assert.equal(silent.closed, true, 'a connection that sent 2 bytes and stalled');
  const midFrame = await rawExchange(Buffer.concat([MAGIC, controlFrame(Frame.HELLO, { version: 1, secret: SECRET }).subarray(0, 9)]), 5000);
  assert.equal(midFrame.closed, true, 'a hello cut mid-frame');
  const midWrite = await rawExchange(Buffer.concat([hello(), controlFrame(Frame.WRITE, { blockId: 13, spaceToReserve: 10, tierAlias: '' }), frameHeader(Frame.DATA, 1000), Buffer.alloc(10)]), 5000);
  assert.deepEqual(midWrite.frames.map((f) => f.type === Frame.ERROR ? f.body.code : f.type), [Frame.ACCEPTED, 'TIMEOUT']);
  assert.equal(midWrite.closed, true);
  assert.ok(w.aborted.includes(13) && !w.blocks.has(13), 'the stalled write is aborted');
  console.log(`# three stalled connections closed in ${Date.now() - t0} ms (timeout ${TIMEOUT_MS} ms each)`);
  await idle();
});

test('a client that leaves mid-stream: the worker frees the stream (in flight back to 0, lock released, temp block aborted)', async () => {
  const big = randomBytes(48 * 1024 * 1024);
  w.block(20, big);
  const ch = channel();
  // Read one chunk then stop: the worker is blocked on a full socket, the close frees it.
  for await (const chunk of ch.readBlock(20, 0, 0, false)) { assert.ok(chunk.length > 0); break; }
  await idle();
  // A read left without consuming (the reader stops, the client process is gone): destroy the socket mid-stream.
  const s = net.connect(port, '127.0.0.1');
  s.on('error', () => {});
  s.write(Buffer.concat([hello(), controlFrame(Frame.READ, { blockId: 20, offset: 0, length: 0 })]));
  await waitFor('the read is in flight', () => w.inFlight === 1 && w.locks === 1, 5000);
  s.destroy();
  await idle();
  // A write cancelled after some data.
  const up = ch.writeBlock(21, 8 * 1024 * 1024, '', false);
  await up.accepted;
  await up.write(randomBytes(3 * 1024 * 1024));
  await waitFor('the write is in flight', () => w.inFlight === 1, 5000);
  up.cancel();
  await waitFor('block 21 aborted', () => w.aborted.includes(21), 5000);
  assert.equal(w.blocks.has(21), false);
  await idle();
  // The channel still serves, to a consumer that lags (the client's reader pauses the socket past its buffer bound, then resumes).
  const parts: Buffer[] = [];
  for await (const b of ch.readBlock(20, 0, 0, false)) { if (!parts.length) await new Promise((r) => setTimeout(r, 300)); parts.push(b); }
  assert.equal(sha(Buffer.concat(parts)), sha(big));
});

test('draining: new reads and writes are refused with WorkerShuttingDownError, on new and pooled connections', async () => {
  const ch = channel();
  w.block(30, Buffer.from('thirty'));
  assert.equal((await readAll(ch.readBlock(30, 0, 0, false))).toString(), 'thirty'); // a pooled connection now
  w.draining = true;
  try {
    await assert.rejects(readAll(ch.readBlock(30, 0, 0, false)), WorkerShuttingDownError);
    await assert.rejects(ch.writeBlock(31, 1, '', false).accepted, WorkerShuttingDownError);
    await assert.rejects(readAll(channel().readBlock(30, 0, 0, false)), (e: unknown) => e instanceof WorkerShuttingDownError && /shutting down: block read refused/.test(e.message));
  } finally { w.draining = false; }
  assert.equal(w.blocks.has(31), false);
  await idle();
});
