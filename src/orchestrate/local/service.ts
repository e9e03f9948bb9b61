/**
 * The local (this host) steps behind `alluxio format`, `alluxio-start.sh` and `alluxio-stop.sh`:
 * format the journal / worker storage, start a master or worker and wait for it, stop them.
 * The commands in src/commands/ parse arguments and call these; output goes through `io`.
 */
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../../conf/index.js';
import { ConfigError, HostError } from '../../errors.js';
import { checkSafeToWipe, formatJournal, isJournalFormatted, JOURNAL_MARKER } from '../../journal/format.js';
import { formatWorkerStorage, planWorkerFormat } from '../../server/worker/format.js';
import { journalFolder } from '../../journal/index.js';
import { checkMountPrerequisites, mountRamdisk, type MountMode } from './mount.js';
import {
  acquireStartLock, DEFAULT_READY_TIMEOUT_MS, launch, pidFile, status, stopProcess, waitReady,
  type MatchOptions, type ProcessKind, type StopOptions,
} from './processes.js';

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

export function hostname(): string {
  return os.hostname();
}

function reportStale(conf: Config, kind: ProcessKind, io: Io, opts: MatchOptions = {}) {
  const st = status(conf, kind, opts);
  if (st.stalePidFile) io.out(`Removed stale pid file ${pidFile(conf, kind)}: ${st.staleReason}`);
  return st;
}

// ---- format -----------------------------------------------------------------------------------

/** Throw HostError when a server of one of `kinds` runs here (formatting under it is refused). */
export function refuseWhileRunning(conf: Config, kinds: readonly ProcessKind[], io: Io, opts: MatchOptions = {}): void {
  const running: string[] = [];
  for (const k of kinds) {
    const st = reportStale(conf, k, io, opts);
    if (st.running) running.push(`the ${k} (pid ${st.pid})`);
  }
  if (running.length === 0) return;
  const verb = running.length === 1 ? 'is' : 'are';
  throw new HostError(hostname(), `cannot format while ${running.join(' and ')} ${verb} running on this host`, {
    hint: `stop ${running.length === 1 ? 'it' : 'them'} first: alluxio-stop.sh local (or alluxio stop master / alluxio stop worker)`,
  });
}

export interface FormatOptions {
  /** `format -s`: only what is not formatted yet. */
  onlyUnformatted?: boolean;
}

/** Check (without deleting) that the journal can be formatted; false when `-s` skips it. */
export function checkJournalFormat(conf: Config, opts: FormatOptions = {}): boolean {
  const folder = journalFolder(conf);
  if (opts.onlyUnformatted && isJournalFormatted(folder)) return false;
  checkSafeToWipe(folder, { protectedPaths: [{ path: conf.get('alluxio.home'), label: 'alluxio.home' }], marker: JOURNAL_MARKER });
  return true;
}

/** `alluxio formatJournal` on this host. */
export function formatJournalHere(conf: Config, io: Io, opts: FormatOptions = {}): void {
  const folder = journalFolder(conf);
  io.out(`Formatting Alluxio Master @ ${hostname()}`);
  if (opts.onlyUnformatted && isJournalFormatted(folder)) {
    io.out(`Journal ${folder} is already formatted; skipping it (-s)`);
    return;
  }
  const { deleted } = formatJournal(folder, { protectedPaths: [{ path: conf.get('alluxio.home'), label: 'alluxio.home' }] });
  for (const p of deleted) io.out(`Deleted ${p}`);
  io.out(`Formatted journal ${folder}`);
}

/** `alluxio formatWorker` on this host. */
export function formatWorkerHere(conf: Config, io: Io, opts: FormatOptions = {}): void {
  io.out(`Formatting Alluxio Worker @ ${hostname()}`);
  const targets = planWorkerFormat(conf);
  const { deleted } = formatWorkerStorage(conf, { onlyMissing: opts.onlyUnformatted === true });
  for (const p of deleted) io.out(`Deleted ${p}`);
  for (const t of targets) {
    if (opts.onlyUnformatted && t.exists) io.out(`Worker data folder ${t.dataDir} exists; skipping it (-s)`);
    else io.out(`Created ${t.dataDir} (mode 1777)`);
  }
}

/**
 * Format what `kinds` need on this host (journal for a master, storage for a worker), checking
 * everything first so a refused path leaves the other part untouched. Prints `Formatting complete`.
 */
export function formatHere(conf: Config, kinds: readonly ProcessKind[], io: Io, opts: FormatOptions & MatchOptions = {}): void {
  const matchOpts: MatchOptions = opts.matches ? { matches: opts.matches } : {};
  refuseWhileRunning(conf, kinds, io, matchOpts);
  if (kinds.includes('master')) checkJournalFormat(conf, opts);
  if (kinds.includes('worker')) planWorkerFormat(conf);
  if (kinds.includes('master')) formatJournalHere(conf, io, opts);
  if (kinds.includes('worker')) formatWorkerHere(conf, io, opts);
  io.out('Formatting complete');
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
  readyTimeoutMs?: number;
}

export interface StartResult {
  kind: ProcessKind;
  pid: number;
  started: boolean;
}

