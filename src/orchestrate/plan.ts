/**
 * Pure planning (convention 4, pyinfra's shape): from what is known of each host (the probe, the
 * host's facts) and the verb, the typed steps to run, in phases. `--dry-run` renders these steps;
 * the apply path (clusterOps.ts) executes exactly these objects, so what is printed and what runs
 * cannot drift. Every refusal comes from refusals.ts, the one place that decides it (the hosts'
 * own commands ask the same functions).
 *
 * Facts come from the host's own CLI, so they are known only where the install and conf are
 * current; elsewhere a step says the state is unknown and the host decides when it runs it (with
 * the same refusals). `alluxio format` pushes first and plans after (see clusterOps.ts), so every
 * path of every host is checked before anything is deleted anywhere.
 */
import { HostError, type AlluxioError } from '../errors.js';
import type { HostFactsJson } from './local/facts.js';
import type { MountMode } from './local/mount.js';
import type { PidFileState } from './protocol.js';
import {
  formatPathRefusals, formatWhileRunning, journalFormat, startUnformatted, workerFormat, type RunningServer,
} from './refusals.js';

export type Verb = 'start' | 'format+start' | 'stop' | 'format' | 'format -s';

export type Role = 'master' | 'worker';

/** What a phase is called in the summary table. */
export type PhaseName = 'push' | 'start master' | 'leader' | 'start worker' | 'stop worker' | 'stop master' | 'format journal' | 'format worker';

export type Step =
  /** Push the install and/or conf dir where their hashes differ. */
  | { kind: 'push'; host: string; install: boolean; conf: boolean }
  /** `alluxio start [-a] master|worker [MOPT] [-f] --json`. `names`: what the facts say will start (unknown: undefined). */
  | { kind: 'start'; host: string; role: Role; args: readonly string[]; names?: string[]; running?: { name: string; pid?: number | undefined }[]; formats?: string[]; needsLeader?: boolean }
  /** `alluxio stop master|worker [-s] --json`. `pids`: what the facts say runs (unknown: undefined). */
  | { kind: 'stop'; host: string; role: Role; args: readonly string[]; pids?: { name: string; pid?: number | undefined }[] }
  /** `alluxio formatJournal [-s] --json`; `folders`: the journals it formats, `skipped`: those -s leaves (the host says so). */
  | { kind: 'formatJournal'; host: string; args: readonly string[]; folders?: string[]; skipped?: string[] }
  /** `alluxio formatWorker [-s] --json`; `dirs`: the data folders it formats, `skipped`: those -s leaves. */
  | { kind: 'formatWorker'; host: string; args: readonly string[]; dirs?: string[]; skipped?: string[] }
  /** Ask the masters until one leads (embedded journal). */
  | { kind: 'waitLeader'; hosts: string[] }
  /** Nothing to run on the host: recorded as `status` with `reason`. */
  | { kind: 'skip'; host: string; phase: PhaseName; status: 'ok' | 'skipped'; reason: string }
  /** Refused on this host (the typed error is the result). */
  | { kind: 'refuse'; host: string; phase: PhaseName; error: AlluxioError };

export interface Phase { name: PhaseName; title: string; steps: Step[] }

export interface Plan {
  verb: Verb;
  phases: Phase[];
  /** Refused as a whole (nothing runs anywhere): format while anything runs, an unsafe path. */
  refusal?: AlluxioError;
}

/** What is known of one host before anything changes. */
export interface HostInput {
  host: string;
  master: boolean;
  worker: boolean;
  installCurrent: boolean;
  confCurrent: boolean;
  /** The host's facts (its current CLI answered), else unknown. */
  facts?: HostFactsJson | undefined;
  /** The probe's pid files of alluxio.run.dir (found even without an install). */
  servers?: readonly PidFileState[] | undefined;
  /** Whether alluxio.home holds an install at all (any version). */
  installed: boolean;
}

