/**
 * Local server processes (master, worker) managed through pid files.
 *
 * Unlike Alluxio, which finds its daemons by grepping `ps` for a Java class name, we record the
 * pid of every process we launch in `${alluxio.run.dir}/<name>.pid`, and before trusting (or
 * signalling) that pid we check that `/proc/<pid>/cmdline` really is our server entry point. A pid
 * file whose process is gone or was reused by something else is stale: it is removed and reported.
 *
 * A server writes its log lines to `${alluxio.logs.dir}/<name>.log` itself and rolls it by size
 * (conf/log4j.properties, src/server/logConf.ts); its stdout and stderr (a crash of node itself)
 * are appended to `<name>.out`, as Alluxio's are.
 *
 * `<name>` is the kind (`master`, `worker`), or `master-<journal port>` when several masters of
 * one embedded journal run on this host (see masters.ts).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { readLastLines } from '../../fsutil.js';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { INSTALL_ROOT } from '../../conf/installRoot.js';
import { HostError, InternalError, TimeoutError } from '../../errors.js';
import { LOG_FILE_ENV } from '../../log.js';

export type ProcessKind = 'master' | 'worker';
export const PROCESS_KINDS: readonly ProcessKind[] = ['master', 'worker'];

/**
 * One server process on this host: its kind (which entry point it runs) and its name (the stem of
 * its pid file, log file and start lock, and how messages call it).
 */
export interface ProcessRef {
  readonly kind: ProcessKind;
  readonly name: string;
}

/** A kind stands for the one process of that kind (`master.pid`, `master.log`). */
export type ProcessTarget = ProcessKind | ProcessRef;

export function procRef(t: ProcessTarget): ProcessRef {
  return typeof t === 'string' ? { kind: t, name: t } : t;
}

/** The part of the resolved configuration this module reads (the real `Config` satisfies it). */
export interface ProcessConf {
  get(key: string): string;
  getPort(key: string): number;
}

/** Decides whether `pid` is a running server of `kind`. Injectable for tests. */
export type ProcessMatcher = (pid: number, kind: ProcessKind) => boolean;

export interface MatchOptions {
  /** Defaults to {@link cmdlineMatches}. */
  matches?: ProcessMatcher;
}

/** How often readiness is polled (an HTTP request to the process's info endpoint). */
export const POLL_INTERVAL_MS = 25;
/** How often a stopping process is checked for (one kill(pid, 0): cheap, so often). */
export const EXIT_POLL_INTERVAL_MS = 5;
/** Default time `stopProcess` waits after SIGTERM before SIGKILL (Alluxio waits 120 s). */
export const DEFAULT_STOP_GRACE_MS = 30_000;
/** Default time `alluxio start` waits for a process to become ready. */
export const DEFAULT_READY_TIMEOUT_MS = 60_000;
/** How many log lines a readiness failure shows (as Alluxio's monitor does). */
export const LOG_TAIL_LINES = 30;

export function pidFile(conf: ProcessConf, t: ProcessTarget): string {
  return path.join(conf.get('alluxio.run.dir'), `${procRef(t).name}.pid`);
}

export function logFile(conf: ProcessConf, t: ProcessTarget): string {
  return path.join(conf.get('alluxio.logs.dir'), `${procRef(t).name}.log`);
}

/** Where the process's stdout and stderr go (what is not a log line). */
export function outFile(conf: ProcessConf, t: ProcessTarget): string {
  return path.join(conf.get('alluxio.logs.dir'), `${procRef(t).name}.out`);
}

/** The last lines of the process's log, then of its .out file when that has anything (for failure messages). */
export function logTails(conf: ProcessConf, t: ProcessTarget): string {
  const out = outFile(conf, t);
  let outSize = 0;
  try { outSize = fs.statSync(out).size; } catch { /* none */ }
  return logTail(logFile(conf, t)) + (outSize > 0 ? `\n${logTail(out, 10)}` : '');
}

