/**
 * Persistence is tied to the file id, not to the path a file had when the work was handed out
 * (issue #10, defects 1, 3 and 9): a file renamed or deleted while a worker persists it ends
 * in the UFS under its current name (or nowhere), with no orphan and no temp file left; a
 * persist that cannot succeed is retried, then marked failed, and never ends a worker.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { TestCluster, waitFor, ROOT, type ClusterOptions } from '../harness/cluster.js';
import { loadConfig } from '../../src/conf/index.js';
import { FileSystem, type WriteType } from '../../src/client/fileSystem.js';
import type { MasterEntry } from '../../src/server/master/entries.js';
import { Namespace } from '../../src/server/master/namespace.js';
import { LocalJournal } from '../../src/journal/local/journal.js';

/** Every regular file under `dir`, relative, sorted. */
function ufsFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else out.push(r);
    }
  };
  if (fs.existsSync(dir)) walk(dir, '');
  return out.sort();
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Deterministic bytes for file `i`. */
function content(i: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let off = 0, x = i * 7919 + 1; off < size; off += 4) { x = (x * 1103515245 + 12345) >>> 0; b.writeUInt32LE(x, off); }
  return b;
}

async function write(afs: FileSystem, p: string, data: Buffer, writeType: WriteType): Promise<void> {
  const out = await afs.createFile(p, { writeType, recursive: true });
  await out.write(data);
  await out.close();
}

/** A 1-master 1-worker cluster for the suite (started before, stopped after) and an in-process client. */
function withCluster(opts: ClusterOptions): { c: TestCluster; fs: () => FileSystem } {
  const c = new TestCluster(opts);
  let afs: FileSystem | undefined;
  before(async () => {
    await c.setup(); await c.start();
    afs = new FileSystem(loadConfig({ env: c.env, home: ROOT }));
  });
  after(async () => { afs?.close(); await c.stop(); });
  return { c, fs: () => afs! };
}

