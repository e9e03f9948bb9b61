/**
 * Raft transports: NetTransport between two loopback endpoints on each wire (framed, the
 * default; gRPC, what an older master speaks), and the in-memory twin; a peer process killed
 * (its connections reset: reported lost) or paused (nothing reset: not reported); the framed
 * wire's hostile input, bounds, pacing and its fallback to gRPC for an older peer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetTransport, MemoryNetwork, type NetTransportOptions } from '../../../src/journal/raft/transport.js';
import * as grpc from '@grpc/grpc-js';
import { RaftInvariantError, type Message } from '../../../src/journal/raft/types.js';
import { protos } from '../../../src/rpc.js';
import { freePort } from '../../harness/cluster.js';
import { giveUp, sleep, waitFor } from '../../harness/wait.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { encodeFrame, FrameParser } from '../../../src/frames.js';
import { RAFT_MAGIC, RaftFrame, MAX_BATCH_BYTES, MAX_SEND_BUFFER_BYTES } from '../../../src/journal/raft/framedWire.js';
import { errorOfFrame } from '../../../src/dataProtocol.js';

const WIRES = ['framed', 'grpc'] as const;
type Wire = typeof WIRES[number];

const msg = (from: string, to: string, i: number): Message => ({ type: 'App', from, to, term: 2, index: i, logTerm: 1, commit: 0, entries: [{ term: 2, index: i + 1, type: 'normal', data: `{"n":${i}}` }] });

/** Two transports 'a' and 'b' on loopback (plus `extraPeers`), closed after `fn`. */
async function withPair(opts: [NetTransportOptions, NetTransportOptions], fn: (a: NetTransport, b: NetTransport) => Promise<void>, extraPeers: [string, string][] = []): Promise<void> {
  // Both bind port 0 and learn each other's port from start() (no free-port race).
  const peers = new Map(extraPeers);
  const { transport: a, port: pa } = await NetTransport.start('a', { host: '127.0.0.1', port: 0 }, peers, opts[0]);
  const { transport: b, port: pb } = await NetTransport.start('b', { host: '127.0.0.1', port: 0 }, peers, opts[1]);
  for (const t of [a, b]) { t.setPeer('a', `127.0.0.1:${pa}`); t.setPeer('b', `127.0.0.1:${pb}`); }
  try { await fn(a, b); } finally {
    await a.close();
    await b.close();
  }
}

for (const wire of WIRES) test(`${wire} wire delivers batches in order per destination; a dead peer only counts a failure`, async () => {
  await withPair([{ clusterId: 'cluster-1', wire }, { clusterId: 'cluster-1', wire }], async (a, b) => {
    const got: Message[] = [];
    b.onMessage((m) => got.push(m));
    a.send([msg('a', 'b', 1), msg('a', 'b', 2), msg('a', 'c', 3)]);
    await until('both batches to b and the failure to c', () => got.length >= 2 && a.failures >= 1);
    assert.deepEqual(got, [msg('a', 'b', 1), msg('a', 'b', 2)]);
    assert.equal(a.failures, 1);
  }, [['c', `127.0.0.1:${await freePort()}`]]);
});

for (const wire of WIRES) test(`${wire} wire: batches from another cluster are ignored`, async () => {
  await withPair([{ clusterId: 'cluster-1', wire }, { clusterId: 'cluster-2', wire }], async (a, b) => {
    const got: Message[] = [];
    b.onMessage((m) => got.push(m));
    a.send([msg('a', 'b', 1)]);
    await until('b refuses', () => b.rejected === 1);
    assert.deepEqual(got, []);
  });
});

test('memory network: copies messages, drops across a partition until healed', async () => {
  const net = new MemoryNetwork();
  const a = net.transport('a'), b = net.transport('b');
  const got: Message[] = [];
  b.onMessage((m) => got.push(m));
  a.onMessage(() => {});
  const m = msg('a', 'b', 1);
  a.send([m]);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(got, [m]);
  assert.notEqual(got[0], m);
  net.partition('a', ['b']);
  a.send([msg('a', 'b', 2)]);
  b.send([msg('b', 'a', 3)]);
  await new Promise((r) => setImmediate(r));
  assert.equal(got.length, 1);
  assert.equal(net.dropped, 2);
  net.heal();
  a.send([msg('a', 'b', 4)]);
  await new Promise((r) => setImmediate(r));
  assert.equal(got.length, 2);
});

