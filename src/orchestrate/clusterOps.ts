/**
 * The multi-host commands: start, stop and format across conf/masters and conf/workers, and
 * copyDir. Each follows facts → plan → apply (plan.ts): the hosts are probed, their facts read
 * (protocol replies of their own CLI), the plan made of typed steps; `--dry-run` prints those
 * steps and the apply path executes exactly them, reading each host's protocol reply (never its
 * human text). Ends with the per-host summary.
 */
import fs from 'node:fs';
import path from 'node:path';
import { HostError, UsageError, type AlluxioError } from '../errors.js';
import type { ClusterSession } from './cluster.js';
import type { HostStatus } from './runner.js';
import { fanOut } from './runner.js';
import * as b from './builders/remote.js';
import { tarBuffer } from './install.js';
import { plan as makePlan, renderPlan, stepHost, type HostInput, type Plan, type PlanOptions, type Step, type Verb } from './plan.js';
import type { MountMode } from './local/mount.js';
import { replyError, type FormatResult, type HostReply, type ProcessState, type StepName } from './protocol.js';
import { checkZkMode } from './validate.js';

export type Targets = 'all' | 'masters' | 'workers';

export function roles(s: ClusterSession, what: Targets): { masters: string[]; workers: string[] } {
  return { masters: what === 'workers' ? [] : s.masters, workers: what === 'masters' ? [] : s.workers };
}

export function union(a: readonly string[], b2: readonly string[]): string[] { return [...new Set([...a, ...b2])]; }

/**
 * Read the facts of the hosts whose install and conf are current (elsewhere they cannot be known
 * before a push) and describe every reachable host for the planner.
 */
async function hostInputs(s: ClusterSession, reachable: readonly string[], r: { masters: string[]; workers: string[] }, o: { facts?: (host: string) => boolean } = {}): Promise<HostInput[]> {
  const wanted = o.facts ?? (() => true);
  const current = reachable.filter((h) => wanted(h) && s.installCurrent(h) && s.confCurrent(h) && !s.facts.has(h));
  const answered = new Set(await s.gatherFacts(current));
  // A current host whose facts could not be read has failed (the facts row says why): no steps.
  return reachable.filter((h) => !current.includes(h) || answered.has(h)).map((host) => ({
    host, master: r.masters.includes(host), worker: r.workers.includes(host),
    installCurrent: s.installCurrent(host), confCurrent: s.confCurrent(host), installed: s.installed(host),
    facts: s.facts.get(host), servers: s.basics.get(host)?.servers,
  }));
}

/** The plan as JSON (--dry-run --json): each step as data, errors as their class, message and hint. */
export function planJson(p: Plan): unknown {
  const err = (e: AlluxioError) => ({ class: e.name, code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) });
  return {
    verb: p.verb,
    phases: p.phases.map((ph) => ({ phase: ph.name, steps: ph.steps.map((st) => (st.kind === 'refuse' ? { ...st, error: err(st.error) } : st)) })),
    ...(p.refusal ? { refusal: err(p.refusal) } : {}),
  };
}

/** Print the plan for --dry-run and finish (exit 0 unless a host could not be checked). */
function printPlan(s: ClusterSession, p: Plan, hosts: readonly string[]): number {
  s.rep.phase('Plan (dry run: nothing is changed)');
  for (const h of hosts) if (!s.basics.has(h)) s.rep.host(h, 'unreachable: nothing can be planned');
  for (const [host, text] of renderPlan(p)) {
    if (host === undefined) s.rep.info(text); else s.rep.host(host, text);
  }
  return s.rep.finish({ dryRun: true, plan: planJson(p) });
}

// ---- interpreting replies ---------------------------------------------------------------------

const plural = (n: number, one: string) => (n === 1 ? one : `${one}s`);

