/**
 * Remote cached read throughput of the worker data path, next to iperf3 on the same path:
 * a 256 MiB MUST_CACHE file (64 MiB blocks) read by the in-process client, (1) over loopback
 * (client in this process, worker in its own), (2) between two test hosts (master and worker
 * on h1, the client on h2; root only). Indicative figures, printed; no assertion.
 *
 *   node dist/bench/dataChannel.js [--root <tree>] [--mb 256] [--runs 3] [--no-hosts]
 *
 * --root: the built tree whose servers and client are measured (default: this one), e.g. an
 * older build to compare with the gRPC block streams the data channel replaced.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestHosts } from '../test/harness/hosts.js';
import { waitFor } from '../test/harness/wait.js';
import { freePort } from '../test/harness/cluster.js';

const HERE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const arg = (name: string, dflt: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1]! : dflt; };
const ROOT = path.resolve(arg('--root', HERE));
const MB = Number(arg('--mb', '256'));
const RUNS = Number(arg('--runs', '3'));
const MAIN = (kind: string) => path.join(ROOT, 'dist', 'src', 'server', kind, 'main.js');

/** A client script: write (once) then read /bench RUNS times; prints one JSON line. */
function clientScript(): string {
  return `
    import { FileSystem } from ${JSON.stringify(path.join(ROOT, 'dist/src/client/fileSystem.js'))};
    import { loadConfig } from ${JSON.stringify(path.join(ROOT, 'dist/src/conf/index.js'))};
    const afs = new FileSystem(loadConfig({ env: process.env, home: ${JSON.stringify(ROOT)} }));
    const size = ${MB} * 1024 * 1024;
    if (!(await afs.exists('/bench'))) {
      const out = await afs.createFile('/bench', { writeType: 'MUST_CACHE', blockSize: 64 * 1024 * 1024 });
      const buf = Buffer.alloc(4 * 1024 * 1024, 7);
      const t0 = performance.now();
      for (let off = 0; off < size; off += buf.length) await out.write(buf);
      await out.close();
      console.error('write MB/s', (size / 1e6 / ((performance.now() - t0) / 1000)).toFixed(0));
    }
    const rates = [];
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < ${RUNS}; i++) {
      const t0 = performance.now();
      let n = 0;
      for await (const c of afs.read('/bench')) n += c.length;
      if (n !== size) throw new Error('read ' + n + ' of ' + size);
      rates.push(size / 1e6 / ((performance.now() - t0) / 1000));
    }
    const cpu = process.cpuUsage(cpu0);
    const gib = ${RUNS} * size / 2 ** 30;
    console.log(JSON.stringify({ readMBps: rates.map((r) => Math.round(r)), clientCpuMsPerGiB: Math.round((cpu.user + cpu.system) / 1000 / gib) }));
    afs.close();
    process.exit(0);
  `;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    c.on('exit', (code) => resolve({ code, out, err }));
  });
}

