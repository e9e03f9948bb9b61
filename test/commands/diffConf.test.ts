/**
 * `alluxio diffConf` through the real CLI on a real local cluster (one master and one worker on
 * this machine, conf/masters and conf/workers = localhost, run directly without SSH): unchanged
 * conf has no differences; a MASTER key and a CLIENT key changed after the start show as exactly
 * those keys, old -> new, with the processes each affects.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { cli, killFromPidFiles, makeCliEnv, pidOf, threeLocalMastersEnv, explain } from '../orchestrate/helpers.js';

const TIMEOUT = 'alluxio.master.worker.timeout';
const WRITETYPE = 'alluxio.user.file.writetype.default';

test('diffConf: a real local cluster, unchanged conf, then a MASTER key and a CLIENT key changed', { timeout: 240_000 }, async (t) => {
  const e = await makeCliEnv();
  t.after(() => killFromPidFiles(e));
  const why = explain(e);
  // `start all` pushes the install into alluxio.home, where the host's CLI answers configProbe.
  for (const args of [['format'], ['start', 'all', 'NoMount']]) {
    const r = await cli(e, args);
    assert.equal(r.code, 0, `alluxio ${args.join(' ')}\n${why(r)}`);
  }
  const pids = { master: pidOf(e.runDir, 'master'), worker: pidOf(e.runDir, 'worker') };

  let r = await cli(e, ['diffConf']);
  assert.equal(r.code, 0, why(r));
  assert.match(r.stdout, /^\[localhost\] master: no differences$/m, why(r));
  assert.match(r.stdout, /^\[localhost\] worker: no differences$/m, why(r));
  assert.match(r.stdout, /^No differences: every running process uses what conf\/ gives it$/m, why(r));

  const site = path.join(e.confDir, 'alluxio-site.properties');
  fs.appendFileSync(site, `${TIMEOUT}=10min\n${WRITETYPE}=CACHE_THROUGH\n`);
  r = await cli(e, ['diffConf']);
  assert.equal(r.code, 0, why(r));
  const lines = r.stdout.split('\n');
  const at = (head: string) => lines.indexOf(head);
  const m = at('[localhost] master: 2 keys differ (restart needed)');
  assert.ok(m >= 0, why(r));
  assert.deepEqual(lines.slice(m + 1, m + 3), [
    `  ${TIMEOUT}: 5min -> 10min (MASTER: restart masters)`,
    `  ${WRITETYPE}: ASYNC_THROUGH -> CACHE_THROUGH (CLIENT: clients only: no restart needed)`,
  ], why(r));
  const w = at('[localhost] worker: 2 keys differ (no restart needed)');
  assert.ok(w >= 0, why(r));
  assert.deepEqual(lines.slice(w + 1, w + 3), [
    `  ${TIMEOUT}: 5min -> 10min (MASTER: masters only: no restart of this worker)`,
    `  ${WRITETYPE}: ASYNC_THROUGH -> CACHE_THROUGH (CLIENT: clients only: no restart needed)`,
  ], why(r));
  assert.match(r.stdout, /^Would need a restart: localhost master$/m, why(r));

  r = await cli(e, ['diffConf', 'workers', '--json']);
  assert.equal(r.code, 0, why(r));
  const doc = JSON.parse(r.stdout) as { ok: boolean; restart: string[]; hosts: { host: string; processes: { name: string; restart: boolean; diff: { key: string; old: string; new: string; affects: string[] }[] }[] }[] };
  assert.equal(doc.ok, true);
  assert.deepEqual(doc.restart, []);
  assert.deepEqual(doc.hosts.map((h) => h.processes.map((p) => p.name)), [['worker']]);
  assert.deepEqual(doc.hosts[0]!.processes[0]!.diff.map((d) => [d.key, d.new, d.affects]), [[TIMEOUT, '10min', ['master']], [WRITETYPE, 'CACHE_THROUGH', []]]);

  // A report: nothing on the host changed (same processes, the host's conf dir untouched).
  assert.deepEqual({ master: pidOf(e.runDir, 'master'), worker: pidOf(e.runDir, 'worker') }, pids);
  assert.ok(!fs.existsSync(path.join(e.home, 'conf', 'alluxio-site.properties')) || !fs.readFileSync(path.join(e.home, 'conf', 'alluxio-site.properties'), 'utf8').includes('10min'));

  // A stopped worker is reported as not running.
  r = await cli(e, ['stop', 'worker']);
  assert.equal(r.code, 0, why(r));
  r = await cli(e, ['diffConf', 'workers']);
  assert.equal(r.code, 0, why(r));
  assert.match(r.stdout, /^\[localhost\] worker: not running$/m, why(r));
});

test('diffConf: bad arguments are usage errors (exit 1, the usage on stderr), before any host is asked', async () => {
  const e = await makeCliEnv({}, { masters: 'unreachable.invalid\n', workers: 'unreachable.invalid\n' });
  for (const [args, message] of [
    [['diffConf', 'foo'], 'Error: Invalid arguments: foo'],
    [['diffConf', 'masters', 'workers'], 'Error: Invalid arguments: masters workers'],
    [['diffConf', '--dry-run'], 'Error: diffConf changes nothing: --dry-run does not apply'],
  ] as [string[], string][]) {
    const r = await cli(e, args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.ok(r.stderr.includes(message), r.stderr);
    assert.ok(r.stderr.includes('Usage: alluxio diffConf [-h] [masters|workers|all]'), r.stderr);
  }
});

test('diffConf: three masters of one embedded journal on this host are compared one by one', { timeout: 240_000 }, async (t) => {
  const { e, journal } = await threeLocalMastersEnv();
  t.after(() => killFromPidFiles(e));
  const why = explain(e);
  for (const args of [['format'], ['start', 'masters']]) {
    const r = await cli(e, args);
    assert.equal(r.code, 0, `alluxio ${args.join(' ')}\n${why(r)}`);
  }
  let r = await cli(e, ['diffConf', 'masters']);
  assert.equal(r.code, 0, why(r));
  for (const p of journal) assert.match(r.stdout, new RegExp(`^\\[localhost\\] master-${p}: no differences$`, 'm'), why(r));

  fs.appendFileSync(path.join(e.confDir, 'alluxio-site.properties'), `${TIMEOUT}=10min\n`);
  r = await cli(e, ['diffConf', 'masters']);
  assert.equal(r.code, 0, why(r));
  const lines = r.stdout.split('\n');
  for (const p of journal) {
    const i = lines.indexOf(`[localhost] master-${p}: 1 key differs (restart needed)`);
    assert.ok(i >= 0, why(r));
    assert.equal(lines[i + 1], `  ${TIMEOUT}: 5min -> 10min (MASTER: restart masters)`, why(r));
  }
  assert.ok(lines.includes(`Would need a restart: ${journal.map((p) => `localhost master-${p}`).join(', ')}`), why(r));
});
