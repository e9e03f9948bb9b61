/**
 * The multi-host commands: start, stop and format across conf/masters and conf/workers, and
 * copyDir. Each follows facts → plan → apply, and ends with the per-host summary.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, HostError, UsageError } from '../errors.js';
import type { ClusterSession } from './cluster.js';
import type { ExecResult } from './executor.js';
import type { HostStatus } from './runner.js';
import { fanOut } from './runner.js';
import * as b from './builders/remote.js';
import { tarBuffer } from './install.js';
import { planFor, renderPlan, type Action } from './plan.js';
import type { MountMode } from './local/mount.js';
import { MasterClient, masterRpcAddresses, retryPolicy } from '../client/masterClient.js';

export type Targets = 'all' | 'masters' | 'workers';

function roles(s: ClusterSession, what: Targets): { masters: string[]; workers: string[] } {
  return { masters: what === 'workers' ? [] : s.masters, workers: what === 'masters' ? [] : s.workers };
}

function union(a: readonly string[], b2: readonly string[]): string[] { return [...new Set([...a, ...b2])]; }

/** Print the plan for --dry-run and finish (exit 0 unless a host could not be checked). */
async function dryRun(s: ClusterSession, action: Action, hosts: readonly string[], r: { masters: string[]; workers: string[] }): Promise<number> {
  const reachable = hosts.filter((h) => s.basics.has(h));
  await s.gatherFacts(reachable.filter((h) => s.installCurrent(h) || s.basics.get(h)!.installHash !== ''));
  const plan = hosts.map((h) => planFor(action, h, {
    reachable: s.basics.has(h), installCurrent: s.installCurrent(h), confCurrent: s.confCurrent(h),
    master: r.masters.includes(h), worker: r.workers.includes(h), facts: s.facts.get(h),
  }));
  s.rep.phase('Plan (dry run: nothing is changed)');
  for (const p of plan) s.rep.host(p.host, renderPlan(p));
  return s.rep.finish({ dryRun: true, plan });
}

/** The result of a host's `alluxio start <kind>` (several masters on one host count each). */
const started = (kind: string) => (_h: string, r: ExecResult): { status: HostStatus; detail: string } => {
  const launched = (r.stdout.match(new RegExp(`^Starting ${kind}(-\\d+)? @ `, 'gm')) ?? []).length;
  const running = [...r.stdout.matchAll(/is already running \(pid (\d+)\)/g)].map((m) => m[1]);
  if (launched === 0 && running.length) {
    return { status: 'ok', detail: running.length === 1 ? `${kind} already running (pid ${running[0]})` : `${running.length} ${kind}s already running (pids ${running.join(', ')})` };
  }
  if (launched > 1) return { status: 'changed', detail: `${launched} ${kind}s started${running.length ? `, ${running.length} already running` : ''}` };
  return { status: 'changed', detail: `${kind} started${running.length ? `, ${running.length} already running` : ''}` };
};

/**
 * `start all|masters|workers`. With the embedded journal (several masters), every master host
 * starts its masters at once and waits only until they answer (`--no-leader-wait`); then this
 * command waits until one master leads, asking any of them (alluxio.master.rpc.addresses), and
 * only then starts the workers.
 */
