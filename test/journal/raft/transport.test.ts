/**
 * Raft transports: gRPC between two loopback endpoints, and the in-memory twin; a peer process
 * killed (its connections reset: reported lost) or paused (nothing reset: not reported).
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

const msg = (from: string, to: string, i: number): Message => ({ type: 'App', from, to, term: 2, index: i, logTerm: 1, commit: 0, entries: [{ term: 2, index: i + 1, type: 'normal', data: `{"n":${i}}` }] });

/** Two gRPC transports 'a' and 'b' on loopback (plus `extraPeers`), closed after `fn`. */
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

test('gRPC transport delivers batches in order per destination; a dead peer only counts a failure', async () => {
  await withPair([{ clusterId: 'cluster-1' }, { clusterId: 'cluster-1' }], async (a, b) => {
    const got: Message[] = [];
    b.onMessage((m) => got.push(m));
    a.send([msg('a', 'b', 1), msg('a', 'b', 2), msg('a', 'c', 3)]);
    await until('both batches to b and the failure to c', () => got.length >= 2 && a.failures >= 1);
    assert.deepEqual(got, [msg('a', 'b', 1), msg('a', 'b', 2)]);
    assert.equal(a.failures, 1);
  }, [['c', `127.0.0.1:${await freePort()}`]]);
});

test('gRPC transport ignores batches from another cluster', async () => {
  await withPair([{ clusterId: 'cluster-1' }, { clusterId: 'cluster-2' }], async (a, b) => {
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

test('gRPC transport: a bad batch (not JSON, wrong shape, no or another cluster id) is dropped, counted and logged once; the stream goes on', async () => {
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

test('gRPC transport: a message the core refuses is dropped and counted, never thrown', async () => {
  await withPair([{ clusterId: 'c1' }, { clusterId: 'c1' }], async (a, b) => {
    let calls = 0;
    b.onMessage(() => { calls++; throw new RaftInvariantError('entry 3 conflicts with a committed entry'); });
    a.send([hb('a', 'b', 1)]);
    await until('the refusal', () => b.rejected === 1);
    a.send([hb('a', 'b', 2)]);
    await until('the second refusal', () => b.rejected === 2);
    assert.equal(calls, 2);
  });
});

test('gRPC transport: a node that does not know its cluster id yet accepts any and answers each peer with the id it sent', async () => {
  let bCluster = '';
  await withPair([{ clusterId: 'c1' }, { clusterId: () => bCluster }], async (a, b) => {
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
async function withPeerProcess(fn: (child: ChildProcess, a: NetTransport, seen: { lost: string[]; heard: number }) => Promise<void>): Promise<void> {
  const { transport: a, port: pa } = await NetTransport.start('a', { host: '127.0.0.1', port: 0 }, new Map(), { clusterId: 'c1' });
  const seen = { lost: [] as string[], heard: 0 };
  a.onMessage((m) => { seen.heard++; a.send([{ type: 'HeartbeatResp', from: 'a', to: m.from, term: m.term }]); });
  a.onPeerLost((peer) => seen.lost.push(peer));
  const child = spawn(process.execPath, [fileURLToPath(new URL('./peerMain.js', import.meta.url)), `127.0.0.1:${pa}`], { stdio: ['ignore', 'pipe', 'inherit'] });
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

test('gRPC transport: a peer process killed with SIGKILL is reported lost (both its streams reset), once', async (t) => {
  await withPeerProcess(async (child, _a, seen) => {
    assert.deepEqual(seen.lost, []);
    const t0 = performance.now();
    child.kill('SIGKILL');
    await waitFor('peer b reported lost', () => seen.lost.length > 0, { timeoutMs: 10_000, everyMs: 2 });
    t.diagnostic(`peer lost reported ${(performance.now() - t0).toFixed(1)} ms after SIGKILL`);
    await new Promise((r) => child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r));
    assert.deepEqual(seen.lost, ['b']);
  });
});

test('gRPC transport: a paused peer process (SIGSTOP) resets nothing and is not reported lost', async () => {
  await withPeerProcess(async (child, _a, seen) => {
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
