/** The shared web server (src/server/web.ts) under malformed requests: answers, never throws. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startWeb, requestPath } from '../../src/server/web.js';

/** Send raw bytes, return the status line's code (0 when the server closed without answering). */
function rawStatus(port: number, request: string): Promise<number> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    const t = setTimeout(() => s.destroy(), 3000);
    s.on('data', (d) => (got += d));
    s.on('error', () => {});
    s.on('close', () => { clearTimeout(t); resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(got)?.[1] ?? 0)); });
    s.on('connect', () => s.end(request));
  });
}

test('request targets: only origin-form paths that parse', () => {
  const cases: [string | undefined, string | undefined][] = [
    ['/', '/'], ['/api/v1/master/info?x=1', '/api/v1/master/info'], ['/%zz', '/%zz'], ['/a/../b', '/b'],
    [undefined, undefined], ['', undefined], ['*', undefined], ['//', undefined], ['///', undefined], ['//[::1', undefined],
    ['http://[', undefined], ['http://a:99999/', undefined], ['\\\\', undefined], ['/\u0000', undefined], ['/a\nb', undefined],
  ];
  for (const [target, want] of cases) assert.equal(requestPath(target), want, String(target));
});

test('malformed, unknown and hostile requests get 4xx/5xx answers; the server keeps serving', async () => {
  const { server, port } = await startWeb('127.0.0.1', 0, {
    '/ok': () => ({ type: 'json', body: { ok: true } }),
    '/throws': () => { throw new TypeError('boom'); },
  });
  try {
    const cases: [string, string, number][] = [
      ['"//" (new URL throws on it)', 'GET // HTTP/1.1\r\nHost: x\r\n\r\n', 400],
      ['"//[::1"', 'GET //[::1 HTTP/1.1\r\nHost: x\r\n\r\n', 400],
      ['asterisk form', 'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n', 400],
      ['absolute form that does not parse', 'GET http://[ HTTP/1.1\r\nHost: x\r\n\r\n', 400],
      ['bad percent-encoding, unknown path', 'GET /%zz%E0%A4 HTTP/1.1\r\nHost: x\r\n\r\n', 404],
      ['unknown path', 'GET /nope HTTP/1.1\r\nHost: x\r\n\r\n', 404],
      ['inherited property name', 'GET /constructor HTTP/1.1\r\nHost: x\r\n\r\n', 404],
      ['another method', 'POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc', 405],
      ['a route that throws', 'GET /throws HTTP/1.1\r\nHost: x\r\n\r\n', 500],
      ['huge header', `GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(100_000)}\r\n\r\n`, 431],
      ['garbage request line', 'G\u0000T / HTTP/1.1\r\n\r\n', 400],
      ['negative content length', 'GET /ok HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n', 400],
      ['the good one, still served', 'GET /ok HTTP/1.1\r\nHost: x\r\n\r\n', 200],
    ];
    for (const [what, req, status] of cases) assert.equal(await rawStatus(port, req), status, what);
    const body = await (await fetch(`http://127.0.0.1:${port}/throws`)).json();
    assert.deepEqual(body, { error: 'boom' }); // the message, never a stack
  } finally {
    await new Promise((r) => server.close(r));
  }
});
