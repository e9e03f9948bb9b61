/** Shared helpers for the local orchestration tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, portFree, reservePort } from '../harness/cluster.js';

/** A minimal configuration object backed by a map (what the local modules read). */
export function fakeConf(values: Record<string, string>) {
  const get = (k: string): string => values[k] ?? '';
  return {
    get,
    getInt: (k: string) => Number(get(k)),
    getPort: (k: string) => Number(get(k)),
    getBytes: (k: string) => Number(get(k)),
    getList: (k: string) => get(k).split(',').map((s) => s.trim()).filter((s) => s !== ''),
  };
}

const created: string[] = [];
process.on('exit', () => {
  for (const d of created) {
    try { fs.rmSync(d, { recursive: true, force: true }); } catch { /* best effort */ }
  }
});

/** A fresh temp dir (symlinks resolved), removed when the test process exits. */
export function tmpDir(prefix = 'alluxio-orch-'): string {
  const d = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  created.push(d);
  return d;
}

/**
 * A long-running node process whose command line carries `marker` (and not our server entry
 * point). With `ignoreTerm` it ignores SIGTERM. Resolves once its signal handler is installed.
 */
export async function spawnDummy(marker: string, ignoreTerm = false): Promise<ChildProcess & { pid: number }> {
  const code = `${ignoreTerm ? "process.on('SIGTERM', () => {});" : ''} setInterval(() => {}, 1000); process.stdout.write('ready\\n');`;
  const child = spawn(process.execPath, ['-e', code, marker], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', () => resolve());
  });
  return child as ChildProcess & { pid: number };
}

/** Whether `pid` still exists as a live (non-zombie) process. */
export function alive(pid: number): boolean {
  try { process.kill(pid, 0); } catch { return false; }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch { return false; }
}

export function killQuietly(child: ChildProcess): void {
  try { child.kill('SIGKILL'); } catch { /* gone */ }
}

export interface CliEnv {
  dir: string;
  confDir: string;
  home: string;
  workDir: string;
  logsDir: string;
  runDir: string;
  ramdisk: string;
  env: NodeJS.ProcessEnv;
  ports: { masterRpc: number; masterWeb: number; workerRpc: number; workerWeb: number; journal: number };
}


/**
 * A temp installation for running the real CLI: conf dir (ALLUXIO_CONF_DIR) whose site file puts
 * alluxio.home, the work dir (journal, logs, run) and the MEM tier under the temp dir, on free ports.
 */
export async function makeCliEnv(site: Record<string, string> = {}, hosts = { masters: 'localhost\n', workers: 'localhost\n' }): Promise<CliEnv> {
  const dir = tmpDir('alluxio-cli-');
  const confDir = path.join(dir, 'conf');
  const home = path.join(dir, 'home');
  const workDir = path.join(dir, 'work');
  const ramdisk = path.join(dir, 'ramdisk');
  fs.mkdirSync(confDir, { recursive: true });
  fs.mkdirSync(home, { recursive: true });
  const ports = { masterRpc: await freePort(), masterWeb: await freePort(), workerRpc: await freePort(), workerWeb: await freePort(), journal: await freePort() };
  const props: Record<string, string> = {
    'alluxio.home': home,
    'alluxio.work.dir': workDir,
    'alluxio.master.hostname': 'localhost',
    'alluxio.master.rpc.port': String(ports.masterRpc),
    'alluxio.master.web.port': String(ports.masterWeb),
    'alluxio.worker.rpc.port': String(ports.workerRpc),
    'alluxio.worker.web.port': String(ports.workerWeb),
    'alluxio.master.embedded.journal.port': String(ports.journal),
    'alluxio.master.mount.table.root.ufs': path.join(dir, 'ufs'),
    'alluxio.worker.tieredstore.level0.dirs.path': ramdisk,
    'alluxio.worker.ramdisk.size': '64MB',
    ...site,
  };
  fs.writeFileSync(path.join(confDir, 'alluxio-site.properties'), Object.entries(props).map(([k, v]) => `${k}=${v}\n`).join(''));
  fs.writeFileSync(path.join(confDir, 'masters'), hosts.masters);
  fs.writeFileSync(path.join(confDir, 'workers'), hosts.workers);
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('ALLUXIO_')) delete env[k];
  env.ALLUXIO_CONF_DIR = confDir;
  env.FORCE_COLOR = '0';
  env.NO_COLOR = '1';
  return { dir, confDir, home, workDir, logsDir: path.join(workDir, 'logs'), runDir: path.join(workDir, 'run'), ramdisk, env, ports };
}

