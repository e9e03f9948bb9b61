/** Raft transports: gRPC between two loopback endpoints, and the in-memory twin. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GrpcTransport, MemoryNetwork } from '../../../src/journal/raft/transport.js';
import type { Message } from '../../../src/journal/raft/types.js';
import { freePort } from '../../harness/cluster.js';

const msg = (from: string, to: string, i: number): Message => ({ type: 'App', from, to, term: 2, index: i, logTerm: 1, commit: 0, entries: [{ term: 2, index: i + 1, type: 'normal', data: `{"n":${i}}` }] });

test('gRPC transport delivers batches in order per destination; a dead peer only counts a failure', async () => {
  const pa = await freePort(), pb = await freePort(), dead = await freePort();
  const peers = new Map([['a', `127.0.0.1:${pa}`], ['b', `127.0.0.1:${pb}`], ['c', `127.0.0.1:${dead}`]]);
  const { transport: a } = await GrpcTransport.start('a', { host: '127.0.0.1', port: pa }, peers, 'cluster-1');
  const { transport: b } = await GrpcTransport.start('b', { host: '127.0.0.1', port: pb }, peers, 'cluster-1');
  try {
    const got: Message[] = [];
    b.onMessage((m) => got.push(m));
    a.send([msg('a', 'b', 1), msg('a', 'b', 2), msg('a', 'c', 3)]);
    for (let i = 0; i < 100 && (got.length < 2 || a.failures < 1); i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(got, [msg('a', 'b', 1), msg('a', 'b', 2)]);
    assert.equal(a.failures, 1);
  } finally {
    await a.close();
    await b.close();
  }
});

test('gRPC transport ignores batches from another cluster', async () => {
  const pa = await freePort(), pb = await freePort();
  const peers = new Map([['a', `127.0.0.1:${pa}`], ['b', `127.0.0.1:${pb}`]]);
  const { transport: a } = await GrpcTransport.start('a', { host: '127.0.0.1', port: pa }, peers, 'cluster-1');
  const { transport: b } = await GrpcTransport.start('b', { host: '127.0.0.1', port: pb }, peers, 'cluster-2');
  try {
    const got: Message[] = [];
    b.onMessage((m) => got.push(m));
    a.send([msg('a', 'b', 1)]);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(got, []);
  } finally {
    await a.close();
    await b.close();
  }
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
