/**
 * Multi-host operations over SSH: check hosts, push the install and conf where they differ, take
 * the cluster lock, run the per-host step (the remote `alluxio` CLI, which does the same local
 * work as on this host), append to the audit log, and report every host.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../conf/index.js';
import { hostsFiles, parseHostsFile, splitHostPort } from '../conf/index.js';
import { ConfigError, HostError, SshError, UsageError } from '../errors.js';
import { INSTALL_ROOT } from '../conf/installRoot.js';
import type { HostFactsJson } from './local/facts.js';
import { parseReply, replyError, type HostReply, type ProbeResult, type StepName } from './protocol.js';
import { isLocalHost } from './local/hosts.js';
import { ClusterExecutor, type Executor, type ExecResult } from './executor.js';
import { fanOut, type HostStatus } from './runner.js';
import { Reporter } from './report.js';
import * as b from './builders/remote.js';
import { confHash, installHash, tarBuffer, installEntries } from './install.js';
import { resolveReal } from '../fsutil.js';
import { masterRpcAddresses } from '../client/masterAddresses.js';
import { isZooKeeperMode } from '../client/zkMasters.js';
import type { Ora } from 'ora';

export interface ClusterCliOptions {
  parallel: number;
  dryRun: boolean;
  json: boolean;
  acceptNewHostKeys: boolean;
}

export const DEFAULT_PARALLEL = 32;
export const CLUSTER_OPTIONS_HELP = `Cluster options (all, masters, workers):
  --parallel N             hosts contacted at once (default ${DEFAULT_PARALLEL})
  --dry-run                print what would be pushed, started, stopped or formatted; change nothing
  --json                   the summary (or the --dry-run plan) as JSON
  --accept-new-host-keys   add unknown SSH host keys to ~/.ssh/known_hosts (a changed key is still refused)`;

/** Take the cluster options out of an argument list (anywhere in it). */
export function parseClusterOptions(args: readonly string[]): { rest: string[]; opts: ClusterCliOptions } {
  const opts: ClusterCliOptions = { parallel: DEFAULT_PARALLEL, dryRun: false, json: false, acceptNewHostKeys: false };
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--dry-run') opts.dryRun = true;
    else if (a === '--json') opts.json = true;
    else if (a === '--accept-new-host-keys') opts.acceptNewHostKeys = true;
    else if (a === '--parallel' || a.startsWith('--parallel=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[++i];
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 1024) throw new UsageError(`--parallel ${v ?? ''}: expected a whole number from 1 to 1024`);
      opts.parallel = n;
    } else rest.push(a);
  }
  return { rest, opts };
}

export interface Basics extends ProbeResult { rttMs: number; skewMs: number }

const MIN_NODE_MAJOR = 20;

/** The major version of a `process.version` string (`v20.11.1` -> 20; 0 when it is not one). */
function nodeMajor(version: string): number {
  const major = version.startsWith('v') ? Number.parseInt(version.slice(1), 10) : NaN;
  return Number.isSafeInteger(major) ? major : 0;
}

/** Last lines of a command's output, for failure details. */
export function tail(r: ExecResult, lines = 12): string {
  const text = `${r.stdout}\n${r.stderr}`.trim().split('\n').filter(Boolean);
  return text.slice(-lines).join('\n');
}

/**
 * How far a host's clock is provably off: it was read (timeMs) somewhere between t0, when the
 * probe was sent, and t0 + rtt, when its answer came; the distance outside that window (0 inside).
 * The window holds the SSH set-up and node's start-up on the host, which take seconds with 64
 * hosts on a loaded machine: measuring from its middle blamed that wait on the clock.
 */
export function clockSkew(timeMs: number, t0: number, rttMs: number): number {
  if (timeMs < t0) return timeMs - t0;
  if (timeMs > t0 + rttMs) return timeMs - (t0 + rttMs);
  return 0;
}

export class ClusterSession {
  readonly rep: Reporter;
  readonly home: string;
  private localHashMemo: string | undefined;
  readonly localConfHash: string;
  readonly basics = new Map<string, Basics>();
  readonly facts = new Map<string, HostFactsJson>();
  private lockHeld: string | undefined;
  private installTar: Promise<Buffer> | undefined;
  private confTar: Promise<Buffer> | undefined;
  readonly startedAt = new Date();