export interface PlanOptions {
  /** start: -a (no waiting). */
  async?: boolean;
  mountMode?: MountMode;
  /** stop: -s. */
  soft?: boolean;
  /** Several masters elect a leader (embedded journal or ZooKeeper): start waits for one before the workers. */
  electsLeader?: boolean;
  /**
   * ZooKeeper mode: every master uses the same journal folder (shared storage), so format formats
   * it once, on the first master host, and only when every master host could be checked.
   */
  sharedJournal?: boolean;
  /** start all: workers are started only once a master leads. */
  workersNeedLeader?: boolean;
  /** format with sharedJournal: every host of conf/masters (one not among the checked hosts may run a master on the shared folder). */
  masters?: readonly string[];
  /** Pushing is already done (format pushes before it plans): no push steps. */
  pushed?: boolean;
}

/** A master of the host as facts describe it (one, or one per local journal port). */
function mastersOf(f: HostFactsJson): { name: string; running: boolean; pid?: number | undefined }[] {
  return f.masters?.length ? f.masters : [{ name: 'master', ...f.master }];
}

function journalsOf(f: HostFactsJson): { name: string; folder: string; formatted: boolean; refusal?: string | undefined }[] {
  return f.journals?.length ? f.journals : [{ name: 'master', ...f.journal }];
}

function runningOn(h: HostInput, roles: readonly Role[]): RunningServer[] {
  const f = h.facts!;
  return [
    ...(roles.includes('master') ? mastersOf(f).filter((m) => m.running).map((m) => ({ name: m.name, host: h.host, pid: m.pid })) : []),
    ...(roles.includes('worker') && f.worker.running ? [{ name: 'worker', host: h.host, pid: f.worker.pid }] : []),
  ];
}

function pushPhase(hosts: readonly HostInput[], o: PlanOptions): Phase[] {
  if (o.pushed) return [];
  const steps: Step[] = hosts.filter((h) => !h.installCurrent || !h.confCurrent)
    .map((h) => ({ kind: 'push', host: h.host, install: !h.installCurrent, conf: !h.confCurrent }));
  return steps.length ? [{ name: 'push', title: 'Pushing', steps }] : [];
}

/** The steps of a verb on these hosts. */
export function plan(verb: Verb, hosts: readonly HostInput[], o: PlanOptions = {}): Plan {
  if (verb === 'stop') return { verb, phases: stopPhases(hosts, o) };
  if (verb === 'format' || verb === 'format -s') return formatPlan(verb, hosts, o);
  return { verb, phases: [...pushPhase(hosts, o), ...startPhases(verb, hosts, o)] };
}

