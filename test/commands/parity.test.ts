/**
 * Alluxio habits through the real CLI (issue 11, requirement 5): unknown verbs, bootstrapConf,
 * getConf (the reference's cases 49-53), version -r, quorum -domain, gRPC error text,
 * alluxio-mount.sh, start/stop -c and restart_worker(s). Exact outputs and exit codes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseStartArgs, restartedWorkers, START_USAGE } from '../../src/commands/start.js';
import { parseStopArgs, STOP_USAGE } from '../../src/commands/stop.js';
import { MOUNT_USAGE } from '../../src/commands/mount.js';
import { BOOTSTRAP_USAGE } from '../../src/commands/bootstrapConf.js';
import { cleanGrpcDetails } from '../../src/rpc.js';
import { VERSION } from '../../src/version.js';
import { isRamMounted } from '../../src/orchestrate/local/mount.js';
import { cachePathOf } from '../../src/orchestrate/local/ramcache.js';
import { needsRoot } from '../harness/root.js';
import { CLI_JS, cli, isOurServer, killFromPidFiles, makeCliEnv, type CliEnv, type CliRun, explain } from '../orchestrate/helpers.js';

const HOST = os.hostname();
const BIN = path.resolve(path.dirname(CLI_JS), '..', '..', 'bin');

/** Run one of the bin/ scripts (the shell shim, not node directly) with the env of `e`. */
function script(e: CliEnv, name: string, args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    const p = spawn(path.join(BIN, name), args, { env: e.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** A CLI env whose conf dir holds no site file (what a new user has). */
async function bareEnv(): Promise<CliEnv> {
  const e = await makeCliEnv();
  fs.rmSync(path.join(e.confDir, 'alluxio-site.properties'));
  return e;
}

test('unknown commands: one Unsupported command line, then the usage; exit 1', async () => {
  const e = await bareEnv();
  let r = await cli(e, ['nope']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  const lines = r.stderr.split('\n');
  assert.equal(lines[0], 'Unsupported command nope');
  assert.match(lines[1]!, /^Usage: alluxio COMMAND/);
  assert.equal(lines.filter((l) => /nope|error/i.test(l)).length, 1, r.stderr);
  r = await cli(e, ['getconf', 'x']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.split('\n')[0], 'Unsupported command getconf (did you mean "getConf"?)');
  r = await cli(e, ['fsadmin', 'nope']);
  assert.equal(r.code, 1);
  assert.deepEqual(r.stderr.split('\n').slice(0, 2), ['Unsupported command nope', 'Usage: alluxio fsadmin [options] [command]']);
  assert.equal(r.stderr.split('\n').filter((l) => /nope|error/i.test(l)).length, 1, r.stderr);
  r = await cli(e, ['fsadmin']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^Usage: alluxio fsadmin/);
});

test('bootstrapConf: usage, create, already exists, bad host names', async () => {
  const e = await bareEnv();
  const file = path.join(e.confDir, 'alluxio-site.properties');
  let r = await cli(e, ['bootstrapConf']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', `${BOOTSTRAP_USAGE}\n`]);
  r = await cli(e, ['bootstrapConf', 'm1:19998']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^Error: bootstrapConf takes the master's host name, not host:port \(m1:19998\)\nHint: /);
  r = await cli(e, ['bootstrapConf', 'bad_host!']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^Error: "bad_host!" is not a valid host name or IP address\n/);
  r = await cli(e, ['bootstrapConf', 'a', 'b']);
  assert.equal(r.code, 1);
  assert.equal(fs.existsSync(file), false);
  r = await cli(e, ['bootstrapConf', 'm1']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, `${file} is created.\n`, '']);
  assert.equal(fs.readFileSync(file, 'utf8'), 'alluxio.master.hostname=m1\n');
  r = await cli(e, ['bootstrapConf', 'm2']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, `${file} already exists\n`, '']);
  assert.equal(fs.readFileSync(file, 'utf8'), 'alluxio.master.hostname=m1\n');
  r = await cli(e, ['getConf', 'alluxio.master.hostname']);
  assert.equal(r.stdout, 'm1\n');
});

test('getConf: the reference cases 49-53', async () => {
  const e = await bareEnv();
  const file = path.join(e.confDir, 'alluxio-site.properties');
  const out = async (args: string[]) => { const r = await cli(e, args); assert.equal(r.code, 0, r.stderr); return r.stdout; };
  assert.equal(await out(['getConf', 'alluxio.master.rpc.port']), '19998\n');
  assert.equal(await out(['getConf', '--unit', 'KB', 'alluxio.user.block.size.bytes.default']), '65536\n');
  assert.equal(await out(['getConf', '--unit', 'S', 'alluxio.master.worker.timeout']), '300\n');
  let r = await cli(e, ['getConf', 'alluxio.not.a.key']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^Error: alluxio\.not\.a\.key is not a valid configuration key\nHint: .*usage: alluxio getConf \[--unit <unit>\] \[--source\] \[key\]/);
  r = await cli(e, ['getConf', 'a', 'b']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /More arguments than expected\. Args: \[a, b\]/);
  // 51: an unset key with an empty default prints an empty line, with or without --source
  assert.equal(await out(['getConf', '--source', 'alluxio.master.hostname']), '\n');
  assert.equal(await out(['getConf', 'alluxio.master.hostname']), '\n');
  assert.equal(await out(['getConf', '--source', '-Dalluxio.master.hostname=x', 'alluxio.master.hostname']), 'SYSTEM_PROPERTY\n');
  assert.equal(await out(['getConf', '--source', 'alluxio.master.rpc.port']), 'DEFAULT\n');
  fs.writeFileSync(file, 'alluxio.master.hostname=h1\nalluxio.master.rpc.port=1\nalluxio.work.dir=/data\n');
  assert.equal(await out(['getConf', '--source', 'alluxio.master.hostname']), `SITE_PROPERTY (${file}:1)\n`);
  // 52: -D over the site file
  assert.equal(await out(['getConf', '-Dalluxio.master.rpc.port=2', 'alluxio.master.rpc.port']), '2\n');
  // 53: ${} references, and a cycle is an error
  assert.equal(await out(['getConf', 'alluxio.master.journal.folder']), '/data/journal\n');
  fs.writeFileSync(file, 'alluxio.work.dir=${alluxio.work.dir}/x\n');
  r = await cli(e, ['getConf', 'alluxio.work.dir']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /circular reference: alluxio\.work\.dir -> alluxio\.work\.dir/);
});

test('version and version -r [len]', async () => {
  const e = await bareEnv();
  const rev = fs.readFileSync(path.join(path.dirname(CLI_JS), 'revision.txt'), 'utf8').trim();
  assert.match(rev, /^([0-9a-f]{40}|unknown)$/);
  let r = await cli(e, ['version']);
  assert.deepEqual([r.code, r.stdout], [0, `${VERSION}\n`]);
  r = await cli(e, ['version', '-r']);
  assert.deepEqual([r.code, r.stdout], [0, `${VERSION}-${rev}\n`]);
  r = await cli(e, ['version', '-r', '8']);
  assert.deepEqual([r.code, r.stdout], [0, `${VERSION}-${rev === 'unknown' ? rev : rev.slice(0, 8)}\n`]);
  r = await cli(e, ['version', '-r', 'abc']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', "Error: Couldn't parse abc as an integer\nHint: Usage: alluxio version [-r [len]]\n"]);
  r = await cli(e, ['version', '-r', '0']);
  assert.equal(r.code, 1);
});

test('fsadmin journal quorum: -domain is required by info, add and remove (no master is asked)', async () => {
  const e = await bareEnv();
  for (const [verb, extra] of [['info', []], ['remove', ['-address', 'h:19200']], ['add', ['-address', 'h:19200']]] as const) {
    const r = await cli(e, ['fsadmin', 'journal', 'quorum', verb, ...extra]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.split('\n')[0], `Error: fsadmin journal quorum ${verb} needs -domain <MASTER|JOB_MASTER>`);
  }
  let r = await cli(e, ['fsadmin', 'journal', 'quorum', 'info', '-domain', 'JOB_MASTER']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.split('\n')[0], 'Error: -domain JOB_MASTER is not supported; only MASTER has an embedded journal here');
  r = await cli(e, ['fsadmin', 'journal', 'quorum', 'info', '-domain', 'NOPE']);
  assert.equal(r.stderr.split('\n')[0], 'Error: -domain NOPE is not a journal domain');
});

test('validateEnv: no target, a bad target and list need no hosts files (case 56)', async () => {
  const e = await bareEnv();
  fs.rmSync(path.join(e.confDir, 'masters'));
  fs.rmSync(path.join(e.confDir, 'workers'));
  let r = await cli(e, ['validateEnv']);
  assert.deepEqual([r.code, r.stderr], [1, 'Error: Target not specified.\nHint: use one of all, masters, workers, list\n']);
  r = await cli(e, ['validateEnv', 'local', 'zzz']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.split('\n')[0], 'Error: Invalid target: local zzz');
  r = await cli(e, ['validateEnv', 'list']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^ssh\.reachable +the host answers over SSH/m);
});

test('gRPC connection errors carry no dangling "Resolution note: "', async () => {
  assert.equal(cleanGrpcDetails('No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: '),
    'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1');
  assert.equal(cleanGrpcDetails('No connection established. Last error: Error: x. Resolution note: DNS failed'),
    'No connection established. Last error: x. Resolution note: DNS failed');
  const e = await bareEnv();
  const r = await cli(e, ['fs', 'ls', '/', '-Dalluxio.master.rpc.port=1', '-Dalluxio.user.rpc.retry.max.duration=1s']);
  assert.equal(r.code, 1);
  assert.doesNotMatch(r.stderr, /Resolution note/);
  assert.match(r.stderr, /Last error: connect ECONNREFUSED 127\.0\.0\.1:1\)/);
});

test('parseStartArgs / parseStopArgs: -c, restart_worker(s); restartedWorkers', () => {
  const noMount = { mountMode: 'NoMount', mountNote: 'Assuming NoMount by default.' };
  assert.deepEqual(parseStartArgs(['worker', '-c', '/c']), { action: 'worker', async: false, format: false, ...noMount, cache: '/c' });
  assert.deepEqual(parseStartArgs(['local', 'SudoMount', '-c', '/c']), { action: 'local', async: false, format: false, mountMode: 'SudoMount', cache: '/c' });
  assert.deepEqual(parseStartArgs(['-a', 'restart_worker']), { action: 'restart_worker', async: true, format: false });
  assert.deepEqual(parseStartArgs(['restart_workers']), { action: 'restart_workers', async: false, format: false });
  assert.deepEqual(parseStartArgs(['workers', 'NoMount', '-c', '/c']), { error: 'Option -c (restore the ramdisk from a cache directory) applies to worker and local, not workers' });
  assert.deepEqual(parseStopArgs(['worker', '-c', '/c', '-s']), { action: 'worker', soft: true, cache: '/c' });
  assert.deepEqual(parseStopArgs(['-c', '/c', 'local']), { action: 'local', soft: false, cache: '/c' });
  assert.deepEqual(parseStopArgs(['-c', '/c']), { error: 'Option -c (save the ramdisk to a cache directory) applies to worker and local' });
  const row = (host: string, status: 'ok' | 'changed') => ({ host, status, detail: '', ms: 0 });
  assert.equal(restartedWorkers([{ phase: 'start worker', results: [row('w1', 'ok'), row('w2', 'ok')] }]), 'Skipping the monitor checks...');
  assert.equal(restartedWorkers([{ phase: 'check', results: [row('w1', 'ok')] }, { phase: 'start worker', results: [row('w1', 'changed'), row('w2', 'ok')] }]),
    'Restarted the workers that were not running: w1');
});

test('start/stop -c and restart_*: usage errors, exit 1, nothing started', async () => {
  const e = await makeCliEnv();
  const usage = async (args: string[], message: string, text: string) => {
    const r = await cli(e, args);
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', `Error: ${message}\n${text}\n`], args.join(' '));
  };
  await usage(['start', 'master', '-c', '/x'], 'Option -c (restore the ramdisk from a cache directory) applies to worker and local, not master', START_USAGE);
  await usage(['start', 'worker', '-c'], 'Option -c needs a cache directory: -c <dir>', START_USAGE);
  await usage(['start', 'worker', 'NoMount', '-f', '-c', '/x'], 'Options -f and -c contradict each other: formatting the worker would delete what -c restores', START_USAGE);
  await usage(['start', 'restart_worker', 'NoMount'], 'Invalid argument: NoMount', START_USAGE);
  await usage(['stop', 'master', '-c', '/x'], 'Option -c (save the ramdisk to a cache directory) applies to worker and local, not master', STOP_USAGE);
  await usage(['stop', 'worker', '-c'], 'Option -c needs a cache directory: -c <dir>', STOP_USAGE);
  const help = await cli(e, ['start', '-h']);
  assert.match(help.stdout, /^ {2}restart_worker {6}Start a worker on this host only if none runs/m);
  assert.match(help.stdout, /^ {2}restart_workers {5}The same on every host of conf\/workers/m);
  assert.match(help.stdout, /^-c cache {2}Before the worker starts/m);
  // a missing cache: exit 2 before anything starts
  const missing = path.join(e.dir, 'no-cache');
  const r = await cli(e, ['start', 'worker', '-c', missing]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, 'Assuming NoMount by default.\n');
  assert.equal(r.stderr, `Error: Cache path ${missing} does not exist; aborting\nHint: give -c the directory that alluxio-stop.sh worker -c saved to\n`);
  assert.equal(fs.existsSync(e.runDir), false);
  // a file in the way of a save: Alluxio's message, exit 1
  const file = path.join(e.dir, 'file');
  fs.writeFileSync(file, '');
  const s = await cli(e, ['stop', 'worker', '-c', file]);
  assert.equal(s.code, 1);
  assert.equal(s.stdout, '');
  assert.equal(s.stderr, `Error: Non-directory file already exists at the path ${file}; aborting\nHint: move that file away or give -c another directory\n`);
  // -c at the ramdisk itself, or at /
  const own = await cli(e, ['stop', 'worker', '-c', e.ramdisk]);
  assert.equal(own.code, 2);
  assert.match(own.stderr, /^Error: the ramdisk cache .* is the ramdisk .*: it would be lost with the ramdisk\n/);
  const root = await cli(e, ['start', 'worker', '-c', '/']);
  assert.equal(root.code, 2);
  assert.match(root.stderr, /^Error: the ramdisk cache cannot be \/: the cache of a ramdisk would be the ramdisk itself\n/);
});

test('alluxio-mount.sh: usage errors on stderr with exit 1; Umount of what is not mounted says so', async () => {
  const e = await makeCliEnv();
  for (const [args, message] of [[[], 'no ACTION specified'], [['Bogus'], 'Invalid ACTION: Bogus'], [['Mount', 'nowhere'], 'Invalid MACHINE: nowhere (local or workers)'], [['Mount', 'local', 'x'], 'Invalid argument: x']] as const) {
    const r = await script(e, 'alluxio-mount.sh', [...args]);
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', `Error: ${message}\n${MOUNT_USAGE}\n`]);
  }
  const r = await script(e, 'alluxio-mount.sh', ['Umount']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, `Ramdisk ${e.ramdisk} is not mounted; nothing to unmount\n`, '']);
  const dry = await script(e, 'alluxio-mount.sh', ['SudoMount', 'workers', '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(dry.stdout, 'Plan (dry run: nothing is changed)\n[localhost] would run: alluxio mount SudoMount local\n');
});

test('alluxio-mount.sh Mount then Umount: a real tmpfs of the configured size (root)', { skip: needsRoot('mounts a tmpfs') }, async (t) => {
  const e = await makeCliEnv({ 'alluxio.worker.ramdisk.size': '4MB' });
  t.after(async () => {
    if (isRamMounted(e.ramdisk)) await script(e, 'alluxio-mount.sh', ['Umount']);
  });
  let r = await script(e, 'alluxio-mount.sh', ['Mount']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, `Ramdisk ${e.ramdisk} not detected. Mounting tmpfs (size 4194304 bytes)...\n`, '']);
  assert.equal(isRamMounted(e.ramdisk), true);
  r = await script(e, 'alluxio-mount.sh', ['Mount', 'local']);
  assert.deepEqual([r.code, r.stdout], [0, `Ramdisk ${e.ramdisk} already mounted. Skipping mounting procedure.\n`]);
  r = await script(e, 'alluxio-mount.sh', ['Umount']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, `Unmounting ${e.ramdisk}\n`, '']);
  assert.equal(isRamMounted(e.ramdisk), false);
});

test('stop worker -c saves the ramdisk, start worker -c restores it; restart_worker(s) start only what is down', async (t) => {
  const e = await makeCliEnv({ 'alluxio.user.file.writetype.default': 'MUST_CACHE' });
  t.after(() => killFromPidFiles(e));
  const why = explain(e);
  const ok = async (args: string[]) => { const r = await cli(e, args); assert.equal(r.code, 0, why(r)); return r; };
  const workerPid = () => Number(fs.readFileSync(path.join(e.runDir, 'worker.pid'), 'utf8').trim());
  await ok(['format']);
  await ok(['start', 'local', 'NoMount']);
  const local = path.join(e.dir, 'payload');
  fs.writeFileSync(local, 'only in the ramdisk\n');
  await ok(['fs', 'copyFromLocal', local, '/f']);

  // the running worker: restart_worker does nothing and skips the check
  let r = await ok(['start', 'restart_worker']);
  assert.equal(r.stdout, `worker is already running (pid ${workerPid()}); not restarting it\nSkipping the monitor checks...\n`);
  // a file in the way: nothing stopped
  const file = path.join(e.dir, 'file');
  fs.writeFileSync(file, '');
  const pid = workerPid();
  r = await cli(e, ['stop', 'worker', '-c', file]);
  assert.equal(r.code, 1);
  assert.ok(isOurServer(pid, 'worker'), 'the worker still runs');
  // unmounting under a running worker is refused
  r = await script(e, 'alluxio-mount.sh', ['Umount']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.split('\n')[0], `Error: [${HOST}] a worker runs on this host (pid ${pid}); unmounting its ramdisk would lose its blocks under it`);

  // save, then lose the ramdisk (a reboot), then restore before the worker starts
  const cache = path.join(e.dir, 'cache');
  const target = cachePathOf(cache, e.ramdisk);
  r = await ok(['stop', 'worker', '-c', cache]);
  const saved = r.stdout.split('\n');
  assert.deepEqual(saved.slice(0, 2), [`Killed 1 process(es) on ${HOST}`, `Saving ramdisk ${e.ramdisk} to ${target}`]);
  assert.match(saved[2]!, new RegExp(`^Saved \\d+ file\\(s\\), \\d+ bytes, from ${e.ramdisk} to ${target}$`));
  for (const n of fs.readdirSync(e.ramdisk)) fs.rmSync(path.join(e.ramdisk, n), { recursive: true });
  r = await ok(['start', 'worker', '-c', cache]);
  assert.match(r.stdout, new RegExp(`Populating ramdisk ${e.ramdisk} with ${target}\nRestored \\d+ file\\(s\\)`));
  assert.match(r.stdout, /--- \[ OK \] The worker service @ .* is in a healthy state\.\n$/);
  assert.equal((await ok(['fs', 'cat', '/f'])).stdout, 'only in the ramdisk\n');
  // a worker that runs keeps its ramdisk
  r = await ok(['start', 'worker', '-c', cache]);
  assert.match(r.stdout, new RegExp(`^The ramdisk was not restored from ${cache}: the worker already runs and uses it$`, 'm'));

  // restart_worker after a stop starts one
  await ok(['stop', 'worker']);
  r = await ok(['start', 'restart_worker']);
  assert.match(r.stdout, new RegExp(`^Starting worker @ ${HOST}\\. Logging to `, 'm'));
  assert.match(r.stdout, /--- \[ OK \] The worker service @ .* is in a healthy state\.\n$/);
  // restart_workers: over the cluster session; all running -> Alluxio's skip line
  r = await ok(['start', 'restart_workers']);
  assert.equal(r.stdout.trimEnd().split('\n').at(-1), 'Skipping the monitor checks...', why(r));
  // the install pushed to alluxio.home carries the new script
  assert.ok(fs.statSync(path.join(e.home, 'bin', 'alluxio-mount.sh')).mode & 0o100, 'bin/alluxio-mount.sh pushed, executable');
  await ok(['stop', 'worker']);
  r = await ok(['start', 'restart_workers']);
  assert.equal(r.stdout.trimEnd().split('\n').at(-1), 'Restarted the workers that were not running: localhost', why(r));
  assert.ok(isOurServer(workerPid(), 'worker'));
  await ok(['stop', 'local']);
});

test('stop worker -s -c: a worker that ignores SIGTERM is not killed, its pid file is kept, nothing is saved', async (t) => {
  const e = await makeCliEnv();
  // A stand-in for our worker: node running .../server/worker/main.js, deaf to SIGTERM.
  const main = path.join(e.dir, 'fake', 'server', 'worker', 'main.js');
  fs.mkdirSync(path.dirname(main), { recursive: true });
  fs.writeFileSync(main, "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); console.log('up');\n");
  const child = spawn(process.execPath, [main], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.after(() => { child.kill('SIGKILL'); });
  await new Promise((r) => child.stdout.once('data', r)); // its SIGTERM handler is installed
  fs.mkdirSync(e.runDir, { recursive: true });
  fs.writeFileSync(path.join(e.runDir, 'worker.pid'), `${child.pid}\n`);
  fs.mkdirSync(e.ramdisk, { recursive: true });
  fs.writeFileSync(path.join(e.ramdisk, 'block'), 'b');
  const cache = path.join(e.dir, 'cache');
  const r = await cli(e, ['stop', 'worker', '-s', '-c', cache]);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, `Killed 0 process(es) on ${HOST}\n`);
  assert.match(r.stderr, new RegExp(`^The ramdisk was not saved to ${cache}: the stop failed\\nError: .*did not stop within 30 s of SIGTERM; not killing it \\(soft stop\\)`));
  assert.equal(child.exitCode, null, 'still running: -s never sends SIGKILL');
  assert.equal(fs.readFileSync(path.join(e.runDir, 'worker.pid'), 'utf8').trim(), String(child.pid));
  assert.equal(fs.existsSync(cache), false);
});
