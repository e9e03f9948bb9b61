/**
 * The per-host protocol (issue #11): what a host's own CLI answers to the controller for each
 * remote step. A step run with `--json` (machine mode) prints exactly one JSON document, the
 * `HostReply`, as the last line of its stdout; its human lines go to stderr, so the controller
 * can still show them as `[host]` lines. The controller reads the reply only: never the human
 * text. One versioned schema; a reply of another version, none, or a malformed one is a
 * `ProtocolError` naming the host and the step.
 *
 * This file is the contract between src/orchestrate/local (the host side, which builds replies)
 * and src/orchestrate/clusterOps.ts + plan.ts (the controller, which parses them).
 */
import { AlluxioError, errorFromCode, HostError } from '../errors.js';
import type { HostFactsJson } from './local/facts.js';

/** The schema's name and version; a change that old readers cannot read bumps it. */
export const PROTOCOL = 'alluxio-host/1';

export type StepName = 'probe' | 'start' | 'stop' | 'formatJournal' | 'formatWorker' | 'facts' | 'configProbe' | 'sharedJournal';

export type ProcessKind = 'master' | 'worker';

/** The state of one server process (a master or the worker) after a step. */
export interface ProcessState {
  kind: ProcessKind;
  /** `master`, `master-<journal port>` (one of several masters on a host), `worker`. */
  name: string;
  /** What the step did to it. */
  action: 'started' | 'already-running' | 'stopped' | 'killed' | 'not-running';
  pid?: number;
  /** Id of this process incarnation (from its info JSON): tells a restarted process from the old one. */
  instanceId?: string;
  /** Ports it serves on (rpc, web, journal for masters; rpc, data, web for workers). */
  ports?: { rpc?: number; web?: number; journal?: number; data?: number };
  /**
   * `serving`: a master leads or follows a known leader, a worker registered; `answering`: it
   * answers its info endpoint (masters of an embedded journal before a leader exists);
   * `not-waited`: started with -a; absent for stopped processes.
   */
  readiness?: 'serving' | 'answering' | 'not-waited';
  /** Masters: leader or standby, when it answered. */
  role?: 'leader' | 'standby';
  /** Masters: the last journal index it applied, when it answered. */
  journalIndex?: number;
  /** configHash (src/conf/effective.ts) of the configuration the process runs with. */
  configHash?: string;
}

export interface StartResult { processes: ProcessState[]; formatted?: FormatResult }
export interface StopResult { processes: ProcessState[] }

/** formatJournal / formatWorker (and start -f). */
export interface FormatResult {
  journals?: { name: string; folder: string; action: 'formatted' | 'skipped' }[];
  workerDirs?: { dataDir: string; action: 'created' | 'skipped' }[];
  /** Every path deleted. */
  deleted: string[];
}

/**
 * A server pid file of the host's alluxio.run.dir, as the probe found it: `running` when its pid
 * is alive and /proc/<pid>/cmdline shows our server of that kind (`cmd`: that command line).
 */
export interface PidFileState { name: string; kind: ProcessKind; pidFile: string; pid?: number; running: boolean; cmd?: string }

/**
 * The stage-one probe (builders/remote.ts PROBE_SCRIPT, needs only node): the node version, the
 * installed and conf hashes under alluxio.home, the clock, and the server pid files of
 * alluxio.run.dir (found even when alluxio.home holds no install).
 */
export interface ProbeResult {
  node: string; installHash: string; confHash: string; hostname: string; timeMs: number;
  servers: PidFileState[];
  /** The host's facts, when its install and conf are the controller's (read in the same run). */
  facts?: HostFactsJson;
  /** Why the facts could not be read (the controller then asks `alluxio facts`). */
  factsError?: WireError;
}

/** One key whose value differs: what the running process uses (`old`) and what the conf sent would give (`new`). */
export interface ConfigDiff { key: string; old: string; new: string }

/**
 * configProbe (diffConf): one server process of the host. `running` false: nothing to compare
 * (no diff). Running: its configHash (from its /config endpoint), the hash the conf sent would
 * give it (`expectedHash`), and every key that differs, in key order. `error`: it runs but did
 * not answer its config endpoint (then no hash and no diff).
 */