/** The summary of a start reply: what started, what already ran. */
function startDetail(role: string, ps: readonly ProcessState[]): { status: HostStatus; detail: string } {
  const started = ps.filter((p) => p.action === 'started').length;
  const running = ps.filter((p) => p.action === 'already-running');
  if (started === 0 && running.length) {
    return { status: 'ok', detail: running.length === 1 ? `${role} already running (pid ${running[0]!.pid})` : `${running.length} ${role}s already running (pids ${running.map((p) => p.pid).join(', ')})` };
  }
  const more = running.length ? `, ${running.length} already running` : '';
  return { status: 'changed', detail: started > 1 ? `${started} ${role}s started${more}` : `${role} started${more}` };
}

function stopDetail(role: string, ps: readonly ProcessState[]): { status: HostStatus; detail: string } {
  const n = ps.filter((p) => p.action === 'stopped' || p.action === 'killed').length;
  if (n === 0) return { status: 'ok', detail: `no ${role} was running` };
  return { status: 'changed', detail: n > 1 ? `${n} ${role}s stopped` : `${role} stopped` };
}

function formatDetail(f: FormatResult): { status: HostStatus; detail: string } {
  const done = [...(f.journals ?? []).filter((j) => j.action === 'formatted'), ...(f.workerDirs ?? []).filter((d) => d.action === 'created')];
  if (!done.length && !f.deleted.length) return { status: 'ok', detail: 'already formatted (-s)' };
  return { status: 'changed', detail: `formatted${f.deleted.length ? `, ${f.deleted.length} ${plural(f.deleted.length, 'path')} deleted` : ''}` };
}

/** A failed reply becomes its typed error (the class reaches the report). */
function okResult<S extends StepName>(host: string, reply: HostReply<S>): Extract<HostReply<S>, { ok: true }>['result'] {
  if (!reply.ok) throw replyError(reply.error, host);
  return reply.result;
}

/** Run one remote step of the plan on its host and interpret its reply. */
async function execStep(s: ClusterSession, st: Step): Promise<{ status: HostStatus; detail: string }> {
  switch (st.kind) {
    case 'start': {
      const r = okResult(st.host, await s.runStep(st.host, 'start', st.args));
      return startDetail(st.role, r.processes);
    }
    case 'stop': {
      const r = okResult(st.host, await s.runStep(st.host, 'stop', st.args));
      return stopDetail(st.role, r.processes);
    }
    case 'formatJournal':
      return formatDetail(okResult(st.host, await s.runStep(st.host, 'formatJournal', st.args)));
    case 'formatWorker':
      return formatDetail(okResult(st.host, await s.runStep(st.host, 'formatWorker', st.args)));
    case 'skip':
      return { status: st.status, detail: st.reason };
    case 'refuse':
      throw st.error;
    case 'push':
    case 'waitLeader':
      throw new Error(`internal: ${st.kind} is not a per-host step`);
  }
}

const NO_LEADER = 'no master leads, so no worker could register';

/**
 * Execute the plan's steps, phase by phase, exactly as planned. A host that failed a phase is left
 * out of the later ones; workers that need a leader are skipped when none leads. Throws the
 * plan's refusal before anything runs.
 */