/** CPU time (ms) a process used so far, from /proc (user + system). */
function cpuMsOf(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** Run the client twice (the first writes the file and warms up); the worker's CPU per GiB read on the second. */
async function measure(wrap: string[], env: NodeJS.ProcessEnv, worker: ChildProcess): Promise<Record<string, unknown>> {
  const go = () => run(wrap[0] ?? process.execPath, [...wrap.slice(1), ...(wrap.length ? [process.execPath] : []), '--input-type=module', '-e', clientScript()], env);
  const first = await go();
  if (first.code !== 0) throw new Error(first.err);
  const w0 = cpuMsOf(worker.pid!);
  const r = await go();
  if (r.code !== 0) throw new Error(r.err);
  const gib = RUNS * MB / 1024;
  return { ...JSON.parse(r.out), workerCpuMsPerGiB: Math.round((cpuMsOf(worker.pid!) - w0) / gib), firstRun: JSON.parse(first.out).readMBps, write: first.err.trim() };
}

async function getJson(url: string): Promise<any> { return (await fetch(url)).json(); }

/** A cluster (master + worker) whose processes run under `wrap` (e.g. ip netns exec <ns>). */
async function cluster(dir: string, host: string, ports: { mrpc: number; mweb: number; wrpc: number; wweb: number; journal: number }, wrap: string[]): Promise<{ env: NodeJS.ProcessEnv; procs: ChildProcess[] }> {
  const conf = path.join(dir, 'conf');
  fs.mkdirSync(conf, { recursive: true });
  const props = {
    'alluxio.work.dir': dir, 'alluxio.master.hostname': host, 'alluxio.worker.hostname': host,
    'alluxio.master.rpc.port': ports.mrpc, 'alluxio.master.web.port': ports.mweb, 'alluxio.master.embedded.journal.port': ports.journal,
    'alluxio.worker.rpc.port': ports.wrpc, 'alluxio.worker.web.port': ports.wweb,
    'alluxio.master.journal.folder': path.join(dir, 'journal'), 'alluxio.master.mount.table.root.ufs': path.join(dir, 'ufs'),
    'alluxio.worker.tieredstore.level0.dirs.path': '/dev/shm/' + path.basename(dir), 'alluxio.worker.ramdisk.size': `${MB * 2 + 64}MB`,
    'alluxio.security.authentication.type': 'NOSASL',
  };
  fs.writeFileSync(path.join(conf, 'alluxio-site.properties'), Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  const env: NodeJS.ProcessEnv = { ...process.env, ALLUXIO_CONF_DIR: conf };
  for (const k of Object.keys(env)) if (k.startsWith('ALLUXIO_') && k !== 'ALLUXIO_CONF_DIR') delete env[k];
  const { formatJournal } = await import(path.join(ROOT, 'dist/src/journal/format.js'));
  formatJournal(path.join(dir, 'journal'), { protectedPaths: [] });
  const start = (kind: string) => {
    const c = spawn(wrap[0] ?? process.execPath, [...wrap.slice(1), ...(wrap.length ? [process.execPath] : []), MAIN(kind)], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    return c;
  };
  const procs = [start('master')];
  await waitFor('master leads', async () => (await getJson(`http://${host}:${ports.mweb}/api/v1/master/info`).catch(() => ({}))).isLeader === true, 30_000);
  procs.push(start('worker'));
  await waitFor('worker registered', async () => (await getJson(`http://${host}:${ports.wweb}/api/v1/worker/info`).catch(() => ({}))).registered === true, 30_000);
  return { env, procs };
}

async function iperf(server: string[], client: string[], host: string, port: number): Promise<number> {
  const s = spawn(server[0] ?? 'iperf3', [...server.slice(1), ...(server.length ? ['iperf3'] : []), '-s', '-1', '-p', String(port)], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  const r = spawnSync(client[0] ?? 'iperf3', [...client.slice(1), ...(client.length ? ['iperf3'] : []), '-c', host, '-p', String(port), '-t', '3', '-J'], { encoding: 'utf8' });
  s.kill();
  const j = JSON.parse(r.stdout);
  return Math.round(j.end.sum_received.bits_per_second / 8 / 1e6);
}

async function main(): Promise<void> {
  console.log(`# tree ${ROOT}, ${MB} MiB cached file, ${RUNS} reads; ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}`);
  // (1) loopback
  {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-dc-'));
    const ports = { mrpc: await freePort(), mweb: await freePort(), wrpc: await freePort(), wweb: await freePort(), journal: await freePort() };
    const c = await cluster(dir, '127.0.0.1', ports, []);
    try {
      const m = await measure([], c.env, c.procs[1]!);
      const ip = await iperf([], [], '127.0.0.1', await freePort());
      console.log(JSON.stringify({ path: 'loopback', ...m, iperf3MBps: ip }));
    } finally {
      for (const p of c.procs) p.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync('/dev/shm/' + path.basename(dir), { recursive: true, force: true });
    }
  }
  // (2) two test hosts
  if (process.argv.includes('--no-hosts') || process.getuid?.() !== 0) return;
  const hosts = await TestHosts.create(2);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-dc-hosts-'));
  let procs: ChildProcess[] = [];
  try {
    const h1 = hosts.host('h1'), h2 = hosts.host('h2');
    const in1 = ['ip', 'netns', 'exec', h1.netns], in2 = ['ip', 'netns', 'exec', h2.netns];
    const c = await cluster(dir, h1.ip, { mrpc: 19998, mweb: 19999, wrpc: 29999, wweb: 30000, journal: 19200 }, in1);
    procs = c.procs;
    const m = await measure(in2, c.env, c.procs[1]!);
    const ip = await iperf(in1, in2, h1.ip, 5201);
    console.log(JSON.stringify({ path: 'two test hosts', ...m, iperf3MBps: ip }));
  } finally {
    for (const p of procs) p.kill('SIGKILL');
    await hosts.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync('/dev/shm/' + path.basename(dir), { recursive: true, force: true });
  }
}

await main();
process.exit(0);
