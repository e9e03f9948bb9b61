/**
 * A real ZooKeeper on loopback for tests and benchmarks (Debian package zookeeper 3.8, its jar
 * run by java): standalone (1 member) or an ensemble (3 members), each with its own data dir
 * under one temp dir, on free ports (freePort), killed by pid at the end (destroy) and on any
 * exit of the test process. A short tickTime (default 200 ms) lets tests use session timeouts of
 * 1-3 s: ZooKeeper clamps a client's session timeout to [2, 20] ticks. One member or the whole
 * ensemble can be stopped and started again (same ports, same data) for "ZooKeeper down" tests.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zookeeper from 'node-zookeeper-client';
import { freePort } from './cluster.js';
import { waitFor } from './wait.js';

export const ZK_JAR = '/usr/share/java/zookeeper.jar';

/** True when the jar and java are here; as root, installs the Debian package first when missing (benchmarks). */
export function ensureZooKeeper(install = false): boolean {
  const ok = () => fs.existsSync(ZK_JAR) && spawnSync('java', ['-version']).status === 0;
  if (ok()) return true;
  if (install && process.getuid?.() === 0) spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'zookeeper'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return ok();
}

/**
 * For tests: undefined when ZooKeeper can run here, else why it cannot. With CI set, a missing
 * ZooKeeper is a failure (thrown), never a skip: .ci/run installs it.
 */
export function zooKeeperSkipReason(): string | undefined {
  if (ensureZooKeeper()) return undefined;
  const why = `ZooKeeper is not installed (${ZK_JAR} or java missing; apt-get install zookeeper)`;
  if (process.env.CI) throw new Error(`${why}; CI must have it (.ci/run installs it)`);
  return why;
}

export interface ZooKeeperOptions {
  /** 1: standalone; 3 (or more): an ensemble. Default 1. */
  members?: number;
  /** ZooKeeper's tickTime in ms (session timeouts are clamped to [2, 20] ticks). Default 200. */
  tickMs?: number;
  /** Default tickTime-based ZooKeeper settings (the benchmark's "default ZooKeeper"): tickTime=2000, initLimit=10, syncLimit=5. */
  defaults?: boolean;
  /**
   * The address clients connect to (clientPortAddress). Default 127.0.0.1; test hosts
   * (test/harness/hosts.ts) reach the root namespace at their subnet's .1 address.
   */
  bindAddress?: string;
}

interface Member { id: number; client: number; peer: number; election: number; dir: string; proc?: ChildProcess }

const live = new Set<ChildProcess>();
let exitHook = false;
function killAllOnExit(): void {
  for (const p of live) { try { if (p.pid) process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ } }
}

/**
 * The ZooKeeper mode's properties for masters elected through `zk` (alluxio.zookeeper.enabled with
 * the shared UFS journal) and the session timeout `sessionMs`.
 */
export function zooKeeperModeProps(zk: ZooKeeperServers, sessionMs: number): Record<string, string> {
  return {
    'alluxio.master.journal.type': 'UFS',
    'alluxio.zookeeper.enabled': 'true',
    'alluxio.zookeeper.address': zk.connectString(),
    'alluxio.zookeeper.session.timeout': `${sessionMs}ms`,
    'alluxio.zookeeper.connection.timeout': '3s',
  };
}

export class ZooKeeperServers {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alluxio-zk-'));
  readonly members: Member[] = [];
  readonly tickMs: number;

  private constructor(private readonly o: Required<ZooKeeperOptions>) {
    this.tickMs = o.defaults ? 2000 : o.tickMs;
  }

  /** Start the servers and wait until every member serves (standalone, leader or follower). */
  static async start(opts: ZooKeeperOptions = {}): Promise<ZooKeeperServers> {
    const z = new ZooKeeperServers({ members: opts.members ?? 1, tickMs: opts.tickMs ?? 200, defaults: opts.defaults ?? false, bindAddress: opts.bindAddress ?? '127.0.0.1' });
    if (!exitHook) { process.on('exit', killAllOnExit); exitHook = true; }
    for (let i = 0; i < z.o.members; i++) {
      const dir = path.join(z.dir, `zk${i + 1}`);
      z.members.push({ id: i + 1, client: await freePort(), peer: await freePort(), election: await freePort(), dir });
    }
    const ensemble = z.members.length > 1 ? z.members.map((m) => `server.${m.id}=127.0.0.1:${m.peer}:${m.election}`) : [];
    const limits = z.o.defaults ? ['initLimit=10', 'syncLimit=5'] : ['initLimit=50', 'syncLimit=10'];
    for (const m of z.members) {
      fs.mkdirSync(m.dir, { recursive: true });
      fs.writeFileSync(path.join(m.dir, 'myid'), `${m.id}\n`);
      fs.writeFileSync(path.join(m.dir, 'zoo.cfg'), [
        `tickTime=${z.tickMs}`, ...limits, `dataDir=${m.dir}`, `clientPort=${m.client}`, `clientPortAddress=${z.o.bindAddress}`,
        'admin.enableServer=false', '4lw.commands.whitelist=srvr,ruok', ...ensemble, '',
      ].join('\n'));
    }
    try {
      for (let i = 0; i < z.members.length; i++) z.startMember(i);
      await z.waitServing();
    } catch (e) {
      await z.destroy();
      throw e;
    }
    return z;
  }

  /** The client connect string of every member (or of member `only`). */
  connectString(only?: number): string {
    return this.members.filter((_, i) => only === undefined || i === only).map((m) => `${this.o.bindAddress}:${m.client}`).join(',');
  }