/** The server entry point a process of `kind` runs. */
export function serverScript(kind: ProcessKind): string {
  return path.join(INSTALL_ROOT, 'dist', 'src', 'server', kind, 'main.js');
}

/** The marker looked for in /proc/<pid>/cmdline. */
export function cmdlineMarker(kind: ProcessKind): string {
  return `server/${kind}/main.js`;
}

/** The argv of `pid` from /proc (NUL-separated), or undefined when it cannot be read. */
export function readCmdline(pid: number): string[] | undefined {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (raw === '') return []; // zombie or kernel thread
    return raw.replace(/\0$/, '').split('\0');
  } catch {
    return undefined;
  }
}

/**
 * Default matcher: a node process (its executable is ours or its name contains `node`) one of
 * whose arguments is a path ending with `server/<kind>/main.js`. So `vim .../main.js` or
 * `tail -f ...` never pass for a server.
 */
export function cmdlineMatches(pid: number, kind: ProcessKind): boolean {
  const argv = readCmdline(pid);
  if (!argv || argv.length < 2) return false;
  const exe = argv[0]!;
  if (exe !== process.execPath && !/node/i.test(path.basename(exe))) return false;
  const marker = cmdlineMarker(kind);
  return argv.slice(1).some((a) => {
    const p = a.split(path.sep).join('/');
    return p === marker || p.endsWith(`/${marker}`);
  });
}

/** A pid we are willing to look at at all: a positive integer above 1 (never 0, -1, init). */
function isPlausiblePid(pid: number): boolean {
  return Number.isSafeInteger(pid) && pid > 1;
}

/**
 * True when a process with this pid exists and is not a zombie. A process owned by another user
 * (EPERM) exists.
 */
export function isAlive(pid: number): boolean {
  if (!isPlausiblePid(pid)) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3 (state) follows the parenthesised command name, which may itself contain ')'.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X' || state === 'x') return false;
  } catch {
    // no /proc (or it vanished): trust kill(0)
  }
  return true;
}

/** The pid recorded in a pid file: undefined when there is no file or it holds no valid pid. */
export function readPidFile(file: string): number | undefined {
  const raw = readTextOrUndefined(file);
  return raw === undefined ? undefined : parsePid(raw);
}