function startPhases(verb: 'start' | 'format+start', hosts: readonly HostInput[], o: PlanOptions): Phase[] {
  const format = verb === 'format+start';
  const masterSteps = hosts.filter((h) => h.master).map((h): Step => {
    const args = ['start', ...(o.async ? ['-a'] : []), 'master', ...(format ? ['-f'] : []), ...(o.electsLeader ? ['--no-leader-wait'] : [])];
    const f = h.facts;
    if (!f) return { kind: 'start', host: h.host, role: 'master', args };
    const masters = mastersOf(f);
    const running = masters.filter((m) => m.running).map((m) => ({ name: m.name, pid: m.pid }));
    const toStart = masters.filter((m) => !m.running).map((m) => m.name);
    // -f: formatting is refused while a master of the host runs (as the host's precheck does).
    const refused = format ? formatWhileRunning('host', runningOn(h, ['master'])) : undefined;
    if (refused) return { kind: 'refuse', host: h.host, phase: 'start master', error: refused };
    if (!toStart.length) return { kind: 'skip', host: h.host, phase: 'start master', status: 'ok', reason: alreadyRunning('master', running) };
    if (format) {
      const journals = journalsOf(f);
      const unsafe = journals.flatMap((j) => { const d = journalFormat(j, false); return typeof d === 'object' ? [d.refused] : []; });
      if (unsafe.length) return { kind: 'refuse', host: h.host, phase: 'start master', error: formatPathRefusals(unsafe.map((reason) => ({ host: h.host, reason })))! };
      return { kind: 'start', host: h.host, role: 'master', args, names: toStart, running, formats: journals.map((j) => j.folder) };
    }
    const unformatted = startUnformatted(journalsOf(f).filter((j) => toStart.includes(j.name)));
    if (unformatted) return { kind: 'refuse', host: h.host, phase: 'start master', error: unformatted };
    return { kind: 'start', host: h.host, role: 'master', args, names: toStart, running };
  });
  const workerSteps = hosts.filter((h) => h.worker).map((h): Step => {
    const args = ['start', ...(o.async ? ['-a'] : []), 'worker', o.mountMode ?? 'NoMount', ...(format ? ['-f'] : [])];
    const base = { kind: 'start' as const, host: h.host, role: 'worker' as const, args, ...(o.workersNeedLeader ? { needsLeader: true } : {}) };
    const f = h.facts;
    if (!f) {
      // Without -f only whether it runs matters: the probe's pid files say so.
      const pidFiles = format ? undefined : h.servers?.filter((p) => p.kind === 'worker');
      if (!pidFiles) return base;
      const w = pidFiles.find((p) => p.running);
      if (w) return { kind: 'skip', host: h.host, phase: 'start worker', status: 'ok', reason: alreadyRunning('worker', [{ name: 'worker', pid: w.pid }]) };
      return { ...base, names: ['worker'] };
    }
    const refused = format ? formatWhileRunning('host', runningOn(h, ['worker'])) : undefined;
    if (refused) return { kind: 'refuse', host: h.host, phase: 'start worker', error: refused };
    if (f.worker.running) return { kind: 'skip', host: h.host, phase: 'start worker', status: 'ok', reason: alreadyRunning('worker', [{ name: 'worker', pid: f.worker.pid }]) };
    if (format) {
      const d = workerFormat(f.workerStorage, false);
      if (typeof d === 'object') return { kind: 'refuse', host: h.host, phase: 'start worker', error: formatPathRefusals([{ host: h.host, reason: d.refused }])! };
      return { ...base, names: ['worker'], formats: 'error' in f.workerStorage ? [] : f.workerStorage.map((x) => x.dataDir) };
    }
    return { ...base, names: ['worker'] };
  });
  const phases: Phase[] = [];
  if (masterSteps.length) phases.push({ name: 'start master', title: 'Starting masters', steps: masterSteps });
  if (o.electsLeader && !o.async && masterSteps.length) {
    phases.push({ name: 'leader', title: 'Waiting for a leader', steps: [{ kind: 'waitLeader', hosts: masterSteps.map((s) => (s as { host: string }).host) }] });
  }
  if (workerSteps.length) phases.push({ name: 'start worker', title: 'Starting workers', steps: workerSteps });
  return phases;
}

function alreadyRunning(role: Role, running: { name: string; pid?: number | undefined }[]): string {
  return running.length === 1 ? `${role} already running (pid ${running[0]!.pid})` : `${running.length} ${role}s already running (pids ${running.map((r) => r.pid).join(', ')})`;
}

function stopPhases(hosts: readonly HostInput[], o: PlanOptions): Phase[] {
  const stepFor = (h: HostInput, role: Role): Step => {
    const phase: PhaseName = `stop ${role}`;
    const args = ['stop', role, ...(o.soft ? ['-s'] : [])];
    if (!h.installed) {
      // No install to run `alluxio stop` with: say what still runs (from the run dir's pid files).
      const left = (h.servers ?? []).filter((p) => p.running && p.kind === role);
      if (!left.length) return { kind: 'skip', host: h.host, phase, status: 'skipped', reason: 'not installed: nothing to stop' };
      return { kind: 'refuse', host: h.host, phase, error: leftRunning(h.host, left) };
    }
    // What runs: the facts, else the probe's pid files (those the host's stop acts on).
    const f = h.facts;
    const procs = f ? (role === 'master' ? mastersOf(f) : [{ name: 'worker', ...f.worker }]) : h.servers?.filter((p) => p.kind === role);
    if (!procs) return { kind: 'stop', host: h.host, role, args };
    const pids = procs.filter((p) => p.running).map((p) => ({ name: p.name, pid: p.pid }));
    if (!pids.length) return { kind: 'skip', host: h.host, phase, status: 'ok', reason: `no ${role} was running` };
    return { kind: 'stop', host: h.host, role, args, pids };
  };
  const phases: Phase[] = [];
  const workers = hosts.filter((h) => h.worker).map((h) => stepFor(h, 'worker'));
  const masters = hosts.filter((h) => h.master).map((h) => stepFor(h, 'master'));
  if (workers.length) phases.push({ name: 'stop worker', title: 'Stopping workers', steps: workers });
  if (masters.length) phases.push({ name: 'stop master', title: 'Stopping masters', steps: masters });
  return phases;
}