  private constructor(
    readonly conf: Config,
    readonly masters: string[],
    readonly workers: string[],
    readonly exec: Executor,
    readonly opts: ClusterCliOptions,
    readonly command: string,
    readonly flags: Readonly<Record<string, string>>,
    out: (l: string) => void,
    err: (l: string) => void,
    spinner: ((text: string) => Ora) | undefined,
  ) {
    this.rep = new Reporter({ json: opts.json, out, err, spinner });
    this.home = conf.get('alluxio.home');
    this.localConfHash = confHash(conf.confDir);
    this.rep.setHosts([...masters, ...workers]);
  }

  static async open(
    conf: Config, opts: ClusterCliOptions, command: string, flags: Readonly<Record<string, string>>,
    io: { out(l: string): void; err(l: string): void }, exec?: Executor,
  ): Promise<ClusterSession> {
    const files = hostsFiles(conf);
    const masters = parseHostsFile(files.masters);
    const workers = parseHostsFile(files.workers);
    const all = [...new Set([...masters, ...workers])];
    const isLocal = await Promise.all(all.map((h) => isLocalHost(h)));
    const local = new Set(all.filter((_, i) => isLocal[i]));
    const executor = exec ?? new ClusterExecutor(local, { hostKeyPolicy: opts.acceptNewHostKeys ? 'accept-new' : 'strict' });
    let spinner: ((text: string) => Ora) | undefined;
    if (process.stdout.isTTY && !opts.json) {
      const { default: ora } = await import('ora');
      spinner = (text) => ora({ text, discardStdin: false });
    }
    return new ClusterSession(conf, masters, workers, executor, opts, command, flags, io.out, io.err, spinner);
  }

  /** Hash of this install (reads every file of it: computed only by verbs that check or push). */
  get localHash(): string {
    return this.localHashMemo ??= installHash(INSTALL_ROOT);
  }

  get allHosts(): string[] { return [...new Set([...this.masters, ...this.workers])]; }

  /**
   * True when the masters elect a leader through the embedded (Raft) journal: the journal type is
   * EMBEDDED and alluxio.master.embedded.journal.addresses lists several masters.
   */
  get embeddedHa(): boolean {
    return this.conf.getEnum('alluxio.master.journal.type') === 'EMBEDDED'
      && this.conf.getList('alluxio.master.embedded.journal.addresses').length >= 2;
  }

  /**
   * True in ZooKeeper mode: alluxio.zookeeper.enabled with alluxio.master.journal.type=UFS. The
   * masters elect a leader through ZooKeeper and share one journal folder (formatted once).
   */
  get zkHa(): boolean {
    return isZooKeeperMode(this.conf);
  }

  /** Several masters elect a leader (embedded journal or ZooKeeper): start waits for one. */
  get electsLeader(): boolean {
    return this.embeddedHa || (this.zkHa && this.masters.length > 1);
  }

  /**
   * The masters' rpc addresses: alluxio.master.rpc.addresses, or those derived from the embedded
   * journal addresses; in ZooKeeper mode without either, every host of conf/masters at
   * alluxio.master.rpc.port (clients find the leader through ZooKeeper, the orchestrator asks each).
   */
  masterAddresses(): string[] {
    if (this.zkHa && !this.conf.getList('alluxio.master.rpc.addresses').length && this.masters.length > 1) {
      const port = this.conf.getPort('alluxio.master.rpc.port');
      return this.masters.map((h) => `${h}:${port}`);
    }
    return masterRpcAddresses(this.conf);
  }