export async function apply(s: ClusterSession, p: Plan, o: { beforeMasters?: (hosts: string[]) => Promise<boolean> } = {}): Promise<void> {
  if (p.refusal) throw p.refusal;
  const failed = new Set<string>();
  let leads: boolean | undefined;
  // gRPC (the master client) only for a plan that waits for a leader, loaded while masters start.
  const client = p.phases.some((ph) => ph.steps.some((st) => st.kind === 'waitLeader')) ? import('../client/masterClient.js') : undefined;
  client?.catch(() => { /* awaited (and reported) by waitForLeader */ });
  for (const ph of p.phases) {
    const steps = ph.steps.filter((st) => { const h = stepHost(st); return h === undefined || !failed.has(h); });
    if (!steps.length) continue;
    if (ph.name === 'start master' && o.beforeMasters) {
      // A check of every master host before any starts (ZooKeeper mode: checkZkMode), refused
      // ones too (an unformatted journal on one host while the first master's is formatted is
      // what a folder that is not shared looks like); when it fails, no master starts (and so
      // no worker).
      const hosts = steps.map((st) => stepHost(st)!);
      if (steps.some((st) => st.kind === 'start') && !(await o.beforeMasters(hosts))) {
        s.rep.record('start master', hosts.map((host) => ({ host, status: 'skipped', detail: 'not started: the ZooKeeper-mode checks above failed', ms: 0 })));
        for (const h of hosts) failed.add(h);
        leads = false;
        continue;
      }
    }
    if (ph.name === 'push') {
      for (const h of await s.push(steps.flatMap((st) => (st.kind === 'push' ? [st] : []))).then((x) => [...x])) failed.add(h);
      continue;
    }
    const wait = steps.find((st) => st.kind === 'waitLeader');
    if (wait) {
      if (wait.kind === 'waitLeader' && wait.hosts.some((h) => !failed.has(h))) leads = await waitForLeader(s, wait.hosts.filter((h) => !failed.has(h)), await client!);
      else leads = false;
      continue;
    }
    const byHost = new Map(steps.map((st) => [stepHost(st)!, st]));
    if (steps.some((st) => st.kind !== 'skip' && st.kind !== 'refuse' && !(st.kind === 'start' && st.needsLeader && leads === false))) s.rep.phase(ph.title);
    const results = await fanOut([...byHost.keys()], s.opts.parallel, async (host) => {
      const st = byHost.get(host)!;
      if (st.kind === 'start' && st.needsLeader && leads === false) return { status: 'skipped' as HostStatus, detail: NO_LEADER };
      return execStep(s, st);
    });
    s.rep.record(ph.name, results);
    for (const r of results) if (r.status === 'failed') failed.add(r.host);
    if (ph.name === 'start master' && leads === undefined && results.length && results.every((r) => r.status === 'failed')) leads = false;
  }
}

/**
 * `start all|masters|workers`. With the embedded journal (several masters), every master host
 * starts its masters at once and waits only until they answer (`--no-leader-wait`); then this
 * command waits until one master leads, asking any of them (alluxio.master.rpc.addresses), and
 * only then starts the workers.
 */
export async function clusterStart(s: ClusterSession, what: Targets, o: { async: boolean; format: boolean; mountMode: MountMode }): Promise<number> {
  const r = roles(s, what);
  if (r.masters.length) s.requireSupportedMasters();
  if (o.format && s.zkHa && r.masters.length > 1) {
    throw new UsageError('start -f formats the journal on every master host, but in ZooKeeper mode the masters share one journal folder, which is formatted once', {
      hint: 'run alluxio format (it formats the shared journal once, on the first master), then alluxio-start.sh all',
    });
  }
  const hosts = union(r.masters, r.workers);
  // Facts where the pid files are not enough: masters (is the journal formatted?), and -f.
  const needed = { facts: (h: string) => o.format || r.masters.includes(h) };
  const reachable = await s.checkHosts(hosts, needed);
  await s.lock();
  try {
    const opts: PlanOptions = { async: o.async, mountMode: o.mountMode, electsLeader: s.electsLeader, workersNeedLeader: what === 'all' && r.masters.length > 0 };
    const p = makePlan(o.format ? 'format+start' : 'start', await hostInputs(s, reachable, r, needed), opts);
    if (s.opts.dryRun) return printPlan(s, p, hosts);
    // ZooKeeper mode with several masters: ZooKeeper answers from each, the journal folder is shared.
    await apply(s, p, s.zkHa && s.masters.length > 1 ? { beforeMasters: (h) => checkZkMode(s, h) } : {});
    await s.audit(reachable);
  } finally {
    await s.unlock();
  }
  return s.rep.finish();
}

