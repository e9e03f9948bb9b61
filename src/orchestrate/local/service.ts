/**
 * The local (this host) steps behind `alluxio format`, `alluxio-start.sh` and `alluxio-stop.sh`:
 * format the journal(s) / worker storage, start the master(s) or worker and wait for them, stop
 * them. A host runs several masters when several embedded journal addresses are this machine
 * (masters.ts).
 * The commands in src/commands/ parse arguments and call these; output goes through `io`.
 */
import os from 'node:os';
import type { Config } from '../../conf/index.js';
import { HostError, TimeoutError, UsageError } from '../../errors.js';
import { formatJournal, isJournalFormatted, journalFolder } from '../../journal/format.js';
import { configHash } from '../../conf/effective.js';
import type { FormatResult, ProcessState } from '../protocol.js';
import { formatWhileRunning, journalFormat, startUnformatted } from '../refusals.js';
import { journalCheck } from './journalState.js';
import { formatWorkerStorage, planWorkerFormat } from '../../server/worker/format.js';
import { STOP_MARGIN_MS } from '../../server/main.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkMountPrerequisites, memTierPaths, mountRamdisk, type MountMode } from './mount.js';
import { restoreRamCache } from './ramcache.js';
import {
  cachedMasterLayout, isHa, localMajority, masterRefsFromPidFiles, type MasterInstance, type MasterLayout,
} from './masters.js';
import {
  acquireStartLock, cmdlineMatches, DEFAULT_READY_TIMEOUT_MS, DEFAULT_STOP_GRACE_MS, defaultFetchJson, describeFetchError, isAlive, launch,
  logTails, pidFile, POLL_INTERVAL_MS, procRef, readinessUrl, seconds, status, stopProcess, waitReady,
  readPidFile, type MatchOptions, type Readiness, type ProcessKind, type ProcessRef, type ProcessTarget, type StopOptions,
} from './processes.js';
import { isZooKeeperMode } from '../../client/zkMasters.js';

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

export function hostname(): string {
  return os.hostname();
}

function reportStale(conf: Config, t: ProcessTarget, io: Io, opts: MatchOptions = {}) {
  const st = status(conf, t, opts);
  if (st.stalePidFile) io.out(`Removed stale pid file ${pidFile(conf, t)}: ${st.staleReason}`);
  return st;
}

function matchOnly(opts: MatchOptions): MatchOptions {
  return opts.matches ? { matches: opts.matches } : {};
}

/** The processes of `kinds` to look for on this host: every master pid file, the worker. */
function refsOf(conf: Config, kinds: readonly ProcessKind[]): ProcessRef[] {
  return kinds.flatMap((k) => (k === 'master' ? masterRefsFromPidFiles(conf) : [procRef(k)]));
}

// ---- format -----------------------------------------------------------------------------------

/** The masters of this host to format: all, or the one with embedded journal port `port`. */
export function localMasters(all: readonly MasterInstance[], port?: number): MasterInstance[] {
  if (port === undefined) return [...all];
  const m = all.filter((x) => x.journalPort === port);
  if (!m.length) {
    throw new UsageError(`no master of this host has embedded journal port ${port}; this host's masters: ${all.map((x) => x.journalPort).join(', ')}`, {
      hint: 'pass the port of one of this host\'s entries of alluxio.master.embedded.journal.addresses',
    });
  }
  return m;
}

/** Throw HostError when a server of one of `kinds` runs here (formatting under it is refused). */
export function refuseWhileRunning(conf: Config, kinds: readonly ProcessKind[], io: Io, opts: MatchOptions = {}): void {
  const running = refsOf(conf, kinds).flatMap((t) => {
    const st = reportStale(conf, t, io, opts);
    return st.running ? [{ name: t.name, host: hostname(), pid: st.pid }] : [];
  });
  const refused = formatWhileRunning('host', running);
  if (refused) throw refused;
}

export interface FormatOptions {
  /** `format -s`: only what is not formatted yet. */
  onlyUnformatted?: boolean;
  /** Re-seed: the embedded journal rejoins the running cluster (formatJournal, src/commands/format.ts). */
  rejoin?: boolean;
  /** Several masters on this host: only the one with this embedded journal port. */
  journalPort?: number;
}