/** Wait (bounded: the harness's one waitFor) until `f` holds. */
const until = (what: string, f: () => boolean): Promise<unknown> => waitFor(what, f, { timeoutMs: 5000, everyMs: 25 });

const hb = (from: string, to: string, commit: number): Message => ({ type: 'Heartbeat', from, to, term: 2, commit });

test('gRPC stream on the shared port: a bad batch (not JSON, wrong shape, no or another cluster id) is dropped, counted and logged once; the stream goes on', async () => {
  const logs: string[] = [];
  const { transport: b, port: pb } = await NetTransport.start('b', { host: '127.0.0.1', port: 0 }, new Map(), { clusterId: 'c1', log: (m) => logs.push(m) });
  const client = new (protos().raft.RaftJournalService)(`127.0.0.1:${pb}`, grpc.credentials.createInsecure()) as grpc.Client;
  try {
    const got: Message[] = [];
    b.onMessage((m) => got.push(m));
    const st = (client as any).Stream(() => {}) as grpc.ClientWritableStream<unknown>;
    st.on('error', () => {});
    const ok = JSON.stringify(hb('a', 'b', 1));
    st.write({ from: 'a', clusterId: 'c1', messages: [ok, '{not json'] });      // one bad message drops the whole batch
    st.write({ from: 'a', clusterId: '', messages: [ok] });                     // no cluster id
    st.write({ from: 'a', clusterId: 'c2', messages: [ok] });                   // another cluster
    st.write({ from: 'a', clusterId: 'c1', messages: ['{"type":"App","from":"a","to":"b","term":-1}'] });
    st.write({ from: 'a', clusterId: 'c1', messages: [JSON.stringify(hb('a', 'b', 2))] });
    await until('the good batch', () => got.length === 1);
    assert.deepEqual(got, [hb('a', 'b', 2)]);
    assert.equal(b.rejected, 4);
    assert.equal(logs.length, 1, logs.join('\n'));
    assert.match(logs[0]!, /^Dropped a raft batch from \S+: message 1 of the batch from a is not JSON: "\{not json"$/);
    // Deliver (unary) answers a bad batch with INVALID_ARGUMENT.
    const err = await new Promise<grpc.ServiceError | null>((r) => (client as any).Deliver({ from: 'a', clusterId: 'c9', messages: [] }, (e: grpc.ServiceError | null) => r(e)));
    assert.equal(err?.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(err?.details, 'batch from a is for cluster "c9", this node is in cluster c1');
    st.end();
  } finally {
    client.close();
    await b.close();
  }
});

for (const wire of WIRES) test(`${wire} wire: a message the core refuses is dropped and counted, never thrown`, async () => {
  await withPair([{ clusterId: 'c1', wire }, { clusterId: 'c1', wire }], async (a, b) => {
    let calls = 0;
    b.onMessage(() => { calls++; throw new RaftInvariantError('entry 3 conflicts with a committed entry'); });
    a.send([hb('a', 'b', 1)]);
    await until('the refusal', () => b.rejected === 1);
    a.send([hb('a', 'b', 2)]);
    await until('the second refusal', () => b.rejected === 2);
    assert.equal(calls, 2);
  });
});

for (const wire of WIRES) test(`${wire} wire: a node that does not know its cluster id yet accepts any and answers each peer with the id it sent`, async () => {
  let bCluster = '';
  await withPair([{ clusterId: 'c1', wire }, { clusterId: () => bCluster, wire }], async (a, b) => {
    const atA: Message[] = [], atB: Message[] = [];
    a.onMessage((m) => atA.push(m));
    b.onMessage((m) => atB.push(m));
    b.send([hb('b', 'a', 1)]);                        // b names no cluster: a knows its own, refuses
    await until('a refuses', () => a.rejected === 1);
    a.send([hb('a', 'b', 2)]);                        // b accepts (it cannot judge) and learns what a calls it
    await until('b hears a', () => atB.length === 1);
    b.send([hb('b', 'a', 3)]);
    await until('a hears b', () => atA.length === 1);
    assert.deepEqual(atA, [hb('b', 'a', 3)]);
    bCluster = 'c2';                                  // b's journal says otherwise: from now on it refuses c1
    a.send([hb('a', 'b', 4)]);
    await until('b refuses', () => b.rejected === 1);
    assert.equal(atB.length, 1);
  });
});

/**
 * Transport 'a' here and 'b' in a child process (peerMain.ts) that heartbeats 'a'; 'a' answers
 * every message, so both streams are open. Returns the child and what 'a' saw.
 */
async function withPeerProcess(wire: Wire, fn: (child: ChildProcess, a: NetTransport, seen: { lost: string[]; heard: number }) => Promise<void>): Promise<void> {
  const { transport: a, port: pa } = await NetTransport.start('a', { host: '127.0.0.1', port: 0 }, new Map(), { clusterId: 'c1', wire });
  const seen = { lost: [] as string[], heard: 0 };
  a.onMessage((m) => { seen.heard++; a.send([{ type: 'HeartbeatResp', from: 'a', to: m.from, term: m.term }]); });
  a.onPeerLost((peer) => seen.lost.push(peer));
  const child = spawn(process.execPath, [fileURLToPath(new URL('./peerMain.js', import.meta.url)), `127.0.0.1:${pa}`, wire], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    const port = await waitFor('the peer process to listen', () => {
      if (child.exitCode !== null) giveUp(`peer exited with ${child.exitCode}`);
      return /\{"port":(\d+)\}/.exec(out)?.[1];
    }, { timeoutMs: 15_000, everyMs: 20 });
    a.setPeer('b', `127.0.0.1:${port}`);
    await waitFor('heartbeats from the peer process', () => seen.heard >= 5, { timeoutMs: 15_000, everyMs: 20 });
    await fn(child, a, seen);
  } finally {
    if (child.exitCode === null && child.signalCode === null) { child.kill('SIGCONT'); child.kill('SIGKILL'); }
    await a.close();
  }
}

for (const wire of WIRES) test(`${wire} wire: a peer process killed with SIGKILL is reported lost (both its connections reset), once`, async (t) => {
  await withPeerProcess(wire, async (child, _a, seen) => {
    assert.deepEqual(seen.lost, []);
    const t0 = performance.now();
    child.kill('SIGKILL');
    await waitFor('peer b reported lost', () => seen.lost.length > 0, { timeoutMs: 10_000, everyMs: 2 });
    t.diagnostic(`peer lost reported ${(performance.now() - t0).toFixed(1)} ms after SIGKILL`);
    await new Promise((r) => child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r));
    assert.deepEqual(seen.lost, ['b']);
  });
});