export async function clusterStart(s: ClusterSession, what: Targets, o: { async: boolean; format: boolean; mountMode: MountMode }): Promise<number> {
  const r = roles(s, what);
  if (r.masters.length) s.requireSupportedMasters();
  const hosts = union(r.masters, r.workers);
  const reachable = await s.checkHosts(hosts);
  if (s.opts.dryRun) return dryRun(s, o.format ? 'format+start' : 'start', hosts, r);
  await s.lock();
  try {
    const ready = await s.push(reachable);
    const ha = s.embeddedHa;
    const mastersUp = await s.runPhase('start master', 'Starting masters', r.masters.filter((h) => ready.includes(h)),
      () => ['start', ...(o.async ? ['-a'] : []), 'master', ...(o.format ? ['-f'] : []), ...(ha ? ['--no-leader-wait'] : [])], started('master'));
    let noMaster = what === 'all' && r.masters.length > 0 && !mastersUp.some((x) => x.status !== 'failed');
    if (ha && !o.async && mastersUp.some((x) => x.status !== 'failed')) {
      const led = await waitForLeader(s, mastersUp.filter((x) => x.status !== 'failed').map((x) => x.host));
      if (!led && what === 'all') noMaster = true;
    }
    const workers = r.workers.filter((h) => ready.includes(h));
    if (noMaster && workers.length) {
      s.rep.record('start worker', workers.map((host) => ({ host, status: 'skipped', detail: 'no master leads, so no worker could register', ms: 0 })));
    } else {
      await s.runPhase('start worker', 'Starting workers', workers,
        () => ['start', ...(o.async ? ['-a'] : []), 'worker', o.mountMode, ...(o.format ? ['-f'] : [])], started('worker'));
    }
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
async function waitForLeader(s: ClusterSession, started: readonly string[]): Promise<boolean> {
  s.rep.phase('Waiting for a leader');
  const t0 = Date.now();
  const client = new MasterClient(masterRpcAddresses(s.conf), { ...retryPolicy(s.conf), maxDurationMs: LEADER_WAIT_MS });
  try {
    const addr = await client.findLeader();
    const host = addr.slice(0, addr.lastIndexOf(':'));
    s.rep.host(host, `leads (${addr})`);
    s.rep.record('leader', [{ host, status: 'ok', detail: `${addr} leads`, ms: Date.now() - t0 }]);
    return true;
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    const detail = `no master became the leader: ${err.message}`;
    const error = new HostError(started[0]!, detail, { hint: 'a leader needs a majority of alluxio.master.embedded.journal.addresses running and reachable on their journal ports; read the master logs (alluxio.logs.dir) on each master host' });
    s.rep.record('leader', started.map((host) => ({ host, status: 'failed', detail, error, ms: Date.now() - t0 })));
    return false;
  } finally {
    client.close();
  }
}

const stopped = (kind: string) => (_h: string, r: ExecResult): { status: HostStatus; detail: string } => {
  const n = Number(/Killed (\d+) process/.exec(r.stdout)?.[1] ?? 0);
  if (n > 1) return { status: 'changed', detail: `${n} ${kind}s stopped` };
  return n > 0 ? { status: 'changed', detail: `${kind} stopped` } : { status: 'ok', detail: `no ${kind} was running` };
};

export async function clusterStop(s: ClusterSession, what: Targets, o: { soft: boolean }): Promise<number> {
  const r = roles(s, what);
  const hosts = union(r.masters, r.workers);
  const reachable = await s.checkHosts(hosts);
  if (s.opts.dryRun) return dryRun(s, 'stop', hosts, r);
  // A host without any install has nothing of ours running.
  const installed = reachable.filter((h) => s.installCurrent(h) || s.basics.get(h)!.installHash !== '');
  const missing = reachable.filter((h) => !installed.includes(h));
  if (missing.length) s.rep.record('stop', missing.map((host) => ({ host, status: 'skipped', detail: 'not installed: nothing to stop', ms: 0 })));
  await s.lock();
  try {
    await s.runPhase('stop worker', 'Stopping workers', r.workers.filter((h) => installed.includes(h)), () => ['stop', 'worker', ...(o.soft ? ['-s'] : [])], stopped('worker'));
    await s.runPhase('stop master', 'Stopping masters', r.masters.filter((h) => installed.includes(h)), () => ['stop', 'master', ...(o.soft ? ['-s'] : [])], stopped('master'));
    await s.audit(installed);
  } finally {
    await s.unlock();
  }
  return s.rep.finish();
}

const formatted = (_h: string, r: ExecResult): { status: HostStatus; detail: string } => {
  const deleted = (r.stdout.match(/^Deleted /gm) ?? []).length;
  if (/skipping it \(-s\)/.test(r.stdout) && !/^(Formatted journal|Created )/m.test(r.stdout)) return { status: 'ok', detail: 'already formatted (-s)' };
  return { status: 'changed', detail: `formatted${deleted ? `, ${deleted} path(s) deleted` : ''}` };
};

/**
 * `alluxio format [-s]`: journals on every master, storage on every worker. Refused (nothing
 * formatted anywhere) while any master or worker of the cluster runs. Never implicit.
 */
export async function clusterFormat(s: ClusterSession, o: { onlyUnformatted: boolean; what?: 'all' | 'masters' }): Promise<number> {
  const r = roles(s, o.what ?? 'all');
  if (r.masters.length) s.requireSupportedMasters();
  const hosts = union(r.masters, r.workers);
  const reachable = await s.checkHosts(hosts);
  if (s.opts.dryRun) return dryRun(s, o.onlyUnformatted ? 'format -s' : 'format', hosts, r);
  await s.lock();
  try {
    const ready = await s.push(reachable);
    const known = await s.gatherFacts(ready);
    const running = known.flatMap((h) => {
      const f = s.facts.get(h)!;
      const masters = f.masters?.some((m) => m.name !== 'master')
        ? f.masters.filter((m) => m.running).map((m) => `${m.name} on ${h} (pid ${m.pid})`)
        : f.master.running ? [`master on ${h} (pid ${f.master.pid})`] : [];
      return [...masters, ...(f.worker.running ? [`worker on ${h} (pid ${f.worker.pid})`] : [])];
    });
    if (running.length) {
      throw new HostError(running[0]!.split(' on ')[1]!.split(' ')[0]!, `cannot format while ${running.join(', ')} ${running.length > 1 ? 'are' : 'is'} running; nothing was formatted`, { hint: 'stop the cluster first: alluxio-stop.sh all' });
    }
    // Every path is checked on every host before anything is deleted anywhere.
    const refusals = [
      ...r.masters.filter((h) => known.includes(h)).flatMap((h) => {
        const j = s.facts.get(h)!.journal;
        return j.refusal && !(o.onlyUnformatted && j.formatted) ? [`[${h}] ${j.refusal}`] : [];
      }),
      ...r.workers.filter((h) => known.includes(h)).flatMap((h) => {
        const w = s.facts.get(h)!.workerStorage;
        return 'error' in w ? [`[${h}] ${w.error}`] : [];
      }),
    ];
    if (refusals.length) throw new ConfigError([...refusals, 'nothing was formatted on any host']);
    const unreachable = hosts.filter((h) => !known.includes(h));
    if (unreachable.length) s.rep.warn(`not formatted (unreachable or failed checks): ${unreachable.join(', ')}; run alluxio format -s once they are back`);
    await s.runPhase('format journal', 'Formatting masters', r.masters.filter((h) => known.includes(h)), () => ['formatJournal', ...(o.onlyUnformatted ? ['-s'] : [])], formatted);
    await s.runPhase('format worker', 'Formatting workers', r.workers.filter((h) => known.includes(h)), () => ['formatWorker', ...(o.onlyUnformatted ? ['-s'] : [])], formatted);
    await s.audit(known);
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