/** Check (without deleting) that the journal can be formatted (refusals.ts decides); false when `-s` skips it. */
export function checkJournalFormat(conf: Config, opts: FormatOptions = {}): boolean {
  const { state, unsafe } = journalCheck(conf);
  const decision = journalFormat(state, opts.onlyUnformatted === true);
  if (decision === 'skip') return false;
  if (decision !== 'format') throw unsafe; // checkSafeToWipe's own typed error
  return true;
}

type JournalFormatted = NonNullable<FormatResult['journals']>[number];

/** `alluxio formatJournal` for one master of this host (`conf` is that master's configuration). */
export function formatJournalHere(conf: Config, io: Io, opts: FormatOptions = {}, name = 'master'): { journal: JournalFormatted; deleted: string[] } {
  const folder = journalFolder(conf);
  io.out(`Formatting Alluxio Master @ ${hostname()}${name === 'master' ? '' : ` (${name})`}`);
  if (opts.onlyUnformatted && isJournalFormatted(folder)) {
    io.out(`Journal ${folder} is already formatted; skipping it (-s)`);
    return { journal: { name, folder, action: 'skipped' }, deleted: [] };
  }
  const { deleted } = formatJournal(folder, { protectedPaths: [{ path: conf.get('alluxio.home'), label: 'alluxio.home' }], ...(opts.rejoin ? { rejoin: true } : {}) });
  for (const p of deleted) io.out(`Deleted ${p}`);
  io.out(`Formatted journal ${folder}`);
  return { journal: { name, folder, action: 'formatted' }, deleted };
}

/** `alluxio formatWorker` on this host. */
export function formatWorkerHere(conf: Config, io: Io, opts: FormatOptions = {}): FormatResult {
  io.out(`Formatting Alluxio Worker @ ${hostname()}`);
  const targets = planWorkerFormat(conf);
  const { deleted } = formatWorkerStorage(conf, { onlyMissing: opts.onlyUnformatted === true });
  for (const p of deleted) io.out(`Deleted ${p}`);
  const workerDirs: NonNullable<FormatResult['workerDirs']> = targets.map((t) => {
    const skipped = opts.onlyUnformatted === true && t.exists;
    io.out(skipped ? `Worker data folder ${t.dataDir} exists; skipping it (-s)` : `Created ${t.dataDir} (mode 1777)`);
    return { dataDir: t.dataDir, action: skipped ? 'skipped' : 'created' };
  });
  return { workerDirs, deleted };
}

/**
 * Format what `kinds` need on this host (the journal of every master of this host, the worker
 * storage), checking everything first so a refused path leaves everything untouched. Prints
 * `Formatting complete`.
 */
export async function formatHere(conf: Config, kinds: readonly ProcessKind[], io: Io, opts: FormatOptions & MatchOptions = {}): Promise<FormatResult> {
  const masters = kinds.includes('master') ? localMasters((await cachedMasterLayout(conf)).instances, opts.journalPort) : [];
  refuseWhileRunning(conf, kinds, io, matchOnly(opts));
  for (const m of masters) checkJournalFormat(m.conf, opts);
  if (kinds.includes('worker')) planWorkerFormat(conf);
  const result: FormatResult = { deleted: [] };
  if (masters.length) result.journals = [];
  for (const m of masters) {
    const { journal, deleted } = formatJournalHere(m.conf, io, opts, m.name);
    result.journals!.push(journal);
    result.deleted.push(...deleted);
  }
  if (kinds.includes('worker')) {
    const w = formatWorkerHere(conf, io, opts);
    result.workerDirs = w.workerDirs!;
    result.deleted.push(...w.deleted);
  }
  io.out('Formatting complete');
  return result;
}

// ---- start ------------------------------------------------------------------------------------

export interface StartOptions extends MatchOptions {
  /** The user's -D flags, passed on to the server. */
  flags: Readonly<Record<string, string>>;
  /** `-a`: do not wait for readiness. */
  async?: boolean;
  /** `-f`: format before starting (journal for a master, storage for a worker). */
  format?: boolean;
  /** For a worker. */
  mountMode?: MountMode;
  /** For a worker: restore its ramdisk from this cache directory after the mount (ramcache.ts). */
  ramCache?: string;
  readyTimeoutMs?: number;
  /**
   * Masters of an embedded journal: wait until each answers, not for a leader (the orchestrator
   * starts every host's masters at once and then waits for the leader itself).
   */
  noLeaderWait?: boolean;
}

