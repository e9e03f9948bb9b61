/**
 * The servers' last line of defence (src/server/main.ts): a real server process whose code throws
 * an uncaught exception and leaves a rejection unhandled logs both with their stacks and keeps
 * serving; SIGTERM still stops it cleanly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, waitFor } from '../harness/cluster.js';

test('a server logs an uncaught exception and an unhandled rejection with their stacks, and keeps serving', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'safety-net-'));
  const script = path.join(dir, 'server.mjs');
  // A minimal server run by the real runServer(): an HTTP port, and two bugs once it serves.
  fs.writeFileSync(script, `
    import http from 'node:http';
    import { runServer } from ${JSON.stringify(path.join(ROOT, 'dist', 'src', 'server', 'main.js'))};
    runServer('BuggyServer', (conf, log) => {
      const server = http.createServer((req, res) => {
        if (req.url === '/throw') setImmediate(() => { throw new TypeError('thrown from a timer'); });
        if (req.url === '/reject') Promise.reject(new RangeError('rejected, nobody listening'));
        res.end('ok');
      });
      return {
        start: () => new Promise((r) => server.listen(0, '127.0.0.1', () => { log.info('port ' + server.address().port); r(); })),
        stop: () => new Promise((r) => server.close(() => r())),
      };
    });`);
  const child = spawn(process.execPath, [script], { env: { ...process.env, ALLUXIO_CONF_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    const port = Number(await waitFor('the server to listen', async () => /port (\d+)/.exec(log)?.[1], 20_000));
    const get = async (p: string) => (await fetch(`http://127.0.0.1:${port}${p}`, { signal: AbortSignal.timeout(3000) })).text();
    assert.equal(await get('/throw'), 'ok');
    await waitFor('the uncaught exception logged', async () => log.includes('TypeError: thrown from a timer'), 10_000);
    assert.equal(await get('/reject'), 'ok');
    await waitFor('the unhandled rejection logged', async () => log.includes('RangeError: rejected, nobody listening'), 10_000);
    assert.equal(await get('/'), 'ok', 'still serving');
    assert.equal(child.exitCode, null, log);
    assert.match(log, /ERROR BuggyServer - Uncaught exception \(a bug; still serving\) \(uncaughtException\): TypeError: thrown from a timer\n\s+at /);
    assert.match(log, /ERROR BuggyServer - Unhandled rejection \(a bug; still serving\): RangeError: rejected, nobody listening\n\s+at /);
    child.kill('SIGTERM');
    assert.equal(await exited, 0, log);
  } finally {
    if (child.exitCode === null && child.signalCode === null) { child.kill('SIGKILL'); await exited; }
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