/** How long `start all|masters` waits for a leader after the masters answer. */
export const LEADER_WAIT_MS = 60_000;

/**
 * Phase "Waiting for a leader": ask the masters (alluxio.master.rpc.addresses, or the hosts of the
 * embedded journal addresses) until one says it leads. Records one row: the leader, or a failure
 * on every master host that started. Returns whether a leader was found.
 */
async function waitForLeader(s: ClusterSession, started: readonly string[], m: typeof import('../client/masterClient.js')): Promise<boolean> {
  s.rep.phase('Waiting for a leader');
  const t0 = Date.now();
  const { MasterClient, retryPolicy } = m;
  const client = new MasterClient(s.masterAddresses(), { ...retryPolicy(s.conf), maxDurationMs: LEADER_WAIT_MS });
  try {
    const addr = await client.findLeader();
    const host = addr.slice(0, addr.lastIndexOf(':'));
    s.rep.host(host, `leads (${addr})`);
    s.rep.record('leader', [{ host, status: 'ok', detail: `${addr} leads`, ms: Date.now() - t0 }]);
    return true;
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    const detail = `no master became the leader: ${err.message}`;
    const hint = s.zkHa
      ? `in ZooKeeper mode a leader needs ZooKeeper (${s.conf.get('alluxio.zookeeper.address')}) reachable from the masters and the shared journal folder (alluxio.master.journal.folder) readable by them; read the master logs (alluxio.logs.dir) on each master host`
      : 'a leader needs a majority of alluxio.master.embedded.journal.addresses running and reachable on their journal ports; read the master logs (alluxio.logs.dir) on each master host';
    const error = new HostError(started[0]!, detail, { hint });
    s.rep.record('leader', started.map((host) => ({ host, status: 'failed', detail, error, ms: Date.now() - t0 })));
    return false;
  } finally {
    client.close();
  }
}

/**
 * `stop all|masters|workers`. A host whose alluxio.home holds no install has nothing to run
 * `alluxio stop` with: it is skipped when its run dir shows no server of ours, and fails (naming
 * what was left running) when it does.
 */
export async function clusterStop(s: ClusterSession, what: Targets, o: { soft: boolean }): Promise<number> {
  const r = roles(s, what);
  const hosts = union(r.masters, r.workers);
  // Stop plans from the run dirs' pid files (what the host's own stop acts on): no facts needed.
  const none = { facts: () => false };
  const reachable = await s.checkHosts(hosts, none);
  await s.lock();
  try {
    const p = makePlan('stop', await hostInputs(s, reachable, r, none), { soft: o.soft });
    if (s.opts.dryRun) return printPlan(s, p, hosts);
    await apply(s, p);
    await s.audit(reachable.filter((h) => s.installed(h)));
  } finally {
    await s.unlock();
  }
  return s.rep.finish();
}

/**
 * `alluxio format [-s]`: journals on every master, storage on every worker. Refused (nothing
 * formatted anywhere) while any master or worker of the cluster runs, or when any path of any host
 * is unsafe: the install and conf are pushed first, so that every host's facts (and so every
 * path) are known before anything is deleted anywhere. Never implicit.
 */