describe('asynchronous persistence is tied to the file id', () => {
  const { c, fs: client } = withCluster({ ramdiskSize: '256MB', blockSize: '4MB', props: {
    'alluxio.master.persistence.initial.interval': '100ms',
    'alluxio.master.persistence.max.interval': '200ms',
    'alluxio.master.persistence.max.total.wait.time': '3s',
    'alluxio.underfs.cleanup.interval': '500ms',
  } });

  test('files renamed or deleted right after an ASYNC_THROUGH write end under their current name, or nowhere', async () => {
    const N = 8;
    const size = 12 * 1024 * 1024; // three blocks: a persist takes a while
    const expected = new Map<string, string>();
    await Promise.all(Array.from({ length: N }, async (_, i) => {
      const data = content(i, size);
      await write(client(), `/p/f${i}`, data, 'ASYNC_THROUGH');
      // Rename (or delete) while the persist is being handed out or written: 0-500 ms later.
      await new Promise((r) => setTimeout(r, (i * 67) % 500));
      if (i % 4 === 3) { await client().delete(`/p/f${i}`); return; }
      await client().rename(`/p/f${i}`, `/p/g${i}`);
      if (i % 4 === 2) await client().rename(`/p/g${i}`, `/q${i}`).catch(async () => {
        await client().createDirectory('/q', { allowExists: true, recursive: true });
      });
      const final = i % 4 === 2 && (await client().exists(`/q${i}`)) ? `/q${i}` : `/p/g${i}`;
      expected.set(final, sha(data));
    }));
    await waitFor('every remaining file persisted', async () => {
      for (const p of expected.keys()) if ((await client().getStatus(p)).persistenceState !== 'PERSISTED') return false;
      return true;
    }, 60_000);
    // Let any persist still running for a deleted file finish, and the temp folder be swept.
    await waitFor('no temp files in the UFS', async () => !ufsFiles(c.ufsDir).some((f) => f.startsWith('.alluxio_ufs_persistence/')), 20_000);
    const files = ufsFiles(c.ufsDir);
    assert.deepEqual(files, [...expected.keys()].map((p) => p.slice(1)).sort(), `UFS holds exactly the live files\n${c.logs()}`);
    for (const [p, digest] of expected) assert.equal(sha(fs.readFileSync(path.join(c.ufsDir, p))), digest, `${p} in the UFS has the bytes written`);
  });

  test('a name the UFS cannot hold is refused at create, for every write type', async () => {
    const long = `/${'x'.repeat(300)}`;
    for (const wt of ['ASYNC_THROUGH', 'MUST_CACHE', 'THROUGH'] as const) {
      await assert.rejects(client().createFile(long, { writeType: wt }), /longer than 255 bytes/);
    }
    await assert.rejects(client().createDirectory(`/d/${'y'.repeat(256)}`, { recursive: true }), /longer than 255 bytes/);
    await write(client(), '/short', Buffer.from('ok'), 'MUST_CACHE');
    await assert.rejects(client().rename('/short', `/${'z'.repeat(256)}`), /longer than 255 bytes/);
    assert.equal(await client().exists(long), false);
  });

  test('a persist that keeps failing is retried, then marked failed; the worker keeps serving', async () => {
    // The UFS parent "directory" becomes a file: every placement fails with ENOTDIR.
    await client().createDirectory('/blocked', { writeType: 'MUST_CACHE' });
    fs.mkdirSync(c.ufsDir, { recursive: true });
    fs.writeFileSync(path.join(c.ufsDir, 'blocked'), 'not a directory');
    const data = content(99, 1000);
    await write(client(), '/blocked/f', data, 'ASYNC_THROUGH');
    const st = await waitFor('the persist to be given up', async () => {
      const s = await client().getStatus('/blocked/f');
      return s.persistenceState === 'NOT_PERSISTED' ? s : false;
    }, 30_000);
    assert.match(st.persistError, /ENOTDIR|not a directory/i);
    const report = await c.cli(['fsadmin', 'report']);
    assert.match(report.stdout, /^ {4}Files Failed To Persist: 1 \(fs stat shows why/m);
    const cli = await c.cli(['fs', 'stat', '/blocked/f']);
    assert.match(cli.stdout, /^ {2}persistenceState: NOT_PERSISTED\n[\s\S]*^ {2}persistError: ENOTDIR: cannot create the UFS directory /m);
    // The worker survived every attempt and still serves the cached bytes.
    const back: Buffer[] = [];
    for await (const chunk of client().read('/blocked/f')) back.push(chunk);
    assert.equal(sha(Buffer.concat(back)), sha(data));
    assert.doesNotMatch(c.logs(), /Unhandled|uncaught/i);
    assert.equal(fs.readFileSync(path.join(c.ufsDir, 'blocked'), 'utf8'), 'not a directory', 'nothing in the UFS was overwritten');
  });
});

describe('temp files of a worker killed mid-write are cleaned, and only ours', () => {
  const { c, fs: client } = withCluster({ ramdiskSize: '128MB', blockSize: '4MB', props: { 'alluxio.underfs.cleanup.interval': '500ms' } });

  test('kill -9 of the worker during THROUGH and ASYNC_THROUGH writes leaves no temp file behind', async () => {
    const tempDir = path.join(c.ufsDir, '.alluxio_ufs_persistence');
    fs.mkdirSync(tempDir, { recursive: true });
    fs.writeFileSync(path.join(tempDir, 'notours.txt'), 'keep me');
    fs.writeFileSync(path.join(tempDir, 'f.csv.alluxio.0a1b2c3d.tmp'), 'keep me too');
    // An ASYNC_THROUGH file whose blocks are on the worker, then a THROUGH write in flight.
    const data = content(5, 9 * 1024 * 1024);
    await write(client(), '/async', data, 'ASYNC_THROUGH');
    const out = await client().createFile('/through', { writeType: 'THROUGH' });
    await out.write(content(6, 6 * 1024 * 1024));
    await waitFor('the THROUGH temp file', async () => fs.readdirSync(tempDir).some((n) => n.startsWith(`${out.info.fileId}-`)));
    await c.kill('worker', 0);
    await assert.rejects(out.close());
    await c.startWorker(0);
    // The unfinished THROUGH write's temp goes (its file is gone); the ASYNC_THROUGH file is persisted.
    await waitFor('/async persisted', async () => (await client().getStatus('/async')).persistenceState === 'PERSISTED', 30_000);
    await waitFor('only foreign files left in the temp folder', async () => fs.readdirSync(tempDir).length === 2, 20_000);
    assert.deepEqual(fs.readdirSync(tempDir).sort(), ['f.csv.alluxio.0a1b2c3d.tmp', 'notours.txt']);
    assert.equal(await client().exists('/through'), false);
    assert.equal(sha(fs.readFileSync(path.join(c.ufsDir, 'async'))), sha(data));
    assert.deepEqual(ufsFiles(c.ufsDir).filter((f) => !f.startsWith('.alluxio_ufs_persistence/')), ['async']);
  });

  test('the temp folder is reserved in the namespace', async () => {
    await assert.rejects(client().createDirectory('/.alluxio_ufs_persistence'), /is reserved/);
    await assert.rejects(client().createFile('/.alluxio_ufs_persistence/x'), /is reserved/);
  });
});

describe('UFS changes are journaled: a new leader finishes what the previous one applied but did not do', () => {
  const { c, fs: client } = withCluster({ blockSize: '1MB' });

  test('a delete and a rename journaled by a master that died before touching the UFS are carried out when a master leads again', async () => {
    await write(client(), '/gone', content(1, 3000), 'THROUGH');
    await write(client(), '/moved', content(2, 3000), 'CACHE_THROUGH');
    assert.deepEqual(ufsFiles(c.ufsDir), ['gone', 'moved']);
    // The master applies a delete and a rename, then dies before doing them in the UFS: here the
    // entries go into its journal while it is down, exactly as they would be after a crash.
    await c.kill('master', 0);
    const ns = new Namespace();
    const j = new LocalJournal<MasterEntry>({ folder: c.journalDir });
    await j.start(ns);
    await j.propose({ type: 'delete', path: '/gone', recursive: false, ts: Date.now() });
    await j.propose({ type: 'rename', src: '/moved', dst: '/moved2', ts: Date.now() });
    assert.equal(ns.ufsOps.size, 2);
    await j.close();
    await c.startMaster(0);
    await waitFor('the UFS to follow the namespace', async () => JSON.stringify(ufsFiles(c.ufsDir)) === JSON.stringify(['moved2']), 20_000);
    assert.equal(sha(fs.readFileSync(path.join(c.ufsDir, 'moved2'))), sha(content(2, 3000)));
    assert.equal(await client().exists('/gone'), false);
    assert.equal(sha(await client().readAll('/moved2', 'NO_CACHE')), sha(content(2, 3000)));
  });
});