export const CLI_JS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli.js');

export interface CliRun { code: number; stdout: string; stderr: string }

/** Run `node dist/src/cli.js ...args` with the env of `e`. */
export function cli(e: CliEnv, args: string[], timeoutMs = 120_000): Promise<CliRun> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI_JS, ...args], { env: e.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d) => (stdout += d));
    p.stderr!.on('data', (d) => (stderr += d));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code, sig) => { clearTimeout(t); resolve({ code: code ?? (sig ? 128 : 1), stdout, stderr }); });
  });
}

/**
 * Kill (SIGKILL) whatever the pid files of `e` (or of another `runDir`) name (master.pid,
 * master-<port>.pid, worker.pid), if it is our server; for test cleanup.
 */
export function killFromPidFiles(e: CliEnv, runDir = e.runDir): void {
  let files: string[] = [];
  try { files = fs.readdirSync(runDir); } catch { /* no run dir */ }
  for (const f of files) {
    const kind = /^(master|worker)(-\d+)?\.pid$/.exec(f)?.[1];
    if (!kind) continue;
    try {
      const pid = Number(fs.readFileSync(path.join(runDir, f), 'utf8').trim());
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (pid > 1 && cmd.includes(`server/${kind}/main.js`)) process.kill(pid, 'SIGKILL');
    } catch { /* nothing there */ }
  }
}

/**
 * A free port p whose p + 1 is free too, and neither in `avoid` (a master's rpc and web ports,
 * the web port being the rpc port + 1).
 */
export async function freePortPair(avoid: readonly number[] = []): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = await freePort();
    if (p >= 65535 || avoid.includes(p) || avoid.includes(p + 1)) continue;
    if (await portFree(p + 1) && reservePort(p + 1)) return p;
  }
  throw new Error('no two consecutive free ports found');
}

/** True when `pid` is alive and is our server of `kind` (its command line names server/<kind>/main.js). */
export function isOurServer(pid: number, kind: string): boolean {
  try {
    process.kill(pid, 0);
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`server/${kind}/main.js`);
  } catch {
    return false;
  }
}

/** An assertion message for a CLI run of `e`: its output and the tail of every server log. */
export function explain(e: { logsDir: string }): (r: { stdout: string; stderr: string }) => string {
  return (r) => `stdout:\n${r.stdout}\nstderr:\n${r.stderr}\nlogs:\n${logsOf(e.logsDir)}`;
}

/** The last 40 lines of every .log and .out file in `logsDir`, for assertion messages. */
export function logsOf(logsDir: string): string {
  if (!fs.existsSync(logsDir)) return '(no logs dir)';
  return fs.readdirSync(logsDir).filter((f) => f.endsWith('.log') || f.endsWith('.out'))
    .map((f) => `--- ${f}\n${fs.readFileSync(path.join(logsDir, f), 'utf8').split('\n').slice(-40).join('\n')}`).join('\n');
}

/** The pid a pid file of `runDir` holds (`master`, `worker`, `master-19200`). */
export function pidOf(runDir: string, name: string): number {
  return Number(fs.readFileSync(path.join(runDir, `${name}.pid`), 'utf8').trim());
}


/** `alluxio format` then `alluxio start local NoMount` in `e` (both must succeed); the master's and worker's pids. */
export async function formatAndStartLocal(e: CliEnv): Promise<{ master: number; worker: number }> {
  const why = explain(e);
  for (const args of [['format'], ['start', 'local', 'NoMount']]) {
    const r = await cli(e, args);
    if (r.code !== 0) throw new Error(`alluxio ${args.join(' ')} exited with ${r.code}\n${why(r)}`);
  }
  return { master: pidOf(e.runDir, 'master'), worker: pidOf(e.runDir, 'worker') };
}

/**
 * A CliEnv whose conf/masters host (localhost) runs three masters of one embedded journal: one
 * journal port each, and an RPC port p whose web port is p + 1.
 */
export async function threeLocalMastersEnv(): Promise<{ e: CliEnv; journal: number[]; rpc: number[] }> {
  const journal = [await freePort(), await freePort(), await freePort()];
  const rpc: number[] = [];
  for (let i = 0; i < 3; i++) rpc.push(await freePortPair([...journal, ...rpc, ...rpc.map((p) => p + 1)]));
  const e = await makeCliEnv({
    'alluxio.master.embedded.journal.addresses': journal.map((p) => `localhost:${p}`).join(','),
    'alluxio.master.rpc.addresses': rpc.map((p) => `localhost:${p}`).join(','),
  });
  return { e, journal, rpc };
}