/** Write `pid` to `file` atomically (temp file + rename), creating the directory. */
export function writePidFile(file: string, pid: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${pid}\n`, { mode: 0o644 });
  fs.renameSync(tmp, file);
}

/** Remove the pid file, but only if it still names `pid` (another start may have replaced it). */
function removePidFileIf(file: string, pid: number): void {
  if (readPidFile(file) === pid) fs.rmSync(file, { force: true });
}

export interface ProcessStatus {
  running: boolean;
  pid?: number;
  /** A pid file existed but named no live server of this kind; it has been removed. */
  stalePidFile?: boolean;
  /** Why the pid file was stale (for the operator). */
  staleReason?: string;
}

/**
 * Whether a server of `kind` runs on this host according to its pid file. A stale pid file (dead
 * process, or a live process that is not our server, or unreadable content) is removed.
 */
export function status(conf: ProcessConf, t: ProcessTarget, opts: MatchOptions = {}): ProcessStatus {
  const { kind } = procRef(t);
  const matches = opts.matches ?? cmdlineMatches;
  const file = pidFile(conf, t);
  const raw = readTextOrUndefined(file);
  if (raw === undefined) return { running: false };
  const pid = parsePid(raw);
  let reason: string;
  if (pid === undefined) {
    reason = `it does not hold a valid pid`;
  } else if (!isAlive(pid)) {
    reason = `process ${pid} is not running`;
  } else if (!matches(pid, kind)) {
    reason = `process ${pid} is not an Alluxio ${kind} (its command line does not contain ${cmdlineMarker(kind)})`;
  } else {
    return { running: true, pid };
  }
  // Remove only what we read: a concurrent start may just have written a fresh file.
  if (readTextOrUndefined(file) === raw) fs.rmSync(file, { force: true });
  const st: ProcessStatus = { running: false, stalePidFile: true, staleReason: reason };
  if (pid !== undefined) st.pid = pid;
  return st;
}

/**
 * Take the start lock of `kind` (`${alluxio.run.dir}/<kind>.start.lock`, created exclusively) so
 * that two concurrent `alluxio start` runs cannot both launch a server. Returns the release
 * function. A lock left by a process that no longer runs is taken over.
 */
export function acquireStartLock(conf: ProcessConf, t: ProcessTarget): () => void {
  const kind = procRef(t).name;
  const lock = path.join(conf.get('alluxio.run.dir'), `${kind}.start.lock`);
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
      return () => { if (readTextOrUndefined(lock)?.trim() === String(process.pid)) fs.rmSync(lock, { force: true }); };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = parsePid(readTextOrUndefined(lock) ?? '');
    if (holder !== undefined && holder !== process.pid && isAlive(holder)) {
      throw new HostError(os.hostname(), `another 'alluxio start' (pid ${holder}) is starting the ${kind} right now`, {
        hint: `wait for it to finish; if pid ${holder} is not an alluxio command, remove ${lock}`,
      });
    }
    fs.rmSync(lock, { force: true });
  }
  throw new HostError(os.hostname(), `cannot take the start lock ${lock}`, { hint: `remove ${lock} and try again` });
}

function readTextOrUndefined(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function parsePid(text: string): number | undefined {
  const t = text.trim();
  if (!/^\d{1,10}$/.test(t)) return undefined;
  const n = Number(t);
  return isPlausiblePid(n) ? n : undefined;
}

export interface LaunchResult {
  pid: number;
  /** The process's `ALLUXIO_INSTANCE_ID`: its info JSON answers it as `instanceId`. */
  instanceId: string;
  pidFile: string;
  logFile: string;
}

/** The environment variable through which the launcher names the instance it starts. */
export const INSTANCE_ID_ENV = 'ALLUXIO_INSTANCE_ID';

/** `-Dkey=value` arguments for the given flags, in a stable order. */
export function defineArgs(flags: Readonly<Record<string, string>>): string[] {
  return Object.keys(flags).sort().map((k) => `-D${k}=${flags[k]}`);
}

/**
 * Spawn a server of `kind` in the background: `node <INSTALL_ROOT>/dist/src/server/<kind>/main.js
 * -Dk=v...` with the caller's -D flags, detached in its own session, stdout and stderr appended
 * to the log file, and its pid written atomically to the pid file. It gets a fresh instance id in
 * `ALLUXIO_INSTANCE_ID`, which its info JSON answers (so readiness knows who answers). Does not
 * check whether one is already running (use {@link status} first) and does not wait for readiness.
 */
export function launch(conf: ProcessConf, t: ProcessTarget, flags: Readonly<Record<string, string>>): LaunchResult {
  const { kind, name } = procRef(t);
  const script = serverScript(kind);
  if (!fs.existsSync(script)) {
    throw new InternalError(`the ${kind} entry point ${script} does not exist`, {
      hint: 'build the installation first: npm ci && npm run build',
    });
  }
  const log = logFile(conf, t);
  const pidPath = pidFile(conf, t);
  fs.mkdirSync(path.dirname(log), { recursive: true });
  fs.mkdirSync(path.dirname(pidPath), { recursive: true });
  const args = [script, ...defineArgs(flags)];
  const instanceId = randomUUID();
  const banner = `----- ${new Date().toISOString()} launching ${name} (instance ${instanceId}): ${process.execPath} ${args.join(' ')}\n`;
  fs.appendFileSync(log, banner);
  const fd = fs.openSync(outFile(conf, t), 'a');
  let pid: number | undefined;
  try {
    fs.writeSync(fd, banner);
    const child = spawn(process.execPath, args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, [INSTANCE_ID_ENV]: instanceId, [LOG_FILE_ENV]: log },
    });
    child.on('error', () => { /* reported below through the missing pid */ });
    pid = child.pid;
    child.unref();
  } finally {
    fs.closeSync(fd);
  }
  if (pid === undefined) {
    throw new HostError(os.hostname(), `could not spawn the ${name} process (${process.execPath} ${script})`);
  }
  writePidFile(pidPath, pid);
  return { pid, instanceId, pidFile: pidPath, logFile: log };
}

/**
 * The last `lines` lines of `file` between `>>> BEGIN <file>` and `<<< EOF` markers, or the file
 * name and `--- EMPTY ---` when it is missing or empty.
 */
export function logTail(file: string, lines = LOG_TAIL_LINES): string {
  const tail = readLastLines(file, lines).lines;
  if (tail.length === 0) return `>>> BEGIN ${file}\n--- EMPTY ---\n<<< EOF`;
  return `>>> BEGIN ${file}\n${tail.join('\n')}\n<<< EOF`;
}

/** The web port of a server of `kind` (where its info JSON answers). */
export function webPortOf(conf: ProcessConf, kind: ProcessKind): number {
  return conf.getPort(kind === 'master' ? 'alluxio.master.web.port' : 'alluxio.worker.web.port');
}

/** The JSON endpoint that says whether a server of `kind` is ready. */
export function readinessUrl(conf: ProcessConf, kind: ProcessKind): string {
  if (kind === 'master') {
    const host = conf.get('alluxio.master.hostname') || 'localhost';
    const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    return `http://${h}:${webPortOf(conf, kind)}/api/v1/master/info`;
  }
  return `http://localhost:${webPortOf(conf, kind)}/api/v1/worker/info`;
}

