/**
 * Readiness is about the process that was started: a second master (or worker) with its own run
 * dir and journal but the ports of one that runs dies on EADDRINUSE while the running one answers
 * on the web port; its start must fail, naming the port and the process that answers there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { cli, formatAndStartLocal, killFromPidFiles, makeCliEnv, pidOf, explain } from '../orchestrate/helpers.js';

test('a second master or worker on the ports of a running one fails its start (another process answers there)', async (t) => {
  const e = await makeCliEnv();
  // The second master and worker: same conf (same ports), another work dir (run dir, logs, journal).
  const other = path.join(e.dir, 'other');
  const otherRun = path.join(other, 'run');
  t.after(() => { killFromPidFiles(e); killFromPidFiles(e, otherRun); });
  const why = explain(e);
  const { master, worker } = await formatAndStartLocal(e);
  // Their info JSON says who they are: pid, the instance id the launcher gave them, config hash.
  for (const [kind, pid, port] of [['master', master, e.ports.masterWeb], ['worker', worker, e.ports.workerWeb]] as const) {
    const info = await (await fetch(`http://localhost:${port}/api/v1/${kind}/info`)).json() as { pid: number; instanceId: string; configHash: string };
    assert.equal(info.pid, pid);
    assert.ok(fs.readFileSync(path.join(e.logsDir, `${kind}.log`), 'utf8').includes(`launching ${kind} (instance ${info.instanceId})`));
    assert.match(info.configHash, /^[0-9a-f]{64}$/);
  }

  const flags = [`-Dalluxio.work.dir=${other}`];
  let r = await cli(e, ['formatJournal', ...flags]);
  assert.equal(r.code, 0, why(r));
  r = await cli(e, ['start', 'master', ...flags]);
  assert.notEqual(r.code, 0, why(r));
  assert.doesNotMatch(r.stdout, /\[ OK \]/, why(r));
  assert.match(r.stderr, /--- \[ FAILED \] The master @ .* is not serving requests\./, why(r));
  assert.ok(r.stderr.includes(`another process (pid ${master}) answers on port ${e.ports.masterWeb}`), why(r));
  const second = pidOf(otherRun, 'master');
  assert.notEqual(second, master);
  assert.ok(r.stderr.includes(`pid ${second}`), why(r));

  const wflags = [...flags, `-Dalluxio.worker.tieredstore.level0.dirs.path=${path.join(other, 'ramdisk')}`];
  r = await cli(e, ['start', 'worker', 'NoMount', ...wflags]);
  assert.notEqual(r.code, 0, why(r));
  assert.doesNotMatch(r.stdout, /\[ OK \]/, why(r));
  assert.match(r.stderr, /--- \[ FAILED \] The worker @ .* is not serving requests\./, why(r));
  assert.ok(r.stderr.includes(`another process (pid ${worker}) answers on port ${e.ports.workerWeb}`), why(r));

  // The running ones are untouched and still answer as themselves.
  const info = await (await fetch(`http://localhost:${e.ports.masterWeb}/api/v1/master/info`)).json() as { isLeader: boolean };
  assert.equal(info.isLeader, true);
  assert.equal(pidOf(e.runDir, 'master'), master);
  assert.equal(pidOf(e.runDir, 'worker'), worker);
});