for (const wire of WIRES) test(`${wire} wire: a paused peer process (SIGSTOP) resets nothing and is not reported lost`, async () => {
  await withPeerProcess(wire, async (child, _a, seen) => {
    child.kill('SIGSTOP');
    // Nothing to wait for (the point is that nothing happens): paused for 30 of its heartbeat
    // intervals, longer than an election timeout, nothing closes.
    const heard = seen.heard;
    await sleep(600);
    assert.deepEqual(seen.lost, []);
    assert.equal(seen.heard, heard, 'a paused process sends nothing');
    // It wakes and goes on: still not lost; killed, it is.
    child.kill('SIGCONT');
    await waitFor('heartbeats again after SIGCONT', () => seen.heard > heard + 5, { timeoutMs: 10_000, everyMs: 20 });
    assert.deepEqual(seen.lost, []);
    child.kill('SIGKILL');
    await waitFor('peer b reported lost', () => seen.lost.length > 0, { timeoutMs: 10_000, everyMs: 5 });
    assert.deepEqual(seen.lost, ['b']);
  });
});

test('memory network: kill reports the lost node to the others it is not cut off from', async () => {
  const net = new MemoryNetwork();
  const lost = new Map<string, string[]>();
  for (const id of ['a', 'b', 'c']) {
    const t = net.transport(id);
    t.onMessage(() => {});
    t.onPeerLost((p) => lost.set(id, [...(lost.get(id) ?? []), p]));
  }
  net.partition('c', ['a']);
  net.kill('a');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(Object.fromEntries(lost), { b: ['a'] });
});