/** A process `launchOne` started or found running. */
interface Launched {
  ref: ProcessRef;
  pid: number;
  started: boolean;
}

/**
 * Throw ConfigError unless the journal folder of every one of `confs` is formatted (we never
 * format implicitly; refusals.ts decides). One problem per folder.
 */
export function requireFormattedJournal(...confs: Config[]): void {
  const refused = startUnformatted(confs.map((c) => { const folder = journalFolder(c); return { folder, formatted: isJournalFormatted(folder) }; }));
  if (refused) throw refused;
}

/** The info JSON fields a process state is read from (/api/v1/master/info, /api/v1/worker/info). */
interface InfoJson {
  instanceId?: unknown; configHash?: unknown; isLeader?: unknown; journalLastIndex?: unknown;
  rpcPort?: unknown; webPort?: unknown;
}

const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isSafeInteger(x) ? x : undefined);
const str = (x: unknown): string | undefined => (typeof x === 'string' && x !== '' ? x : undefined);

/**
 * The typed state of a process for the protocol: pid (the one launched or found by its pid file),
 * ports, readiness, and, from its info JSON when it answered, its instance id, role, journal index
 * and config hash (else the hash of the configuration it was started with here).
 */
export function processState(conf: Config, l: Launched, readiness: ProcessState['readiness'], info?: unknown): ProcessState {
  const i = (typeof info === 'object' && info !== null ? info : {}) as InfoJson;
  const { kind, name } = l.ref;
  const ports: NonNullable<ProcessState['ports']> = kind === 'master'
    ? { rpc: num(i.rpcPort) ?? conf.getPort('alluxio.master.rpc.port'), web: num(i.webPort) ?? conf.getPort('alluxio.master.web.port'), journal: conf.getPort('alluxio.master.embedded.journal.port') }
    : { rpc: conf.getPort('alluxio.worker.rpc.port'), web: conf.getPort('alluxio.worker.web.port') };
  const st: ProcessState = {
    kind, name, action: l.started ? 'started' : 'already-running', pid: l.pid, ports,
    configHash: str(i.configHash) ?? configHash(conf),
  };
  if (readiness !== undefined) st.readiness = readiness;
  const instanceId = str(i.instanceId);
  if (instanceId !== undefined) st.instanceId = instanceId;
  if (kind === 'master' && typeof i.isLeader === 'boolean') st.role = i.isLeader ? 'leader' : 'standby';
  const index = num(i.journalLastIndex);
  if (kind === 'master' && index !== undefined && index >= 0) st.journalIndex = index;
  return st;
}

/** Launch `t` unless it runs (then say so); `preLaunch` runs right before a launch. */
async function launchOne(conf: Config, t: ProcessRef, flags: Readonly<Record<string, string>>, opts: MatchOptions, io: Io, preLaunch: () => Promise<void>): Promise<Launched> {
  const matchOpts = matchOnly(opts);
  const st = reportStale(conf, t, io, matchOpts);
  if (st.running && st.pid !== undefined) {
    io.out(`${t.name} is already running (pid ${st.pid}); not starting another`);
    return { ref: t, pid: st.pid, started: false };
  }
  await preLaunch();
  const release = acquireStartLock(conf, t);
  try {
    const again = status(conf, t, matchOpts);
    if (again.running && again.pid !== undefined) {
      io.out(`${t.name} is already running (pid ${again.pid}); not starting another`);
      return { ref: t, pid: again.pid, started: false };
    }
    io.out(`Starting ${t.name} @ ${hostname()}. Logging to ${conf.get('alluxio.logs.dir')}`);
    return { ref: t, pid: launch(conf, t, flags).pid, started: true };
  } finally {
    release();
  }
}

/**
 * Wait until `t` serves (a leading master, a registered worker; `readiness` otherwise, see
 * Readiness); `[ OK ]` or `[ FAILED ]`.
 */
async function waitServing(conf: Config, l: Launched, opts: StartOptions, io: Io, readiness: Readiness = 'serving'): Promise<ProcessState> {
  const host = hostname();
  const t = l.ref;
  let info: unknown;
  try {
    info = await waitReady(conf, t, { ...matchOnly(opts), pid: l.pid, timeoutMs: opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS, readiness });
  } catch (e) {
    io.err(`--- [ FAILED ] The ${t.name} @ ${host} is not serving requests.`);
    throw e;
  }
  const o = info as MasterInfoJson;
  const role = readiness === 'serving' ? '' : o.isLeader ? ': it leads' : o.leaderAddress ? `: standby (${o.leaderAddress} leads)` : ': it answers';
  io.out(`--- [ OK ] The ${t.name} service @ ${host} is in a healthy state${role}.`);
  return processState(conf, l, readiness === 'answer' ? 'answering' : 'serving', info);
}