/** Servers still running on a host whose alluxio.home holds no install to stop them with. */
function leftRunning(host: string, left: readonly PidFileState[]): AlluxioError {
  const list = left.map((p) => `${p.name} (pid ${p.pid}, ${p.pidFile})`).join(', ');
  const cmd = left[0]!.cmd ?? '';
  const at = cmd.indexOf('/dist/src/server/');
  const install = at > 0 ? cmd.slice(cmd.lastIndexOf(' ', at) + 1, at) : undefined;
  return new HostError(host, `alluxio.home holds no install, but ${list} ${left.length > 1 ? 'are' : 'is'} running; left running`, {
    hint: install
      ? `it was started from ${install}: set alluxio.home=${install} (or stop it there: ${install}/bin/alluxio-stop.sh local)`
      : 'set alluxio.home to the install that started it, or stop it with that install: bin/alluxio-stop.sh local',
  });
}

function formatPlan(verb: 'format' | 'format -s', hosts: readonly HostInput[], o: PlanOptions): Plan {
  const only = verb === 'format -s';
  const args = only ? ['-s'] : [];
  const known = hosts.filter((h) => h.facts);
  // Refused as a whole while anything of the cluster runs on any host (masters and workers alike).
  const running = known.flatMap((h) => runningOn(h, [...(h.master ? ['master' as const] : []), ...(h.worker ? ['worker' as const] : [])]));
  const runningRefusal = formatWhileRunning('cluster', running);
  const unsafe: { host: string; reason: string }[] = [];
  const masterHosts = hosts.filter((h) => h.master);
  // ZooKeeper mode: the shared folder is formatted once, by the first master host (see sharedFormat).
  const formatter = o.sharedJournal ? masterHosts[0]?.host : undefined;
  const journalSteps = masterHosts.map((h): Step => {
    if (formatter !== undefined && h.host !== formatter) {
      return { kind: 'skip', host: h.host, phase: 'format journal', status: 'ok', reason: `shared journal ${h.facts ? journalsOf(h.facts)[0]!.folder : '(alluxio.master.journal.folder)'}: formatted once, by ${formatter}` };
    }
    const f = h.facts;
    if (!f) return { kind: 'formatJournal', host: h.host, args: ['formatJournal', ...args] };
    const r = runningOn(h, ['master']);
    if (r.length) return { kind: 'refuse', host: h.host, phase: 'format journal', error: formatWhileRunning('host', r)! };
    const todo: string[] = [];
    const skipped: string[] = [];
    for (const j of journalsOf(f)) {
      const d = journalFormat(j, only);
      if (typeof d === 'object') unsafe.push({ host: h.host, reason: d.refused });
      else (d === 'format' ? todo : skipped).push(j.folder);
    }
    const mine = unsafe.filter((u) => u.host === h.host);
    if (mine.length) return { kind: 'refuse', host: h.host, phase: 'format journal', error: formatPathRefusals(mine)! };
    return { kind: 'formatJournal', host: h.host, args: ['formatJournal', ...args], folders: todo, ...(skipped.length ? { skipped } : {}) };
  });
  const workerSteps = hosts.filter((h) => h.worker).map((h): Step => {
    const f = h.facts;
    if (!f) return { kind: 'formatWorker', host: h.host, args: ['formatWorker', ...args] };
    const r = runningOn(h, ['worker']);
    if (r.length) return { kind: 'refuse', host: h.host, phase: 'format worker', error: formatWhileRunning('host', r)! };
    const d = workerFormat(f.workerStorage, only);
    if (typeof d === 'object') {
      unsafe.push({ host: h.host, reason: d.refused });
      return { kind: 'refuse', host: h.host, phase: 'format worker', error: formatPathRefusals([{ host: h.host, reason: d.refused }])! };
    }
    const storage = 'error' in f.workerStorage ? [] : f.workerStorage;
    const skipped = storage.filter((x) => only && x.exists).map((x) => x.dataDir);
    const dirs = storage.filter((x) => !(only && x.exists)).map((x) => x.dataDir);
    return { kind: 'formatWorker', host: h.host, args: ['formatWorker', ...args], dirs, ...(skipped.length ? { skipped } : {}) };
  });
  const phases: Phase[] = [...pushPhase(hosts, o)];
  if (journalSteps.length) phases.push({ name: 'format journal', title: 'Formatting masters', steps: journalSteps });
  if (workerSteps.length) phases.push({ name: 'format worker', title: 'Formatting workers', steps: workerSteps });
  const refusal = runningRefusal ?? formatPathRefusals(unsafe) ?? (o.sharedJournal ? sharedFormatRefusal(masterHosts, o.masters ?? []) : undefined);
  return refusal ? { verb, phases, refusal } : { verb, phases };
}