export interface ConfigProcess {
  kind: ProcessKind;
  name: string;
  running: boolean;
  pid?: number;
  configHash?: string;
  expectedHash?: string;
  diff?: ConfigDiff[];
  error?: string;
}

/** configProbe: the host's server processes (masters of its layout, its worker) compared with the conf sent on stdin. */
export interface ConfigProbeResult { processes: ConfigProcess[] }

/** One ZooKeeper member asked from a host (sharedJournal zk): answered (a session opened) or why not. */
export interface ZkMemberAnswer { address: string; ok: boolean; ms: number; error?: string }

/**
 * sharedJournal (ZooKeeper mode, local/sharedJournal.ts): `zk` the ensemble's members as this
 * host sees them; `write` the same-storage probe's token; `check` / `remove` that token.
 */
export interface SharedJournalResult { action: 'zk' | 'write' | 'check' | 'remove'; folder: string; token?: string; members?: ZkMemberAnswer[] }

export interface StepResults {
  probe: ProbeResult;
  start: StartResult;
  stop: StopResult;
  formatJournal: FormatResult;
  formatWorker: FormatResult;
  facts: HostFactsJson;
  configProbe: ConfigProbeResult;
  sharedJournal: SharedJournalResult;
}

/** A typed error as it crosses the protocol: the class name, its code, message and hint. */
export interface WireError { class: string; code: string; message: string; hint?: string }

export type HostReply<S extends StepName = StepName> =
  | { protocol: typeof PROTOCOL; step: S; host: string; ok: true; result: StepResults[S] }
  | { protocol: typeof PROTOCOL; step: S; host: string; ok: false; error: WireError; result?: Partial<StepResults[S]> };

/** The reply of a step that ran to the end. */
export function okReply<S extends StepName>(step: S, host: string, result: StepResults[S]): HostReply<S> {
  return { protocol: PROTOCOL, step, host, ok: true, result };
}