/**
 * What `waitReady` waits for: `serving` (the default) is a leading master or a registered worker;
 * `answer` is any info answer at all (a master of an embedded journal that may be a standby);
 * `leader-known` is a master that leads or names the leader (ZooKeeper mode: a standby follows
 * the leader ZooKeeper elected).
 */
export type Readiness = 'serving' | 'answer' | 'leader-known';

/** Whether the info JSON of `kind` says it is ready: a leading master, a registered worker. */
export function isReadyInfo(kind: ProcessKind, info: unknown, readiness: Readiness = 'serving'): boolean {
  if (typeof info !== 'object' || info === null) return false;
  if (readiness === 'answer') return true;
  const o = info as Record<string, unknown>;
  if (kind === 'master' && readiness === 'leader-known') return o.isLeader === true || (typeof o.leaderAddress === 'string' && o.leaderAddress !== '');
  return kind === 'master' ? o.isLeader === true : o.registered === true;
}

export type JsonFetcher = (url: string, timeoutMs: number) => Promise<unknown>;

export const defaultFetchJson: JsonFetcher = async (url, timeoutMs) => {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.json();
};

export function describeFetchError(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err?.cause?.code) return err.cause.code;
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return 'no answer';
  return err?.message ?? String(e);
}

/** Who the process that was started is: its instance id (from {@link launch}) and/or its pid. */
export interface StartedIdentity {
  pid?: number;
  instanceId?: string;
}

/**
 * Whether an info answer comes from the started process: its `instanceId` when we know the one we
 * launched, else its `pid`. With neither known, any answer is accepted.
 */
export function answersAsStarted(info: unknown, started: StartedIdentity): boolean {
  if (typeof info !== 'object' || info === null) return false;
  const o = info as Record<string, unknown>;
  if (started.instanceId !== undefined) return o.instanceId === started.instanceId;
  if (started.pid !== undefined) return o.pid === started.pid;
  return true;
}

/** How long a started process that keeps running may leave another process answering on its port. */
export const FOREIGN_ANSWER_GRACE_MS = 3_000;