  /**
   * Several hosts in conf/masters need the embedded journal listing them all
   * (alluxio.master.journal.type=EMBEDDED and alluxio.master.embedded.journal.addresses with as
   * many entries, or as many distinct hosts, as conf/masters), or ZooKeeper mode
   * (alluxio.zookeeper.enabled with alluxio.master.journal.type=UFS). Otherwise a ConfigError
   * naming both.
   */
  requireSupportedMasters(): void {
    if (this.masters.length <= 1) return;
    const file = hostsFiles(this.conf).masters;
    const type = this.conf.getEnum('alluxio.master.journal.type');
    const listed = `${file} lists ${this.masters.length} masters (${this.masters.join(', ')})`;
    if (this.zkHa) return;
    if (type === 'UFS') {
      throw new ConfigError(
        `${listed}, but alluxio.master.journal.type=UFS without alluxio.zookeeper.enabled=true serves one master (nothing would elect a leader among them)`,
        { hint: 'set alluxio.zookeeper.enabled=true and alluxio.zookeeper.address (ZooKeeper mode, with alluxio.master.journal.folder on storage every master shares), or use alluxio.master.journal.type=EMBEDDED, or list one master in conf/masters' },
      );
    }
    if (type !== 'EMBEDDED') {
      throw new ConfigError(
        `${listed}, but alluxio.master.journal.type=${type} serves one master in this version`,
        { hint: 'use alluxio.master.journal.type=EMBEDDED with alluxio.master.embedded.journal.addresses listing every master (host:port), or ZooKeeper mode (alluxio.zookeeper.enabled=true with alluxio.master.journal.type=UFS), or list one master in conf/masters' },
      );
    }
    const voters = this.conf.getList('alluxio.master.embedded.journal.addresses');
    if (voters.length < 2) {
      throw new ConfigError(
        `${listed}, but alluxio.master.journal.type=EMBEDDED is served by the single-master local journal while alluxio.master.embedded.journal.addresses lists ${voters.length === 0 ? 'no master' : `one (${voters[0]})`}`,
        { hint: `list every master in alluxio.master.embedded.journal.addresses (host:port, e.g. ${this.masters.map((h) => `${h}:19200`).join(',')}), or list one master in conf/masters` },
      );
    }
    const hosts = new Set(voters.map((v) => splitHostPort(v).host.toLowerCase()));
    if (voters.length !== this.masters.length && hosts.size !== this.masters.length) {
      throw new ConfigError(
        `${listed}, but alluxio.master.embedded.journal.addresses lists ${voters.length} (${voters.join(', ')})`,
        { hint: 'conf/masters and alluxio.master.embedded.journal.addresses must name the same masters' },
      );
    }
  }

  /**
   * Phase "Checking hosts": reach each host, check node, read installed and conf hashes, the clock
   * and the run dir's pid files; a host for which `facts` holds (the default: every host) and
   * whose install and conf are current answers its facts in the same run. Loading them costs the
   * host ~30 ms of CPU, so a verb asks only where the pid files are not enough (stop: nowhere;
   * start: masters, whose journals must be formatted).
   */
  async checkHosts(hosts: readonly string[], o: { facts?: (host: string) => boolean } = {}): Promise<string[]> {
    this.rep.phase('Checking hosts');
    const current = { installHash: this.localHash, confHash: this.localConfHash, flags: this.flags };
    const results = await fanOut(hosts, this.opts.parallel, async (host) => {
      const t0 = Date.now();
      const wanted = o.facts ? o.facts(host) : true;
      const r = await this.exec.run(host, b.probeBasics(this.home, this.conf.get('alluxio.run.dir'), wanted ? current : undefined), { timeoutMs: 30_000 });
      const rtt = Date.now() - t0;
      // The shell's "command not found" (the probe is the first thing that needs node).
      if (r.code === 127) {
        throw new HostError(host, 'node is not installed (or not on the PATH of a non-interactive SSH session)', { hint: `install Node.js ${MIN_NODE_MAJOR}+ on ${host}` });
      }
      const reply = parseReply('probe', host, r);
      if (!reply.ok) throw replyError(reply.error, host);
      // Facts read in the same run (a current install) are kept; otherwise they are asked for later.
      const { facts, factsError: _unread, ...j } = reply.result;
      const major = nodeMajor(j.node);
      if (major < MIN_NODE_MAJOR) throw new HostError(host, `node ${j.node} is too old; ${MIN_NODE_MAJOR} or newer is needed`, { hint: `upgrade Node.js on ${host}` });
      if (facts) this.facts.set(host, facts);
      const basics: Basics = { ...j, rttMs: rtt, skewMs: clockSkew(j.timeMs, t0, rtt) };
      this.basics.set(host, basics);
      return { detail: `node ${j.node}, ${this.installCurrent(host) ? 'install current' : 'install stale'}` };
    });
    this.rep.record('check', results);
    return results.filter((r) => r.status !== 'failed').map((r) => r.host);
  }