/** Throw ConfigError unless the journal folder is formatted (we never format implicitly). */
export function requireFormattedJournal(conf: Config): void {
  const folder = journalFolder(conf);
  if (isJournalFormatted(folder)) return;
  throw new ConfigError(`the journal folder ${folder} (alluxio.master.journal.folder) is not formatted`, {
    hint: "run 'alluxio format' (or 'alluxio formatJournal') first, or start with -f; it is never formatted implicitly",
  });
}

async function launchAndWait(conf: Config, kind: ProcessKind, opts: StartOptions, io: Io, preLaunch: () => Promise<void>): Promise<StartResult> {
  const matchOpts: MatchOptions = opts.matches ? { matches: opts.matches } : {};
  const host = hostname();
  const st = reportStale(conf, kind, io, matchOpts);
  let pid: number;
  let started = false;
  if (st.running && st.pid !== undefined) {
    io.out(`${kind} is already running (pid ${st.pid}); not starting another`);
    pid = st.pid;
  } else {
    await preLaunch();
    const release = acquireStartLock(conf, kind);
    try {
      const again = status(conf, kind, matchOpts);
      if (again.running && again.pid !== undefined) {
        io.out(`${kind} is already running (pid ${again.pid}); not starting another`);
        pid = again.pid;
      } else {
        io.out(`Starting ${kind} @ ${host}. Logging to ${conf.get('alluxio.logs.dir')}`);
        pid = launch(conf, kind, opts.flags).pid;
        started = true;
      }
    } finally {
      release();
    }
  }
  if (!opts.async) {
    const waitOpts = { ...matchOpts, pid, timeoutMs: opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS };
    try {
      await waitReady(conf, kind, waitOpts);
    } catch (e) {
      io.err(`--- [ FAILED ] The ${kind} @ ${host} is not serving requests.`);
      throw e;
    }
    io.out(`--- [ OK ] The ${kind} service @ ${host} is in a healthy state.`);
  }
  return { kind, pid, started };
}

/** Start a master on this host (or say it already runs), then wait for it unless `async`. */
export async function startMaster(conf: Config, opts: StartOptions, io: Io): Promise<StartResult> {
  return launchAndWait(conf, 'master', opts, io, async () => {
    if (opts.format) formatHere(conf, ['master'], io, opts.matches ? { matches: opts.matches } : {});
    else requireFormattedJournal(conf);
  });
}

/** Prepare the ramdisk, start a worker on this host (or say it already runs), wait unless `async`. */
export async function startWorker(conf: Config, opts: StartOptions, io: Io): Promise<StartResult> {
  return launchAndWait(conf, 'worker', opts, io, async () => {
    try {
      await mountRamdisk(conf, opts.mountMode ?? 'NoMount', (l) => io.out(l));
    } catch (e) {
      io.err('Mount failed, not starting worker');
      throw e;
    }
    if (opts.format) formatHere(conf, ['worker'], io, opts.matches ? { matches: opts.matches } : {});
  });
}

/**
 * Checks that run before anything starts, so a doomed start changes nothing: with `-f`, nothing to
 * be formatted may run and every path must be safe to format; without it, a master needs a
 * formatted journal; a worker that will be started needs its mount prerequisites (alias, size,
 * root or passwordless sudo).
 */
export async function precheckStart(conf: Config, kinds: readonly ProcessKind[], opts: StartOptions, io: Io): Promise<void> {
  const matchOpts: MatchOptions = opts.matches ? { matches: opts.matches } : {};
  if (opts.format) {
    refuseWhileRunning(conf, kinds, io, matchOpts);
    if (kinds.includes('master')) checkJournalFormat(conf);
    if (kinds.includes('worker')) planWorkerFormat(conf);
  } else if (kinds.includes('master') && !status(conf, 'master', matchOpts).running) {
    requireFormattedJournal(conf);
  }
  if (kinds.includes('worker') && !status(conf, 'worker', matchOpts).running) {
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
  graceMs?: number;
}

/**
 * Stop the servers of `kinds` in order, continuing after a failure; prints
 * `Killed <n> process(es) on <host>` and then rethrows the first failure (others go to stderr).
 */
export async function stopHere(conf: Config, kinds: readonly ProcessKind[], opts: StopAllOptions, io: Io): Promise<number> {
  let n = 0;
  const errors: unknown[] = [];
  for (const kind of kinds) {
    try {
      const stopOpts: StopOptions = { soft: opts.soft === true, out: (l) => io.out(l) };
      if (opts.graceMs !== undefined) stopOpts.graceMs = opts.graceMs;
      if (opts.matches) stopOpts.matches = opts.matches;
      n += await stopProcess(conf, kind, stopOpts);
    } catch (e) {
      errors.push(e);
    }
  }
  io.out(`Killed ${n} process(es) on ${hostname()}`);
  if (errors.length > 0) {
    for (const e of errors.slice(1)) io.err(`Error: ${(e as Error).message}`);
    throw errors[0];
  }
  return n;
}

/** conf/masters and conf/workers of the conf dir in use. */
export function hostsFiles(conf: Config): { masters: string; workers: string } {
  const dir = conf.get('alluxio.conf.dir') || conf.confDir;
  return { masters: path.join(dir, 'masters'), workers: path.join(dir, 'workers') };
}

/** The processes a local ACTION concerns on this host, in start order. */
export function kindsForAction(action: 'local' | 'master' | 'worker'): ProcessKind[] {
  return action === 'local' ? ['master', 'worker'] : [action];
}