/**
 * Start the masters of this host (or say they already run), then, unless `async`, wait:
 * - one master and no embedded journal quorum: until it leads (as Alluxio);
 * - masters of an embedded journal: until each answers /api/v1/master/info, then, when this host's
 *   masters are a majority of the journal (they can elect a leader on their own) and unless
 *   `noLeaderWait`, until one of them leads or names the leader.
 */
export async function startMaster(conf: Config, opts: StartOptions, io: Io): Promise<{ processes: ProcessState[]; formatted?: FormatResult }> {
  const layout = await cachedMasterLayout(conf);
  let formatted: FormatResult | undefined;
  const withFormat = (processes: ProcessState[]) => (formatted ? { processes, formatted } : { processes });
  if (!isHa(layout)) {
    const m = layout.instances[0]!;
    const r = await launchOne(m.conf, m, opts.flags, opts, io, async () => {
      if (opts.format) formatted = await formatHere(conf, ['master'], io, matchOnly(opts));
      else requireFormattedJournal(m.conf);
    });
    // ZooKeeper mode: a standby never leads while another master does; it is ready once it
    // names the leader (or, with --no-leader-wait, once it answers: the orchestrator waits).
    const readiness: Readiness = !isZooKeeperMode(m.conf) ? 'serving' : opts.noLeaderWait ? 'answer' : 'leader-known';
    return withFormat([opts.async ? processState(m.conf, r, 'not-waited') : await waitServing(m.conf, r, opts, io, readiness)]);
  }
  const notRunning = layout.instances.filter((m) => !status(m.conf, m, matchOnly(opts)).running);
  if (notRunning.length && opts.format) formatted = await formatHere(conf, ['master'], io, matchOnly(opts));
  else requireFormattedJournal(...notRunning.map((m) => m.conf));
  const launched: Launched[] = [];
  for (const m of layout.instances) {
    launched.push(await launchOne(m.conf, m, { ...opts.flags, ...m.overrides }, opts, io, async () => requireFormattedJournal(m.conf)));
  }
  if (opts.async) return withFormat(launched.map((l, i) => processState(layout.instances[i]!.conf, l, 'not-waited')));
  const infos = await waitAnswers(layout, launched, opts, io);
  let states = launched.map((l, i) => processState(layout.instances[i]!.conf, l, 'answering', infos[i]));
  if (!opts.noLeaderWait) {
    if (localMajority(layout)) {
      const leading = await waitLeader(layout, launched, opts, io);
      states = states.map((s, i) => (leading[i] ? processState(layout.instances[i]!.conf, launched[i]!, 'serving', leading[i]) : s));
    } else {
      const need = Math.floor(layout.voters.length / 2) + 1;
      io.out(`A leader is elected once ${need} of the ${layout.voters.length} masters of the embedded journal run (${layout.voters.join(', ')}); check with: alluxio fs leader`);
    }
  }
  return withFormat(states);
}

interface MasterInfoJson { isLeader?: boolean; leaderAddress?: string; masterAddress?: string; webPort?: number }

/** Wait (in parallel) until every master of this host answers; one line each, in order. */
async function waitAnswers(layout: MasterLayout, started: readonly Launched[], opts: StartOptions, io: Io): Promise<unknown[]> {
  const host = hostname();
  const settled = await Promise.allSettled(layout.instances.map((m, i) => waitReady(m.conf, m, {
    ...matchOnly(opts), pid: started[i]!.pid, timeoutMs: opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS, readiness: 'answer',
  })));
  const errors: unknown[] = [];
  settled.forEach((s, i) => {
    const m = layout.instances[i]!;
    if (s.status === 'rejected') {
      io.err(`--- [ FAILED ] The ${m.name} @ ${host} is not serving requests.`);
      errors.push(s.reason);
      return;
    }
    const info = s.value as MasterInfoJson;
    const rpc = info.masterAddress ?? `${m.conf.get('alluxio.master.hostname') || host}:${m.conf.getPort('alluxio.master.rpc.port')}`;
    io.out(`--- [ OK ] The ${m.name} service @ ${host} answers (rpc ${rpc}, web port ${info.webPort ?? m.conf.getPort('alluxio.master.web.port')}).`);
  });
  if (errors.length) {
    for (const e of errors.slice(1)) io.err(`Error: ${(e as Error).message}`);
    throw errors[0];
  }
  return settled.map((s) => (s.status === 'fulfilled' ? s.value : undefined));
}

