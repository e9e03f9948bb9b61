/**
 * Three masters on the embedded Raft journal (real processes on loopback) and one worker: one
 * leader serves, standbys redirect, kill -9 of the leader under a write load loses no
 * acknowledged write, the old leader rejoins as a standby.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { TestCluster, waitFor, getJson, runNode, CLI } from '../harness/cluster.js';

const c = new TestCluster({ masters: 3, workers: 1, props: { 'alluxio.user.rpc.retry.max.duration': '15s' } });
before(async () => { await c.setup(); await c.start(); });
after(async () => { await c.stop(); });

function ok(r: { code: number; stdout: string; stderr: string }, code = 0): void {
  assert.equal(r.code, code, `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}\n${c.logs()}`);
}

test('one leader serves; standbys say so and name it; the CLI follows the leader', async () => {
  const leader = await c.waitLeader();
  const infos = await Promise.all(c.masterPorts.map((p) => getJson(`http://127.0.0.1:${p.web}/api/v1/master/info`)));
  assert.deepEqual(infos.map((i) => i.isLeader), [0, 1, 2].map((i) => i === leader));
  for (const i of infos) assert.equal(i.leaderAddress, `localhost:${c.masterPorts[leader]!.rpc}`);
  const standby = (leader + 1) % 3;
  const html = await (await fetch(`http://127.0.0.1:${c.masterPorts[standby]!.web}/`)).text();
  assert.match(html, /This master is a standby\./);
  assert.ok(html.includes(`href="http://localhost:${c.masterPorts[leader]!.web}/"`), html);
  const l = await c.cli(['fs', 'leader']);
  ok(l);
  assert.equal(l.stdout, 'localhost\n');
  await waitFor('worker registered with the leader', async () => (await getJson(`http://127.0.0.1:${c.masterPorts[leader]!.web}/api/v1/master/info`)).liveWorkers.length === 1);
  const r = await c.cli(['runTests']);
  ok(r);
  assert.equal((r.stdout.match(/^Passed the test!$/gm) ?? []).length, 24);
});

test('kill -9 of the leader under writes: a new leader serves, no acknowledged write is lost, the old one rejoins as standby', async () => {
  const first = await c.waitLeader();
  const script = path.join(c.dir, 'ha-writer.mjs');
  const mod = (m: string) => JSON.stringify(path.join(path.dirname(CLI), ...m.split('/')));
  fs.writeFileSync(script, `
    import { loadConfig } from ${mod('conf/index.js')};
    import { FileSystem } from ${mod('client/fileSystem.js')};
    const fs = new FileSystem(loadConfig({ env: process.env, home: process.cwd() }));
    await Promise.all(Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; i < 150; i++) {
        const p = '/ha/w' + w + '_' + i;
        try { await fs.createDirectory(p, { recursive: true, writeType: 'MUST_CACHE' }); process.stdout.write(p + '\\n'); }
        catch (e) { process.stderr.write(p + ' ' + e.message + '\\n'); }
      }
    }));
    fs.close();`);
  const writer = runNode([script], c.env, 120_000);
  await new Promise((r) => setTimeout(r, 700));
  const t0 = Date.now();
  await c.kill('master', first, 'SIGKILL');
  const second = await c.waitLeader();
  const failoverMs = Date.now() - t0;
  assert.notEqual(second, first);
  const out = await writer;
  const acked = out.stdout.trim().split('\n').filter(Boolean);
  assert.ok(acked.length > 100, `only ${acked.length} acknowledged:\n${out.stderr}`);
  const ls = await c.cli(['fs', 'ls', '/ha']);
  ok(ls);
  const present = new Set(ls.stdout.trim().split('\n').map((l) => l.split(/\s+/).at(-1)));
  assert.deepEqual(acked.filter((p) => !present.has(p)), [], `acknowledged writes lost (failover took ${failoverMs} ms)\n${c.logs()}`);

  await c.startMaster(first);
  await waitFor('old leader caught up as a standby', async () => {
    const i = await getJson(`http://127.0.0.1:${c.masterPorts[first]!.web}/api/v1/master/info`);
    const l = await getJson(`http://127.0.0.1:${c.masterPorts[second]!.web}/api/v1/master/info`);
    return !i.isLeader && i.leaderAddress === `localhost:${c.masterPorts[second]!.rpc}` && i.journalLastIndex >= l.journalLastIndex - 2;
  }, 20_000);
  await waitFor('worker registered with the new leader', async () => (await getJson(`http://127.0.0.1:${c.masterPorts[second]!.web}/api/v1/master/info`)).liveWorkers.length === 1);
  const r = await c.cli(['runTests', '--operation', 'BASIC']);
  ok(r);
});
