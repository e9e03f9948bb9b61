/**
 * The remote data path between two test hosts (network namespaces): a master and a worker on h1,
 * the client on h2, so every block byte crosses the hosts' bridge on the worker's data channel.
 * Processes are started inside the namespaces directly (ip netns exec), no SSH. Sizes around
 * the block size round-trip through the CLI (sha256); a worker killed mid-stream gives the client
 * a clear error and leaves no partial file visible as complete; a client killed mid-stream has
 * its streams freed on the worker (its drain then finds nothing in flight, no temp block is left).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { TestHosts } from '../harness/hosts.js';
import { CLI, ROOT, getJson } from '../harness/cluster.js';
import { waitFor } from '../harness/wait.js';
import { assertRoot, needsRoot } from '../harness/root.js';
import { formatJournal } from '../../src/journal/format.js';
import { ensureClusterSecret, SECRET_FILE } from '../../src/clusterSecret.js';
import { FileSystem } from '../../src/client/fileSystem.js';
import { loadConfig } from '../../src/conf/index.js';
import { FileDoesNotExistError } from '../../src/errors.js';

const skip = needsRoot('network namespaces');
const BLOCK = 1024 * 1024;
const MAIN = (kind: 'master' | 'worker') => path.join(ROOT, 'dist', 'src', 'server', kind, 'main.js');

let hosts: TestHosts | undefined;
let dir = '';
let confDir = '';
let h1 = '';
const procs: { name: string; child: ChildProcess; log: string }[] = [];

/** A process inside host `name`'s network namespace (its file system is this one's). */
function inHost(host: string, argv: string[], name: string): { name: string; child: ChildProcess; log: string } {
  const netns = hosts!.host(host).netns;
  const child = spawn('ip', ['netns', 'exec', netns, ...argv], { env: { ...cleanEnv(), ALLUXIO_CONF_DIR: confDir }, stdio: ['pipe', 'pipe', 'pipe'] });
  const p = { name, child, log: '' };
  child.stdout!.on('data', (d) => (p.log += d));
  child.stderr!.on('data', (d) => (p.log += d));
  procs.push(p);
  return p;
}
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const k of Object.keys(env)) if (k.startsWith('ALLUXIO_')) delete env[k];
  return env;
}
const exited = (p: { child: ChildProcess }) => p.child.exitCode !== null || p.child.signalCode !== null;
const exit = (p: { child: ChildProcess }) => new Promise<number | null>((r) => (exited(p) ? r(p.child.exitCode) : p.child.once('exit', (c) => r(c))));

/** The CLI on h2. */
async function cliOnH2(args: string[]): Promise<{ code: number | null; out: string }> {
  const p = inHost('h2', [process.execPath, CLI, ...args], `cli ${args.join(' ')}`);
  p.child.stdin!.end();
  const code = await exit(p);
  return { code, out: p.log };
}

let worker: { name: string; child: ChildProcess; log: string };
async function startWorker(): Promise<void> {
  worker = inHost('h1', [process.execPath, MAIN('worker')], 'worker');
  await waitFor('the worker on h1 registered', async () => {
    if (exited(worker)) throw new Error(`the worker exited:\n${worker.log}`);
    return (await getJson(`http://${h1}:30000/api/v1/worker/info`).catch(() => ({}))).registered === true;
  }, 30_000);
}