/**
 * Poll the masters of this host every 100 ms until one leads (or, when the leader is on another
 * host, until one names it). Fails at once when none of them runs any more, and after the ready
 * timeout otherwise, with the last 30 log lines of each.
 */
async function waitLeader(layout: MasterLayout, started: readonly Launched[], opts: StartOptions, io: Io): Promise<(MasterInfoJson | undefined)[]> {
  const host = hostname();
  const timeoutMs = opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const matches = opts.matches ?? cmdlineMatches;
  const deadline = Date.now() + timeoutMs;
  const states = new Map<string, string>();
  const tails = () => layout.instances.map((m) => logTails(m.conf, m)).join('\n');
  const fail = (e: Error): never => {
    io.err(`--- [ FAILED ] The masters @ ${host} have no leader.`);
    throw e;
  };
  for (;;) {
    const alive = started.filter((r) => isAlive(r.pid) && matches(r.pid, 'master'));
    if (!alive.length) {
      fail(new HostError(host, `every master of this host exited before a leader was elected\n${tails()}`, {
        hint: `read the logs in ${layout.instances[0]!.conf.get('alluxio.logs.dir')}; fix the cause, then start them again`,
      }));
    }
    const infos = await Promise.all(layout.instances.map(async (m) => {
      try {
        const info = (await defaultFetchJson(readinessUrl(m.conf, 'master'), Math.max(100, Math.min(2000, deadline - Date.now())))) as MasterInfoJson;
        states.set(m.name, info.isLeader ? 'leader' : info.leaderAddress ? `standby (leader is ${info.leaderAddress})` : 'standby, no leader known');
        return info;
      } catch (e) {
        states.set(m.name, describeFetchError(e));
        return undefined;
      }
    }));
    const i = infos.findIndex((x) => x?.isLeader === true);
    if (i >= 0) {
      const m = layout.instances[i]!;
      io.out(`--- [ OK ] The master service @ ${host} is in a healthy state: ${m.name} (${infos[i]!.masterAddress ?? 'rpc port ' + m.conf.getPort('alluxio.master.rpc.port')}) leads.`);
      return infos;
    }
    const remote = layout.localVoters < layout.voters.length ? infos.find((x) => x?.leaderAddress) : undefined;
    if (remote) {
      io.out(`--- [ OK ] The master service @ ${host} is in a healthy state: ${remote.leaderAddress} leads.`);
      return infos;
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.min(POLL_INTERVAL_MS, Math.max(0, deadline - Date.now())));
  }
  const detail = [...states].map(([n, s]) => `${n}: ${s}`).join('; ');
  return fail(new TimeoutError(`no master became the leader within ${seconds(timeoutMs)} s (${detail})\n${tails()}`, {
    hint: 'a leader needs a majority of alluxio.master.embedded.journal.addresses running and reachable on their journal ports; the masters keep running, stop them with: alluxio-stop.sh master',
  }));
}

/** Prepare the ramdisk, start a worker on this host (or say it already runs), wait unless `async`. */
export async function startWorker(conf: Config, opts: StartOptions, io: Io): Promise<{ processes: ProcessState[]; formatted?: FormatResult }> {
  const w = procRef('worker');
  let formatted: FormatResult | undefined;
  const r = await launchOne(conf, w, opts.flags, opts, io, async () => {
    try {
      await mountRamdisk(conf, opts.mountMode ?? 'NoMount', (l) => io.out(l));
    } catch (e) {
      io.err('Mount failed, not starting worker');
      throw e;
    }
    if (opts.ramCache !== undefined) restoreRamCache(opts.ramCache, memTierPaths(conf), io);
    if (opts.format) formatted = await formatHere(conf, ['worker'], io, matchOnly(opts));
  });
  const processes = [opts.async ? processState(conf, r, 'not-waited') : await waitServing(conf, r, opts, io)];
  return formatted ? { processes, formatted } : { processes };
}