/**
 * A raw connection to a journal port: writes `bytes` (RAFT_MAGIC first unless `bytes` starts
 * otherwise), then gathers the frames the port answers until it closes the connection (bounded).
 */
async function rawExchange(port: number, bytes: Buffer, keepOpen = false): Promise<{ frames: { type: number; payload: Buffer }[]; closed: boolean; socket: net.Socket }> {
  const s = net.connect({ host: '127.0.0.1', port });
  const frames: { type: number; payload: Buffer }[] = [];
  let closed = false;
  const parser = new FrameParser('test', () => MAX_BATCH_BYTES, (type, payload) => frames.push({ type, payload: Buffer.from(payload) }));
  s.on('data', (c: Buffer) => parser.push(c));
  s.on('error', () => {});
  s.on('close', () => { closed = true; });
  s.write(bytes);
  if (!keepOpen) await waitFor('the port to close the connection', () => closed, { timeoutMs: 5000, everyMs: 10 });
  return { frames, closed, socket: s };
}

const frame = (type: number, body: unknown): Buffer => encodeFrame(type, typeof body === 'string' ? body : JSON.stringify(body));
const helloOf = (from: string, secret?: string, version = 1): Buffer => frame(RaftFrame.HELLO, { version, from, ...(secret ? { secret } : {}) });

test('framed wire: a bad batch (not JSON, wrong shape, no or another cluster id) is dropped, counted and logged once; the connection goes on', async () => {
  const logs: string[] = [];
  const { transport: b, port: pb } = await NetTransport.start('b', { host: '127.0.0.1', port: 0 }, new Map(), { clusterId: 'c1', log: (m) => logs.push(m) });
  let conn: net.Socket | undefined;
  try {
    const got: Message[] = [];
    b.onMessage((m) => got.push(m));
    const batch = (clusterId: unknown, messages: unknown[]) => frame(RaftFrame.BATCH, { clusterId, messages });
    const r = await rawExchange(pb, Buffer.concat([
      RAFT_MAGIC, helloOf('a'),
      frame(RaftFrame.BATCH, '{not json'),
      batch('c1', [hb('a', 'b', 1), { type: 'App', from: 'a', to: 'b', term: -1 }]), // one bad message drops the whole batch
      batch('', [hb('a', 'b', 1)]),                                                  // no cluster id
      batch('c2', [hb('a', 'b', 1)]),                                                // another cluster
      batch('c1', [hb('x', 'b', 1)]),                                                // not from the HELLO's sender
      frame(RaftFrame.BATCH, '[]'),                                                  // not an object
      batch('c1', [hb('a', 'b', 2)]),
    ]), true);
    conn = r.socket;
    await until('the good batch', () => got.length === 1);
    assert.deepEqual(got, [hb('a', 'b', 2)]);
    assert.equal(b.rejected, 6);
    assert.equal(logs.length, 1, logs.join('\n'));
    assert.match(logs[0]!, /^Dropped a raft batch from 127\.0\.0\.1:\d+: the batch from a is not JSON: "\{not json"$/);
    await until('the WELCOME', () => r.frames.length > 0);
    assert.deepEqual(r.frames.map((f) => f.type), [RaftFrame.WELCOME]);
    assert.equal(r.closed, false, 'the connection goes on');
  } finally {
    conn?.destroy();
    await b.close();
  }
});

