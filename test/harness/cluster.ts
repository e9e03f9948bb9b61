/**
 * Test harness: a real master and real workers as separate processes on free loopback ports,
 * in a temp directory with its own conf/, journal, UFS and worker storage. Provides the real CLI
 * against that cluster, kill -9 / restart, and every process's log for failure messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatJournal } from '../../src/journal/format.js';
import { Tmpfs } from './tmpfs.js';
import { waitFor, giveUp } from './wait.js';

export { waitFor };

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const MAIN = (kind: 'master' | 'worker') => path.join(ROOT, 'dist', 'src', 'server', kind, 'main.js');

/** True when nothing listens on `port` (checked by listening on it, all addresses, and closing). */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, () => s.close(() => resolve(true)));
  });
}

/** Test ports come from here: below the kernel's ephemeral range and away from Alluxio's defaults. */
const TEST_PORTS = { from: 22_000, to: 29_000 };
/**
 * One file per port handed out to a test process on this machine (its content: that process's
 * pid), so that two test files running at once never draw the same port. Removed when the process
 * exits; a file whose process is gone is taken over.
 */
const RESERVED_DIR = path.join(os.tmpdir(), 'alluxio-test-ports');
const reservedHere = new Set<number>();

function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

/**
 * Reserve `port` for this process among the test processes of this machine; false when another
 * live one holds it. Reserving a port twice in one process is false too (never handed out twice).
 */
export function reservePort(port: number): boolean {
  if (reservedHere.has(port)) return false;
  if (reservedHere.size === 0) {
    process.on('exit', releasePorts);
    try { fs.mkdirSync(RESERVED_DIR, { mode: 0o1777 }); fs.chmodSync(RESERVED_DIR, 0o1777); } catch { /* there already */ }
  }
  const file = path.join(RESERVED_DIR, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      reservedHere.add(port);
      return true;
    } catch (e) {
      // A folder this user cannot write: reserved in this process only (as before the folder existed).
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') { reservedHere.add(port); return true; }
      let holder = NaN;
      try { holder = Number(fs.readFileSync(file, 'utf8')); } catch { /* just released */ }
      if (holder > 0 && pidAlive(holder)) return false;
      fs.rmSync(file, { force: true }); // its process is gone: take it over
    }
  }
  return false;
}

function releasePorts(): void {
  for (const port of reservedHere) {
    const file = path.join(RESERVED_DIR, String(port));
    try { if (fs.readFileSync(file, 'utf8') === String(process.pid)) fs.rmSync(file); } catch { /* not ours, or gone */ }
  }
  reservedHere.clear();
}

/**
 * A port free now and reserved for this process (reservePort). Not one the kernel picks for
 * port 0: those come from the ephemeral range, where every outgoing connection of every test
 * process also takes its source port, so such a port was often taken again before the server
 * bound it (EADDRINUSE, a flaky start). Random in a range below it, never the same twice on this
 * machine while the process that drew it runs. Standalone servers bind port 0 instead and report
 * theirs; this is for ports a configuration must name up front.
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 500; i++) {
    const port = TEST_PORTS.from + Math.floor(Math.random() * (TEST_PORTS.to - TEST_PORTS.from));
    if (reservedHere.has(port) || !(await portFree(port))) continue;
    if (reservePort(port)) return port;
  }
  throw new Error(`no free port found in ${TEST_PORTS.from}-${TEST_PORTS.to}`);
}

export interface CliResult { code: number; stdout: string; stderr: string }

/** A node process started by the tests: its output so far, while it runs, and its result. */
export interface NodeRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when it exited (SIGKILLed after timeoutMs). */
  done: Promise<CliResult>;
}

/** Start `node ...args`; its output can be watched while it runs (e.g. to act once a write is in flight). */
export function startNode(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000, input?: string): NodeRun {
  const p = spawn(process.execPath, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  p.stdout.on('data', (d) => (stdout += d));
  p.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => {
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code, sig) => { clearTimeout(t); resolve({ code: code ?? (sig ? 128 : 1), stdout, stderr }); });
  });
  p.stdin.end(input ?? '');
  return { child: p, stdout: () => stdout, stderr: () => stderr, done };
}