/** The reply of a step that failed with `e` (any error: non-Alluxio ones become InternalError). */
export function errorReply<S extends StepName>(step: S, host: string, e: unknown, result?: Partial<StepResults[S]>): HostReply<S> {
  const error: WireError = e instanceof AlluxioError
    ? { class: e.name, code: e.code, message: e.message, ...(e.hint !== undefined ? { hint: e.hint } : {}) }
    : { class: 'InternalError', code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
  return { protocol: PROTOCOL, step, host, ok: false, error, ...(result !== undefined ? { result } : {}) };
}

/** The reply could not be read: none, malformed, another protocol version, another step. */
export class ProtocolError extends HostError {
  override readonly code = 'HOST';
}

/** The typed error a failed reply carries, rebuilt as its class (message and hint kept). */
export function replyError(e: WireError, host: string): AlluxioError {
  // A HostError's message already names its host (`[h1] ...`): keep it as it came.
  const err = e.code === 'HOST' ? Object.assign(new HostError(host, ''), { message: e.message }) : errorFromCode(e.code, e.message);
  if (e.hint !== undefined) Object.defineProperty(err, 'hint', { value: e.hint, enumerable: true });
  return err;
}

/** What a transport run gave back: exit code, stdout, stderr. */
export interface RawRun { code: number; signal?: string; stdout: string; stderr: string }

/**
 * Read the reply of `step` on `host` from a run's stdout (its last non-empty line). Throws
 * ProtocolError when there is none or it does not fit the schema (the exit code and the tail of
 * stderr go into the message, as what the operator needs to see).
 */
export function parseReply<S extends StepName>(step: S, host: string, run: RawRun): HostReply<S> {
  const lines = run.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  const last = lines[lines.length - 1];
  const why = (problem: string) => {
    const err = run.stderr.trim().split('\n').filter(Boolean).slice(-8).join('\n');
    return new ProtocolError(host, `${step}: ${problem} (exit ${run.code}${run.signal ? `, ${run.signal}` : ''})${err ? `:\n${err}` : ''}`, {
      hint: 'the host\'s alluxio CLI did not answer with a protocol reply; check that the install on it is current (it is pushed before every step) and read the output above',
    });
  };
  if (last === undefined) throw why('no reply');
  let doc: unknown;
  try { doc = JSON.parse(last); } catch { throw why('the reply is not JSON'); }
  if (!isObject(doc)) throw why('the reply is not a JSON object');
  if (doc.protocol !== PROTOCOL) throw why(`the reply speaks ${typeof doc.protocol === 'string' ? JSON.stringify(doc.protocol) : 'no protocol'}, not ${PROTOCOL}`);
  if (doc.step !== step) throw why(`the reply is for step ${JSON.stringify(doc.step)}`);
  if (typeof doc.host !== 'string') throw why('the reply names no host');
  if (doc.ok === true) {
    if (!isObject(doc.result)) throw why('the reply has no result');
    const bad = checkResult(step, doc.result);
    if (bad) throw why(`the result is malformed: ${bad}`);
    if (run.code !== 0) throw why('the step reported success but exited non-zero');
    return doc as HostReply<S>;
  }
  if (doc.ok === false) {
    if (!isWireError(doc.error)) throw why('the error of the reply is malformed');
    if (run.code === 0) throw why('the step reported a failure but exited 0');
    return doc as HostReply<S>;
  }
  throw why('the reply has no ok field');
}

function isWireError(e: unknown): e is WireError {
  return isObject(e) && typeof e.class === 'string' && typeof e.code === 'string' && typeof e.message === 'string'
    && (e.hint === undefined || typeof e.hint === 'string');
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const KINDS = new Set(['master', 'worker']);
const ACTIONS = new Set(['started', 'already-running', 'stopped', 'killed', 'not-running']);
const READINESS = new Set(['serving', 'answering', 'not-waited']);

function checkProcess(p: unknown, i: number): string | undefined {
  if (!isObject(p)) return `processes[${i}] is not an object`;
  if (typeof p.kind !== 'string' || !KINDS.has(p.kind)) return `processes[${i}].kind`;
  if (typeof p.name !== 'string' || p.name === '') return `processes[${i}].name`;
  if (typeof p.action !== 'string' || !ACTIONS.has(p.action)) return `processes[${i}].action`;
  if (p.pid !== undefined && !(Number.isSafeInteger(p.pid) && (p.pid as number) > 0)) return `processes[${i}].pid`;
  if ((p.action === 'started' || p.action === 'already-running') && p.pid === undefined) return `processes[${i}].pid missing`;
  if (p.readiness !== undefined && (typeof p.readiness !== 'string' || !READINESS.has(p.readiness))) return `processes[${i}].readiness`;
  if (p.role !== undefined && p.role !== 'leader' && p.role !== 'standby') return `processes[${i}].role`;
  if (p.journalIndex !== undefined && !(Number.isSafeInteger(p.journalIndex) && (p.journalIndex as number) >= 0)) return `processes[${i}].journalIndex`;
  for (const f of ['instanceId', 'configHash'] as const) if (p[f] !== undefined && typeof p[f] !== 'string') return `processes[${i}].${f}`;
  if (p.ports !== undefined) {
    if (!isObject(p.ports)) return `processes[${i}].ports`;
    for (const [k, v] of Object.entries(p.ports)) if (!(Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535)) return `processes[${i}].ports.${k}`;
  }
  return undefined;
}

function checkFormat(r: Record<string, unknown>): string | undefined {
  if (!Array.isArray(r.deleted) || !r.deleted.every((d) => typeof d === 'string')) return 'deleted';
  if (r.journals !== undefined && !(Array.isArray(r.journals) && r.journals.every((j) => isObject(j) && typeof j.name === 'string' && typeof j.folder === 'string' && (j.action === 'formatted' || j.action === 'skipped')))) return 'journals';
  if (r.workerDirs !== undefined && !(Array.isArray(r.workerDirs) && r.workerDirs.every((d) => isObject(d) && typeof d.dataDir === 'string' && (d.action === 'created' || d.action === 'skipped')))) return 'workerDirs';
  return undefined;
}

function checkConfigProcess(p: unknown): string | undefined {
  if (!isObject(p)) return ' is not an object';
  if (typeof p.kind !== 'string' || !KINDS.has(p.kind)) return '.kind';
  if (typeof p.name !== 'string' || p.name === '') return '.name';
  if (typeof p.running !== 'boolean') return '.running';
  if (p.pid !== undefined && !(Number.isSafeInteger(p.pid) && (p.pid as number) > 0)) return '.pid';
  for (const f of ['configHash', 'expectedHash', 'error'] as const) if (p[f] !== undefined && typeof p[f] !== 'string') return `.${f}`;
  if (p.diff !== undefined) {
    if (!Array.isArray(p.diff)) return '.diff';
    for (const [j, d] of p.diff.entries()) {
      if (!isObject(d) || typeof d.key !== 'string' || d.key === '' || typeof d.old !== 'string' || typeof d.new !== 'string') return `.diff[${j}]`;
    }
    if (!p.running) return '.diff of a process that does not run';
  }
  if (p.running && p.error === undefined && (p.configHash === undefined || p.expectedHash === undefined || p.diff === undefined)) return ': a running process needs configHash, expectedHash and diff (or error)';
  return undefined;
}

/** Why `r` is not a valid result of `step` (undefined when it is). */
export function checkResult(step: StepName, r: Record<string, unknown>): string | undefined {
  switch (step) {
    case 'start':
    case 'stop': {
      if (!Array.isArray(r.processes)) return 'processes';
      for (let i = 0; i < r.processes.length; i++) {
        const bad = checkProcess(r.processes[i], i);
        if (bad) return bad;
      }
      if (step === 'start' && r.formatted !== undefined) return isObject(r.formatted) ? checkFormat(r.formatted) : 'formatted';
      return undefined;
    }
    case 'formatJournal':
    case 'formatWorker':
      return checkFormat(r);
    case 'probe': {
      for (const f of ['node', 'installHash', 'confHash', 'hostname'] as const) if (typeof r[f] !== 'string') return f;
      if (typeof r.timeMs !== 'number' || !Number.isFinite(r.timeMs)) return 'timeMs';
      if (!Array.isArray(r.servers)) return 'servers';
      for (const [i, p] of r.servers.entries()) {
        if (!isObject(p) || typeof p.name !== 'string' || typeof p.pidFile !== 'string' || typeof p.running !== 'boolean'
          || typeof p.kind !== 'string' || !KINDS.has(p.kind)
          || (p.pid !== undefined && !(Number.isSafeInteger(p.pid) && (p.pid as number) > 0))
          || (p.cmd !== undefined && typeof p.cmd !== 'string')) return `servers[${i}]`;
      }
      if (r.facts !== undefined && (!isObject(r.facts) || checkResult('facts', r.facts) !== undefined)) return 'facts';
      if (r.factsError !== undefined && !isWireError(r.factsError)) return 'factsError';
      return undefined;
    }
    case 'configProbe':
      if (!Array.isArray(r.processes)) return 'processes';
      for (const [i, p] of r.processes.entries()) {
        const bad = checkConfigProcess(p);
        if (bad) return `processes[${i}]${bad}`;
      }
      return undefined;
    case 'sharedJournal': {
      if (!['zk', 'write', 'check', 'remove'].includes(r.action as string)) return 'action';
      if (typeof r.folder !== 'string') return 'folder';
      if (r.action !== 'zk' && typeof r.token !== 'string') return 'token';
      if (r.action === 'zk') {
        if (!Array.isArray(r.members)) return 'members';
        for (const [i, m] of r.members.entries()) {
          if (!isObject(m) || typeof m.address !== 'string' || typeof m.ok !== 'boolean' || typeof m.ms !== 'number' || (m.error !== undefined && typeof m.error !== 'string')) return `members[${i}]`;
        }
      }
      return undefined;
    }
    case 'facts':
      return typeof r.hostname === 'string' && isObject(r.master) && isObject(r.worker) && isObject(r.journal) ? undefined : 'facts';
  }
}

/** Several format results of one host (start local -f: the masters' journals, the worker's storage) as one. */
export function mergeFormat(parts: readonly FormatResult[]): FormatResult {
  const out: FormatResult = { deleted: parts.flatMap((p) => p.deleted) };
  const journals = parts.flatMap((p) => p.journals ?? []);
  const workerDirs = parts.flatMap((p) => p.workerDirs ?? []);
  if (parts.some((p) => p.journals)) out.journals = journals;
  if (parts.some((p) => p.workerDirs)) out.workerDirs = workerDirs;
  return out;
}
