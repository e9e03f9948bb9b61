/**
 * Test hosts: N Linux network namespaces, each with its own IP, name, hostname (UTS namespace),
 * sshd and private /opt, /root, /var, /run and /tmp, plus a control namespace `ctl` from which tests run
 * the real CLI over SSH. Root only (CI runs as root). See ARCHITECTURE.md "Test hosts".
 *
 * Network: the bridge lives in its own "switch" namespace, one veth port per host, so bridged
 * host-to-host traffic never meets the root namespace's bridge-netfilter / iptables rules (Docker's
 * FORWARD DROP on CI machines would otherwise drop it). The root namespace is attached to the
 * bridge by one veth holding 10.213.X.1, so test code can also reach the hosts directly. Hosts have
 * no default route: traffic can only go to loopback or to the other test hosts.
 *
 * Each namespace has a holder process (`sleep infinity`) that owns its mount and UTS namespaces;
 * sshd is started inside them with nsenter, so run() keeps working while sshd is stopped and a
 * restarted sshd sees the same mounts. Everything is torn down by pid (never by name).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { isRoot } from './root.js';
import { waitFor, giveUp, sleep } from './wait.js';

export interface TestHost {
  name: string;
  ip: string;
  netns: string;
  /** The host's private root holding opt/ var/ run/ tmp/ (plus etc/ with its sshd config and key, and logs). */
  dir: string;
  sshdPid?: number;
  /** The host's current public host key, `ssh-ed25519 AAAA...` (empty for the control namespace). */
  hostKey: string;
}

export interface TestHostsOptions {
  /** Host names are <prefix>1..<prefix>N; default 'h'. */
  prefix?: string;
}

export interface RunOptions {
  timeoutMs?: number;
  env?: Record<string, string>;
  input?: string;
  /** Working directory inside the namespace; default /root on hosts, process.cwd() in the control namespace. */
  cwd?: string;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** True when the command was killed (its whole process group, SIGKILL) after timeoutMs. */
  timedOut: boolean;
}

const SYS_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const SSHD = '/usr/sbin/sshd';
const CONTROL = 'ctl';
const DEFAULT_TIMEOUT_MS = 60_000;

// ---------------------------------------------------------------------------------------------
// Processes

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Run argv (no shell) in its own process group; on timeout SIGKILL the group. Never rejects. */
function exec(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve) => {
    let stdout = '', stderr = '', timedOut = false, done = false;
    const finish = (code: number) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (timedOut) stderr += `\n[harness] ${argv.join(' ')}: killed after ${timeoutMs} ms`;
      resolve({ code, stdout, stderr, timedOut });
    };
    let p: ChildProcess;
    try {
      p = spawn(argv[0], argv.slice(1), {
        env: opts.env ?? { PATH: SYS_PATH, HOME: '/root' },
        cwd: opts.cwd,
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
    } catch (e) {
      resolve({ code: 127, stdout: '', stderr: String(e), timedOut: false });
      return;
    }
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-p.pid!, 'SIGKILL'); } catch { try { p.kill('SIGKILL'); } catch { /* gone */ } }
    }, timeoutMs);
    p.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', (e) => { stderr += String(e); finish(127); });
    p.on('close', (code, sig) => finish(code ?? (sig ? 128 + (os.constants.signals[sig] ?? 9) : 1)));
    p.stdin!.on('error', () => { /* child did not read its input */ });
    p.stdin!.end(opts.input ?? '');
  });
}

/** exec() that throws, naming the command, its exit code and stderr, unless it exits 0. */
async function must(argv: readonly string[], timeoutMs = 30_000): Promise<string> {
  const r = await exec(argv, { timeoutMs });
  if (r.code !== 0) throw new Error(`${argv.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Synchronous variant for teardown (also used from process 'exit'); errors are returned, not thrown. */
function execSync(argv: readonly string[]): { code: number; stderr: string } {
  const r = spawnSync(argv[0], argv.slice(1), { env: { PATH: SYS_PATH }, timeout: 10_000, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { code: r.status ?? 1, stderr: r.stderr ?? String(r.error ?? '') };
}

const running = (p: ChildProcess | undefined): boolean =>
  p !== undefined && p.pid !== undefined && p.exitCode === null && p.signalCode === null;

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch { return false; }
}

/** Pids whose network namespace is the one with inode `ino` (compares /proc/<pid>/ns/net). */
function pidsInNetns(inos: ReadonlySet<number>): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid) continue;
    try {
      const m = /^net:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/ns/net`));
      if (m && inos.has(Number(m[1]))) out.push(pid);
    } catch { /* exited, or a zombie */ }
  }
  return out;
}