  /** True when the host runs this very installation (nothing to push). */
  private isThisInstall(host: string): boolean {
    return this.exec.isLocal(host) && resolveReal(this.home) === resolveReal(INSTALL_ROOT);
  }

  installCurrent(host: string): boolean {
    return this.isThisInstall(host) || this.basics.get(host)?.installHash === this.localHash;
  }

  /** This very install reads this very conf dir (ALLUXIO_CONF_DIR is inherited), so it is current. */
  confCurrent(host: string): boolean {
    return this.isThisInstall(host) || this.basics.get(host)?.confHash === this.localConfHash;
  }

  /** Whether alluxio.home on the host holds an install at all (this one, or any pushed version). */
  installed(host: string): boolean {
    return this.installCurrent(host) || (this.basics.get(host)?.installHash ?? '') !== '';
  }

  /**
   * Phase "Pushing": execute the plan's push steps (the install where its hash differs, the conf
   * dir where its hash differs). Returns the hosts whose push failed.
   */
  async push(steps: readonly { host: string; install: boolean; conf: boolean }[]): Promise<Set<string>> {
    if (!steps.length) return new Set();
    this.rep.phase('Pushing');
    const byHost = new Map(steps.map((st) => [st.host, st]));
    const stale = steps.map((st) => st.host);
    // Several names may mean this machine (localhost, 127.0.0.1, its name): push there once.
    const firstLocal = stale.find((h) => this.exec.isLocal(h));
    const aliases = stale.filter((h) => this.exec.isLocal(h) && h !== firstLocal);
    const results = await fanOut(stale.filter((h) => !aliases.includes(h)), this.opts.parallel, async (host) => {
      const st = byHost.get(host)!;
      const did: string[] = [];
      if (st.install) {
        this.installTar ??= tarBuffer(INSTALL_ROOT, installEntries(INSTALL_ROOT));
        const r = await this.exec.runWithInput(host, b.unpackInstall(this.home, this.localHash), await this.installTar, { timeoutMs: 300_000 });
        if (r.code !== 0) throw new HostError(host, `unpacking the install into ${this.home} failed (exit ${r.code}): ${tail(r)}`, { hint: `check that ${this.home} (alluxio.home) is writable on ${host}` });
        did.push(`install → ${this.home}`);
      }
      if (st.conf) {
        await this.pushConf(host);
        did.push(`conf → ${path.posix.join(this.home, 'conf')}`);
      }
      this.rep.host(host, `pushed ${did.join(', ')}`);
      return { status: 'changed' as HostStatus, detail: `pushed ${did.join(', ')}` };
    });
    const local = results.find((r) => r.host === firstLocal);
    if (local) for (const host of aliases) results.push({ ...local, host, detail: `same machine as ${firstLocal}: ${local.detail}` });
    this.rep.record('push', results);
    const failed = new Set(results.filter((r) => r.status === 'failed').map((r) => r.host));
    // What was pushed is current now (its facts can be read).
    for (const st of steps) {
      const basics = this.basics.get(st.host);
      if (basics && !failed.has(st.host)) this.basics.set(st.host, { ...basics, installHash: this.localHash, confHash: this.localConfHash });
    }
    return failed;
  }

  private async pushConf(host: string): Promise<void> {
    const dir = this.conf.confDir;
    this.confTar ??= tarBuffer(dir, fs.readdirSync(dir).filter((n) => fs.statSync(path.join(dir, n)).isFile()));
    const r = await this.exec.runWithInput(host, b.unpackConf(this.home), await this.confTar, { timeoutMs: 60_000 });
    if (r.code !== 0) throw new HostError(host, `writing ${this.home}/conf failed (exit ${r.code}): ${tail(r)}`);
  }

  /** Facts from the host's own CLI (install must be current): its `facts` reply. */
  async gatherFacts(hosts: readonly string[]): Promise<string[]> {
    const results = await fanOut(hosts, this.opts.parallel, async (host) => {
      const reply = await this.runStep(host, 'facts', ['facts'], 60_000);
      if (!reply.ok) throw replyError(reply.error, host);
      this.facts.set(host, reply.result);
      return { detail: 'facts read' };
    });
    const failed = results.filter((r) => r.status === 'failed');
    if (failed.length) this.rep.record('facts', failed);
    return results.filter((r) => r.status !== 'failed').map((r) => r.host);
  }