before(async () => {
  if (skip) return;
  assertRoot('the test hosts (network namespaces)');
  hosts = await TestHosts.create(2);
  h1 = hosts.host('h1').ip;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alluxio-remote-data-'));
  confDir = path.join(dir, 'conf');
  fs.mkdirSync(confDir);
  const props: Record<string, string> = {
    'alluxio.work.dir': dir,
    'alluxio.master.hostname': h1,
    'alluxio.worker.hostname': h1,
    'alluxio.master.journal.folder': path.join(dir, 'journal'),
    'alluxio.master.mount.table.root.ufs': path.join(dir, 'ufs'),
    'alluxio.worker.tieredstore.level0.dirs.path': path.join(dir, 'ramdisk'),
    'alluxio.worker.ramdisk.size': '256MB',
    'alluxio.user.block.size.bytes.default': String(BLOCK),
    'alluxio.master.worker.timeout': '3s',
    'alluxio.master.lost.worker.detection.interval': '200ms',
    'alluxio.worker.block.heartbeat.interval': '200ms',
    'alluxio.user.block.read.retry.max.duration': '2s',
    'alluxio.user.rpc.retry.max.duration': '10s',
    'alluxio.worker.network.shutdown.timeout': '10s',
  };
  fs.writeFileSync(path.join(confDir, 'alluxio-site.properties'), Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  assert.equal(ensureClusterSecret(path.join(confDir, SECRET_FILE)), true);
  formatJournal(path.join(dir, 'journal'), { protectedPaths: [{ path: ROOT, label: 'alluxio.home' }] });
  const master = inHost('h1', [process.execPath, MAIN('master')], 'master');
  await waitFor('the master on h1 leads', async () => {
    if (exited(master)) throw new Error(`the master exited:\n${master.log}`);
    return (await getJson(`http://${h1}:19999/api/v1/master/info`).catch(() => ({}))).isLeader === true;
  }, 30_000);
  await startWorker();
});

after(async () => {
  for (const p of procs) if (!exited(p)) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => exit(p)));
  await hosts?.destroy();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const logs = () => procs.filter((p) => ['master', 'worker'].includes(p.name)).map((p) => `--- ${p.name}\n${p.log}`).join('\n');

test('files of 0, 1, block-1, block, 3 blocks+1 bytes written and read from another host (sha256)', { skip, timeout: 180_000 }, async () => {
  for (const size of [0, 1, BLOCK - 1, BLOCK, 3 * BLOCK + 1]) {
    const data = randomBytes(size);
    const local = path.join(dir, `in-${size}`), back = path.join(dir, `out-${size}`);
    fs.writeFileSync(local, data);
    const w = await cliOnH2(['fs', 'copyFromLocal', '-Dalluxio.user.file.writetype.default=MUST_CACHE', local, `/f${size}`]);
    assert.equal(w.code, 0, `${w.out}\n${logs()}`);
    const r = await cliOnH2(['fs', 'copyToLocal', `/f${size}`, back]);
    assert.equal(r.code, 0, `${r.out}\n${logs()}`);
    assert.equal(sha(fs.readFileSync(back)), sha(data), `${size} bytes`);
  }
  // Every byte crossed the bridge: the file is on h1's worker only (MUST_CACHE), read on h2.
  const info = await getJson(`http://${h1}:30000/api/v1/worker/info`);
  assert.equal(info.registered, true);
});

/**
 * A client script on h2 with the in-process FileSystem: `mode` read or write of /big; it prints
 * "STARTED" once the stream carries data, then waits for a line on stdin before going on.
 */
function clientScript(mode: 'read' | 'write', file: string): string {
  return `
    import { FileSystem } from ${JSON.stringify(path.join(ROOT, 'dist/src/client/fileSystem.js'))};
    import { loadConfig } from ${JSON.stringify(path.join(ROOT, 'dist/src/conf/index.js'))};
    import readline from 'node:readline';
    const afs = new FileSystem(loadConfig({ env: process.env, home: ${JSON.stringify(ROOT)} }));
    const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
    try {
      if (${JSON.stringify(mode)} === 'read') {
        let n = 0;
        for await (const chunk of afs.read(${JSON.stringify(file)})) {
          if (n === 0) { console.log('STARTED'); await lines.next(); }
          n += chunk.length;
        }
        console.log('DONE ' + n);
      } else {
        const out = await afs.createFile(${JSON.stringify(file)}, { writeType: 'MUST_CACHE' });
        await out.write(Buffer.alloc(${BLOCK} + 1000, 7));
        console.log('STARTED');
        await lines.next();
        for (let i = 0; i < 20; i++) await out.write(Buffer.alloc(${BLOCK}, i));
        await out.close();
        console.log('DONE');
      }
    } catch (e) {
      console.log('ERROR ' + e.code + ' ' + e.name + ': ' + e.message);
    }
    afs.close();
    process.exit(0);
  `;
}
function startClient(mode: 'read' | 'write', file: string) {
  const p = inHost('h2', [process.execPath, '--input-type=module', '-e', clientScript(mode, file)], `client ${mode}`);
  return p;
}
const started = (p: { log: string; child: ChildProcess }) => waitFor('the client streams', () => {
  if (exited(p)) throw new Error(`the client exited:\n${p.log}`);
  return p.log.includes('STARTED');
}, 30_000);

test('a client killed mid-stream: the worker frees its read and write streams', { skip, timeout: 180_000 }, async () => {
  const big = randomBytes(24 * BLOCK);
  fs.writeFileSync(path.join(dir, 'big'), big);
  assert.equal((await cliOnH2(['fs', 'copyFromLocal', '-Dalluxio.user.file.writetype.default=MUST_CACHE', path.join(dir, 'big'), '/big'])).code, 0);
  const reader = startClient('read', '/big');
  const writer = startClient('write', '/partial');
  await started(reader);
  await started(writer);
  reader.child.kill('SIGKILL');
  writer.child.kill('SIGKILL');
  await exit(reader);
  await exit(writer);
  // No temp block is left (the half-written block was aborted) ...
  const tmp = path.join(dir, 'ramdisk', 'alluxioworker', '.tmp');
  await waitFor('no temp block left on the worker', () => !fs.existsSync(tmp) || fs.readdirSync(tmp).length === 0, 10_000);
  // ... and the worker's drain finds nothing in flight (it would wait for a stream it still served).
  const logStart = worker.log.length;
  worker.child.kill('SIGTERM');
  await exit(worker);
  assert.match(worker.log.slice(logStart), /Shutting down: no stream in flight/, worker.log.slice(logStart));
  await startWorker();
  const back = path.join(dir, 'big-back');
  assert.equal((await cliOnH2(['fs', 'copyToLocal', '/big', back])).code, 0);
  assert.equal(sha(fs.readFileSync(back)), sha(big), 'the restarted worker serves the file');
});

test('a worker killed mid-stream: the client gets a clear error, no partial file is visible as complete', { skip, timeout: 180_000 }, async () => {
  const reader = startClient('read', '/big');
  const writer = startClient('write', '/partial2');
  await started(reader);
  await started(writer);
  worker.child.kill('SIGKILL');
  await exit(worker);
  reader.child.stdin!.write('go\n');
  writer.child.stdin!.write('go\n');
  await exit(reader);
  await exit(writer);
  console.log(`# reader: ${reader.log.trim()}\n# writer: ${writer.log.trim()}`);
  // The read waits for the holder (alluxio.user.block.read.retry.max.duration), then names it; the write has no other worker.
  assert.match(reader.log, /ERROR BLOCK_LOST BlockLostError: Block \d+ of "\/big" cannot be read: .* its only copy is on worker [\d.]+:29999 .*which does not answer/, reader.log);
  assert.match(writer.log, /ERROR UNAVAILABLE \w+: [\d.]+:29999 is unavailable: the worker closed the data connection/, writer.log);
  // The failed write is not complete (its client did not cancel it: it stays incomplete, as a file being written).
  const afs = new FileSystem(loadConfig({ env: { ...cleanEnv(), ALLUXIO_CONF_DIR: confDir }, home: ROOT }));
  try {
    const st = await afs.getStatus('/partial2').catch((e: unknown) => { if (e instanceof FileDoesNotExistError) return undefined; throw e; });
    if (st) {
      assert.equal(st.completed, false, JSON.stringify(st));
      assert.equal(st.length, 0, 'an incomplete file has no length');
    }
  } finally { afs.close(); }
  await startWorker();
});
