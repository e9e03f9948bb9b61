/**
 * End to end: real master and worker processes, the real CLI. fs verbs, runTests, restart with
 * journal replay, kill -9 under load, torn and corrupt journal records, unreachable master.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { TestCluster, waitFor, getJson, runNode, startNode, writeProgress, CLI } from '../harness/cluster.js';
import { dataLength, writeAt } from '../harness/journalFiles.js';

function check(c: TestCluster, r: { code: number; stdout: string; stderr: string }, expected = 0): void {
  assert.equal(r.code, expected, `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}\n${c.logs()}`);
}

describe('one master, two workers', () => {
  const c = new TestCluster({ workers: 2 });
  before(async () => { await c.setup(); await c.start(); });
  after(async () => { await c.stop(); });

  test('fs verbs through the real CLI', async () => {
    check(c, await c.cli(['fs', 'mkdir', '/a/b']));
    const local = path.join(c.dir, 'local.txt');
    const content = 'hello alluxio\n'.repeat(200_000); // ~2.8 MB: several 1 MB blocks
    fs.writeFileSync(local, content);
    check(c, await c.cli(['fs', 'copyFromLocal', local, '/a/b/f.txt']));
    const cat = await c.cli(['fs', 'cat', '/a/b/f.txt']);
    check(c, cat);
    assert.equal(cat.stdout, content);
    const back = path.join(c.dir, 'back.txt');
    check(c, await c.cli(['fs', 'copyToLocal', '/a/b/f.txt', back]));
    assert.equal(fs.readFileSync(back, 'utf8'), content);
    check(c, await c.cli(['fs', 'touch', '/a/empty']));
    const ls = await c.cli(['fs', 'ls', '-R', '/a']);
    check(c, ls);
    const lines = ls.stdout.trim().split('\n');
    assert.deepEqual(lines.map((l) => l.split(/\s+/).at(-1)), ['/a/b', '/a/b/f.txt', '/a/empty']);
    assert.match(lines[1]!, new RegExp(`^-rw-r--r-- .* ${Buffer.byteLength(content)} `));
    const stat = await c.cli(['fs', 'stat', '/a/b/f.txt']);
    check(c, stat);
    assert.match(stat.stdout, /^\/a\/b\/f.txt is a file path\./);
    assert.equal((stat.stdout.match(/BlockInfo\{/g) ?? []).length, 3);
    const du = await c.cli(['fs', 'du', '-s', '/a']);
    check(c, du);
    assert.match(du.stdout, new RegExp(`^${Buffer.byteLength(content)}\\s+${Buffer.byteLength(content)} \\(100%\\)\\s+/a$`, 'm'));
    check(c, await c.cli(['fs', 'test', '-d', '/a/b']));
    check(c, await c.cli(['fs', 'test', '-f', '/a/b']), 1);
    check(c, await c.cli(['fs', 'test', '-z', '/a/empty']));
    check(c, await c.cli(['fs', 'test', '-e', '/nope']), 1);
    check(c, await c.cli(['fs', 'mv', '/a/empty', '/a/b']));
    check(c, await c.cli(['fs', 'test', '-e', '/a/b/empty']));
    const leader = await c.cli(['fs', 'leader']);
    check(c, leader);
    assert.equal(leader.stdout, 'localhost\n');
    const mi = await c.cli(['fs', 'masterInfo']);
    check(c, mi);
    assert.match(mi.stdout, new RegExp(`Current leader master: localhost:${c.masterRpc}`));
  });

  test('fs errors are clear and non-zero', async () => {
    let r = await c.cli(['fs', 'cat', '/missing']);
    check(c, r, 1);
    assert.match(r.stderr, /Path "\/missing" does not exist\./);
    r = await c.cli(['fs', 'mkdir', '/a']);
    check(c, r, 1);
    assert.match(r.stderr, /Path "\/a" already exists\./);
    r = await c.cli(['fs', 'rm', '/a']);
    check(c, r, 1);
    assert.match(r.stderr, /Directory "\/a" is not empty\./);
    assert.match(r.stderr, /Hint: use -R/);
    check(c, await c.cli(['fs', 'test', '-d', '/a']));
    r = await c.cli(['fs', 'copyFromLocal', path.join(c.dir, 'nope'), '/x']);
    check(c, r, 1);
    assert.match(r.stderr, /Local path .*nope does not exist/);
  });

  test('runTests passes all 24 cases', async () => {
    const r = await c.cli(['runTests']);
    check(c, r);
    assert.equal((r.stdout.match(/^Passed the test!$/gm) ?? []).length, 24);
    assert.equal((r.stdout.match(/^runTest --operation /gm) ?? []).length, 24);
    assert.match(r.stdout, /^24 passed, 0 failed$/m);
    // THROUGH wrote the UFS file, ASYNC_THROUGH gets persisted by a worker, MUST_CACHE never.
    assert.ok(fs.existsSync(path.join(c.ufsDir, 'default_tests_files', 'BASIC_CACHE_THROUGH')));
    await waitFor('async persistence', async () =>
      (await c.cli(['fs', 'stat', '--json', '/default_tests_files/BASIC_CACHE_PROMOTE_ASYNC_THROUGH'])).stdout.includes('"persistenceState": "PERSISTED"'));
    assert.ok(fs.existsSync(path.join(c.ufsDir, 'default_tests_files', 'BASIC_CACHE_PROMOTE_ASYNC_THROUGH')));
    assert.ok(!fs.existsSync(path.join(c.ufsDir, 'default_tests_files', 'BASIC_CACHE_PROMOTE_MUST_CACHE')));
    const one = await c.cli(['runTests', '--readType', 'CACHE', '--writeType', 'THROUGH', '--json']);
    check(c, one);
    const j = JSON.parse(one.stdout);
    assert.equal(j.results.length, 2);
    assert.equal(j.failed, 0);
    assert.deepEqual(j.results.map((r: any) => r.path), ['/default_tests_files/BASIC_CACHE_THROUGH', '/default_tests_files/BASIC_NON_BYTE_BUFFER_CACHE_THROUGH']);
    const bad = await c.cli(['runTests', '--readType', 'BOGUS']);
    check(c, bad, 1);
    assert.match(bad.stderr, /--readType BOGUS is invalid; use one of CACHE_PROMOTE, CACHE, NO_CACHE/);
  });

  test('runTests exits with the number of failed tests when no worker is up', async () => {
    await c.kill('worker', 0);
    await c.kill('worker', 1);
    await c.waitLiveWorkers(0, 'workers lost', 20_000);
    const r = await c.cli(['runTests', '--writeType', 'MUST_CACHE']);
    assert.equal(r.code, 6, r.stdout + r.stderr);
    assert.match(r.stdout, /^Number of failed tests: 6$/m);
    assert.equal((r.stdout.match(/^Failed the test!$/gm) ?? []).length, 6);
    const info = await getJson(`http://127.0.0.1:${c.masterWeb}/api/v1/master/info`);
    assert.equal(info.lostWorkers.length, 2);
    await c.startWorker(0);
    await c.startWorker(1);
  });

  test('master restart replays the journal; workers re-register', async () => {
    const before = (await c.cli(['fs', 'ls', '-R', '/'])).stdout;
    await c.kill('master', 0, 'SIGTERM');
    await c.startMaster();
    const afterLs = await c.cli(['fs', 'ls', '-R', '/']);
    check(c, afterLs);
    const names = (s: string) => s.trim().split('\n').map((l) => l.split(/\s+/).at(-1)).sort();
    assert.deepEqual(names(afterLs.stdout), names(before));
    await c.waitLiveWorkers(2, 'workers re-registered');
    const cat = await c.cli(['fs', 'cat', '/a/b/f.txt']);
    check(c, cat);
    assert.equal(cat.stdout.length, 'hello alluxio\n'.length * 200_000);
  });

  test('journal quorum commands explain that one master runs the local journal', async () => {
    const r = await c.cli(['fsadmin', 'journal', 'quorum', 'info', '-domain', 'MASTER']);
    check(c, r, 1);
    assert.match(r.stderr, /this master does not run the embedded Raft journal: quorum commands need alluxio\.master\.journal\.type=EMBEDDED and several masters in alluxio\.master\.embedded\.journal\.addresses/);
    const d = await c.cli(['fsadmin', 'journal', 'quorum', 'info', '-domain', 'JOB_MASTER']);
    check(c, d, 1);
    assert.match(d.stderr, /-domain JOB_MASTER is not supported/);
  });

  test('web UI serves an overview page and JSON', async () => {
    const html = await (await fetch(`http://127.0.0.1:${c.masterWeb}/`)).text();
    assert.match(html, /Cluster Id/);
    assert.match(html, /Live Workers/);
    const j = await getJson(`http://127.0.0.1:${c.masterWeb}/api/v1/master/info`);
    assert.equal(j.isLeader, true);
    assert.equal(j.journalType, 'EMBEDDED');
    assert.equal(j.liveWorkers.length, 2);
    assert.ok(j.liveWorkers[0].capacityBytes > 0);
  });
});

describe('journal durability', () => {
  test('kill -9 of the master during writes loses no acknowledged file', async () => {
    const c = await (await new TestCluster({ workers: 1 }).setup()).start();
    try {
      const mod = (m: string) => JSON.stringify(path.join(path.dirname(CLI), ...m.split('/')));
      const prelude = `
        import { loadConfig } from ${mod('conf/index.js')};
        import { FileSystem } from ${mod('client/fileSystem.js')};
        const conf = loadConfig({ env: process.env, home: process.cwd(), flags: { 'alluxio.user.rpc.retry.max.duration': '1s' } });
        const fs = new FileSystem(conf);
        const data = (p) => Buffer.from('content of ' + p + '\\n'.repeat(3));`;
      // Eight writers create, write and complete files; each path is printed as "sent <path>"
      // before createFile, and alone once close() returned (harness writeProgress).
      const writer = path.join(c.dir, 'writer.mjs');
      fs.writeFileSync(writer, prelude + `
        await Promise.all(Array.from({ length: 8 }, async (_, w) => {
          for (let i = 0; i < 100000; i++) {
            const p = '/load/w' + w + '/f' + i;
            process.stdout.write('sent ' + p + '\\n');
            try { const out = await fs.createFile(p, { writeType: 'MUST_CACHE' }); await out.write(data(p)); await out.close(); }
            catch { process.exit(0); }
            process.stdout.write(p + '\\n');
          }
        }));`);
      const reader = path.join(c.dir, 'reader.mjs');
      fs.writeFileSync(reader, prelude + `
        const bad = [];
        for (const p of process.argv.slice(2)) {
          try { const got = await fs.readAll(p, 'NO_CACHE'); if (!got.equals(data(p))) bad.push(p + ': wrong content'); }
          catch (e) { bad.push(p + ': ' + e.message); }
        }
        console.log(JSON.stringify(bad)); fs.close();`);
      const running = startNode([writer], c.env, 60_000);
      // Kill once more than 20 files were acknowledged and another write is in flight.
      await waitFor('20 files acknowledged and a write in flight', (observe) => {
        const now = writeProgress(running);
        observe({ acked: now.acked.length, inFlight: now.inFlight, writerExit: running.child.exitCode });
        return now.acked.length > 20 && now.inFlight > 0;
      }, 30_000, 10);
      await c.kill('master', 0, 'SIGKILL');
      const out = await running.done;
      const acked = writeProgress(running).acked;
      assert.ok(acked.length > 20, `only ${acked.length} files acknowledged: ${out.stderr}\n${c.logs()}`);
      await c.startMaster();
      await c.waitLiveWorkers(1, 'worker re-registered');
      const check = await runNode([reader, ...acked], c.env, 120_000);
      assert.equal(check.code, 0, check.stderr);
      assert.deepEqual(JSON.parse(check.stdout), [], `acknowledged files lost or damaged after kill -9 (${acked.length} acknowledged)\n${c.logs()}`);
    } finally { await c.stop(); }
  });

  test('a torn last record is truncated with a warning; a corrupt middle record stops start', async () => {
    const c = await (await new TestCluster({ workers: 0 }).setup()).start();
    try {
      for (let i = 0; i < 20; i++) check(c, await c.cli(['fs', 'mkdir', `/d${i}`]));
      await c.kill('master', 0, 'SIGKILL');
      const logDir = path.join(c.journalDir, 'log');
      const seg = path.join(logDir, fs.readdirSync(logDir).filter((f) => f.endsWith('.log')).sort().at(-1)!);
      // Torn tail: half of a record header + payload after the last record.
      writeAt(seg, dataLength(seg), Buffer.from([40, 0, 0, 0, 1, 2, 3]));
      await c.startMaster();
      assert.match(c.logs(), /WARN .*(torn|truncat)/i);
      const ls = await c.cli(['fs', 'ls', '/']);
      check(c, ls);
      assert.equal(ls.stdout.trim().split('\n').length, 20);
      check(c, await c.cli(['fs', 'mkdir', '/after-torn']));
      await c.kill('master', 0, 'SIGKILL');
      // Corrupt a byte in the middle of the segment's records: start must fail with a clear error.
      const bytes = fs.readFileSync(seg);
      const mid = Math.floor(dataLength(seg) / 2);
      writeAt(seg, mid, Buffer.from([bytes[mid]! ^ 0xff]));
      const r = await c.startMasterExpectFailure();
      assert.equal(r.code, 1);
      assert.match(r.log, /ERROR .*Failed to start: .*corrupt/i);
      assert.match(r.log, new RegExp(seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    } finally { await c.stop(); }
  });
});

test('fs against an unreachable master fails within the retry window and names the address', async () => {
  const c = await new TestCluster({ workers: 0 }).setup();
  try {
    const t0 = Date.now();
    const r = await c.cli(['fs', 'ls', '/', '-Dalluxio.user.rpc.retry.max.duration=1s']);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(Date.now() - t0 < 15_000);
    assert.match(r.stderr, new RegExp(`Failed to find the leading master after 1s; tried localhost:${c.masterRpc} \\(`));
    assert.match(r.stderr, /Hint: check that the masters are running/);
    const l = await c.cli(['fs', 'leader', '-Dalluxio.user.rpc.retry.max.duration=1s']);
    assert.equal(l.code, 1);
    assert.match(l.stderr, /^Failed to get the leader master\.$/m);
  } finally { await c.stop(); }
});

describe('worker storage', () => {
  test('a full MEM tier evicts the least recently used blocks; persisted data is read back from the UFS', async () => {
    const c = await (await new TestCluster({ workers: 1, ramdiskSize: '3MB', blockSize: '1MB' }).setup()).start();
    try {
      const local = path.join(c.dir, 'two-mb.bin');
      const content = Buffer.alloc(2 * 1024 * 1024, 7);
      fs.writeFileSync(local, content);
      for (const name of ['a', 'b', 'c']) check(c, await c.cli(['fs', 'copyFromLocal', '--writeType', 'CACHE_THROUGH', local, `/${name}`]));
      const du = await c.cli(['fs', 'du', '/']);
      check(c, du);
      // 6 MB written into 3 MB: /a went first (LRU), /c is fully cached.
      assert.match(du.stdout, /^2097152\s+0 \(0%\)\s+\/a$/m);
      assert.match(du.stdout, /^2097152\s+2097152 \(100%\)\s+\/c$/m);
      const w = await getJson(`http://127.0.0.1:${c.workerPorts[0]!.web}/api/v1/worker/info`);
      assert.ok(w.usedBytes <= 3 * 1024 * 1024, JSON.stringify(w));
      assert.equal(w.capacityBytes, 3 * 1024 * 1024);
      // Reading the evicted file falls back to the UFS (and caches it again with CACHE).
      const back = path.join(c.dir, 'back.bin');
      check(c, await c.cli(['fs', 'copyToLocal', '/a', back]));
      assert.ok(fs.readFileSync(back).equals(content));
      // A MUST_CACHE block larger than the whole tier fails cleanly and leaves nothing behind.
      const big = path.join(c.dir, 'big.bin');
      fs.writeFileSync(big, Buffer.alloc(4 * 1024 * 1024, 1));
      const r = await c.cli(['fs', 'copyFromLocal', '--writeType', 'MUST_CACHE', big, '/big', '-Dalluxio.user.block.size.bytes.default=4MB']);
      check(c, r, 1);
      assert.match(r.stderr, /out of space|no space/i);
      check(c, await c.cli(['fs', 'test', '-e', '/big']), 1);
    } finally { await c.stop(); }
  });

  test('unpersisted blocks are never evicted: a write needing their space fails clearly; persisted ASYNC_THROUGH blocks become evictable', async () => {
    const c = await (await new TestCluster({ workers: 1, ramdiskSize: '8MB', blockSize: '1MB' }).setup()).start();
    try {
      const file = (name: string, mb: number, byte: number) => {
        const p = path.join(c.dir, name);
        fs.writeFileSync(p, Buffer.alloc(mb * 1024 * 1024, byte));
        return p;
      };
      const put = (local: string, dst: string, wt: string) => c.cli(['fs', 'copyFromLocal', '--writeType', wt, local, dst]);
      const m = file('m.bin', 6, 1);
      check(c, await put(m, '/m', 'MUST_CACHE'));
      check(c, await put(file('c1.bin', 2, 2), '/c1', 'CACHE_THROUGH'));
      check(c, await put(file('c2.bin', 2, 3), '/c2', 'CACHE_THROUGH')); // evicts /c1 (it is in the UFS), not /m
      const full = await put(file('m2.bin', 3, 4), '/m2', 'MUST_CACHE');
      check(c, full, 1);
      assert.match(full.stderr, /worker storage full of unpersisted data/);
      assert.doesNotMatch(full.stderr + full.stdout, /\n\s+at /, 'no stack trace');
      check(c, await c.cli(['fs', 'test', '-e', '/m2']), 1);
      // Every MUST_CACHE byte is still there.
      const back = path.join(c.dir, 'm.back');
      check(c, await c.cli(['fs', 'copyToLocal', '/m', back]));
      assert.ok(fs.readFileSync(back).equals(fs.readFileSync(m)));
      // ASYNC_THROUGH: pinned until persisted, then evictable.
      const pins = path.join(c.dir, 'ramdisk0', 'alluxioworker', '.pinned');
      const pinned = () => fs.readdirSync(pins).length;
      assert.equal(pinned(), 6);
      check(c, await put(file('a.bin', 1, 5), '/a', 'ASYNC_THROUGH'));
      await waitFor('/a persisted and unpinned', async () =>
        (await c.cli(['fs', 'stat', '--json', '/a'])).stdout.includes('"persistenceState": "PERSISTED"') && pinned() === 6, 30_000);
      check(c, await put(file('c3.bin', 2, 6), '/c3', 'CACHE_THROUGH'));
      const du = await c.cli(['fs', 'du', '/']);
      check(c, du);
      assert.match(du.stdout, /^6291456\s+6291456 \(100%\)\s+\/m$/m);
      assert.match(du.stdout, /^1048576\s+0 \(0%\)\s+\/a$/m, 'the persisted ASYNC_THROUGH block was evicted');
    } finally { await c.stop(); }
  });
});
