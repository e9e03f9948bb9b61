/**
 * `alluxio rollingRestart` through the real CLI on this machine: three masters of one embedded
 * journal (one host, one journal port each) and a worker. A MASTER key changed in conf/: every
 * master restarts one at a time (leader last) and runs the new value; the worker, which does not
 * read the key, keeps its pid; what was written before and after reads back; one leader at the end.
 * Then a WORKER key: the worker restarts, registers again with its id, the masters keep their pids.
 * Last, with one master stopped, a change is refused and nothing restarts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { cli, killFromPidFiles, pidOf, threeLocalMastersEnv, explain } from '../orchestrate/helpers.js';

const TIMEOUT = 'alluxio.master.worker.timeout';
const HB = 'alluxio.worker.block.heartbeat.interval';

async function masterJson(webPort: number, what: 'config' | 'info'): Promise<any> {
  const r = await fetch(`http://localhost:${webPort}/api/v1/master/${what}`);
  assert.equal(r.status, 200);
  return r.json();
}

test('rollingRestart all: three local masters and a worker, a MASTER key changed', { timeout: 300_000 }, async (t) => {
  const { e, journal, rpc } = await threeLocalMastersEnv();
  t.after(() => killFromPidFiles(e));
  const why = explain(e);
  for (const args of [['format'], ['start', 'all', 'NoMount']]) {
    const r = await cli(e, args);
    assert.equal(r.code, 0, `alluxio ${args.join(' ')}\n${why(r)}`);
  }
  const local = path.join(e.dir, 'data.txt');
  fs.writeFileSync(local, 'before\n');
  let r = await cli(e, ['fs', 'copyFromLocal', local, '/before']);
  assert.equal(r.code, 0, why(r));
  const masterPids = journal.map((p) => pidOf(e.runDir, `master-${p}`));
  const workerPid = pidOf(e.runDir, 'worker');

  // Nothing differs: nothing restarts.
  r = await cli(e, ['rollingRestart', 'all']);
  assert.equal(r.code, 0, why(r));
  assert.match(r.stdout, /Nothing to restart/, why(r));

  fs.appendFileSync(path.join(e.confDir, 'alluxio-site.properties'), `${TIMEOUT}=10min\n`);
  r = await cli(e, ['rollingRestart', 'all', '--dry-run', '--json']);
  assert.equal(r.code, 0, why(r));
  const plan = JSON.parse(r.stdout).plan as { steps: { kind: string; role?: string }[] };
  assert.deepEqual(plan.steps.map((s) => s.role ?? s.kind), ['standby', 'standby', 'elect', 'leader'], why(r));
  assert.deepEqual(journal.map((p) => pidOf(e.runDir, `master-${p}`)), masterPids, 'a dry run restarts nothing');

  r = await cli(e, ['rollingRestart', 'all', '--json']);
  assert.equal(r.code, 0, why(r));
  const doc = JSON.parse(r.stdout) as { ok: boolean; steps: { kind: string; status: string }[] };
  assert.equal(doc.ok, true, why(r));
  assert.deepEqual(doc.steps.map((s) => [s.kind, s.status]), [['restartMaster', 'done'], ['restartMaster', 'done'], ['elect', 'done'], ['restartMaster', 'done']], why(r));

  const infos = [];
  for (const p of rpc) {
    const c = await masterJson(p + 1, 'config');
    assert.equal(c.properties[TIMEOUT], '10min', `master rpc ${p}`);
    infos.push(await masterJson(p + 1, 'info'));
  }
  assert.equal(infos.filter((i) => i.isLeader).length, 1, JSON.stringify(infos));
  for (const [i, p] of journal.entries()) assert.notEqual(pidOf(e.runDir, `master-${p}`), masterPids[i], `master-${p} restarted`);
  assert.equal(pidOf(e.runDir, 'worker'), workerPid, 'the worker does not read the key: kept');

  fs.writeFileSync(local, 'after\n');
  r = await cli(e, ['fs', 'copyFromLocal', local, '/after']);
  assert.equal(r.code, 0, why(r));
  for (const [f, text] of [['/before', 'before\n'], ['/after', 'after\n']]) {
    r = await cli(e, ['fs', 'cat', f!]);
    assert.equal(r.code, 0, why(r));
    assert.equal(r.stdout, text);
  }
  // Every step is in the audit log; a rerun finds nothing left to restart.
  const audit = fs.readFileSync(path.join(e.logsDir, 'audit.log'), 'utf8');
  assert.equal(audit.split('\n').filter((l) => l.includes('"alluxio rollingRestart all --json" OK')).length, 4, audit);
  r = await cli(e, ['rollingRestart', 'all']);
  assert.equal(r.code, 0, why(r));
  assert.match(r.stdout, /Nothing to restart/, why(r));

  // A WORKER key: the worker restarts and registers again with its id; the masters are kept.
  const mastersNow = journal.map((p) => pidOf(e.runDir, `master-${p}`));
  fs.appendFileSync(path.join(e.confDir, 'alluxio-site.properties'), `${HB}=2sec\n`);
  r = await cli(e, ['rollingRestart', 'workers', '--json']);
  assert.equal(r.code, 0, why(r));
  const wdoc = JSON.parse(r.stdout) as { steps: { kind: string; status: string; detail: string }[] };
  assert.deepEqual(wdoc.steps.map((s) => [s.kind, s.status]), [['restartWorkers', 'done']], why(r));
  assert.match(wdoc.steps[0]!.detail, /registered again \(id 1, \d+ block\(s\) when stopped\)/, why(r));
  assert.notEqual(pidOf(e.runDir, 'worker'), workerPid);
  const wc = await (await fetch(`http://localhost:${e.ports.workerWeb}/api/v1/worker/config`)).json() as { properties: Record<string, string> };
  assert.equal(wc.properties[HB], '2sec');
  assert.deepEqual(journal.map((p) => pidOf(e.runDir, `master-${p}`)), mastersNow);
  r = await cli(e, ['fs', 'cat', '/after']);
  assert.equal(r.code, 0, why(r));
  assert.equal(r.stdout, 'after\n');

  // One master stopped (by its journal port: the others keep running): a change is refused, nothing restarts.
  r = await cli(e, ['stop', 'master', '--port', String(journal[2])]);
  assert.equal(r.code, 0, why(r));
  const left = journal.slice(0, 2).map((p) => pidOf(e.runDir, `master-${p}`));
  fs.appendFileSync(path.join(e.confDir, 'alluxio-site.properties'), `${TIMEOUT}=11min\n`);
  r = await cli(e, ['rollingRestart', 'masters']);
  assert.equal(r.code, 1, why(r));
  assert.match(r.stderr, /the cluster is not healthy enough for a rolling restart; nothing was restarted/, why(r));
  assert.match(r.stderr, new RegExp(`master master-${journal[2]} on localhost is not running`), why(r));
  assert.deepEqual(journal.slice(0, 2).map((p) => pidOf(e.runDir, `master-${p}`)), left);
});