/**
 * Progress of a writer process that prints "sent <path>" before each call and "<path>" once it
 * was acknowledged (stdout), and "<path> <error>" when it failed (stderr): the acknowledged
 * paths, and how many were sent and not answered yet (writes in flight). Complete lines only.
 */
export function writeProgress(w: NodeRun): { acked: string[]; inFlight: number } {
  const lines = (s: string) => s.slice(0, s.lastIndexOf('\n') + 1).split('\n').filter(Boolean);
  const out = lines(w.stdout());
  const acked = out.filter((l) => !l.startsWith('sent '));
  const answered = new Set([...acked, ...lines(w.stderr()).map((l) => l.split(' ')[0])]);
  return { acked, inFlight: out.filter((l) => l.startsWith('sent ') && !answered.has(l.slice(5))).length };
}

export function runNode(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000, input?: string): Promise<CliResult> {
  return startNode(args, env, timeoutMs, input).done;
}

export async function getJson(url: string): Promise<any> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return res.json();
}

interface Proc {
  kind: 'master' | 'worker'; index: number; child?: ChildProcess; log: string; exited?: Promise<number | null>; killed?: boolean;
  /** Where the log of the current child starts in `log`. */
  logStart?: number;
}

/** How many times start() tries with fresh ports when a port was taken (EADDRINUSE). */
const START_ATTEMPTS = 3;

export interface ClusterOptions {
  masters?: number; workers?: number; props?: Record<string, string>; ramdiskSize?: string; blockSize?: string;
  /** Put each master's journal folder on its own tmpfs of this size (needs root): disk-full tests. */
  journalTmpfs?: string;
  /**
   * Every master uses one journal folder (the ZooKeeper mode's shared UFS journal, formatted
   * once), and no embedded journal addresses are written; the test's props choose the mode.
   */
  sharedJournal?: boolean;
  /** Each process logs to logFileOf(kind, index) (ALLUXIO_LOG_FILE, as alluxio-start.sh starts it) instead of stdout. */
  logFiles?: boolean;
  /**
   * Host name worker i advertises (default localhost). A loopback address other than 127.0.0.1
   * (e.g. 127.0.0.2) is not an address of any interface here: clients take that worker as remote.
   */
  workerHosts?: string[];
}

export class TestCluster {
  readonly dir: string;
  readonly confDir: string;
  /** Ports of each master (index 0 is the only one when there is one master). */
  readonly masterPorts: { rpc: number; web: number; journal: number }[] = [];
  private procs: Proc[] = [];
  /** Processes that exited without the harness killing them: "<kind> <index> exited with <code/signal>". */
  readonly unexpectedExits: string[] = [];
  /** Master i's journal tmpfs (journalTmpfs option). */
  readonly journalDisks: Tmpfs[] = [];
  readonly workerPorts: { rpc: number; web: number }[] = [];