export interface WaitReadyOptions extends MatchOptions {
  timeoutMs?: number;
  /** The launched process; when it dies the wait fails at once; only its answers count. */
  pid?: number;
  /** The launched process's instance id ({@link LaunchResult}); only its answers count. */
  instanceId?: string;
  intervalMs?: number;
  fetchJson?: JsonFetcher;
  /** What counts as ready (default `serving`). */
  readiness?: Readiness;
  /** See {@link FOREIGN_ANSWER_GRACE_MS}. */
  foreignGraceMs?: number;
}

/**
 * Poll the readiness endpoint every 100 ms until the started process (`pid`/`instanceId`) reports
 * ready; returns the info JSON that did. Throws HostError at once when the process exits, and
 * when another process answers on the port (at once when the started one has exited, after
 * `foreignGraceMs` when it keeps running: it cannot serve on a port another process holds);
 * TimeoutError after `timeoutMs` (default 60 s). Every message ends with the last 30 lines of the
 * log file.
 */
export async function waitReady(conf: ProcessConf, t: ProcessTarget, opts: WaitReadyOptions = {}): Promise<unknown> {
  const { kind, name } = procRef(t);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const interval = opts.intervalMs ?? POLL_INTERVAL_MS;
  const fetchJson = opts.fetchJson ?? defaultFetchJson;
  const matches = opts.matches ?? cmdlineMatches;
  const readiness = opts.readiness ?? 'serving';
  const graceMs = opts.foreignGraceMs ?? FOREIGN_ANSWER_GRACE_MS;
  const started: StartedIdentity = { pid: opts.pid, instanceId: opts.instanceId };
  const url = readinessUrl(conf, kind);
  const port = webPortOf(conf, kind);
  const log = logFile(conf, t);
  const tails = () => logTails(conf, t);
  const deadline = Date.now() + timeoutMs;
  const pidText = opts.pid !== undefined ? ` (pid ${opts.pid})` : '';
  let last = 'not polled yet';
  /** The other process that answered on the port, and since when. */
  let foreign: { pid: string; since: number } | undefined;
  const foreignError = (exited: boolean) => {
    const other = `another process (pid ${foreign!.pid}) answers on port ${port} (${url})`;
    const what = exited ? `the ${name} process${pidText} exited before it was ready; ${other}` : `${other}, not the ${name} that was started${pidText}`;
    const ports = kind === 'master' ? 'alluxio.master.web.port, alluxio.master.rpc.port' : 'alluxio.worker.web.port, alluxio.worker.rpc.port';
    const leftover = exited ? '' : `; the ${name} that was started keeps running and cannot serve there: stop it with alluxio-stop.sh ${kind} (same conf)`;
    return new HostError(os.hostname(), `${what}\n${tails()}`, {
      hint: `another ${kind} (or another program) uses port ${port}: stop it, or give this ${kind} other ports (${ports})${leftover}`,
    });
  };
  for (;;) {
    const alive = opts.pid === undefined || (isAlive(opts.pid) && matches(opts.pid, kind));
    let info: unknown;
    try {
      info = await fetchJson(url, Math.max(100, Math.min(2000, deadline - Date.now())));
    } catch (e) {
      last = describeFetchError(e);
    }
    if (info !== undefined) {
      if (answersAsStarted(info, started)) {
        foreign = undefined;
        if (isReadyInfo(kind, info, readiness)) return info;
        last = kind === 'master' ? (readiness === 'leader-known' ? 'it answers but neither leads nor knows a leader yet' : 'it answers but is not the leader yet') : 'it answers but has not registered with the master yet';
      } else {
        const otherPid = (info as { pid?: unknown } | null)?.pid;
        foreign ??= { pid: typeof otherPid === 'number' ? String(otherPid) : 'unknown', since: Date.now() };
        if (!alive || Date.now() - foreign.since >= graceMs) throw foreignError(!alive);
        last = `another process (pid ${foreign.pid}) answers there`;
      }
    }
    if (!alive) {
      throw new HostError(os.hostname(), `the ${name} process${pidText} exited before it was ready\n${tails()}`, {
        hint: `read ${log}; fix the cause, then start it again`,
      });
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.min(interval, Math.max(0, deadline - Date.now())));
  }
  throw new TimeoutError(
    `the ${name}${pidText} was not ready after ${seconds(timeoutMs)} s (${url}: ${last})\n${tails()}`,
    {
      hint: kind === 'worker'
        ? 'a worker is ready once it has registered with the leading master: check that the master runs and that alluxio.master.hostname names it'
        : `read ${log}; the process keeps running, stop it with: alluxio-stop.sh master`,
    },
  );
}

