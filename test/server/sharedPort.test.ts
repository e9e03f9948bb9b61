/**
 * src/sharedPort.ts: one listening port, connections routed by their first four bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { SharedPort } from '../../src/sharedPort.js';

/** A client connection to the port; resolves with what it reads until the server closes it. */
function talk(port: number, send: Buffer[], gapMs = 0): Promise<{ data: Buffer; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const c = net.connect(port, '127.0.0.1');
    const got: Buffer[] = [];
    c.on('data', (d) => got.push(d));
    c.on('error', () => { /* reset by the server: the close below reports it */ });
    c.on('close', () => resolve({ data: Buffer.concat(got), closedAfterMs: Date.now() - t0 }));
    c.on('connect', async () => {
      try {
        for (const b of send) { c.write(b); if (gapMs) await new Promise((r) => setTimeout(r, gapMs)); }
      } catch (e) { reject(e); }
    });
  });
}

async function withPort(body: (port: number, routed: string[], sp: SharedPort) => Promise<void>, timeoutMs = 2000): Promise<void> {
  const routed: string[] = [];
  const answer = (name: string) => (s: net.Socket, rest: Buffer) => {
    routed.push(`${name}:${rest.toString()}`);
    s.resume();
    s.on('data', (d) => routed.push(`${name}+${d.toString()}`));
    s.end(`${name} here`);
  };
  const sp = new SharedPort({
    timeoutMs,
    http2: (s) => { routed.push('http2'); (s as net.Socket).end('h2 here'); },
    protocols: [{ magic: Buffer.from('AAAA'), accept: answer('a') }, { magic: Buffer.from('BBBB'), accept: answer('b') }],
  });
  const port = await sp.listen('127.0.0.1', 0);
  try { await body(port, routed, sp); } finally { await sp.close(); }
}

test('shared port: each connection goes where its first four bytes say, split reads included', async () => {
  await withPort(async (port, routed) => {
    assert.equal((await talk(port, [Buffer.from('AAAAxy')])).data.toString(), 'a here');
    assert.equal((await talk(port, [Buffer.from('BB'), Buffer.from('BBz')], 30)).data.toString(), 'b here');
    assert.equal((await talk(port, [Buffer.from('PRI * HTTP/2.0')])).data.toString(), 'h2 here');
    assert.deepEqual(routed.filter((r) => !r.includes('+')), ['a:xy', 'b:z', 'http2']);
  });
});

test('shared port: an unknown first four bytes, or fewer than four within the timeout, is closed unanswered', async () => {
  await withPort(async (port, routed) => {
    const unknown = await talk(port, [Buffer.from('GET / HTTP/1.1\r\n\r\n')]);
    assert.equal(unknown.data.length, 0);
    const short = await talk(port, [Buffer.from('AAA')]);
    assert.equal(short.data.length, 0);
    assert.ok(short.closedAfterMs >= 250, `closed after ${short.closedAfterMs} ms, before the 300 ms timeout`);
    assert.deepEqual(routed, []);
  }, 300);
});

test('shared port: close() ends every connection, those handed to a protocol or to HTTP/2 too', async () => {
  const kept: net.Socket[] = [];
  const sp = new SharedPort({
    timeoutMs: 2000,
    http2: (s) => { kept.push(s as net.Socket); },
    protocols: [{ magic: Buffer.from('AAAA'), accept: (s) => { kept.push(s); } }],
  });
  const port = await sp.listen('127.0.0.1', 0);
  const a = talk(port, [Buffer.from('AAAA')]);
  const h = talk(port, [Buffer.from('PRI ')]);
  for (let i = 0; i < 100 && kept.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(kept.length, 2);
  await sp.close();
  await Promise.all([a, h]); // both clients saw their connection closed
});

test('shared port: a magic that is not four bytes, or is the HTTP/2 preface, is refused', () => {
  const http2 = () => {};
  assert.throws(() => new SharedPort({ timeoutMs: 1, http2, protocols: [{ magic: Buffer.from('ABC'), accept: () => {} }] }), /4 bytes/);
  assert.throws(() => new SharedPort({ timeoutMs: 1, http2, protocols: [{ magic: Buffer.from('PRI '), accept: () => {} }] }), /HTTP\/2/);
});