  constructor(readonly opts: ClusterOptions = {}) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alluxio-test-'));
    this.confDir = path.join(this.dir, 'conf');
    fs.mkdirSync(this.confDir);
  }

  get masterRpc(): number { return this.masterPorts[0]!.rpc; }
  get masterWeb(): number { return this.masterPorts[0]!.web; }
  get journalDir(): string { return this.journalDirOf(0); }
  journalDirOf(i: number): string { return path.join(this.dir, i === 0 || this.opts.sharedJournal ? 'journal' : `journal${i}`); }
  get ufsDir(): string { return path.join(this.dir, 'ufs'); }
  get env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, ALLUXIO_CONF_DIR: this.confDir, NO_COLOR: '1' };
    for (const k of Object.keys(env)) if (k.startsWith('ALLUXIO_') && k !== 'ALLUXIO_CONF_DIR') delete env[k];
    return env;
  }

  /** Write conf/alluxio-site.properties with free ports and temp paths, and format. */
  async setup(): Promise<this> {
    await this.assignPorts();
    for (let i = 0; i < (this.opts.masters ?? 1); i++) {
      if (this.opts.journalTmpfs) this.journalDisks.push(Tmpfs.mount(this.opts.journalTmpfs, this.journalDirOf(i)));
    }
    this.formatJournals();
    return this;
  }

  /** Fresh free ports for every process, written to conf/alluxio-site.properties. */
  private async assignPorts(): Promise<void> {
    const m = this.opts.masters ?? 1;
    this.masterPorts.length = 0;
    this.workerPorts.length = 0;
    for (let i = 0; i < m; i++) this.masterPorts.push({ rpc: await freePort(), web: await freePort(), journal: await freePort() });
    const n = this.opts.workers ?? 1;
    for (let i = 0; i < n; i++) this.workerPorts.push({ rpc: await freePort(), web: await freePort() });
    const props: Record<string, string> = {
      'alluxio.work.dir': this.dir,
      'alluxio.master.hostname': 'localhost',
      'alluxio.master.rpc.port': String(this.masterRpc),
      'alluxio.master.web.port': String(this.masterWeb),
      'alluxio.master.embedded.journal.port': String(this.masterPorts[0]!.journal),
      'alluxio.master.journal.folder': this.journalDir,
      'alluxio.master.mount.table.root.ufs': this.ufsDir,
      'alluxio.worker.ramdisk.size': this.opts.ramdiskSize ?? '64MB',
      'alluxio.user.block.size.bytes.default': this.opts.blockSize ?? '1MB',
      'alluxio.user.rpc.retry.max.duration': '20s',
      'alluxio.master.worker.timeout': '3s',
      'alluxio.master.lost.worker.detection.interval': '200ms',
      'alluxio.worker.block.heartbeat.interval': '200ms',
      ...(m > 1 ? { 'alluxio.master.rpc.addresses': this.masterPorts.map((p) => `localhost:${p.rpc}`).join(',') } : {}),
      ...(m > 1 && !this.opts.sharedJournal ? {
        'alluxio.master.embedded.journal.addresses': this.masterPorts.map((p) => `localhost:${p.journal}`).join(','),
      } : {}),
      ...this.opts.props,
    };
    fs.writeFileSync(path.join(this.confDir, 'alluxio-site.properties'),
      Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  }

  private formatJournals(): void {
    const n = this.opts.sharedJournal ? 1 : this.masterPorts.length;
    for (let i = 0; i < n; i++) formatJournal(this.journalDirOf(i), { protectedPaths: [{ path: ROOT, label: 'alluxio.home' }] });
  }

  private masterFlags(i: number): string[] {
    if (i === 0) return [];
    const p = this.masterPorts[i]!;
    return [
      `-Dalluxio.master.rpc.port=${p.rpc}`, `-Dalluxio.master.web.port=${p.web}`, `-Dalluxio.master.embedded.journal.port=${p.journal}`,
      `-Dalluxio.master.journal.folder=${this.journalDirOf(i)}`, `-Dalluxio.run.dir=${path.join(this.dir, `run${i}`)}`,
    ];
  }

  /** Index of the master that serves as leader now (-1 when none answers as leader). */
  async leaderIndex(): Promise<number> {
    for (let i = 0; i < this.masterPorts.length; i++) {
      try { if ((await getJson(`http://127.0.0.1:${this.masterPorts[i]!.web}/api/v1/master/info`)).isLeader) return i; } catch { /* down */ }
    }
    return -1;
  }

  /**
   * Wait until the master leading at that moment lists `n` live workers. Asks whoever leads at
   * each try: a leader that changes meanwhile (an election on a loaded machine) is followed, and
   * a standby's empty worker list is never taken for the answer.
   */
  async waitLiveWorkers(n: number, what = `${n} live worker(s) on the leader`, timeoutMs = 30_000): Promise<void> {
    await waitFor(what, async (observe) => {
      const i = await this.leaderIndex();
      const live = i < 0 ? undefined : (await getJson(`http://127.0.0.1:${this.masterPorts[i]!.web}/api/v1/master/info`)).liveWorkers.length;
      observe({ leader: i, liveWorkers: live });
      return live === n;
    }, timeoutMs);
  }

  private workerFlags(i: number): string[] {
    const p = this.workerPorts[i]!;
    return [
      `-Dalluxio.worker.rpc.port=${p.rpc}`, `-Dalluxio.worker.web.port=${p.web}`,
      `-Dalluxio.worker.tieredstore.level0.dirs.path=${path.join(this.dir, `ramdisk${i}`)}`,
      `-Dalluxio.worker.hostname=${this.opts.workerHosts?.[i] ?? 'localhost'}`,
    ];
  }

  private spawnProc(kind: 'master' | 'worker', index: number, flags: string[]): Proc & { child: ChildProcess } {
    let proc = this.procs.find((p) => p.kind === kind && p.index === index);
    if (!proc) { proc = { kind, index, log: '' }; this.procs.push(proc); }
    const env = this.opts.logFiles ? { ...this.env, ALLUXIO_LOG_FILE: this.logFileOf(kind, index) } : this.env;
    const child = spawn(process.execPath, [MAIN(kind), ...flags], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const p = proc;
    p.logStart = p.log.length;
    child.stdout!.on('data', (d) => (p.log += d));
    child.stderr!.on('data', (d) => (p.log += d));
    p.child = child;
    p.killed = false;
    p.exited = new Promise((r) => child.on('exit', (code, sig) => {
      if (!p.killed) this.unexpectedExits.push(`${kind} ${index} exited with ${code ?? sig}`);
      r(code);
    }));
    return p as Proc & { child: ChildProcess };
  }

  /**
   * Wait until the process just spawned serves: `ready(info)` on its info JSON. Gives up at once
   * when it exits (its log since the spawn in the message), and never takes another process
   * answering on its web port for it (the info names its pid).
   */
  private async waitServing(p: Proc & { child: ChildProcess }, port: number, what: string, ready: (info: any) => boolean): Promise<void> {
    const { child, kind, index } = p;
    const logStart = p.logStart ?? 0;
    await waitFor(what, async (observe) => {
      if (child.exitCode !== null || child.signalCode !== null) giveUp(`${kind} ${index} exited with ${child.exitCode ?? child.signalCode}:\n${p.log.slice(logStart)}`);
      const info = await getJson(`http://127.0.0.1:${port}/api/v1/${kind}/info`);
      observe(info);
      return (info.pid === undefined || info.pid === child.pid) && ready(info);
    });
  }

  /**
   * Start master `i`; with one master wait until it leads, with several until it answers.
   * `extraFlags` (e.g. `-Dkey=value`) come after the harness's own.
   */
  async startMaster(i = 0, extraFlags: readonly string[] = []): Promise<void> {
    const p = this.spawnProc('master', i, [...this.masterFlags(i), ...extraFlags]);
    const several = this.masterPorts.length > 1;
    await this.waitServing(p, this.masterPorts[i]!.web, `master ${i} to ${several ? 'answer' : 'lead'}`, (info) => several || info.isLeader);
  }

  /** Wait until exactly one master serves as leader; returns its index. */
  async waitLeader(timeoutMs = 15_000): Promise<number> {
    return waitFor('a leader', async () => { const i = await this.leaderIndex(); return i >= 0 ? i + 1 : false; }, timeoutMs).then((x) => x - 1);
  }

  /** Start the master and expect it to fail; returns its exit code and log. */
  async startMasterExpectFailure(): Promise<{ code: number | null; log: string }> {
    const p = this.spawnProc('master', 0, []);
    const code = await Promise.race([p.exited!, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000))]);
    if (code === 'timeout') { p.child!.kill('SIGKILL'); throw new Error(`master did not fail:\n${p.log}`); }
    return { code, log: p.log };
  }

  async startWorker(i = 0): Promise<void> {
    const p = this.spawnProc('worker', i, this.workerFlags(i));
    await this.waitServing(p, this.workerPorts[i]!.web, `worker ${i} to register`, (info) => info.registered);
  }

  /**
   * Start every process. The ports were free when setup() drew them, but another test process
   * may bind one before ours does: a start that fails on EADDRINUSE is retried from scratch with
   * fresh ports and freshly formatted journals (at most START_ATTEMPTS times), so such a race
   * cannot fail a run. Ports are fixed once start() returned: a restart later reuses them.
   */
  async start(): Promise<this> {
    for (let attempt = 1; ; attempt++) {
      try {
        await Promise.all(this.masterPorts.map((_, i) => this.startMaster(i)));
        if (this.masterPorts.length > 1) await this.waitLeader();
        for (let i = 0; i < this.workerPorts.length; i++) await this.startWorker(i);
        return this;
      } catch (e) {
        if (attempt >= START_ATTEMPTS || !/EADDRINUSE/.test((e as Error).message)) throw e;
        await this.killAll();
        this.unexpectedExits.length = 0;
        await this.assignPorts();
        this.formatJournals();
      }
    }
  }

  /** Whether the process was started and has not exited (kill -9, crash or stop). */
  isRunning(kind: 'master' | 'worker', index = 0): boolean {
    const c = this.procs.find((x) => x.kind === kind && x.index === index)?.child;
    return !!c && c.exitCode === null && c.signalCode === null;
  }

  async kill(kind: 'master' | 'worker', index = 0, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = this.procs.find((x) => x.kind === kind && x.index === index);
    if (!p?.child || p.child.exitCode !== null || p.child.signalCode !== null) return;
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') { p.child.kill(signal); return; } // frozen or resumed: the process stays
    p.killed = true;
    p.child.kill(signal);
    await p.exited;
  }

  /** Is this process running (started and not exited; a SIGSTOPped one counts as running)? */
  running(kind: 'master' | 'worker', index = 0): boolean {
    const p = this.procs.find((x) => x.kind === kind && x.index === index);
    return !!p?.child && p.child.exitCode === null && p.child.signalCode === null;
  }

  /** Pid of a running process (undefined when it is not running). */
  pid(kind: 'master' | 'worker', index = 0): number | undefined {
    return this.running(kind, index) ? this.procs.find((x) => x.kind === kind && x.index === index)!.child!.pid : undefined;
  }

  cli(args: string[], timeoutMs?: number): Promise<CliResult> {
    return runNode([CLI, ...args], this.env, timeoutMs);
  }

  /** The log of one process ('' when never started). */
  logOf(kind: 'master' | 'worker', index = 0): string {
    return this.procs.find((x) => x.kind === kind && x.index === index)?.log ?? '';
  }

  /** The log file of a process with the logFiles option. */
  logFileOf(kind: 'master' | 'worker', index = 0): string {
    return path.join(this.dir, `${kind}${index}.log`);
  }

  /** All process logs, for assertion messages. */
  logs(): string {
    const file = (p: Proc) => { try { return this.opts.logFiles ? fs.readFileSync(this.logFileOf(p.kind, p.index), 'utf8') : ''; } catch { return ''; } };
    return this.procs.map((p) => `===== ${p.kind} ${p.index} =====\n${file(p)}${p.log}`).join('\n');
  }

  /** SIGKILL every process still running (marked killed: not an unexpected exit). */
  private async killAll(): Promise<void> {
    for (const p of this.procs) if (p.child && p.child.exitCode === null && p.child.signalCode === null) { p.killed = true; p.child.kill('SIGKILL'); await p.exited; }
  }

  async stop(): Promise<void> {
    await this.killAll();
    for (const d of this.journalDisks) d.unmount();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