/** Milliseconds as seconds with at most one decimal, for messages. */
export function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}

export interface StopOptions extends MatchOptions {
  /** Time between SIGTERM and SIGKILL (default 30 s). */
  graceMs?: number;
  /** Never SIGKILL (`alluxio-stop.sh -s`); a process still running after the grace period is an error. */
  soft?: boolean;
  /** Progress lines (escalation, stale pid files). */
  out?: (line: string) => void;
  intervalMs?: number;
}

async function waitGone(pid: number, ms: number, interval: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!isAlive(pid)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(interval, Math.max(1, deadline - Date.now())));
  }
}

function signal(pid: number, sig: NodeJS.Signals, kind: string): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return; // gone meanwhile
    throw new HostError(os.hostname(), `cannot send ${sig} to the ${kind} process ${pid}: ${code ?? String(e)}`, {
      hint: code === 'EPERM' ? 'it belongs to another user; stop it as that user (or as root)' : undefined,
    });
  }
}

/**
 * Stop the server of `kind` named by the pid file: SIGTERM, wait up to `graceMs`, then SIGKILL
 * (unless `soft`), verify it is gone and remove the pid file. A pid whose command line does not
 * match is never signalled (its pid file is removed as stale). Returns how many processes were
 * stopped (0 or 1).
 */
export async function stopProcess(conf: ProcessConf, t: ProcessTarget, opts: StopOptions = {}): Promise<number> {
  const { kind: k, name: kind } = procRef(t);
  const graceMs = opts.graceMs ?? DEFAULT_STOP_GRACE_MS;
  const interval = opts.intervalMs ?? EXIT_POLL_INTERVAL_MS;
  const out = opts.out ?? (() => {});
  const matchOpts: MatchOptions = opts.matches ? { matches: opts.matches } : {};
  const matches = opts.matches ?? cmdlineMatches;
  const st = status(conf, t, matchOpts);
  if (st.stalePidFile) out(`Removed stale pid file ${pidFile(conf, t)}: ${st.staleReason}`);
  if (!st.running || st.pid === undefined) return 0;
  const pid = st.pid;
  const file = pidFile(conf, t);

  signal(pid, 'SIGTERM', kind);
  if (await waitGone(pid, graceMs, interval)) {
    removePidFileIf(file, pid);
    return 1;
  }
  const secs = seconds(graceMs);
  if (opts.soft) {
    throw new TimeoutError(`the ${kind} process ${pid} did not stop within ${secs} s of SIGTERM; not killing it (soft stop)`, {
      hint: `run the stop again without -s to send SIGKILL, or look at ${logFile(conf, t)}`,
    });
  }
  // Re-check right before escalating: never SIGKILL a pid that is no longer our server.
  if (!isAlive(pid) || !matches(pid, k)) {
    removePidFileIf(file, pid);
    return 1;
  }
  out(`The ${kind} process ${pid} did not stop within ${secs} s of SIGTERM; sending SIGKILL.`);
  signal(pid, 'SIGKILL', kind);
  if (!(await waitGone(pid, 10_000, interval))) {
    throw new HostError(os.hostname(), `the ${kind} process ${pid} is still there 10 s after SIGKILL`, {
      hint: `check its state with: ps -o pid,stat,cmd -p ${pid} (a process in uninterruptible I/O cannot be killed)`,
    });
  }
  removePidFileIf(file, pid);
  return 1;
}
