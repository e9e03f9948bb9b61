/**
 * The hardened ZooKeeper client (src/journal/zk/client.ts) against a fake ZooKeeper server that
 * speaks just enough of the protocol (the connect handshake, pings) and then misbehaves:
 * - a packet the library cannot parse (a truncated watch notification) no longer crashes the
 *   process (before: an uncaught exception from the socket's 'data' handler); the connection is
 *   dropped and the client reconnects with its session;
 * - a connection lost in the middle of a packet no longer corrupts the next connection (before:
 *   the stale partial packet was glued in front of the next handshake's response);
 * - a server that accepts the connection and never answers the handshake no longer holds the
 *   client in CONNECTING forever (before: no timeout after TCP connected).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createZkClient } from '../../../src/journal/zk/client.js';
import { waitFor } from '../../harness/wait.js';

const SESSION_ID = 0x1234_5678_9abcn;

const frame = (body: Buffer) => Buffer.concat([u32(body.length), body]);
function u32(n: number): Buffer { const b = Buffer.alloc(4); b.writeInt32BE(n); return b; }
function i64(n: bigint): Buffer { const b = Buffer.alloc(8); b.writeBigInt64BE(n); return b; }
const connectResponse = () => frame(Buffer.concat([u32(0), u32(4000), i64(SESSION_ID), u32(16), Buffer.alloc(16, 7)]));
const pingReply = () => frame(Buffer.concat([u32(-2), i64(0n), u32(0)]));

interface Conn { socket: net.Socket; sessionId: bigint }

/** A fake server: answers each connect request, then pings; `onConnect(i, socket)` misbehaves. */
async function fakeServer(onConnect: (i: number, s: net.Socket) => void, answer: (i: number) => boolean = () => true): Promise<{ port: number; conns: Conn[]; close(): Promise<void> }> {
  const conns: Conn[] = [];
  const server = net.createServer((socket) => {
    let buf = Buffer.alloc(0);
    let handshaken = false;
    socket.on('error', () => undefined);
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const body = buf.subarray(4, 4 + buf.readInt32BE(0));
        buf = buf.subarray(4 + body.length);
        if (!handshaken) {
          handshaken = true;
          // ConnectRequest: protocolVersion int, lastZxidSeen long, timeOut int, sessionId long, passwd
          conns.push({ socket, sessionId: body.readBigInt64BE(16) });
          if (!answer(conns.length - 1)) continue;
          socket.write(connectResponse());
          onConnect(conns.length - 1, socket);
        } else if (body.readInt32BE(0) === -2) {
          socket.write(pingReply());
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port, conns,
    close: () => { for (const c of conns) c.socket.destroy(); return new Promise((r) => server.close(() => r())); },
  };
}

test('a packet the client cannot parse drops the connection, not the process; the client reconnects with its session', async () => {
  const srv = await fakeServer((i, s) => {
    // A watch notification (xid -1) whose event record is cut short: the library throws parsing it.
    if (i === 0) setTimeout(() => s.write(frame(Buffer.concat([u32(-1), i64(0n), u32(0), Buffer.from([0, 0])]))), 50);
  });
  const c = createZkClient(`127.0.0.1:${srv.port}`, { sessionTimeout: 4000, spinDelay: 50, retries: 0 });
  let connected = 0;
  c.on('connected', () => connected++);
  try {
    c.connect();
    await waitFor('a second connection', () => srv.conns.length >= 2 && connected >= 2, 10_000, 20);
    assert.equal(srv.conns[1]!.sessionId, SESSION_ID, 'the client resumed its session');
  } finally {
    c.close();
    await srv.close();
  }
});

test('a connection lost in the middle of a packet does not corrupt the next connection', async () => {
  const srv = await fakeServer((i, s) => {
    // The first bytes of a packet, then the connection is lost.
    if (i === 0) setTimeout(() => { s.write(Buffer.from([0, 0, 0])); setTimeout(() => s.destroy(), 50); }, 50);
  });
  const c = createZkClient(`127.0.0.1:${srv.port}`, { sessionTimeout: 4000, spinDelay: 50, retries: 0 });
  const events: string[] = [];
  for (const e of ['connected', 'disconnected', 'expired']) c.on(e, () => events.push(e));
  try {
    c.connect();
    await waitFor('connected again after the loss', () => events.filter((e) => e === 'connected').length >= 2, 10_000, 20);
    assert.deepEqual(events.slice(0, 3), ['connected', 'disconnected', 'connected'], events.join(' '));
    assert.equal(srv.conns[1]!.sessionId, SESSION_ID);
  } finally {
    c.close();
    await srv.close();
  }
});

test('a server that accepts the connection and never answers the handshake is left after the connect timeout; the next try connects', async () => {
  const srv = await fakeServer(() => undefined, (i) => i > 0);
  // connect timeout = session timeout / servers = 1000 ms.
  const c = createZkClient(`127.0.0.1:${srv.port}`, { sessionTimeout: 1000, spinDelay: 50, retries: 0 });
  let connected = 0;
  c.on('connected', () => connected++);
  try {
    c.connect();
    await waitFor('connected on a second connection', () => connected === 1 && srv.conns.length === 2, 10_000, 20);
    assert.equal(srv.conns[0]!.socket.destroyed || srv.conns[0]!.socket.readableEnded, true, 'the unanswered connection was dropped');
  } finally {
    c.close();
    await srv.close();
  }
});