function tcpAccepts(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean) => { s.destroy(); resolve(ok); };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

function tail(file: string, lines = 30): string {
  try { return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n'); } catch { return ''; }
}

// ---------------------------------------------------------------------------------------------
// System tools (installed with apt-get when missing, as part of the test setup)

const TOOLS: readonly (readonly [bin: string, pkg: string])[] = [
  ['ip', 'iproute2'], [SSHD, 'openssh-server'], ['ssh', 'openssh-client'], ['ssh-keygen', 'openssh-client'],
  ['nsenter', 'util-linux'], ['unshare', 'util-linux'], ['mount', 'mount'], ['hostname', 'hostname'],
];

function hasBin(bin: string): boolean {
  const cands = bin.startsWith('/') ? [bin] : SYS_PATH.split(':').map((d) => path.join(d, bin));
  return cands.some((c) => { try { fs.accessSync(c, fs.constants.X_OK); return true; } catch { return false; } });
}

let toolsReady: Promise<void> | undefined;
function ensureTools(): Promise<void> {
  toolsReady ??= (async () => {
    const missing = () => [...new Set(TOOLS.filter(([b]) => !hasBin(b)).map(([, p]) => p))];
    const pkgs = missing();
    if (pkgs.length === 0) return;
    if (!isRoot) throw new Error(`test hosts need ${pkgs.join(', ')}: apt-get install ${pkgs.join(' ')} (as root)`);
    const env = { PATH: SYS_PATH, HOME: '/root', DEBIAN_FRONTEND: 'noninteractive' };
    for (const argv of [['apt-get', 'update', '-qq'], ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...pkgs]]) {
      const r = await exec(argv, { env, timeoutMs: 300_000 });
      if (r.code !== 0) throw new Error(`${argv.join(' ')} exited ${r.code}: ${r.stderr.trim().split('\n').slice(-10).join('\n')}`);
    }
    const still = missing();
    if (still.length) throw new Error(`still missing after apt-get install: ${still.join(', ')}`);
  })();
  return toolsReady;
}

// ---------------------------------------------------------------------------------------------
// Addresses

const ipToInt = (ip: string) => ip.split('.').reduce((a, o) => ((a << 8) | Number(o)) >>> 0, 0);
function overlaps(a: string, b: string): boolean {
  const [ai, ap] = a.split('/'), [bi, bp] = b.split('/');
  const p = Math.min(Number(ap ?? 32), Number(bp ?? 32));
  const mask = p === 0 ? 0 : (~0 << (32 - p)) >>> 0;
  return ((ipToInt(ai) & mask) >>> 0) === ((ipToInt(bi) & mask) >>> 0);
}