  /** Start member `i` again (same ports and data); does not wait (waitServing). */
  startMember(i: number): void {
    const m = this.members[i]!;
    if (m.proc && m.proc.exitCode === null && m.proc.signalCode === null) return;
    const log = fs.openSync(path.join(m.dir, 'zookeeper.out'), 'a');
    const p = spawn('java', ['-Xmx256m', '-XX:+UseSerialGC', `-Dzookeeper.log.dir=${m.dir}`, '-Dlog4j.configuration=file:/dev/null',
      '-cp', `/etc/zookeeper/conf:${ZK_JAR}`, 'org.apache.zookeeper.server.quorum.QuorumPeerMain', path.join(m.dir, 'zoo.cfg')],
    { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    m.proc = p;
    live.add(p);
    p.once('exit', () => live.delete(p));
  }

  /** Kill member `i` (SIGKILL, by pid) and wait until it is gone. */
  async stopMember(i: number): Promise<void> {
    const p = this.members[i]!.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }

  /** Kill every member. */
  async stopAll(): Promise<void> {
    for (let i = 0; i < this.members.length; i++) await this.stopMember(i);
  }

  /** Start every member that is not running and wait until all serve. */
  async startAll(): Promise<void> {
    for (let i = 0; i < this.members.length; i++) this.startMember(i);
    await this.waitServing();
  }

  /** The `srvr` four-letter answer of member `i` ('' when it does not answer). */
  srvr(i: number): Promise<string> {
    return new Promise<string>((resolve) => {
      let buf = '';
      const s = net.connect(this.members[i]!.client, this.o.bindAddress, () => s.end('srvr'));
      s.setTimeout(2000, () => s.destroy());
      s.on('data', (d) => { buf += d.toString(); });
      s.on('close', () => resolve(buf));
      s.on('error', () => resolve(''));
    });
  }

  /** Index of the member in `Mode: leader` (or standalone), or -1. */
  async leaderIndex(): Promise<number> {
    for (let i = 0; i < this.members.length; i++) if (/Mode: (leader|standalone)/.test(await this.srvr(i))) return i;
    return -1;
  }

  /** Wait until every running member serves clients (bounded: 60 s). */
  async waitServing(timeoutMs = 60_000): Promise<void> {
    const running = this.members.map((m, i) => ({ m, i })).filter(({ m }) => m.proc && m.proc.exitCode === null && m.proc.signalCode === null);
    await waitFor(`ZooKeeper members ${running.map(({ m }) => `${this.o.bindAddress}:${m.client}`).join(', ')} to serve`, async (observe) => {
      const modes = await Promise.all(running.map(async ({ m, i }) => {
        if (m.proc!.exitCode !== null) throw new Error(`ZooKeeper member ${m.id} exited (${m.proc!.exitCode}); log: ${this.log(i).slice(-2000)}`);
        return /Mode: (\w+)/.exec(await this.srvr(i))?.[1] ?? 'down';
      }));
      observe(modes);
      return modes.every((x) => x === 'standalone' || x === 'leader' || x === 'follower');
    }, { timeoutMs, everyMs: 200 });
  }

  /** The log of member `i` (for failure messages). */
  log(i: number): string {
    try { return fs.readFileSync(path.join(this.members[i]!.dir, 'zookeeper.out'), 'utf8'); } catch { return ''; }
  }

  /** A connected client (bounded wait), to member `only` if given, else to any. */
  client(timeoutMs = 15_000, only?: number, sessionTimeout = 10_000): Promise<zookeeper.Client> {
    return new Promise((resolve, reject) => {
      const c = zookeeper.createClient(this.connectString(only), { sessionTimeout, spinDelay: 100, retries: 50 });
      const t = setTimeout(() => { c.close(); reject(new Error(`ZooKeeper ${this.connectString(only)} did not accept a session within ${timeoutMs} ms`)); }, timeoutMs);
      c.once('connected', () => { clearTimeout(t); resolve(c); });
      c.connect();
    });
  }

  /** Kill every member and remove the data dirs. */
  async destroy(): Promise<void> {
    await this.stopAll();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Create a znode with `data`; resolves when the ensemble acknowledged it. */
export function zkCreate(c: zookeeper.Client, p: string, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => c.create(p, data, (err) => (err ? reject(err) : resolve())));
}

/**
 * A TCP proxy on a free loopback port in front of `target` (host:port) that a test can cut:
 * `cut()` destroys every connection and refuses new ones until `restore()`. Cutting a client's
 * path to ZooKeeper for less than the session timeout is a connection loss with the same session.
 */
export class TcpProxy {
  private readonly sockets = new Set<net.Socket>();
  private down = false;
  private constructor(private readonly server: net.Server, readonly port: number) {}

  static async start(target: string): Promise<TcpProxy> {
    const i = target.lastIndexOf(':');
    const host = target.slice(0, i), tport = Number(target.slice(i + 1));
    const port = await freePort();
    let proxy!: TcpProxy;
    const server = net.createServer((c) => {
      if (proxy.down) { c.destroy(); return; }
      const u = net.connect(tport, host);
      proxy.sockets.add(c); proxy.sockets.add(u);
      c.pipe(u); u.pipe(c);
      const close = () => { c.destroy(); u.destroy(); proxy.sockets.delete(c); proxy.sockets.delete(u); };
      c.on('error', close); u.on('error', close); c.on('close', close); u.on('close', close);
    });
    proxy = new TcpProxy(server, port);
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, '127.0.0.1', () => resolve()); });
    return proxy;
  }

  get address(): string { return `127.0.0.1:${this.port}`; }

  cut(): void {
    this.down = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  restore(): void { this.down = false; }

  close(): Promise<void> {
    this.cut();
    return new Promise((r) => this.server.close(() => r()));
  }
}
