/**
 * Short-circuit I/O end to end (docs/architecture.md, Short-circuit I/O): a client on the worker's
 * host reads block files and writes temp block files itself. Data identical through the real CLI
 * and the in-process client for files of 0, 1, block-1, block and 3 blocks + 1 bytes; the worker's
 * counters (info JSON `shortCircuit`) prove which path carried them; the data stream when the
 * option is off and when the client runs as a user who cannot open the worker's files; a block
 * removed while a reader holds it stays until released; a killed client's lock is released at
 * once, a frozen one's after alluxio.worker.session.timeout.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { spawn, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { TestCluster, CLI, getJson, startNode, waitFor } from '../harness/cluster.js';
import { needsRoot, assertRoot } from '../harness/root.js';
import { loadConfig } from '../../src/conf/index.js';
import { FileSystem } from '../../src/client/fileSystem.js';
import type { WriteType } from '../../src/client/types.js';

const MiB = 1024 * 1024;
const SIZES = [0, 1, MiB - 1, MiB, 3 * MiB + 1];
const SESSION_TIMEOUT_MS = 3000;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const blocksOf = (n: number) => Math.ceil(n / MiB);
const sum = (l: number[]) => l.reduce((a, b) => a + b, 0);

interface Stats { reads: number; writes: number; aborted: number; timedOut: number; open: number; lockedBlocks: number }

describe('short-circuit I/O', () => {
  let c: TestCluster;
  let client: FileSystem;
  let local: string; // a folder of local files for the CLI, open to every user
  const stats = async (): Promise<Stats> => (await getJson(`http://127.0.0.1:${c.workerPorts[0]!.web}/api/v1/worker/info`)).shortCircuit;
  const fsWith = (flags: Record<string, string> = {}) => new FileSystem(loadConfig({ env: c.env, home: process.cwd(), flags }));
  const debugEnv = () => ({ ...c.env, ALLUXIO_DEBUG: '1' });

  /** Run the CLI (optionally as another user); stdout hashed, not decoded (file data). */
  function cli(args: string[], as?: { uid: number; gid: number }): Promise<{ code: number; sha: string; bytes: number; stderr: string }> {
    return new Promise((resolve, reject) => {
      const p = spawn(process.execPath, [CLI, ...args], { env: debugEnv(), stdio: ['ignore', 'pipe', 'pipe'], ...(as ?? {}) });
      const h = createHash('sha256');
      let bytes = 0, stderr = '';
      p.stdout.on('data', (d: Buffer) => { h.update(d); bytes += d.length; });
      p.stderr.on('data', (d) => (stderr += d));
      const t = setTimeout(() => p.kill('SIGKILL'), 120_000);
      p.on('error', reject);
      p.on('close', (code) => { clearTimeout(t); resolve({ code: code ?? 1, sha: h.digest('hex'), bytes, stderr }); });
    });
  }

  before(async () => {
    c = await (await new TestCluster({ workers: 1, blockSize: '1MB', ramdiskSize: '64MB', props: { 'alluxio.worker.session.timeout': `${SESSION_TIMEOUT_MS}ms` } }).setup()).start();
    client = fsWith();
    local = fs.mkdtempSync(path.join(os.tmpdir(), 'alluxio-sc-local-'));
    fs.chmodSync(local, 0o777);
  });
  after(async () => {
    client?.close();
    await c?.stop();
    if (local) fs.rmSync(local, { recursive: true, force: true });
  });

  test('in-process client: written and read through the block files, data identical', async () => {
    for (const writeType of ['MUST_CACHE', 'CACHE_THROUGH'] as WriteType[]) {
      for (const size of SIZES) {
        const data = randomBytes(size);
        const p = `/inproc/${writeType}/f${size}`;
        const s0 = await stats();
        const out = await client.createFile(p, { writeType });
        // Odd-sized pieces: block boundaries fall inside writes.
        for (let off = 0; off < size; off += 300_001) await out.write(data.subarray(off, off + 300_001));
        await out.close();
        const s1 = await stats();
        assert.equal(s1.writes - s0.writes, blocksOf(size), `${p}: every block written short-circuit`);
        assert.equal(sha(await client.readAll(p, 'NO_CACHE')), sha(data), `${p}: same bytes`);
        const s2 = await stats();
        assert.equal(s2.reads - s1.reads, blocksOf(size), `${p}: every block read short-circuit`);
        const info = await client.getStatus(p);
        assert.equal(info.length, size);
        assert.equal(info.persisted, writeType === 'CACHE_THROUGH');
        if (writeType === 'CACHE_THROUGH') assert.equal(sha(fs.readFileSync(path.join(c.ufsDir, p))), sha(data), `${p}: the UFS copy too`);
      }
    }
    const s = await stats();
    assert.equal(s.lockedBlocks, 0, 'every lock released');
    assert.equal(s.open, 0, 'every session ended');
  });

  test('CLI copyFromLocal, cat and copyToLocal: short-circuit, data identical', async () => {
    for (const size of SIZES) {
      const data = randomBytes(size);
      const src = path.join(local, `cli${size}`), dst = path.join(local, `cli${size}.back`);
      fs.writeFileSync(src, data);
      const s0 = await stats();
      const put = await cli(['fs', 'copyFromLocal', src, `/cli/f${size}`]);
      assert.equal(put.code, 0, put.stderr);
      const s1 = await stats();
      assert.equal(s1.writes - s0.writes, blocksOf(size), `copyFromLocal ${size}: short-circuit writes\n${put.stderr}`);
      const cat = await cli(['fs', 'cat', `/cli/f${size}`]);
      assert.equal(cat.code, 0, cat.stderr);
      assert.equal(cat.bytes, size);
      assert.equal(cat.sha, sha(data), `cat ${size}`);
      const get = await cli(['fs', 'copyToLocal', `/cli/f${size}`, dst]);
      assert.equal(get.code, 0, get.stderr);
      assert.equal(sha(fs.readFileSync(dst)), sha(data), `copyToLocal ${size}`);
      const s2 = await stats();
      assert.equal(s2.reads - s1.reads, 2 * blocksOf(size), `cat and copyToLocal ${size}: short-circuit reads`);
      if (size > 0) assert.match(cat.stderr, /short-circuit read of block/);
    }
  });

  test('alluxio.user.short.circuit.enabled=false: the data stream, data identical', async () => {
    const off = fsWith({ 'alluxio.user.short.circuit.enabled': 'false' });
    try {
      for (const size of SIZES) {
        const data = randomBytes(size);
        const s0 = await stats();
        const out = await off.createFile(`/off/f${size}`, { writeType: 'MUST_CACHE' });
        await out.write(data);
        await out.close();
        assert.equal(sha(await off.readAll(`/off/f${size}`)), sha(data));
        // The CLI with the option off, on the file the in-process client wrote.
        const cat = await cli(['fs', '-Dalluxio.user.short.circuit.enabled=false', 'cat', `/off/f${size}`]);
        assert.equal(cat.code, 0, cat.stderr);
        assert.equal(cat.sha, sha(data));
        const s1 = await stats();
        assert.deepEqual({ reads: s1.reads - s0.reads, writes: s1.writes - s0.writes }, { reads: 0, writes: 0 }, 'no short-circuit session');
      }
    } finally { off.close(); }
  });

  test('a client that cannot open the worker\'s files (user nobody): falls back to the data stream', { skip: needsRoot('runs the CLI as user nobody') }, async () => {
    assertRoot('runs the CLI as user nobody');
    const uid = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).trim());
    // nobody may reach the conf (and the CLI's local files), not the worker's storage.
    fs.chmodSync(c.dir, 0o711);
    fs.chmodSync(path.join(c.dir, 'ramdisk0'), 0o700);
    await client.createDirectory('/nobody', { allowExists: true });
    await client.setAttribute('/nobody', { mode: '777' });
    for (const size of SIZES) {
      const data = randomBytes(size);
      const src = path.join(local, `nobody${size}`), dst = path.join(local, `nobody${size}.back`);
      fs.writeFileSync(src, data);
      fs.chmodSync(src, 0o644);
      const s0 = await stats();
      const put = await cli(['fs', 'copyFromLocal', src, `/nobody/f${size}`], { uid, gid });
      assert.equal(put.code, 0, put.stderr);
      const cat = await cli(['fs', 'cat', `/nobody/f${size}`], { uid, gid });
      assert.equal(cat.code, 0, cat.stderr);
      assert.equal(cat.sha, sha(data), `cat ${size} as nobody`);
      const get = await cli(['fs', 'copyToLocal', `/nobody/f${size}`, dst], { uid, gid });
      assert.equal(get.code, 0, get.stderr);
      assert.equal(sha(fs.readFileSync(dst)), sha(data), `copyToLocal ${size} as nobody`);
      const s1 = await stats();
      assert.equal(s1.writes - s0.writes, 0, 'no block committed short-circuit');
      if (size > 0) {
        // Each command tried once, fell back (the temp block aborted), and kept to the data stream.
        assert.equal(s1.aborted - s0.aborted, 1, 'the one short-circuit write attempt was aborted');
        assert.match(put.stderr, /cannot open temp block file .* \(EACCES\): using its data stream instead/);
        assert.match(cat.stderr, /cannot open block file .* \(EACCES\): using its data stream instead/);
        assert.equal(cat.stderr.match(/cannot open/g)!.length, 1, 'tried once per command');
      }
      assert.equal(s1.lockedBlocks, 0);
    }
    const s = await stats();
    assert.equal(s.open, 0);
  });

  test('a block removed while a short-circuit reader holds it stays until released', async () => {
    const data = randomBytes(3 * MiB);
    const p = '/evict/f';
    const out = await client.createFile(p, { writeType: 'CACHE_THROUGH' }); // not pinned: evictable
    await out.write(data);
    await out.close();
    const [first, ...rest] = (await client.getStatus(p)).blockIds;
    const blockFile = (id: number) => findFile(path.join(c.dir, 'ramdisk0'), String(id));
    const held = blockFile(first!);
    assert.ok(held, 'the first block is on the worker');
    const it = client.read(p, 'NO_CACHE')[Symbol.asyncIterator]();
    const chunk = await it.next(); // the reader is inside the first block: the worker holds its lock
    assert.equal(sha(chunk.value as Buffer), sha(data.subarray(0, (chunk.value as Buffer).length)));
    assert.equal((await stats()).lockedBlocks, 1);
    await client.delete(p); // the master frees the blocks on the worker's next heartbeat
    await waitFor('the unlocked blocks removed', () => rest.every((id) => !blockFile(id)));
    assert.ok(fs.existsSync(held!), 'the held block\'s file is still there');
    await it.return!(undefined); // the reader lets go
    await waitFor('the released block removed', async () => !fs.existsSync(held!) && (await stats()).lockedBlocks === 0);
  });

  /**
   * A client process holding a short-circuit session: a read lock inside the first block of file
   * `p`, or (`write`) a block of new file `p` half written.
   */
  async function holder(p: string, write = false) {
    const mod = (m: string) => JSON.stringify(path.join(path.dirname(CLI), ...m.split('/')));
    const script = path.join(local, 'holder.mjs');
    fs.writeFileSync(script, `
      import { loadConfig } from ${mod('conf/index.js')};
      import { FileSystem } from ${mod('client/fileSystem.js')};
      const fs = new FileSystem(loadConfig({ env: process.env, home: process.cwd() }));
      if (${write}) {
        const out = await fs.createFile(${JSON.stringify(p)}, { writeType: 'MUST_CACHE' });
        await out.write(Buffer.alloc(${MiB / 2}, 7));
      } else {
        const it = fs.read(${JSON.stringify(p)}, 'NO_CACHE')[Symbol.asyncIterator]();
        await it.next();
      }
      process.stdout.write('HOLDING\\n');
      setInterval(() => {}, 1000);`);
    const run = startNode([script], c.env, 120_000);
    await waitFor('the holder to hold a block', () => run.stdout().includes('HOLDING') || (run.child.exitCode !== null ? Promise.reject(new Error(run.stderr())) : false));
    return run;
  }

  test('a client killed (SIGKILL) while holding a lock: released at once; a frozen one (SIGSTOP): after the session timeout', async () => {
    const p = '/held/f';
    const out = await client.createFile(p, { writeType: 'CACHE_THROUGH' });
    await out.write(randomBytes(3 * MiB));
    await out.close();

    const killed = await holder(p);
    assert.equal((await stats()).lockedBlocks, 1);
    const t0 = Date.now();
    killed.child.kill('SIGKILL');
    await killed.done;
    await waitFor('the killed client\'s lock released', async () => { const s = await stats(); return s.lockedBlocks === 0 && s.open === 0; });
    console.log(`# lock of a SIGKILLed client released after ${Date.now() - t0} ms`);

    const s0 = await stats();
    const frozen = await holder(p);
    try {
      assert.equal((await stats()).lockedBlocks, 1);
      frozen.child.kill('SIGSTOP');
      const t1 = Date.now();
      await waitFor('the frozen client\'s lock released', async () => (await stats()).lockedBlocks === 0, 4 * SESSION_TIMEOUT_MS + 20_000);
      console.log(`# lock of a SIGSTOPped client released after ${Date.now() - t1} ms (alluxio.worker.session.timeout ${SESSION_TIMEOUT_MS} ms)`);
      assert.equal((await stats()).timedOut - s0.timedOut, 1, 'ended by the session timeout');
      assert.match(c.logOf('worker', 0), /no keep-alive from the client/);
    } finally {
      frozen.child.kill('SIGKILL');
      frozen.child.kill('SIGCONT');
      await frozen.done;
    }
  });

  test('a client killed in the middle of a short-circuit block write: the block is aborted, never committed', async () => {
    const s0 = await stats();
    const writer = await holder('/killed/w', true);
    await waitFor('the half-written temp block', () => fs.readdirSync(tempDir()).length === 1);
    writer.child.kill('SIGKILL');
    await writer.done;
    await waitFor('the session over', async () => (await stats()).open === 0);
    const s1 = await stats();
    assert.deepEqual({ aborted: s1.aborted - s0.aborted, writes: s1.writes - s0.writes }, { aborted: 1, writes: 0 });
    assert.deepEqual(fs.readdirSync(tempDir()), [], 'the temp block file is gone');
    const info = await client.getStatus('/killed/w');
    assert.equal(info.completed, false);
    // The block id was allocated, never committed: no location, no length.
    assert.deepEqual(info.fileBlockInfos.map((b) => [b.blockInfo.length, b.blockInfo.locations.length]), [[0, 0]], 'no block committed to the master');
  });
  const tempDir = () => path.join(c.dir, 'ramdisk0', 'alluxioworker', '.tmp');
});

/** The path of a file named `name` under `dir` (recursively), or undefined. */
function findFile(dir: string, name: string): string | undefined {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) { const f = findFile(p, name); if (f) return f; } else if (e.name === name) return p;
  }
  return undefined;
}
