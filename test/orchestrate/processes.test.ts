import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { HostError, TimeoutError } from '../../src/errors.js';
import {
  acquireStartLock, answersAsStarted, cmdlineMatches, defineArgs, isAlive, isReadyInfo, logFile, logTail, pidFile, readCmdline,
  readinessUrl, readPidFile, status, stopProcess, waitReady, writePidFile,
} from '../../src/orchestrate/local/processes.js';
import { alive, fakeConf, killQuietly, spawnDummy, tmpDir } from './helpers.js';
import { waitFor } from '../harness/wait.js';

function conf(dir: string, extra: Record<string, string> = {}) {
  return fakeConf({
    'alluxio.run.dir': path.join(dir, 'run'),
    'alluxio.logs.dir': path.join(dir, 'logs'),
    'alluxio.master.web.port': '19999',
    'alluxio.worker.web.port': '30000',
    ...extra,
  });
}

/** A pid that certainly is not running: a child that has exited (and been reaped). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid!;
}

test('pidFile and logFile live in alluxio.run.dir and alluxio.logs.dir', () => {
  const c = conf('/x');
  assert.equal(pidFile(c, 'master'), '/x/run/master.pid');
  assert.equal(pidFile(c, 'worker'), '/x/run/worker.pid');
  assert.equal(logFile(c, 'master'), '/x/logs/master.log');
  assert.equal(logFile(c, 'worker'), '/x/logs/worker.log');
});

test('status: no pid file means not running', () => {
  const dir = tmpDir();
  assert.deepEqual(status(conf(dir), 'master'), { running: false });
});

test('status: a pid file naming a dead process is stale and removed', () => {
  const dir = tmpDir();
  const c = conf(dir);
  const pid = deadPid();
  writePidFile(pidFile(c, 'worker'), pid);
  const st = status(c, 'worker');
  assert.equal(st.running, false);
  assert.equal(st.stalePidFile, true);
  assert.equal(st.pid, pid);
  assert.match(st.staleReason!, /is not running/);
  assert.equal(fs.existsSync(pidFile(c, 'worker')), false);
});

test('status: garbage, 0 and 1 in a pid file are stale, nothing is signalled', () => {
  const dir = tmpDir();
  const c = conf(dir);
  for (const text of ['hello\n', '0\n', '1\n', '-5\n', '']) {
    fs.mkdirSync(path.dirname(pidFile(c, 'master')), { recursive: true });
    fs.writeFileSync(pidFile(c, 'master'), text);
    const st = status(c, 'master');
    assert.equal(st.running, false, JSON.stringify(text));
    assert.equal(st.stalePidFile, true);
    assert.equal(fs.existsSync(pidFile(c, 'master')), false);
  }
});

test('a live process whose cmdline does not match is never signalled; its pid file is stale', async (t) => {
  const dir = tmpDir();
  const c = conf(dir);
  const dummy = await spawnDummy('not-an-alluxio-server');
  t.after(() => killQuietly(dummy));
  assert.equal(cmdlineMatches(dummy.pid, 'master'), false);
  assert.ok(readCmdline(dummy.pid)!.includes('not-an-alluxio-server'));

  writePidFile(pidFile(c, 'master'), dummy.pid);
  const st = status(c, 'master');
  assert.equal(st.running, false);
  assert.equal(st.stalePidFile, true);
  assert.match(st.staleReason!, /not an Alluxio master/);
  assert.equal(fs.existsSync(pidFile(c, 'master')), false);
  assert.ok(alive(dummy.pid));

  writePidFile(pidFile(c, 'master'), dummy.pid);
  const lines: string[] = [];
  const n = await stopProcess(c, 'master', { graceMs: 200, out: (l) => lines.push(l) });
  assert.equal(n, 0);
  assert.ok(alive(dummy.pid), 'the unrelated process must survive');
  assert.equal(fs.existsSync(pidFile(c, 'master')), false);
  assert.match(lines.join('\n'), /Removed stale pid file .*master\.pid: process \d+ is not an Alluxio master/);
});

test('status: a matching live process is running', async (t) => {
  const dir = tmpDir();
  const c = conf(dir);
  const dummy = await spawnDummy('fake-server-marker');
  t.after(() => killQuietly(dummy));
  writePidFile(pidFile(c, 'worker'), dummy.pid);
  const matches = (pid: number) => (readCmdline(pid) ?? []).includes('fake-server-marker');
  assert.deepEqual(status(c, 'worker', { matches }), { running: true, pid: dummy.pid });
  assert.equal(readPidFile(pidFile(c, 'worker')), dummy.pid);
});

test('stopProcess: SIGTERM is enough for a well-behaved process; pid file removed', async (t) => {
  const dir = tmpDir();
  const c = conf(dir);
  const dummy = await spawnDummy('fake-server-polite');
  t.after(() => killQuietly(dummy));
  writePidFile(pidFile(c, 'master'), dummy.pid);
  const matches = (pid: number) => (readCmdline(pid) ?? []).includes('fake-server-polite');
  const lines: string[] = [];
  const n = await stopProcess(c, 'master', { graceMs: 5000, matches, out: (l) => lines.push(l) });
  assert.equal(n, 1);
  assert.equal(isAlive(dummy.pid), false);
  assert.equal(fs.existsSync(pidFile(c, 'master')), false);
  assert.deepEqual(lines, []);
});

test('stopProcess: a process ignoring SIGTERM gets SIGKILL after the grace period', async (t) => {
  const dir = tmpDir();
  const c = conf(dir);
  const dummy = await spawnDummy('fake-server-stubborn', true);
  t.after(() => killQuietly(dummy));
  writePidFile(pidFile(c, 'worker'), dummy.pid);
  const matches = (pid: number) => (readCmdline(pid) ?? []).includes('fake-server-stubborn');
  const lines: string[] = [];
  const started = Date.now();
  const n = await stopProcess(c, 'worker', { graceMs: 500, matches, out: (l) => lines.push(l) });
  assert.ok(Date.now() - started >= 450, 'waited for the grace period');
  assert.equal(n, 1);
  assert.equal(isAlive(dummy.pid), false);
  assert.equal(fs.existsSync(pidFile(c, 'worker')), false);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^The worker process \d+ did not stop within 0\.5 s of SIGTERM; sending SIGKILL\.$/);
});

test('stopProcess soft: never SIGKILL; a stubborn process is a TimeoutError and keeps its pid file', async (t) => {
  const dir = tmpDir();
  const c = conf(dir);
  const dummy = await spawnDummy('fake-server-soft', true);
  t.after(() => killQuietly(dummy));
  writePidFile(pidFile(c, 'master'), dummy.pid);
  const matches = (pid: number) => (readCmdline(pid) ?? []).includes('fake-server-soft');
  await assert.rejects(stopProcess(c, 'master', { graceMs: 300, soft: true, matches }), (e: unknown) => {
    assert.ok(e instanceof TimeoutError);
    assert.match(e.message, /did not stop within 0\.3 s of SIGTERM; not killing it \(soft stop\)/);
    return true;
  });
  assert.ok(alive(dummy.pid));
  assert.equal(readPidFile(pidFile(c, 'master')), dummy.pid);
});

test('stopProcess: nothing to stop returns 0', async () => {
  assert.equal(await stopProcess(conf(tmpDir()), 'master'), 0);
});

test('logTail: the last 30 lines between markers; EMPTY for a missing or empty file', () => {
  const dir = tmpDir();
  const f = path.join(dir, 'master.log');
  assert.equal(logTail(f), `>>> BEGIN ${f}\n--- EMPTY ---\n<<< EOF`);
  fs.writeFileSync(f, '');
  assert.equal(logTail(f), `>>> BEGIN ${f}\n--- EMPTY ---\n<<< EOF`);
  const lines = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`);
  fs.writeFileSync(f, lines.join('\n') + '\n');
  assert.equal(logTail(f), `>>> BEGIN ${f}\n${lines.slice(10).join('\n')}\n<<< EOF`);
});

test('readinessUrl and isReadyInfo', () => {
  assert.equal(readinessUrl(conf('/x'), 'master'), 'http://localhost:19999/api/v1/master/info');
  assert.equal(readinessUrl(conf('/x', { 'alluxio.master.hostname': 'm1' }), 'master'), 'http://m1:19999/api/v1/master/info');
  assert.equal(readinessUrl(conf('/x'), 'worker'), 'http://localhost:30000/api/v1/worker/info');
  assert.equal(isReadyInfo('master', { isLeader: true }), true);
  assert.equal(isReadyInfo('master', { isLeader: false }), false);
  assert.equal(isReadyInfo('worker', { registered: true }), true);
  assert.equal(isReadyInfo('worker', { registered: 'true' }), false);
  assert.equal(isReadyInfo('worker', null), false);
  // ZooKeeper mode: a standby that names the leader is ready; one that knows none is not.
  assert.equal(isReadyInfo('master', { isLeader: false, leaderAddress: 'm1:19998' }, 'leader-known'), true);
  assert.equal(isReadyInfo('master', { isLeader: false, leaderAddress: '' }, 'leader-known'), false);
  assert.equal(isReadyInfo('master', { isLeader: true }, 'leader-known'), true);
});

test('a named process (one of several masters) has its own pid file, log and start lock', () => {
  const dir = tmpDir();
  const c = conf(dir);
  const m = { kind: 'master' as const, name: 'master-19201' };
  assert.equal(pidFile(c, m), path.join(dir, 'run', 'master-19201.pid'));
  assert.equal(logFile(c, m), path.join(dir, 'logs', 'master-19201.log'));
  const release = acquireStartLock(c, m);
  assert.ok(fs.existsSync(path.join(dir, 'run', 'master-19201.start.lock')));
  acquireStartLock(c, 'master')(); // another master's lock is another file
  release();
  writePidFile(pidFile(c, m), deadPid());
  const st = status(c, m);
  assert.equal(st.stalePidFile, true);
  assert.equal(fs.existsSync(pidFile(c, m)), false);
});

test('isReadyInfo: answer readiness is any info object (a standby master)', () => {
  assert.equal(isReadyInfo('master', { isLeader: false }, 'answer'), true);
  assert.equal(isReadyInfo('master', { isLeader: false }), false);
  assert.equal(isReadyInfo('master', null, 'answer'), false);
});

test('waitReady: answer readiness returns the first info', async () => {
  const info = await waitReady(conf(tmpDir()), { kind: 'master', name: 'master-19200' }, { timeoutMs: 5000, intervalMs: 10, readiness: 'answer', fetchJson: async () => ({ isLeader: false, masterAddress: 'h:1' }) });
  assert.deepEqual(info, { isLeader: false, masterAddress: 'h:1' });
});

test('defineArgs: -Dk=v in a stable order', () => {
  assert.deepEqual(defineArgs({ 'b.key': '2', 'a.key': 'x y' }), ['-Da.key=x y', '-Db.key=2']);
});

test('waitReady: polls until the master leads', async () => {
  let calls = 0;
  const fetchJson = async () => (++calls < 3 ? { isLeader: false } : { isLeader: true });
  await waitReady(conf(tmpDir()), 'master', { timeoutMs: 5000, intervalMs: 10, fetchJson });
  assert.equal(calls, 3);
});

test('waitReady: times out with the log tail', async () => {
  const dir = tmpDir();
  const c = conf(dir);
  fs.mkdirSync(path.join(dir, 'logs'));
  fs.writeFileSync(logFile(c, 'worker'), 'boom\n');
  const fetchJson = async () => { throw Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } }); };
  await assert.rejects(waitReady(c, 'worker', { timeoutMs: 300, intervalMs: 50, fetchJson }), (e: unknown) => {
    assert.ok(e instanceof TimeoutError);
    assert.match(e.message, /the worker was not ready after 0\.3 s \(http:\/\/localhost:30000\/api\/v1\/worker\/info: ECONNREFUSED\)/);
    assert.ok(e.message.endsWith(`>>> BEGIN ${logFile(c, 'worker')}\nboom\n<<< EOF`));
    return true;
  });
});

test('waitReady: fails at once when the process has exited', async () => {
  const dir = tmpDir();
  const c = conf(dir);
  const pid = deadPid();
  const started = Date.now();
  await assert.rejects(waitReady(c, 'master', { timeoutMs: 10_000, pid, fetchJson: async () => ({}) }), (e: unknown) => {
    assert.ok(e instanceof HostError);
    assert.match(e.message, new RegExp(`the master process \\(pid ${pid}\\) exited before it was ready`));
    assert.match(e.message, /--- EMPTY ---\n<<< EOF$/);
    return true;
  });
  assert.ok(Date.now() - started < 5000);
});

test('waitReady: only the started process counts (instanceId, else pid)', async () => {
  const c = conf(tmpDir());
  const answers = [{ isLeader: true, pid: 1234, instanceId: 'other' }, { isLeader: true, pid: process.pid, instanceId: 'ours' }];
  let calls = 0;
  const fetchJson = async () => answers[Math.min(calls++, 1)];
  const info = await waitReady(c, 'master', { timeoutMs: 5000, intervalMs: 10, pid: process.pid, instanceId: 'ours', matches: () => true, fetchJson });
  assert.deepEqual(info, answers[1]);
  assert.equal(calls, 2, 'the answer of another instance was not taken for ours');
  assert.equal(answersAsStarted({ pid: 7 }, { pid: 7 }), true);
  assert.equal(answersAsStarted({ pid: 7, instanceId: 'x' }, { pid: 7, instanceId: 'y' }), false, 'the instance id decides when known');
  assert.equal(answersAsStarted({}, { pid: 7 }), false, 'an answer that names no pid is not ours');
  assert.equal(answersAsStarted({}, {}), true, 'nothing known: any answer');
});

test('waitReady: another process answering while the started one has exited fails at once, naming port and pid', async () => {
  const c = conf(tmpDir());
  const pid = deadPid();
  await assert.rejects(waitReady(c, 'worker', { timeoutMs: 60_000, pid, foreignGraceMs: 60_000, fetchJson: async () => ({ registered: true, pid: 4321 }) }), (e: unknown) => {
    assert.ok(e instanceof HostError);
    assert.match(e.message, new RegExp(`^\\[.*\\] the worker process \\(pid ${pid}\\) exited before it was ready; another process \\(pid 4321\\) answers on port 30000 \\(http://localhost:30000/api/v1/worker/info\\)\n`));
    assert.match(e.hint ?? '', /another worker \(or another program\) uses port 30000/);
    return true;
  });
});

test('waitReady: another process answering while the started one keeps running fails after the grace', async () => {
  const c = conf(tmpDir());
  let calls = 0;
  const fetchJson = async () => { calls++; return { isLeader: true }; };
  await assert.rejects(waitReady(c, 'master', { timeoutMs: 60_000, intervalMs: 10, foreignGraceMs: 100, pid: process.pid, matches: () => true, fetchJson }), (e: unknown) => {
    assert.ok(e instanceof HostError);
    assert.match(e.message, new RegExp(`another process \\(pid unknown\\) answers on port 19999 \\(.*\\), not the master that was started \\(pid ${process.pid}\\)\n`));
    assert.match(e.hint ?? '', /the master that was started keeps running and cannot serve there: stop it with alluxio-stop\.sh master/);
    return true;
  });
  assert.ok(calls >= 2, 'it polled again during the grace');
});

test('acquireStartLock: exclusive while held by a live process, taken over when stale', () => {
  const dir = tmpDir();
  const c = conf(dir);
  const release = acquireStartLock(c, 'master');
  const lock = path.join(dir, 'run', 'master.start.lock');
  assert.equal(fs.readFileSync(lock, 'utf8').trim(), String(process.pid));
  release();
  assert.equal(fs.existsSync(lock), false);
  // held by a live other process (our parent shell/test runner): refused
  fs.writeFileSync(lock, `${process.ppid}\n`);
  assert.throws(() => acquireStartLock(c, 'master'), (e: unknown) => e instanceof HostError && /is starting the master right now/.test(e.message));
  // held by a dead process: taken over
  fs.writeFileSync(lock, `${deadPid()}\n`);
  acquireStartLock(c, 'master')();
  assert.equal(fs.existsSync(lock), false);
});

test('cmdlineMatches: a node process running .../server/<kind>/main.js; not another program on that file', async (t) => {
  const dir = tmpDir();
  const script = path.join(dir, 'server', 'master', 'main.js');
  fs.mkdirSync(path.dirname(script), { recursive: true });
  fs.writeFileSync(script, "setInterval(() => {}, 1000); process.stdout.write('ready\\n');\n");
  const { spawn } = await import('node:child_process');
  const node = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.after(() => killQuietly(node));
  await new Promise((resolve) => node.stdout.once('data', resolve));
  const tail = spawn('tail', ['-f', script], { stdio: 'ignore' });
  t.after(() => killQuietly(tail));
  await waitFor('tail to run', () => fs.readFileSync(`/proc/${tail.pid}/cmdline`, 'utf8').startsWith('tail\0'), 10_000, 10);
  assert.equal(cmdlineMatches(node.pid!, 'master'), true);
  assert.equal(cmdlineMatches(node.pid!, 'worker'), false);
  assert.equal(cmdlineMatches(tail.pid!, 'master'), false);
  assert.equal(cmdlineMatches(process.pid, 'master'), false);
});