test('framed wire: hostile frames on the journal port get a typed ERROR frame and the connection closed, counted; nothing reaches the core', async () => {
  const secret = 'a'.repeat(64);
  const logs: string[] = [];
  const { transport: b, port: pb } = await NetTransport.start('b', { host: '127.0.0.1', port: 0 }, new Map(), { clusterId: 'c1', secret, helloTimeoutMs: 300, log: (m) => logs.push(m) });
  const got: Message[] = [];
  b.onMessage((m) => got.push(m));
  const good = frame(RaftFrame.BATCH, { clusterId: 'c1', messages: [hb('a', 'b', 1)] });
  const u32 = (n: number) => { const x = Buffer.alloc(4); x.writeUInt32BE(n); return x; };
  const cases: [string, Buffer, string, RegExp][] = [
    ['unknown frame type', Buffer.concat([RAFT_MAGIC, frame(77, '{}')]), 'INVALID_ARGUMENT', /^embedded journal b: unknown frame type 77$/],
    ['huge length before HELLO', Buffer.concat([RAFT_MAGIC, Buffer.from([RaftFrame.BATCH]), u32(0xffffffff)]), 'INVALID_ARGUMENT', /^embedded journal b: a frame of type 3 claims 4294967295 bytes \(at most 4096\)$/],
    ['huge batch after HELLO', Buffer.concat([RAFT_MAGIC, helloOf('a', secret), Buffer.from([RaftFrame.BATCH]), u32(MAX_BATCH_BYTES + 1)]), 'INVALID_ARGUMENT', /claims 67108865 bytes \(at most 67108864\)$/],
    ['HELLO missing', Buffer.concat([RAFT_MAGIC, good]), 'INVALID_ARGUMENT', /^embedded journal b: the first frame must be HELLO, not type 3$/],
    ['HELLO not JSON', Buffer.concat([RAFT_MAGIC, frame(RaftFrame.HELLO, '{'), good]), 'INVALID_ARGUMENT', /^embedded journal b: HELLO is not JSON$/],
    ['HELLO of another version', Buffer.concat([RAFT_MAGIC, helloOf('a', secret, 7), good]), 'FAILED_PRECONDITION', /speaks raft wire version 1, not 7$/],
    ['HELLO without a sender', Buffer.concat([RAFT_MAGIC, frame(RaftFrame.HELLO, { version: 1, secret }), good]), 'INVALID_ARGUMENT', /^HELLO from must be a string, not undefined$/],
    ['HELLO without the secret', Buffer.concat([RAFT_MAGIC, helloOf('a'), good]), 'UNAUTHENTICATED', /^Unauthenticated: embedded journal b accepts only members of this cluster/],
    ['HELLO with a wrong secret', Buffer.concat([RAFT_MAGIC, helloOf('a', 'b'.repeat(64)), good]), 'UNAUTHENTICATED', /^Unauthenticated: /],
    ['a second HELLO', Buffer.concat([RAFT_MAGIC, helloOf('a', secret), helloOf('a', secret)]), 'INVALID_ARGUMENT', /a second HELLO$/],
    ['no HELLO in time', RAFT_MAGIC, 'TIMEOUT', /^embedded journal b: no HELLO within 300 ms$/],
  ];
  try {
    let rejected = 0;
    for (const [what, bytes, code, message] of cases) {
      const r = await rawExchange(pb, bytes);
      const last = r.frames.at(-1);
      assert.equal(last?.type, RaftFrame.ERROR, `${what}: an ERROR frame (got ${JSON.stringify(r.frames.map((f) => f.type))})`);
      const e = errorOfFrame(last.payload, 'b');
      assert.equal(e.code, code, `${what}: ${e.message}`);
      assert.match(e.message, message, what);
      assert.equal(b.rejected, ++rejected, `${what}: counted`);
    }
    // Noise that is no protocol of the port (no magic): closed without an answer.
    const r = await rawExchange(pb, Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    assert.deepEqual(r.frames, []);
    assert.deepEqual(got, [], 'nothing reached the core');
    assert.equal(logs.length, 1, 'logged once (rate-limited)');
    assert.match(logs[0]!, /^Closed a raft connection from 127\.0\.0\.1:\d+: embedded journal b: unknown frame type 77$/);
    // The port still serves members.
    const ok = await rawExchange(pb, Buffer.concat([RAFT_MAGIC, helloOf('a', secret), good]), true);
    await until('the member\'s batch', () => got.length === 1);
    ok.socket.destroy();
  } finally {
    await b.close();
  }
});

test('framed wire: a peer that does not read gets at most the send buffer\'s bound; later batches are dropped and counted', async (t) => {
  // A port that accepts and never reads (a paused process behaves the same once its kernel buffers fill).
  const held: net.Socket[] = [];
  const srv = net.createServer((s) => { s.pause(); held.push(s); });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { transport: a } = await NetTransport.start('a', { host: '127.0.0.1', port: 0 }, new Map([['z', `127.0.0.1:${(srv.address() as net.AddressInfo).port}`]]), { clusterId: 'c1' });
  try {
    a.send([hb('a', 'z', 0)]);
    await until('connected', () => held.length === 1);
    const big = 'x'.repeat(1024 * 1024);
    const app = (i: number): Message => ({ type: 'App', from: 'a', to: 'z', term: 2, index: i, logTerm: 2, commit: 0, entries: [{ term: 2, index: i + 1, type: 'normal', data: big }] });
    const n = 64;
    for (let i = 0; i < n; i++) a.send([app(i)]);
    const dropped = a.failures;
    t.diagnostic(`${n} batches of 1 MiB to a peer that does not read: ${n - dropped} buffered or in the kernel, ${dropped} dropped (send buffer bound ${MAX_SEND_BUFFER_BYTES} bytes)`);
    assert.ok(dropped > 0 && dropped < n, `dropped ${dropped} of ${n}`);
  } finally {
    await a.close();
    for (const s of held) s.destroy();
    await new Promise((r) => srv.close(r));
  }
});

test('framed wire: a peer that is down costs a connection attempt per back-off period, not one per message', async () => {
  const { transport: a } = await NetTransport.start('a', { host: '127.0.0.1', port: 0 }, new Map([['c', `127.0.0.1:${await freePort()}`]]), { clusterId: 'c1' });
  try {
    a.send([hb('a', 'c', 1)]);
    await until('the connection refused', () => a.failures === 1);
    assert.equal(a.connects, 1);
    // 1000 messages in one turn (a leader at 1,000 messages/s sends 100 in its first back-off period of 100 ms).
    for (let i = 0; i < 1000; i++) a.send([hb('a', 'c', i)]);
    assert.equal(a.connects, 1, 'no attempt during the back-off');
    assert.equal(a.failures, 1001, 'each message dropped is counted');
    // Once the back-off is over, the next message tries again.
    await waitFor('a second attempt', () => { a.send([hb('a', 'c', 0)]); return a.connects === 2; }, { timeoutMs: 5000, everyMs: 10 });
  } finally {
    await a.close();
  }
});

test('framed wire falls back to gRPC streams for a peer that does not speak it (an older master), both ways', async () => {
  const logs: string[] = [];
  await withPair([{ clusterId: 'c1', log: (m) => logs.push(m) }, { clusterId: 'c1', wire: 'grpc' }], async (a, b) => {
    const atA: Message[] = [], atB: Message[] = [];
    a.onMessage((m) => atA.push(m));
    b.onMessage((m) => atB.push(m));
    // The first batch goes framed and is lost with the connection b closes; the next ones go over gRPC.
    await waitFor('a message from a to the older master b', () => { if (!atB.length) a.send([hb('a', 'b', 1)]); return atB.length > 0; }, { timeoutMs: 10_000, everyMs: 50 });
    assert.equal(a.connects, 1, 'one framed attempt, then gRPC');
    assert.match(logs.join('\n'), /Raft peer b \(127\.0\.0\.1:\d+\) does not speak the framed raft protocol \(an older master\?\): sending it gRPC streams/);
    b.send([hb('b', 'a', 2)]);                      // the older master's gRPC stream to a's shared port
    await until('a hears b', () => atA.length === 1);
    assert.deepEqual(atA, [hb('b', 'a', 2)]);
  });
});

test('framed wire: a peer that goes away is reported lost once per loss; heard from again (a new process at a new address), it is re-armed', async () => {
  const { transport: a, port: pa } = await NetTransport.start('a', { host: '127.0.0.1', port: 0 }, new Map(), { clusterId: 'c1' });
  const lost: string[] = [];
  let heard = 0;
  a.onMessage((m) => { heard++; a.send([{ type: 'HeartbeatResp', from: 'a', to: m.from, term: m.term }]); });
  a.onPeerLost((p) => lost.push(p));
  try {
    for (let life = 1; life <= 2; life++) {
      // A new process of b (a new port each time): both directions open, then it stops.
      const { transport: b, port: pb } = await NetTransport.start('b', { host: '127.0.0.1', port: 0 }, new Map([['a', `127.0.0.1:${pa}`]]), { clusterId: 'c1' });
      try {
        a.setPeer('b', `127.0.0.1:${pb}`);
        let answers = 0;
        b.onMessage(() => { answers++; });
        const from = heard;
        await waitFor(`b's life ${life}: heard both ways`, () => { b.send([hb('b', 'a', life)]); return heard > from && answers > 0; }, { timeoutMs: 5000, everyMs: 20 });
        assert.equal(lost.length, life - 1);
      } finally {
        await b.close();
      }
      await until(`b's life ${life} reported lost`, () => lost.length === life);
    }
    assert.deepEqual(lost, ['b', 'b']);
  } finally {
    await a.close();
  }
});

/**
 * A TCP proxy whose stall() freezes the connections it carries (their bytes are swallowed, as
 * a network cut drops packets: nothing is reset, the sender's writes still succeed); connections
 * made after it pass, as after a cut heals while the old connection sits in TCP's back-off.
 */
class StallingProxy {
  private readonly frozen = new Set<net.Socket>();
  private readonly live = new Set<net.Socket>();
  accepted = 0;
  private constructor(private readonly server: net.Server, readonly address: string) {}
  static async start(target: { host: string; port: number }): Promise<StallingProxy> {
    let proxy!: StallingProxy;
    const server = net.createServer((c) => {
      proxy.accepted++;
      const u = net.connect(target.port, target.host);
      const pair = [c, u];
      for (const [from, to] of [[c, u], [u, c]] as const) {
        proxy.live.add(from);
        from.on('data', (d) => { if (!proxy.frozen.has(from)) to.write(d); });
        from.on('error', () => {});
        from.on('close', () => { for (const x of pair) { x.destroy(); proxy.live.delete(x); proxy.frozen.delete(x); } });
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    proxy = new StallingProxy(server, `127.0.0.1:${(server.address() as net.AddressInfo).port}`);
    return proxy;
  }
  stall(): void { for (const s of this.live) this.frozen.add(s); }
  close(): Promise<void> {
    for (const s of this.live) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

test('framed wire: a connection gone silent (a network cut resets nothing) is closed by its sender and reopened; the peer is not reported lost', async () => {
  const { transport: b, port: pb } = await NetTransport.start('b', { host: '127.0.0.1', port: 0 }, new Map(), { clusterId: 'c1' });
  const proxy = await StallingProxy.start({ host: '127.0.0.1', port: pb });
  const { transport: a } = await NetTransport.start('a', { host: '127.0.0.1', port: 0 }, new Map([['b', proxy.address]]), { clusterId: 'c1', liveness: { pingMs: 100, pingTimeoutMs: 300 } });
  try {
    const lost: string[] = [];
    a.onPeerLost((p) => lost.push(p));
    const got: Message[] = [];
    b.onMessage((m) => got.push(m));
    a.send([msg('a', 'b', 1)]);
    await until('the first message', () => got.length === 1);
    proxy.stall();
    // The leader's heartbeats keep coming (every 50 ms): one gets through once a new connection is open.
    let i = 2;
    await waitFor('a message through a new connection', () => { a.send([msg('a', 'b', i++)]); return got.length > 1; }, { timeoutMs: 10_000, everyMs: 50 });
    assert.equal(proxy.accepted, 2, 'one new connection');
    assert.deepEqual(lost, [], 'a silent peer is not reported lost');
  } finally {
    await a.close();
    await b.close();
    await proxy.close();
  }
});