/** Every IPv4 prefix in use in the root namespace (interface addresses and routes), with its device. */
async function usedPrefixes(): Promise<{ prefix: string; dev: string }[]> {
  const out: { prefix: string; dev: string }[] = [];
  for (const line of (await must(['ip', '-4', '-o', 'addr', 'show'])).split('\n')) {
    const m = /^\d+:\s+(\S+)\s+inet\s+(\S+)/.exec(line);
    if (m) out.push({ dev: m[1], prefix: m[2] });
  }
  for (const line of (await must(['ip', '-4', 'route', 'show', 'table', 'all'])).split('\n')) {
    const [first, ...rest] = line.trim().split(/\s+/);
    let dst = first;
    if (['broadcast', 'local', 'unicast', 'multicast', 'blackhole', 'unreachable', 'prohibit'].includes(dst)) dst = rest.shift() ?? '';
    if (!dst || dst === 'default' || !/^\d+\.\d+\.\d+\.\d+/.test(dst)) continue;
    const dev = rest[rest.indexOf('dev') + 1] ?? '';
    out.push({ dev: rest.includes('dev') ? dev : '', prefix: dst });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Cleanup on exit / signals

const live = new Set<TestHosts>();
const onExit = () => { for (const t of [...live]) t.destroySync(); };
const onSignal = (sig: NodeJS.Signals) => { onExit(); process.exit(128 + (os.constants.signals[sig] ?? 15)); };
function track(t: TestHosts): void {
  if (live.size === 0) {
    process.on('exit', onExit);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  live.add(t);
}
function untrack(t: TestHosts): void {
  if (!live.delete(t) || live.size > 0) return;
  process.off('exit', onExit);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

// ---------------------------------------------------------------------------------------------

interface Member {
  host: TestHost;
  port: string;          // veth port on the bridge, in the switch namespace
  ino: number;           // inode of the network namespace
  holder?: ChildProcess;
  sshd?: ChildProcess;
  sshdExit?: Promise<void>;
  cfg: string;
  key: string;
}

const HOLDER_SCRIPT = [
  'set -e',
  'hostname "$1"',
  'mount --bind "$2/opt" /opt',
  'mount --bind "$2/var" /var',
  'mount --bind "$2/run" /run',
  // A private /root: the machine's own dotfiles (e.g. a .bashrc starting pyenv) must not slow or
  // change every SSH session of a test host.
  'mount --bind "$2/root" /root',
  'mkdir -p /run/sshd /run/lock /run/.harness',
  // Keep the harness dir (sshd config, keys, authorized_keys) visible at its own path once /tmp is replaced.
  'mount --bind "$3" /run/.harness',
  'mount --bind "$2/tmp" /tmp',
  'mkdir -p "$3"',
  'mount --move /run/.harness "$3"',
  'rmdir /run/.harness',
  'exec sleep infinity',
].join('\n');

export class TestHosts {
  readonly hosts: TestHost[];
  readonly control: TestHost;
  /** A temp HOME: .ssh/config, .ssh/known_hosts (every host's key), .ssh/id_ed25519 (+.pub). */
  readonly home: string;
  /** Path of the /etc/hosts text (localhost, ctl and every host by IP) that every namespace uses as /etc/hosts. */
  readonly hostsFile: string;
  /** The harness's temp dir: home/, authorized_keys, hosts, and one dir per host. */
  readonly dir: string;
  /** The subnet, 10.213.X.0/24; .1 is the root namespace, .9 ctl, .10+ the hosts. */
  readonly subnet: string;
  /** Every network namespace this instance created (hosts, ctl, the switch). */
  readonly namespaces: string[];
  /** Every interface it created in the root namespace (the uplink veth to the bridge). */
  readonly links: string[];

  private readonly members = new Map<string, Member>();
  private readonly switchNs: string;
  private readonly uplink: string;
  private readonly inos = new Set<number>();
  private destroyed = false;

  private constructor(n: number, prefix: string, sfx: string, x: number, dir: string) {
    this.dir = dir;
    this.subnet = `10.213.${x}.0/24`;
    this.switchNs = `ah${sfx}-sw`;
    this.uplink = `ah${sfx}`;
    this.home = path.join(dir, 'home');
    this.hostsFile = path.join(dir, 'hosts');
    const mk = (name: string, octet: number): TestHost => ({
      name, ip: `10.213.${x}.${octet}`, netns: `ah${sfx}-${name}`, dir: path.join(dir, name), hostKey: '',
    });
    this.control = mk(CONTROL, 9);
    this.hosts = Array.from({ length: n }, (_, i) => mk(`${prefix}${i + 1}`, 10 + i));
    [this.control, ...this.hosts].forEach((h, i) => this.members.set(h.name, {
      host: h, port: `p${i}`, ino: 0,
      cfg: path.join(h.dir, 'etc', 'sshd_config'), key: path.join(h.dir, 'etc', 'ssh_host_ed25519_key'),
    }));
    this.namespaces = [this.switchNs, ...[...this.members.values()].map((m) => m.host.netns)];
    this.links = [this.uplink];
  }

  static async create(n: number, opts: TestHostsOptions = {}): Promise<TestHosts> {
    const prefix = opts.prefix ?? 'h';
    if (!Number.isInteger(n) || n < 1 || n > 200) throw new RangeError(`TestHosts.create: n must be 1..200, got ${n}`);
    if (!/^[a-z][a-z0-9-]*$/.test(prefix) || `${prefix}1` === CONTROL) throw new RangeError(`TestHosts.create: bad prefix ${JSON.stringify(prefix)}`);
    if (!isRoot) throw new Error('TestHosts needs root (network namespaces, mounts, sshd)');
    await ensureTools();
    // The harness dir must not live under /opt, /var or /run: hosts get private copies of those before it is bound.
    let base = fs.realpathSync(os.tmpdir());
    if (/^\/(opt|var|run)(\/|$)/.test(base)) base = '/tmp';

    const existing = (await must(['ip', 'netns', 'list'])).split('\n').map((l) => l.split(' ')[0]);
    for (let attempt = 0; attempt < 20; attempt++) {
      const sfx = crypto.randomBytes(3).toString('hex');
      const x = crypto.randomInt(1, 255);
      const subnet = `10.213.${x}.0/24`;
      if (existing.some((ns) => ns.startsWith(`ah${sfx}-`))) continue;
      if ((await usedPrefixes()).some((u) => overlaps(u.prefix, subnet))) continue;
      if (fs.existsSync(`/sys/class/net/ah${sfx}`)) continue;
      const dir = fs.realpathSync(fs.mkdtempSync(path.join(base, `alluxio-hosts-${sfx}-`)));
      const t = new TestHosts(n, prefix, sfx, x, dir);
      track(t);
      try {
        if (!(await t.setupNetwork())) { t.destroySync(); continue; } // lost a race for the subnet
        await t.setupMembers();
        return t;
      } catch (e) {
        const logs = t.logs();
        t.destroySync();
        throw new Error(`TestHosts.create failed: ${(e as Error).message}${logs ? `\n${logs}` : ''}`, { cause: e });
      }
    }
    throw new Error('TestHosts.create: no free 10.213.X.0/24 subnet and netns names after 20 attempts');
  }

  host(name: string): TestHost {
    return this.member(name).host;
  }

  run(name: string, argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const m = this.member(name);
    return this.enter(m, argv, { PATH: SYS_PATH, HOME: '/root', ...opts.env }, opts.cwd ?? '/root', opts);
  }

  runControl(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const nodeDir = path.dirname(process.execPath);
    const PATH = SYS_PATH.split(':').includes(nodeDir) ? SYS_PATH : `${nodeDir}:${SYS_PATH}`;
    return this.enter(this.member(CONTROL), argv, { PATH, HOME: this.home, ...opts.env }, opts.cwd ?? process.cwd(), opts);
  }

  async crash(name: string): Promise<number[]> {
    const m = this.member(name);
    const keep = new Set([m.holder?.pid, running(m.sshd) ? m.sshd!.pid : undefined]);
    const killed = new Set<number>();
    const deadline = Date.now() + 5000;
    for (let round = 0; round < 50 && Date.now() < deadline; round++) {
      const pids = pidsInNetns(new Set([m.ino])).filter((p) => !keep.has(p));
      if (pids.length === 0) break;
      for (const p of pids) {
        try { process.kill(p, 'SIGKILL'); killed.add(p); } catch { /* already gone */ }
      }
      await sleep(20);
    }
    await waitFor(`killed processes on ${name} to exit`, (observe) => {
      const left = [...killed].filter(alive);
      observe({ stillAlive: left });
      return left.length === 0;
    }, 5000, 25);
    return [...killed].sort((a, b) => a - b);
  }

  async cut(name: string): Promise<void> {
    const m = this.member(name);
    await must(['ip', '-n', this.switchNs, 'link', 'set', m.port, 'down']);
  }

  async heal(name: string): Promise<void> {
    const m = this.member(name);
    await must(['ip', '-n', this.switchNs, 'link', 'set', m.port, 'up']);
    await waitFor(`${name}'s link to come back`, async (observe) => {
      const link = await must(['ip', '-n', m.host.netns, 'link', 'show', 'eth0']);
      observe(link.trim());
      return /LOWER_UP/.test(link);
    }, 5000, 25);
  }

  async stopSshd(name: string): Promise<void> {
    const m = this.member(name, true);
    const p = m.sshd;
    if (!p || !running(p)) { m.sshd = undefined; m.host.sshdPid = undefined; return; }
    const exited = m.sshdExit!;
    const within = async (ms: number) => {
      let timer: NodeJS.Timeout | undefined;
      const r = await Promise.race([exited.then(() => true), new Promise<boolean>((res) => { timer = setTimeout(() => res(false), ms); })]);
      clearTimeout(timer);
      return r;
    };
    p.kill('SIGTERM');
    if (!(await within(5000))) {
      p.kill('SIGKILL');
      if (!(await within(5000))) throw new Error(`sshd on ${name} (pid ${p.pid}) did not exit`);
    }
    m.sshd = undefined;
    m.host.sshdPid = undefined;
  }

  async startSshd(name: string): Promise<void> {
    const m = this.member(name, true);
    if (running(m.sshd)) return;
    const log = path.join(m.host.dir, 'sshd.log');
    const fd = fs.openSync(log, 'a');
    let p: ChildProcess;
    try {
      p = spawn('nsenter', ['--target', String(m.holder!.pid), '--mount', '--uts', '--net', '--', SSHD, '-D', '-e', '-f', m.cfg], {
        env: { PATH: SYS_PATH }, cwd: '/', detached: true, stdio: ['ignore', fd, fd],
      });
    } finally { fs.closeSync(fd); }
    p.unref();
    m.sshd = p;
    m.sshdExit = new Promise((r) => { p.once('exit', () => r()); p.once('error', () => r()); });
    m.host.sshdPid = p.pid;
    await waitFor(`sshd on ${name} (${m.host.ip}:22) to accept connections`, async (observe) => {
      if (!running(p)) giveUp(`sshd on ${name} exited (${p.exitCode ?? p.signalCode}):\n${tail(log)}`);
      if (await tcpAccepts(m.host.ip, 22, 500)) return true;
      observe(`no connection; sshd log:\n${tail(log)}`);
      return false;
    }, 10_000, 25);
  }

  async rotateHostKey(name: string): Promise<void> {
    const m = this.member(name, true);
    await this.stopSshd(name);
    await this.newHostKey(m);
    await this.startSshd(name);
  }

  /** sshd and holder logs of every host (for failure messages). */
  logs(): string {
    const parts: string[] = [];
    for (const m of this.members.values()) {
      for (const f of ['holder.log', 'sshd.log']) {
        const t = tail(path.join(m.host.dir, f), 50).trim();
        if (t) parts.push(`--- ${m.host.name} ${f} ---\n${t}`);
      }
    }
    return parts.join('\n');
  }

  async destroy(): Promise<void> {
    this.destroySync();
  }

  /** destroy(), synchronously (process 'exit' handlers cannot wait). Idempotent. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    const deadline = Date.now() + 5000;
    for (let round = 0; round < 100 && Date.now() < deadline; round++) {
      const pids = this.inos.size ? pidsInNetns(this.inos) : [];
      for (const m of this.members.values()) for (const p of [m.holder, m.sshd]) {
        if (p && running(p) && alive(p.pid!) && !pids.includes(p.pid!)) pids.push(p.pid!);
      }
      if (pids.length === 0) break;
      for (const p of pids) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
      sleepSync(20);
    }
    execSync(['ip', 'link', 'del', this.uplink]);
    for (const ns of this.namespaces) {
      if (fs.existsSync(`/run/netns/${ns}`)) execSync(['ip', 'netns', 'del', ns]);
      fs.rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    }
    try { fs.rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 }); } catch { /* best effort */ }
    untrack(this);
  }

  // -------------------------------------------------------------------------------------------

  private member(name: string, needSshd = false): Member {
    const m = this.members.get(name);
    if (!m) throw new Error(`no test host ${JSON.stringify(name)} (have ${[...this.members.keys()].join(', ')})`);
    if (needSshd && name === CONTROL) throw new Error('the control namespace has no sshd');
    if (this.destroyed) throw new Error('TestHosts already destroyed');
    return m;
  }

  private enter(m: Member, argv: readonly string[], env: Record<string, string>, cwd: string, opts: RunOptions): Promise<RunResult> {
    if (argv.length === 0) throw new Error('run: empty argv');
    return exec(['nsenter', '--target', String(m.holder!.pid), '--mount', '--uts', '--net', '--',
      '/bin/sh', '-c', 'cd -- "$0" && exec "$@"', cwd, ...argv], { env, input: opts.input, timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS });
  }

  /** Switch namespace with the bridge, and the root-namespace uplink. False when another instance took the subnet meanwhile. */
  private async setupNetwork(): Promise<boolean> {
    const sw = this.switchNs;
    const gw = this.subnet.replace(/0\/24$/, '1/24');
    await must(['ip', 'netns', 'add', sw]);
    this.inos.add(fs.statSync(`/run/netns/${sw}`).ino);
    await must(['ip', '-n', sw, 'link', 'set', 'lo', 'up']);
    await must(['ip', '-n', sw, 'link', 'add', 'br0', 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0']);
    await must(['ip', '-n', sw, 'link', 'set', 'br0', 'up']);
    await must(['ip', 'link', 'add', this.uplink, 'type', 'veth', 'peer', 'name', 'up0', 'netns', sw]);
    await must(['ip', '-n', sw, 'link', 'set', 'up0', 'master', 'br0', 'up']);
    await must(['ip', 'addr', 'add', gw, 'dev', this.uplink]);
    await must(['ip', 'link', 'set', this.uplink, 'up']);
    const others = (await usedPrefixes()).filter((u) => u.dev !== this.uplink && overlaps(u.prefix, this.subnet));
    return others.length === 0;
  }

  private async setupMembers(): Promise<void> {
    const hostsText = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback',
      ...[...this.members.values()].map((m) => `${m.host.ip}\t${m.host.name}`), ''].join('\n');
    fs.writeFileSync(this.hostsFile, hostsText);

    // Client key: the only key the hosts accept.
    const ssh = path.join(this.home, '.ssh');
    fs.mkdirSync(ssh, { recursive: true, mode: 0o700 });
    fs.chmodSync(this.home, 0o700);
    const idKey = path.join(ssh, 'id_ed25519');
    await must(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'alluxio-test-hosts', '-f', idKey]);
    const authorized = path.join(this.dir, 'authorized_keys');
    fs.writeFileSync(authorized, fs.readFileSync(`${idKey}.pub`), { mode: 0o600 });

    for (const m of this.members.values()) await this.setupNetns(m, hostsText);

    const hosts = [...this.members.values()].filter((m) => m.host.name !== CONTROL);
    await Promise.all(hosts.map(async (m) => {
      this.makeHostDirs(m.host.dir);
      await this.newHostKey(m);
      fs.writeFileSync(m.cfg, sshdConfig(m, authorized));
    }));

    fs.writeFileSync(path.join(ssh, 'config'), [
      ...hosts.flatMap((m) => [`Host ${m.host.name}`, `  HostName ${m.host.ip}`, '  User root', `  IdentityFile ${idKey}`, '  IdentitiesOnly yes', '']),
      // OpenSSH expands ~ from the passwd entry, not $HOME: name the files explicitly.
      'Host *', `  UserKnownHostsFile ${path.join(ssh, 'known_hosts')}`, '  GlobalKnownHostsFile /dev/null', '  BatchMode yes', '',
    ].join('\n'), { mode: 0o600 });
    this.writeKnownHosts();

    await Promise.all([...this.members.values()].map((m) => this.startHolder(m)));
    await Promise.all(hosts.map((m) => this.startSshd(m.host.name)));
  }

  private async setupNetns(m: Member, hostsText: string): Promise<void> {
    const { netns, ip } = m.host;
    await must(['ip', 'netns', 'add', netns]);
    this.inos.add(m.ino = fs.statSync(`/run/netns/${netns}`).ino);
    await must(['ip', '-n', this.switchNs, 'link', 'add', m.port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
    await must(['ip', '-n', this.switchNs, 'link', 'set', m.port, 'master', 'br0', 'up']);
    await must(['ip', '-n', netns, 'link', 'set', 'lo', 'up']);
    await must(['ip', '-n', netns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
    await must(['ip', '-n', netns, 'link', 'set', 'eth0', 'up']);
    // `ip netns exec` bind-mounts /etc/netns/<ns>/hosts over /etc/hosts.
    fs.mkdirSync(`/etc/netns/${netns}`, { recursive: true });
    fs.writeFileSync(`/etc/netns/${netns}/hosts`, hostsText);
    fs.mkdirSync(m.host.dir, { recursive: true });
  }

  private makeHostDirs(d: string): void {
    for (const sub of ['opt', 'root', 'run/lock', 'tmp', 'etc', 'var/empty', 'var/log', 'var/tmp', 'var/lib', 'var/cache', 'var/spool']) {
      fs.mkdirSync(path.join(d, sub), { recursive: true, mode: 0o755 });
    }
    fs.chmodSync(path.join(d, 'tmp'), 0o1777);
    fs.chmodSync(path.join(d, 'root'), 0o700);
    fs.chmodSync(path.join(d, 'var', 'tmp'), 0o1777);
    fs.symlinkSync('../run', path.join(d, 'var', 'run'));
    fs.symlinkSync('../run/lock', path.join(d, 'var', 'lock'));
  }

  private async newHostKey(m: Member): Promise<void> {
    fs.rmSync(m.key, { force: true });
    fs.rmSync(`${m.key}.pub`, { force: true });
    await must(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', m.host.name, '-f', m.key]);
    m.host.hostKey = fs.readFileSync(`${m.key}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  }

  private writeKnownHosts(): void {
    const lines = this.hosts.flatMap((h) => [`${h.name} ${h.hostKey}`, `${h.ip} ${h.hostKey}`]);
    fs.writeFileSync(path.join(this.home, '.ssh', 'known_hosts'), `${lines.join('\n')}\n`, { mode: 0o600 });
  }

  /** The long-lived process owning the namespace's mount and UTS namespaces (the control one keeps the real /tmp, /work...). */
  private async startHolder(m: Member): Promise<void> {
    const { netns, name, dir } = m.host;
    const log = path.join(dir, 'holder.log');
    const argv = name === CONTROL
      ? ['ip', 'netns', 'exec', netns, 'unshare', '--uts', 'sh', '-c', 'hostname "$1" && exec sleep infinity', 'sh', name]
      : ['ip', 'netns', 'exec', netns, 'unshare', '--mount', '--uts', '--propagation', 'private', 'sh', '-c', HOLDER_SCRIPT, 'sh', name, dir, this.dir];
    const fd = fs.openSync(log, 'a');
    let p: ChildProcess;
    try {
      p = spawn(argv[0], argv.slice(1), { env: { PATH: SYS_PATH }, cwd: '/', detached: true, stdio: ['ignore', fd, fd] });
    } finally { fs.closeSync(fd); }
    p.unref();
    m.holder = p;
    // ip netns exec, unshare and sh all exec: the spawned pid becomes `sleep` once the mounts are done.
    await waitFor(`the namespace holder of ${name}`, (observe) => {
      if (!running(p)) giveUp(`namespace holder of ${name} exited (${p.exitCode ?? p.signalCode}):\n${tail(log)}`);
      const comm = fs.readFileSync(`/proc/${p.pid}/comm`, 'utf8').trim();
      observe(`pid ${p.pid} runs ${comm}`);
      return comm === 'sleep';
    }, 10_000, 25);
  }
}

function sshdConfig(m: Member, authorized: string): string {
  return [
    `ListenAddress ${m.host.ip}:22`,
    `HostKey ${m.key}`,
    `PidFile ${path.join(m.host.dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${authorized}`,
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'PrintMotd no',
    'PrintLastLog no',
    'UseDNS no',
    'MaxSessions 64',
    'MaxStartups 64',
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n');
}