export async function clusterFormat(s: ClusterSession, o: { onlyUnformatted: boolean; what?: 'all' | 'masters' }): Promise<number> {
  const r = roles(s, o.what ?? 'all');
  if (r.masters.length) s.requireSupportedMasters();
  const hosts = union(r.masters, r.workers);
  const reachable = await s.checkHosts(hosts);
  const verb: Verb = o.onlyUnformatted ? 'format -s' : 'format';
  await s.lock();
  try {
    const shared: PlanOptions = s.zkHa && r.masters.length ? { sharedJournal: true, masters: r.masters } : {};
    if (s.opts.dryRun) return printPlan(s, makePlan(verb, await hostInputs(s, reachable, r), shared), hosts);
    const pushed = makePlan(verb, reachable.map((host) => ({
      host, master: false, worker: false, installCurrent: s.installCurrent(host), confCurrent: s.confCurrent(host), installed: s.installed(host),
    })));
    await apply(s, pushed);
    // Under the lock and after the push, every host's facts are read afresh (the probe's may be older).
    s.facts.clear();
    const ready = reachable.filter((h) => !s.rep.failedHosts().includes(h));
    const inputs = await hostInputs(s, ready, r);
    const known = new Set(inputs.map((h) => h.host));
    const p = makePlan(verb, inputs, { ...shared, pushed: true });
    const unreachable = hosts.filter((h) => !known.has(h));
    if (unreachable.length && !p.refusal) s.rep.warn(`not formatted (unreachable or failed checks): ${unreachable.join(', ')}; run alluxio format -s once they are back`);
    await apply(s, p);
    await s.audit([...known]);
  } finally {
    await s.unlock();
  }
  return s.rep.finish();
}

/** `alluxio copyDir <dir>`: the directory to the same absolute path on every other host. */
export async function copyDir(s: ClusterSession, dir: string): Promise<number> {
  const abs = path.resolve(dir);
  if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) throw new UsageError(`copyDir: ${dir} is not a directory`, { hint: 'Usage: alluxio copyDir <path>' });
  const hosts = s.allHosts.filter((h) => !s.exec.isLocal(h));
  if (s.opts.dryRun) {
    s.rep.phase('Plan (dry run: nothing is changed)');
    for (const h of hosts) s.rep.host(h, `would copy ${abs} to ${h}:${abs}`);
    return s.rep.finish({ dryRun: true, plan: hosts.map((host) => ({ host, steps: [`copy ${abs}`] })) });
  }
  await s.lock();
  try {
    s.rep.phase(`Copying ${abs} to ${hosts.length} host(s)`);
    const tar = tarBuffer(abs, fs.readdirSync(abs));
    tar.catch(() => { /* surfaced by each host that awaits it */ });
    const results = await fanOut(hosts, s.opts.parallel, async (host) => {
      const r = await s.exec.runWithInput(host, b.unpackInto(abs), await tar, { timeoutMs: 300_000 });
      if (r.code !== 0) throw new HostError(host, `copying into ${abs} failed (exit ${r.code}): ${r.stderr.trim()}`);
      return { status: 'changed' as HostStatus, detail: `copied to ${abs}` };
    });
    s.rep.record('copyDir', results);
    await s.audit(hosts);
  } finally {
    await s.unlock();
  }
  return s.rep.finish();
}

/** `alluxio-workers.sh <command...>` / `alluxio-masters.sh`: run a command on every host, report each. */
export async function runOn(s: ClusterSession, what: Targets, argv: readonly string[]): Promise<number> {
  const r = roles(s, what);
  const hosts = union(r.masters, r.workers);
  if (s.opts.dryRun) {
    s.rep.phase('Plan (dry run: nothing is changed)');
    for (const h of hosts) s.rep.host(h, `would run: ${argv.join(' ')}`);
    return s.rep.finish({ dryRun: true, plan: hosts.map((host) => ({ host, steps: [argv.join(' ')] })) });
  }
  s.rep.phase(`Running on ${hosts.length} host(s): ${argv.join(' ')}`);
  const results = await fanOut(hosts, s.opts.parallel, async (host) => {
    const res = await s.exec.run(host, argv, {
      timeoutMs: 600_000,
    });
    for (const l of res.stdout.split('\n').filter(Boolean)) s.rep.host(host, l);
    for (const l of res.stderr.split('\n').filter(Boolean)) s.rep.host(host, l, 'err');
    if (res.code !== 0) throw new HostError(host, `exit code ${res.code}${res.signal ? ` (${res.signal})` : ''}`);
    return { detail: 'exit code 0' };
  });
  s.rep.record('run', results);
  return s.rep.finish();
}
