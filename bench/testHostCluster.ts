/**
 * Our masters on test hosts (network namespaces of test/harness/hosts.ts): master i runs on
 * hosts.hosts[i], started directly inside the host's network namespace (nsenter --net, no SSH)
 * on Alluxio's default ports, with the embedded journal; its files live under the harness's
 * dir (removed by TestHosts.destroy, which also kills every process left in the namespaces).
 * The bench process reaches the hosts over the harness's uplink, so a FileSystem built from
 * `env` talks to the masters by IP as a client on another machine would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, getJson } from '../test/harness/cluster.js';
import type { TestHosts, TestHost } from '../test/harness/hosts.js';
import { waitFor, giveUp } from '../test/harness/wait.js';
import { formatJournal } from '../src/journal/format.js';

const MASTER_MAIN = path.join(ROOT, 'dist', 'src', 'server', 'master', 'main.js');
export const RPC_PORT = 19998;
export const WEB_PORT = 19999;
export const JOURNAL_PORT = 19200;

export class HostMasters {
  readonly dir: string;
  readonly confDir: string;
  private procs: (ChildProcess | undefined)[] = [];

  /** `props`: extra alluxio-site.properties (client settings included: the bench's client reads the same conf). */
  constructor(readonly hosts: TestHosts, readonly label: string, props: Record<string, string> = {}) {
    this.dir = path.join(hosts.dir, `bench-${label}`);
    this.confDir = path.join(this.dir, 'conf');
    fs.mkdirSync(this.confDir, { recursive: true });
    const all: Record<string, string> = {
      'alluxio.work.dir': this.dir,
      'alluxio.master.rpc.addresses': this.hostList.map((h) => `${h.ip}:${RPC_PORT}`).join(','),
      'alluxio.master.embedded.journal.addresses': this.hostList.map((h) => `${h.ip}:${JOURNAL_PORT}`).join(','),
      'alluxio.master.mount.table.root.ufs': path.join(this.dir, 'ufs'),
      ...props,
    };
    fs.mkdirSync(path.join(this.dir, 'ufs'));
    fs.writeFileSync(path.join(this.confDir, 'alluxio-site.properties'), Object.entries(all).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
    for (let i = 0; i < this.hostList.length; i++) formatJournal(this.journalDir(i), { protectedPaths: [{ path: ROOT, label: 'alluxio.home' }] });
  }

  get hostList(): readonly TestHost[] { return this.hosts.hosts; }
  journalDir(i: number): string { return path.join(this.dir, `journal${i}`); }
  rpcAddr(i: number): string { return `${this.hostList[i]!.ip}:${RPC_PORT}`; }
  journalAddr(i: number): string { return `${this.hostList[i]!.ip}:${JOURNAL_PORT}`; }
  logFile(i: number): string { return path.join(this.dir, `master${i}.log`); }

  get env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, ALLUXIO_CONF_DIR: this.confDir, NO_COLOR: '1' };
    for (const k of Object.keys(env)) if (k.startsWith('ALLUXIO_') && k !== 'ALLUXIO_CONF_DIR') delete env[k];
    return env;
  }

  pid(i: number): number | undefined {
    const p = this.procs[i];
    return p && p.exitCode === null && p.signalCode === null ? p.pid : undefined;
  }

  info(i: number): Promise<any> {
    return getJson(`http://${this.hostList[i]!.ip}:${WEB_PORT}/api/v1/master/info`);
  }

  /** Start master i inside its host's network namespace and wait until it answers (as leader or standby). */
  async start(i: number): Promise<void> {
    const h = this.hostList[i]!;
    const fd = fs.openSync(this.logFile(i), 'a');
    let p: ChildProcess;
    try {
      // nsenter execs node (no fork without a pid namespace): the child's pid is the master's.
      p = spawn('nsenter', [`--net=/run/netns/${h.netns}`, '--', process.execPath, MASTER_MAIN,
        `-Dalluxio.master.hostname=${h.ip}`, `-Dalluxio.master.journal.folder=${this.journalDir(i)}`,
        `-Dalluxio.run.dir=${path.join(this.dir, `run${i}`)}`], { env: this.env, stdio: ['ignore', fd, fd] });
    } finally { fs.closeSync(fd); }
    this.procs[i] = p;
    try {
      await waitFor(`master ${i} on ${h.name} to answer`, async (observe) => {
        if (p.exitCode !== null || p.signalCode !== null) giveUp(`master ${i} exited with ${p.exitCode ?? p.signalCode}:\n${tail(this.logFile(i))}`);
        const info = await this.info(i);
        observe(info);
        return info.pid === undefined || info.pid === p.pid;
      }, 30_000);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- ${this.logFile(i)} ---\n${tail(this.logFile(i))}`, { cause: e });
    }
  }

  async startAll(): Promise<void> {
    await Promise.all(this.hostList.map((_, i) => this.start(i)));
    await this.waitLeader();
  }

  /** Index of the master that says it leads; waits (bounded) for one. Skips masters not running. */
  async waitLeader(timeoutMs = 15_000): Promise<number> {
    return (await waitFor('a leading master', async () => {
      for (let i = 0; i < this.hostList.length; i++) {
        if (this.pid(i) === undefined) continue;
        try { if ((await this.info(i)).isLeader) return i + 1; } catch { /* down or cut off */ }
      }
      return false;
    }, timeoutMs, 50)) - 1;
  }

  /** A restarted master serves as a standby that knows the leader. */
  async waitStandby(i: number, timeoutMs = 20_000): Promise<void> {
    await waitFor(`master ${i} back as a standby`, async () => {
      const info = await this.info(i);
      return !info.isLeader && info.leaderAddress !== '';
    }, timeoutMs, 50);
  }

  /**
   * When master i's log says it won an election ("Became the leader") and then served ("Serving
   * as the leader"), the first of each at or after `sinceMs` (epoch ms; the log's stamps are local
   * time with ms). Undefined when the log has no such line.
   */
  leaderEvents(i: number, sinceMs: number): { elected?: number; serving?: number } {
    let text = '';
    try { text = fs.readFileSync(this.logFile(i), 'utf8'); } catch { return {}; }
    const out: { elected?: number; serving?: number } = {};
    for (const l of text.split('\n')) {
      const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d),(\d{3}) /.exec(l);
      if (!m) continue;
      const [y, mo, d, h, mi, se, ms] = m.slice(1).map(Number) as [number, number, number, number, number, number, number];
      const t = new Date(y, mo - 1, d, h, mi, se, ms).getTime();
      if (t < sinceMs) continue;
      if (out.elected === undefined && l.includes('Became the leader')) out.elected = t;
      else if (out.elected !== undefined && out.serving === undefined && l.includes('Serving as the leader')) out.serving = t;
    }
    return out;
  }

  /** kill -9 master i (by pid) and wait for its exit. */
  kill(i: number): Promise<void> {
    return killChild(this.procs[i]);
  }

  async stop(): Promise<void> {
    for (let i = 0; i < this.procs.length; i++) await this.kill(i);
  }
}

/** SIGKILL a child process (by its pid) unless it already exited; resolves once it exited. */
export async function killChild(p: ChildProcess | undefined): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await exited;
}

function tail(file: string, lines = 30): string {
  try { return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n'); } catch { return ''; }
}