/**
 * ZooKeeper mode: the shared journal folder is used by every master, so it is formatted only when
 * every master host was checked (a master host that could not be reached may run a master on it).
 */
function sharedFormatRefusal(checked: readonly HostInput[], masters: readonly string[]): AlluxioError | undefined {
  const known = new Set(checked.filter((h) => h.facts).map((h) => h.host));
  const unknown = masters.filter((m) => !known.has(m));
  if (!unknown.length) return undefined;
  return new HostError(unknown[0]!, `cannot format the shared journal (ZooKeeper mode) while master host${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} could not be checked: a master there may use it; nothing was formatted`, {
    hint: 'bring the host back (or remove it from conf/masters), then rerun alluxio format',
  });
}

// ---- rendering (--dry-run) ----------------------------------------------------------------------

/** One step as the dry run prints it. */
export function renderStep(s: Step): string {
  switch (s.kind) {
    case 'push':
      return [...(s.install ? ['push install'] : []), ...(s.conf ? ['push conf'] : [])].join('; ');
    case 'start': {
      if (!s.names) return `start ${s.role} (state unknown until the install is pushed; the host decides)`;
      const parts = [
        ...(s.formats?.length ? [`format ${s.role === 'master' ? 'journal' : 'worker storage'} ${s.formats.join(', ')}`] : []),
        ...(s.running ?? []).map((r) => `${r.name} already running (pid ${r.pid}): nothing to do`),
        ...s.names.map((n) => `start ${n}`),
      ];
      return parts.join('; ');
    }
    case 'stop':
      return s.pids ? `stop ${s.pids.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}` : `stop ${s.role} (state unknown: no current install to ask; the host decides)`;
    case 'formatJournal':
      if (!s.folders) return 'format journal (state unknown; the host checks its paths)';
      return [...(s.skipped ?? []).map((f) => `journal ${f} already formatted: skip`), ...(s.folders.length ? [`format journal ${s.folders.join(', ')}`] : [])].join('; ');
    case 'formatWorker':
      if (!s.dirs) return 'format worker storage (state unknown; the host checks its paths)';
      return [...(s.skipped ?? []).map((d) => `worker data folder ${d} exists: skip`), ...(s.dirs.length ? [`format worker storage ${s.dirs.join(', ')}`] : [])].join('; ');
    case 'waitLeader':
      return `wait until one of ${s.hosts.join(', ')} leads`;
    case 'skip':
      return `${s.phase}: ${s.reason}`;
    case 'refuse':
      return `REFUSED: ${s.error.message}`;
  }
}

/** Host of a step (the leader wait concerns several: none). */
export function stepHost(s: Step): string | undefined {
  return s.kind === 'waitLeader' ? undefined : s.host;
}

/**
 * The dry run's lines: one per host (its steps in phase order, joined with `; `), then the lines
 * about the cluster as a whole (the leader wait, a refusal of everything): `[host, text]`, host
 * undefined for those.
 */
export function renderPlan(p: Plan): [string | undefined, string][] {
  const byHost = new Map<string, string[]>();
  const cluster: string[] = [];
  for (const st of p.phases.flatMap((ph) => ph.steps)) {
    const h = stepHost(st);
    if (h === undefined) cluster.push(`then ${renderStep(st)}`);
    else byHost.set(h, [...(byHost.get(h) ?? []), renderStep(st)]);
  }
  if (p.refusal) cluster.push(`REFUSED: ${p.refusal.message}`);
  return [...[...byHost].map(([h, texts]): [string | undefined, string] => [h, texts.join('; ')]), ...cluster.map((t): [string | undefined, string] => [undefined, t])];
}