  defines(): string[] {
    return Object.entries(this.flags).map(([k, v]) => `-D${k}=${v}`);
  }

  /**
   * Run one remote step in machine mode (`alluxio <args> --json`) and read its protocol reply;
   * the step's human lines (its stderr) stream as `[host]` lines. Throws ProtocolError when the
   * reply is missing or malformed, TimeoutError when the executor gives up; a failed step is a
   * reply with ok=false (the caller turns it into its typed error). `input`: the step's stdin.
   */
  async runStep<S extends StepName>(host: string, step: S, args: readonly string[], timeoutMs = 180_000, input?: Buffer): Promise<HostReply<S>> {
    const lines = lineSplitter((l) => this.rep.host(host, l));
    const machine = step === 'facts' ? [] : ['--json'];
    try {
      const argv = b.alluxio(this.home, [...args, ...machine, ...this.defines()]);
      const o = { timeoutMs, onStderr: lines.push };
      const r = await (input === undefined ? this.exec.run(host, argv, o) : this.exec.runWithInput(host, argv, input, o));
      return parseReply(step, host, r);
    } finally {
      lines.flush();
    }
  }

  private lockDir(): string { return path.posix.join(this.conf.get('alluxio.run.dir'), 'cluster.lock'); }

  /** Take the cluster lock on the first master; throws (naming holder, time, command) when held. */
  async lock(): Promise<void> {
    const first = this.masters[0];
    if (!first || this.opts.dryRun) return;
    const dir = this.lockDir();
    const owner = `${os.userInfo().username}@${os.hostname()} pid ${process.pid} since ${this.startedAt.toISOString()}: ${this.command}`;
    let r: ExecResult;
    try {
      r = await this.exec.run(first, b.lockAcquire(dir, owner), { timeoutMs: 30_000 });
    } catch (e) {
      throw new HostError(first, `cannot take the cluster lock on the first master: ${(e as Error).message}`, { hint: (e as SshError).hint ?? 'the first host of conf/masters holds the lock; it must be reachable' });
    }
    const out = r.stdout.trim().split('\n');
    if (r.code === 0 && out[0] === 'LOCKED') { this.lockHeld = first; return; }
    if (out[0] === 'HELD') {
      throw new HostError(first, `the cluster is locked by ${out.slice(1).join(' ') || 'an unknown holder'}`, {
        hint: `wait for that command to finish; if it died, remove the lock: ssh ${first} rm -rf ${dir}`,
      });
    }
    throw new HostError(first, `taking the cluster lock failed (exit ${r.code}): ${tail(r)}`);
  }

  async unlock(): Promise<void> {
    if (!this.lockHeld) return;
    await this.exec.run(this.lockHeld, b.lockRelease(this.lockDir()), { timeoutMs: 30_000 }).catch(() => undefined);
    this.lockHeld = undefined;
  }

  /** Append one line per host touched to its audit log (${alluxio.logs.dir}/audit.log). */
  async audit(hosts: readonly string[]): Promise<void> {
    if (this.opts.dryRun || !hosts.length) return;
    const file = path.posix.join(this.conf.get('alluxio.logs.dir'), 'audit.log');
    const failed = new Set(this.rep.failedHosts());
    await fanOut(hosts, this.opts.parallel, async (host) => {
      const line = `${new Date().toISOString()} ${os.userInfo().username}@${os.hostname()} "${this.command}" ${failed.has(host) ? 'FAILED' : 'OK'}`;
      await this.exec.run(host, b.auditAppend(file, line), { timeoutMs: 30_000 });
      return { detail: 'audited' };
    });
  }

  async close(): Promise<void> {
    await this.unlock();
    await this.exec.close();
  }
}

/** Split streamed output into whole lines. */
export function lineSplitter(emit: (line: string) => void): { push(chunk: string): void; flush(): void } {
  let buf = '';
  return {
    push(chunk: string) {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) { emit(buf.slice(0, i)); buf = buf.slice(i + 1); }
    },
    flush() { if (buf) emit(buf); buf = ''; },
  };
}