/**
 * Checks that run before anything starts, so a doomed start changes nothing: the masters of this
 * host can be laid out (several masters need consistent ports); with `-f`, nothing to be
 * formatted may run and every path must be safe to format; without it, every master to start
 * needs a formatted journal; a worker that will be started needs its mount prerequisites (alias,
 * size, root or passwordless sudo).
 */
export async function precheckStart(conf: Config, kinds: readonly ProcessKind[], opts: StartOptions, io: Io): Promise<void> {
  const matchOpts = matchOnly(opts);
  const masters = kinds.includes('master') ? (await cachedMasterLayout(conf)).instances : [];
  if (opts.format) {
    refuseWhileRunning(conf, kinds, io, matchOpts);
    for (const m of masters) checkJournalFormat(m.conf);
    if (kinds.includes('worker')) planWorkerFormat(conf);
  } else {
    requireFormattedJournal(...masters.filter((m) => !reportStale(m.conf, m, io, matchOpts).running).map((m) => m.conf));
  }
  if (kinds.includes('worker') && !reportStale(conf, 'worker', io, matchOpts).running) {
    try {
      await checkMountPrerequisites(conf, opts.mountMode ?? 'NoMount');
    } catch (e) {
      io.err('Mount failed, not starting worker');
      throw e;
    }
  }
}

// ---- stop -------------------------------------------------------------------------------------

export interface StopAllOptions extends MatchOptions {
  soft?: boolean;
  /** Only the master with this embedded journal port (`master-<port>`; a host's single master: `master`). */
  port?: number;
  graceMs?: number;
}

/**
 * Stop the servers of `kinds` in order (every master of this host at once, found through its pid
 * file), continuing after a failure; prints `Killed <n> process(es) on <host>` and then rethrows
 * the first failure (others go to stderr).
 */
export async function stopHere(conf: Config, kinds: readonly ProcessKind[], opts: StopAllOptions, io: Io): Promise<ProcessState[]> {
  const states: ProcessState[] = [];
  let n = 0;
  const errors: unknown[] = [];
  // One master by its journal port: a port no master of this host has is a usage error.
  if (opts.port !== undefined && kinds.includes('master')) localMasters((await cachedMasterLayout(conf)).instances, opts.port);
  const stopOpts: StopOptions = { soft: opts.soft === true, out: (l) => io.out(l) };
  if (opts.graceMs !== undefined) stopOpts.graceMs = opts.graceMs;
  if (opts.matches) stopOpts.matches = opts.matches;
  for (const kind of kinds) {
    const refs = refsOf(conf, [kind]).filter((t) => opts.port === undefined || t.kind !== 'master'
      || t.name === `master-${opts.port}` || (t.name === 'master' && conf.getPort('alluxio.master.embedded.journal.port') === opts.port));
    const pids = refs.map((t) => readPidFile(pidFile(conf, t)));
    const settled = await Promise.allSettled(refs.map((t) => stopProcess(conf, t, { graceMs: stopGraceMs(conf, kind), ...stopOpts })));
    settled.forEach((s, i) => {
      if (s.status === 'rejected') { errors.push(s.reason); return; }
      const { kind: k, name } = refs[i]!;
      n += s.value;
      states.push(s.value > 0 && pids[i] !== undefined ? { kind: k, name, action: 'stopped', pid: pids[i] } : { kind: k, name, action: 'not-running' });
    });
  }
  io.out(`Killed ${n} process(es) on ${hostname()}`);
  if (errors.length > 0) {
    for (const e of errors.slice(1)) io.err(`Error: ${(e as Error).message}`);
    throw errors[0];
  }
  return states;
}

/**
 * A worker drains on SIGTERM for up to alluxio.worker.network.shutdown.timeout and exits by itself
 * at most STOP_MARGIN_MS later: SIGKILL comes only after both (and never sooner than the default).
 */
export function stopGraceMs(conf: Pick<Config, 'getMs'>, kind: ProcessKind): number {
  if (kind !== 'worker') return DEFAULT_STOP_GRACE_MS;
  return Math.max(DEFAULT_STOP_GRACE_MS, conf.getMs('alluxio.worker.network.shutdown.timeout') + STOP_MARGIN_MS + 5_000);
}

/** The processes a local ACTION concerns on this host, in start order. */
export function kindsForAction(action: 'local' | 'master' | 'worker'): ProcessKind[] {
  return action === 'local' ? ['master', 'worker'] : [action];
}
