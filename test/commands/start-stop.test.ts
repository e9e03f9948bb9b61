/**
 * End to end: the real CLI formats, starts (NoMount), reports and stops a master and a worker on
 * this host, in a temp installation on free ports.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { cli, killFromPidFiles, makeCliEnv, isOurServer, explain, pidOf } from '../orchestrate/helpers.js';
import { parseReply } from '../../src/orchestrate/protocol.js';

const HOST = os.hostname();

test('format, start local, start again, format refused, stop local', async (t) => {
  const e = await makeCliEnv();
  t.after(() => killFromPidFiles(e));
  const why = explain(e);

  let r = await cli(e, ['format']);
  assert.equal(r.code, 0, why(r));

  r = await cli(e, ['start', 'local', 'NoMount']);
  assert.equal(r.code, 0, why(r));
  assert.equal(r.stdout, [
    `Starting master @ ${HOST}. Logging to ${e.logsDir}`,
    `--- [ OK ] The master service @ ${HOST} is in a healthy state.`,
    `WARNING: Ramdisk ${e.ramdisk} is not a tmpfs/ramfs mount; the MEM tier will be stored on the disk holding it (NoMount).`,
    `Starting worker @ ${HOST}. Logging to ${e.logsDir}`,
    `--- [ OK ] The worker service @ ${HOST} is in a healthy state.`,
    '',
  ].join('\n'), why(r));
  const master = pidOf(e.runDir, 'master');
  const worker = pidOf(e.runDir, 'worker');
  assert.ok(isOurServer(master, 'master'));
  assert.ok(isOurServer(worker, 'worker'));
  const info = await (await fetch(`http://localhost:${e.ports.masterWeb}/api/v1/master/info`)).json() as { isLeader: boolean; liveWorkers: unknown[] };
  assert.equal(info.isLeader, true);
  assert.equal(info.liveWorkers.length, 1);

  // starting what runs is a no-op that says so (no kill before start)
  r = await cli(e, ['start', 'local']);
  assert.equal(r.code, 0, why(r));
  assert.equal(r.stdout, [
    'Assuming NoMount by default.',
    `master is already running (pid ${master}); not starting another`,
    `--- [ OK ] The master service @ ${HOST} is in a healthy state.`,
    `worker is already running (pid ${worker}); not starting another`,
    `--- [ OK ] The worker service @ ${HOST} is in a healthy state.`,
    '',
  ].join('\n'));
  assert.equal(pidOf(e.runDir, 'master'), master);
  assert.ok(isOurServer(master, 'master'));

  // format refuses while they run (format: the hosts of conf/masters and conf/workers, here localhost)
  r = await cli(e, ['format']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `Error: [localhost] cannot format while master on localhost (pid ${master}), worker on localhost (pid ${worker}) are running; nothing was formatted\n`
    + 'Hint: stop the cluster first: alluxio-stop.sh all\n');
  r = await cli(e, ['formatJournal']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `Error: [${HOST}] cannot format while the master (pid ${master}) is running on this host\n`
    + 'Hint: stop it first: alluxio-stop.sh local (or alluxio stop master / alluxio stop worker)\n');
  r = await cli(e, ['start', 'master', '-f']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot format while the master/);

  r = await cli(e, ['stop', 'local']);
  assert.equal(r.code, 0, why(r));
  assert.equal(r.stdout, `Killed 2 process(es) on ${HOST}\n`);
  assert.equal(isOurServer(master, 'master'), false);
  assert.equal(isOurServer(worker, 'worker'), false);
  assert.equal(fs.existsSync(path.join(e.runDir, 'master.pid')), false);
  assert.equal(fs.existsSync(path.join(e.runDir, 'worker.pid')), false);

  r = await cli(e, ['stop', 'local']);
  assert.equal(r.stdout, `Killed 0 process(es) on ${HOST}\n`);
});

test('start -a all (local hosts only) then stop all', async (t) => {
  const e = await makeCliEnv({}, { masters: 'localhost\n', workers: '127.0.0.1\n' });
  t.after(() => killFromPidFiles(e));
  let r = await cli(e, ['start', '-a', 'all', 'NoMount', '-f']);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  // localhost and 127.0.0.1 are one machine: the install is pushed there once.
  assert.equal((r.stdout.match(/^\[(localhost|127\.0\.0\.1)\] +pushed install/gm) ?? []).length, 1, r.stdout);
  assert.match(r.stdout, /^127\.0\.0\.1 +push +changed +same machine as localhost: pushed install/m);
  assert.match(r.stdout, /^\[localhost\] +Formatting Alluxio Master @ /m);
  assert.match(r.stdout, new RegExp(`^\\[localhost\\] +Starting master @ ${HOST}\\. Logging to `, 'm'));
  assert.match(r.stdout, new RegExp(`^\\[127\\.0\\.0\\.1\\] +Starting worker @ ${HOST}\\. Logging to `, 'm'));
  assert.doesNotMatch(r.stdout, /\[ OK \]/, '-a does not wait');
  const master = pidOf(e.runDir, 'master');
  const worker = pidOf(e.runDir, 'worker');
  r = await cli(e, ['stop', 'all']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^127\.0\.0\.1 +stop worker +changed +worker stopped$/m);
  assert.match(r.stdout, /^localhost +stop master +changed +master stopped$/m);
  assert.equal(isOurServer(master, 'master'), false);
  assert.equal(isOurServer(worker, 'worker'), false);
});

test('a master that cannot serve: FAILED with the log tail, exit 1, no process left', async (t) => {
  const e = await makeCliEnv();
  t.after(() => killFromPidFiles(e));
  // occupy the master's web port so the master fails at startup
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(e.ports.masterWeb, resolve));
  t.after(() => blocker.close());
  let r = await cli(e, ['formatJournal']);
  assert.equal(r.code, 0, r.stderr);
  r = await cli(e, ['start', 'master']);
  assert.equal(r.code, 1, r.stdout);
  assert.equal(r.stdout, `Starting master @ ${HOST}. Logging to ${e.logsDir}\n`);
  const log = path.join(e.logsDir, 'master.log');
  assert.match(r.stderr, new RegExp(`^--- \\[ FAILED \\] The master @ ${HOST} is not serving requests\\.\n`));
  assert.match(r.stderr, /Error: \[.*\] the master process \(pid \d+\) exited before it was ready\n/);
  assert.ok(r.stderr.includes(`>>> BEGIN ${log}\n`), r.stderr);
  assert.match(r.stderr, /\n<<< EOF\n/);
  const pid = pidOf(e.runDir, 'master');
  assert.equal(isOurServer(pid, 'master'), false);
  // the stale pid file is cleaned up by the next stop
  r = await cli(e, ['stop', 'master']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^Removed stale pid file .*master\.pid: process \d+ is not running\nKilled 0 process\(es\) on /);
});

test('stop all with an alluxio.home that holds no install: a master started from this conf is named and left running, exit 1', async (t) => {
  // alluxio.home (e.home) is empty: the master runs from this install, its pid file in the conf's run dir.
  const e = await makeCliEnv({}, { masters: 'localhost\n', workers: 'localhost\n' });
  t.after(() => killFromPidFiles(e));
  const why = explain(e);
  let r = await cli(e, ['formatJournal']);
  assert.equal(r.code, 0, why(r));
  r = await cli(e, ['start', '-a', 'master']);
  assert.equal(r.code, 0, why(r));
  const master = pidOf(e.runDir, 'master');
  r = await cli(e, ['stop', 'all']);
  assert.equal(r.code, 1, why(r));
  assert.match(r.stdout, /^localhost +stop worker +skipped +not installed: nothing to stop$/m);
  assert.match(r.stdout, new RegExp(`^localhost +stop master +failed +\\[localhost\\] alluxio\\.home holds no install, but master \\(pid ${master}, ${path.join(e.runDir, 'master.pid').replace(/[.]/g, '\\.')}\\) is running; left running$`, 'm'), why(r));
  assert.match(r.stderr, /Hint: it was started from .*: set alluxio\.home=/);
  assert.match(r.stderr, /1 host\(s\) failed: localhost/);
  assert.ok(isOurServer(master, 'master'), 'the master was not touched');
});

test('machine mode (--json): one protocol reply on stdout, the human lines on stderr, exit code from ok', async (t) => {
  const e = await makeCliEnv();
  t.after(() => killFromPidFiles(e));
  const why = explain(e);
  // a refusal: the typed error crosses as a WireError, the person still reads Error/Hint on stderr
  let r = await cli(e, ['start', 'master', '--json']);
  assert.equal(r.code, 1, why(r));
  const refused = parseReply('start', HOST, r);
  assert.ok(!refused.ok);
  assert.equal(refused.error.class, 'ConfigError');
  assert.match(refused.error.message, /is not formatted/);
  assert.match(r.stderr, /^Error: the journal folder .* is not formatted\nHint: /m);

  r = await cli(e, ['formatJournal', '--json']);
  assert.equal(r.code, 0, why(r));
  const formatted = parseReply('formatJournal', HOST, r);
  assert.ok(formatted.ok);
  assert.deepEqual(formatted.result.journals, [{ name: 'master', folder: path.join(e.workDir, 'journal'), action: 'formatted' }]);
  assert.match(r.stderr, /^Formatted journal /m);

  r = await cli(e, ['start', 'master', '--json']);
  assert.equal(r.code, 0, why(r));
  assert.equal(r.stdout.split('\n').filter(Boolean).length, 1, 'stdout is exactly the reply');
  assert.match(r.stderr, new RegExp(`^Starting master @ ${HOST}\\. Logging to `, 'm'));
  assert.match(r.stderr, /\[ OK \] The master service @ .* is in a healthy state\./);
  const started = parseReply('start', HOST, r);
  assert.ok(started.ok);
  const [m] = started.result.processes;
  const pid = pidOf(e.runDir, 'master');
  assert.deepEqual({ ...m, configHash: typeof m!.configHash }, {
    kind: 'master', name: 'master', action: 'started', pid, readiness: 'serving', role: 'leader',
    ports: { rpc: e.ports.masterRpc, web: e.ports.masterWeb, journal: e.ports.journal }, configHash: 'string',
    ...(m!.instanceId !== undefined ? { instanceId: m!.instanceId } : {}),
    ...(m!.journalIndex !== undefined ? { journalIndex: m!.journalIndex } : {}),
  });

  r = await cli(e, ['facts']);
  assert.equal(r.code, 0, why(r));
  const facts = parseReply('facts', HOST, r);
  assert.ok(facts.ok);
  assert.deepEqual(facts.result.master, { running: true, pid });

  r = await cli(e, ['stop', 'master', '--json']);
  assert.equal(r.code, 0, why(r));
  const stopped = parseReply('stop', HOST, r);
  assert.ok(stopped.ok);
  assert.deepEqual(stopped.result.processes, [{ kind: 'master', name: 'master', action: 'stopped', pid }]);
  assert.match(r.stderr, /^Killed 1 process\(es\) on /m);
});
