/**
 * `alluxio rollingRestart [masters|workers|all]`: apply a conf change by restarting, one at a
 * time, only the processes whose effective configuration changes (diffConf's answer), keeping
 * the cluster serving throughout.
 *
 * facts -> plan -> apply, as the other cluster verbs:
 * - facts: the per-host diffs (configProbe, through diffConf's showDiffs) and the masters' state
 *   (GetMasterInfo of every alluxio.master.rpc.addresses entry: role, applied and commit index).
 * - plan (pure, `planRolling`): refuse when the cluster is unhealthy (no leader, a master down or
 *   not answering, a master not caught up with the leader), else the typed steps: standby masters
 *   one at a time, leadership transferred to an updated standby, the old leader last, then the
 *   workers one at a time (or `--batch N`). A process whose diff needs no restart (a CLIENT-only
 *   key, or already updated by an earlier run) gets no step.
 * - apply (`applyRolling`, through `RollingOps` so that tests can fake the hosts): each step in
 *   order; the first failure stops the run there (the cluster keeps serving: at most one master
 *   or one batch of workers is down at that moment) and the summary says which step stopped and
 *   how to resume: `--resume`, the same as rerunning the command: what was updated already runs
 *   the expected config hash, so diffConf finds nothing to restart there (the health checks run
 *   again first, so a host still down is refused before anything restarts).
 */

import os from 'node:os';
import path from 'node:path';
import { HostError, TimeoutError, UnavailableError, type AlluxioError } from '../errors.js';
import type { ClusterSession } from './cluster.js';
import { roles, type Targets } from './clusterOps.js';
import { showDiffs, type HostDiff } from './diffConf.js';
import { replyError } from './protocol.js';
import * as b from './builders/remote.js';
import { askMasterInfo, MasterClient, loginUser, retryPolicy } from '../client/masterClient.js';
import { splitHostPort } from '../conf/index.js';
import type { WorkerInfo } from '../client/fileSystem.js';
import type { HostResult, HostStatus } from './runner.js';

/**
 * How long a restarted master may take to answer again and apply every journal entry the leader
 * had committed when it came back (also the bound of the health check's "caught up", and of an
 * election to complete). Fixed: 30 s.
 */
export const CATCH_UP_MS = 30_000;
/** How long a restarted worker may take to register again with the leader. */
export const REGISTER_MS = 60_000;
const POLL_MS = 100;

/** A master as the facts see it (GetMasterInfo of its RPC address). */
export interface MasterState {
  rpcAddress: string;
  journalAddress?: string;
  isLeader: boolean;
  appliedIndex?: number;
  configHash?: string;
  /** Why it did not answer. */
  down?: string;
  /** It did not reach the leader's commit index within CATCH_UP_MS. */
  lagging?: boolean;
}

export type RollingStep =
  | { kind: 'restartMaster'; host: string; name: string; port?: number; rpcAddress: string; journalAddress?: string; role: 'standby' | 'leader'; expectedHash?: string }
  | { kind: 'elect'; from: string; to: string; toRpcAddress: string }
  | { kind: 'restartWorkers'; hosts: string[]; expectedHash: Record<string, string | undefined> };

export interface RollingPlan { steps: RollingStep[]; refusal?: AlluxioError; unchanged: string[] }

/** The journal port of a master process name (`master-19201`), if any. */
function portOf(name: string): number | undefined {
  const m = /^master-(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

const hostOf = (addr: string) => splitHostPort(addr).host.toLowerCase();

/** The master state of process `name` on `host`: by journal address (host:port), else its host. */
export function masterOf(masters: readonly MasterState[], host: string, name: string): MasterState | undefined {
  const port = portOf(name);
  const h = host.toLowerCase();
  if (port !== undefined) {
    return masters.find((m) => m.journalAddress?.toLowerCase() === `${h}:${port}`)
      ?? masters.find((m) => m.journalAddress?.endsWith(`:${port}`) && masters.filter((x) => x.journalAddress?.endsWith(`:${port}`)).length === 1);
  }
  return masters.find((m) => m.journalAddress && hostOf(m.journalAddress) === h) ?? masters.find((m) => hostOf(m.rpcAddress) === h);
}

/** One line per step, for --dry-run and the progress lines. */
export function describeStep(st: RollingStep): string {
  switch (st.kind) {
    case 'restartMaster':
      // ZooKeeper mode (no journal address, no quorum to elect through): the leader's clean stop
      // leaves the election (its ZooKeeper nodes are removed), so a standby takes over at once.
      return `restart ${st.role} master ${st.name} on ${st.host} (${st.journalAddress ?? st.rpcAddress}): stop${st.role === 'leader' && !st.journalAddress ? ' (it leaves the ZooKeeper election: an updated standby takes over)' : ''}, start, wait until it applied the leader's commit index (at most ${CATCH_UP_MS / 1000} s)`;
    case 'elect':
      return `transfer leadership from ${st.from} to the updated standby ${st.to} (quorum elect)`;
    case 'restartWorkers':
      return `restart worker${st.hosts.length > 1 ? 's' : ''} on ${st.hosts.join(', ')}: stop, start, wait until registered again with the same id (at most ${REGISTER_MS / 1000} s)`;
  }
}

/**
 * The plan (pure): `diffs` from configProbe, `masters` the masters' state (empty when no master is
 * concerned and none could be asked), `batch` workers restarted at once.
 */
export function planRolling(diffs: readonly HostDiff[], masters: readonly MasterState[], o: { batch: number; failedHosts?: readonly string[] }): RollingPlan {
  const unchanged: string[] = [];
  const standbys: RollingStep[] = [];
  let leaderStep: Extract<RollingStep, { kind: 'restartMaster' }> | undefined;
  const workers: { host: string; expectedHash?: string }[] = [];
  const problems: string[] = [];
  for (const h of diffs) {
    for (const p of h.processes) {
      if (!p.running) { if (p.kind === 'master') problems.push(`master ${p.name} on ${h.host} is not running`); else unchanged.push(`${h.host} ${p.name} (not running)`); continue; }
      if (p.error !== undefined) { problems.push(`${p.name} on ${h.host} could not be compared: ${p.error}`); continue; }
      if (!p.restart) { unchanged.push(`${h.host} ${p.name}`); continue; }
      if (p.kind === 'worker') { workers.push({ host: h.host, ...(p.expectedHash ? { expectedHash: p.expectedHash } : {}) }); continue; }
      const m = masterOf(masters, h.host, p.name);
      if (!m) { problems.push(`master ${p.name} on ${h.host} is not among the masters that answered (alluxio.master.rpc.addresses)`); continue; }
      const port = portOf(p.name);
      const st: Extract<RollingStep, { kind: 'restartMaster' }> = {
        kind: 'restartMaster', host: h.host, name: p.name, ...(port !== undefined ? { port } : {}), rpcAddress: m.rpcAddress,
        ...(m.journalAddress ? { journalAddress: m.journalAddress } : {}), role: m.isLeader ? 'leader' : 'standby',
        ...(p.expectedHash ? { expectedHash: p.expectedHash } : {}),
      };
      if (m.isLeader) leaderStep = st; else standbys.push(st);
    }
  }
  const steps: RollingStep[] = [...standbys];
  const restarting = standbys.length + (leaderStep ? 1 : 0) + workers.length;
  if (restarting) {
    const leaders = masters.filter((m) => m.isLeader);
    if (!leaders.length) problems.push('no master leads (a restart now could not be followed by a catch-up or a re-registration)');
    if (standbys.length || leaderStep) {
      for (const m of masters) {
        if (m.down !== undefined) problems.push(`master ${m.journalAddress ?? m.rpcAddress} is down (${m.down}): restarting another one could break the quorum`);
        else if (m.lagging) problems.push(`master ${m.journalAddress ?? m.rpcAddress} is lagging: it did not apply the leader's commit index within ${CATCH_UP_MS / 1000} s`);
      }
    }
    for (const host of o.failedHosts ?? []) problems.push(`${host} could not be compared (see its row)`);
  }
  // A down master or an unanswered host matters only when something is to restart.
  if (problems.length && (restarting || problems.some((x) => x.includes('could not be compared')))) {
    return {
      steps: [], unchanged,
      refusal: new UnavailableError(`the cluster is not healthy enough for a rolling restart; nothing was restarted:\n  ${problems.join('\n  ')}`, {
        hint: 'bring every master back (alluxio-start.sh masters), wait until alluxio fsadmin report shows no lag, then rerun',
      }),
    };
  }
  if (leaderStep) {
    const updated = masters.find((m) => !m.isLeader && m.journalAddress && m.down === undefined);
    if (updated && leaderStep.journalAddress) steps.push({ kind: 'elect', from: leaderStep.journalAddress, to: updated.journalAddress!, toRpcAddress: updated.rpcAddress });
    steps.push(leaderStep);
  }
  const batch = Math.max(1, o.batch);
  for (let i = 0; i < workers.length; i += batch) {
    const group = workers.slice(i, i + batch);
    steps.push({ kind: 'restartWorkers', hosts: group.map((w) => w.host), expectedHash: Object.fromEntries(group.map((w) => [w.host, w.expectedHash])) });
  }
  return { steps, unchanged };
}

/** What applying needs from the hosts: the real one runs protocol steps and asks the masters. */
export interface RollingOps {
  restartMaster(st: Extract<RollingStep, { kind: 'restartMaster' }>): Promise<string>;
  elect(st: Extract<RollingStep, { kind: 'elect' }>): Promise<string>;
  restartWorkers(st: Extract<RollingStep, { kind: 'restartWorkers' }>): Promise<string>;
  /** One audit line for the step's hosts (OK or FAILED). */
  audit(st: RollingStep, outcome: string): Promise<void>;
  progress(st: RollingStep, i: number, n: number): void;
}

export interface StepOutcome<S = RollingStep> { step: S; status: 'done' | 'failed' | 'not-run'; detail: string; ms: number; error?: Error }

export interface RollingResult<S = RollingStep> { outcomes: StepOutcome<S>[]; stoppedAt?: number }

/** The hosts a step acts on. */
export function stepHosts(st: RollingStep): string[] {
  return st.kind === 'restartWorkers' ? st.hosts : st.kind === 'elect' ? [hostOf(st.to)] : [st.host];
}

/** What applying steps of any kind needs (rollingRestart's, addMaster's and removeMaster's). */
export interface StepOps<S> {
  run(st: S): Promise<string>;
  audit(st: S, outcome: string): Promise<void>;
  progress(st: S, i: number, n: number): void;
  describe(st: S): string;
}

/** Execute the steps in order, each audited; the first failure stops the run (the rest are `not-run`). */
export async function applySteps<S>(steps: readonly S[], ops: StepOps<S>): Promise<RollingResult<S>> {
  const outcomes: StepOutcome<S>[] = [];
  let stoppedAt: number | undefined;
  for (const [i, st] of steps.entries()) {
    if (stoppedAt !== undefined) { outcomes.push({ step: st, status: 'not-run', detail: 'not run (stopped earlier)', ms: 0 }); continue; }
    ops.progress(st, i, steps.length);
    const t0 = Date.now();
    try {
      const detail = await ops.run(st);
      outcomes.push({ step: st, status: 'done', detail, ms: Date.now() - t0 });
      await ops.audit(st, `OK ${ops.describe(st)}: ${detail}`);
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      outcomes.push({ step: st, status: 'failed', detail: error.message, ms: Date.now() - t0, error });
      stoppedAt = i;
      await ops.audit(st, `FAILED ${ops.describe(st)}: ${error.message}`).catch(() => undefined);
    }
  }
  return stoppedAt === undefined ? { outcomes } : { outcomes, stoppedAt };
}

/** Execute the steps in order; the first failure stops the run (the rest are `not-run`). */
export function applyRolling(steps: readonly RollingStep[], ops: RollingOps): Promise<RollingResult> {
  return applySteps(steps, {
    run: (st) => (st.kind === 'restartMaster' ? ops.restartMaster(st) : st.kind === 'elect' ? ops.elect(st) : ops.restartWorkers(st)),
    audit: (st, outcome) => ops.audit(st, outcome), progress: (st, i, n) => ops.progress(st, i, n), describe: describeStep,
  });
}

/** Where the run stopped and how to resume (undefined when it finished). */
export function resumeMessage(r: RollingResult, what: Targets): string | undefined {
  if (r.stoppedAt === undefined) return undefined;
  const o = r.outcomes[r.stoppedAt]!;
  const done = r.outcomes.filter((x) => x.status === 'done').length;
  return `Stopped at step ${r.stoppedAt + 1} of ${r.outcomes.length} (${describeStep(o.step)}): ${o.detail}\n`
    + `${done} step(s) completed before it; the steps after it were not run. The other processes kept serving.\n`
    + `To resume, fix the cause and rerun: alluxio rollingRestart ${what} --resume\n`
    + '(processes already updated run the expected config hash, so they are skipped)';
}

// ---- the real hosts ---------------------------------------------------------------------------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Every configured master's state (or those of `addrs`, rpc addresses); a standby is `lagging`
 * when it does not reach the commit index within CATCH_UP_MS.
 */
export async function gatherMasters(s: ClusterSession, addrs: readonly string[] = s.masterAddresses()): Promise<MasterState[]> {
  const answers = await Promise.all(addrs.map((a) => askMasterInfo(a).catch((e: Error) => e)));
  const states: MasterState[] = answers.map((a, i) => (a instanceof Error
    ? { rpcAddress: addrs[i]!, isLeader: false, down: a.message }
    : { rpcAddress: addrs[i]!, isLeader: !!a.isLeader, appliedIndex: Number(a.journalAppliedIndex ?? 0), ...(a.journalAddress ? { journalAddress: a.journalAddress } : {}), ...(a.configHash ? { configHash: a.configHash } : {}) }));
  const leader = answers.find((a) => !(a instanceof Error) && a.isLeader);
  if (leader) {
    const commit = Number(leader.journalCommitIndex ?? 0);
    await Promise.all(states.map(async (m) => {
      if (m.down !== undefined || m.isLeader) return;
      try { await waitApplied(m.rpcAddress, commit, Date.now() + CATCH_UP_MS); } catch { m.lagging = true; }
    }));
  }
  return states;
}

/** Poll a master until its applied index reaches `index` (throws TimeoutError at the deadline). */
async function waitApplied(rpcAddress: string, index: number, deadline: number): Promise<any> {
  let last: any;
  for (;;) {
    last = await askMasterInfo(rpcAddress).catch(() => undefined);
    if (last && Number(last.journalAppliedIndex ?? 0) >= index) return last;
    if (Date.now() > deadline) throw new TimeoutError(`${rpcAddress} applied ${last ? last.journalAppliedIndex : 'nothing (not answering)'} of the leader's commit index ${index}`);
    await sleep(POLL_MS);
  }
}

/** Poll until a master answers; returns the commit index of the leader at that time. */
async function waitBackAndLeaderCommit(s: ClusterSession, rpcAddress: string, deadline: number): Promise<number> {
  for (;;) {
    const mine = await askMasterInfo(rpcAddress).catch(() => undefined);
    if (mine) {
      const infos = await Promise.all(s.masterAddresses().map((a) => askMasterInfo(a).catch(() => undefined)));
      const leader = infos.find((x) => x?.isLeader);
      if (leader) return Number(leader.journalCommitIndex ?? 0);
    }
    if (Date.now() > deadline) throw new TimeoutError(`${rpcAddress} did not answer again, or no master leads, within ${CATCH_UP_MS / 1000} s`);
    await sleep(POLL_MS);
  }
}

function leaderClient(s: ClusterSession, maxDurationMs: number): MasterClient {
  return new MasterClient(s.masterAddresses(), { ...retryPolicy(s.conf), maxDurationMs }, loginUser(s.conf));
}

async function workersOf(s: ClusterSession): Promise<WorkerInfo[]> {
  const c = leaderClient(s, 10_000);
  try { return (await c.call('block', 'GetWorkerInfoList', { includeLost: false })).workerInfos ?? []; } finally { c.close(); }
}

/** The worker registered from `host` (this machine's names count as one). */
function workerOn(s: ClusterSession, ws: readonly WorkerInfo[], host: string): WorkerInfo | undefined {
  const exact = ws.find((w) => w.address.host.toLowerCase() === host.toLowerCase());
  if (exact) return exact;
  return s.exec.isLocal(host) ? ws.find((w) => ['localhost', '127.0.0.1', os.hostname()].includes(w.address.host)) : undefined;
}

/**
 * Whether the worker of `host` is back after its restart (pure): 'waiting' until it is LIVE again
 * with its previous id and the expected config hash; then a HostError naming it when it
 * registered with fewer blocks than the master listed for it once it had stopped (blocks went
 * missing: its storage was not kept), else 'ok'. Counts, not block ids: a block the worker
 * evicted just before it stopped (not yet reported in a heartbeat) or a file deleted while it
 * restarted also lowers the count, and then stops the run with this error too (rerun).
 */
export function registrationCheck(host: string, was: { id?: number; blocks?: number }, now: WorkerInfo | undefined, expectedHash?: string): 'ok' | 'waiting' | HostError {
  if (!now || now.state !== 'LIVE' || (was.id !== undefined && now.id !== was.id) || (expectedHash && now.configHash && now.configHash !== expectedHash)) return 'waiting';
  if (was.blocks !== undefined && now.blockCount < was.blocks) {
    return new HostError(host, `the worker on ${host} (id ${now.id}) registered again with ${now.blockCount} block(s), but held ${was.blocks} when it stopped: ${was.blocks - now.blockCount} block(s) went missing`, {
      hint: `check its tiered storage on ${host} (alluxio.worker.tieredstore.level0.dirs.path survives a restart only on a kept mount or disk) and alluxio fsadmin report; the rolling restart stopped before the next worker`,
    });
  }
  return 'ok';
}

/** The RollingOps of a session: protocol steps on the hosts, GetMasterInfo and the quorum admin. */
export function sessionOps(s: ClusterSession): RollingOps {
  const logFile = path.posix.join(s.conf.get('alluxio.logs.dir'), 'audit.log');
  const ok = <T>(host: string, reply: { ok: true; result: T } | { ok: false; error: any }): T => {
    if (!reply.ok) throw replyError(reply.error, host);
    return reply.result;
  };
  return {
    progress(st, i, n) { s.rep.phase(`Step ${i + 1}/${n}: ${describeStep(st)}`); },
    async audit(st, outcome) {
      const line = `${new Date().toISOString()} ${os.userInfo().username}@${os.hostname()} "${s.command}" ${outcome}`;
      await Promise.all(stepHosts(st).map((h) => s.exec.run(h, b.auditAppend(logFile, line), { timeoutMs: 30_000 }).catch(() => undefined)));
    },
    async restartMaster(st) {
      ok(st.host, await s.runStep(st.host, 'stop', ['stop', 'master', ...(st.port !== undefined ? ['--port', String(st.port)] : [])]));
      s.rep.host(st.host, `${st.name} stopped`);
      ok(st.host, await s.runStep(st.host, 'start', ['start', 'master', ...(s.electsLeader ? ['--no-leader-wait'] : [])]));
      const deadline = Date.now() + CATCH_UP_MS;
      const commit = await waitBackAndLeaderCommit(s, st.rpcAddress, deadline);
      const info = await waitApplied(st.rpcAddress, commit, deadline);
      if (st.expectedHash && info.configHash && info.configHash !== st.expectedHash) {
        throw new HostError(st.host, `${st.name} restarted but runs config hash ${String(info.configHash).slice(0, 12)}, not the expected ${st.expectedHash.slice(0, 12)}`, { hint: `check ${s.home}/conf on ${st.host} (alluxio diffConf masters)` });
      }
      const detail = `${st.name} restarted (pid ${info.pid ?? '?'}), applied ${info.journalAppliedIndex} >= commit ${commit}`;
      s.rep.host(st.host, detail);
      return detail;
    },
    async elect(st) {
      const c = leaderClient(s, CATCH_UP_MS);
      try {
        await c.transferLeadership(st.to, CATCH_UP_MS);
      } finally {
        c.close();
      }
      const detail = `${st.to} leads`;
      s.rep.host(hostOf(st.to), detail);
      return detail;
    },
    async restartWorkers(st) {
      const ids = new Map(st.hosts.map((h) => [h, undefined as number | undefined]));
      for (const w of await workersOf(s)) for (const h of st.hosts) if (workerOn(s, [w], h)) ids.set(h, w.id);
      await Promise.all(st.hosts.map(async (h) => ok(h, await s.runStep(h, 'stop', ['stop', 'worker']))));
      // The blocks the master lists for each stopped worker (still LIVE in it until
      // alluxio.master.worker.timeout): counted after the stop, so that the writes the stop cut
      // short, which their clients abandon and delete, are no longer among them.
      const stopped = await workersOf(s);
      const was = new Map(st.hosts.map((h) => { const w = workerOn(s, stopped, h); return [h, { ...(ids.get(h) !== undefined ? { id: ids.get(h)! } : {}), ...(w && w.id === ids.get(h) ? { blocks: w.blockCount } : {}) }] as const; }));
      await Promise.all(st.hosts.map(async (h) => ok(h, await s.runStep(h, 'start', ['start', 'worker', 'NoMount']))));
      const deadline = Date.now() + REGISTER_MS;
      for (;;) {
        const now = await workersOf(s).catch(() => [] as WorkerInfo[]);
        const checks = st.hosts.map((h) => ({ h, c: registrationCheck(h, was.get(h)!, workerOn(s, now, h), st.expectedHash[h]) }));
        const lost = checks.find((x) => x.c instanceof HostError);
        if (lost) throw lost.c as HostError;
        const missing = checks.filter((x) => x.c === 'waiting').map((x) => x.h);
        if (!missing.length) break;
        if (Date.now() > deadline) throw new TimeoutError(`worker on ${missing.join(', ')} did not register again with its previous id and the expected config within ${REGISTER_MS / 1000} s`);
        await sleep(POLL_MS);
      }
      const detail = `worker${st.hosts.length > 1 ? 's' : ''} restarted and registered again (${st.hosts.map((h) => `id ${was.get(h)!.id ?? '?'}, ${was.get(h)!.blocks ?? '?'} block(s) when stopped`).join('; ')})`;
      for (const h of st.hosts) s.rep.host(h, detail);
      return detail;
    },
  };
}

function planJson(p: RollingPlan): unknown {
  return {
    steps: p.steps.map((st) => ({ ...st, description: describeStep(st) })),
    unchanged: p.unchanged,
    ...(p.refusal ? { refusal: { class: p.refusal.name, code: p.refusal.code, message: p.refusal.message, ...(p.refusal.hint ? { hint: p.refusal.hint } : {}) } } : {}),
  };
}

/** `alluxio rollingRestart [masters|workers|all]`. */
export async function clusterRollingRestart(s: ClusterSession, what: Targets, o: { batch: number; ops?: RollingOps; resume?: boolean }): Promise<number> {
  const r = roles(s, what);
  if (r.masters.length) s.requireSupportedMasters();
  await s.lock();
  try {
    const { diffs } = await showDiffs(s, what);
    const failedHosts = s.rep.failedHosts();
    s.rep.phase('Checking the masters');
    const masters = await gatherMasters(s);
    const p = planRolling(diffs, masters, { batch: o.batch, failedHosts });
    if (s.opts.dryRun) {
      s.rep.phase('Plan (dry run: nothing is changed)');
      if (p.refusal) s.rep.warn(p.refusal.message);
      p.steps.forEach((st, i) => s.rep.info(`${i + 1}. ${describeStep(st)}`));
      if (!p.steps.length && !p.refusal) s.rep.info('nothing to restart');
      return s.rep.finish({ dryRun: true, hosts: diffs, plan: planJson(p) });
    }
    if (p.refusal) throw p.refusal;
    if (!p.steps.length) {
      s.rep.info(`Nothing ${o.resume ? 'left ' : ''}to restart: every running process already uses what conf/ gives it (or only keys it does not read differ)`);
      return s.rep.finish({ hosts: diffs, steps: [] });
    }
    // Push the conf where it differs (configProbe needed the install current already).
    const hosts = [...new Set(diffs.map((h) => h.host))];
    const failed = await s.push(hosts.filter((h) => !s.confCurrent(h)).map((host) => ({ host, install: false, conf: true })));
    if (failed.size) throw new HostError([...failed][0]!, `the conf could not be pushed to ${[...failed].join(', ')}; nothing was restarted`);
    if (o.resume && p.unchanged.length) s.rep.info(`Resuming: ${p.unchanged.length} process(es) already run what conf/ gives them and are skipped`);
    const result = await applyRolling(p.steps, o.ops ?? sessionOps(s));
    const rows: HostResult[] = result.outcomes.flatMap((oc) => stepHosts(oc.step).map((host) => ({
      host, status: (oc.status === 'done' ? 'changed' : oc.status === 'failed' ? 'failed' : 'skipped') as HostStatus,
      detail: `${describeStep(oc.step)}: ${oc.detail}`, ms: oc.ms, ...(oc.error ? { error: oc.error } : {}),
    })));
    s.rep.record('rolling restart', rows);
    const resume = resumeMessage(result, what);
    if (resume) for (const l of resume.split('\n')) s.rep.warn(l);
    return s.rep.finish({ hosts: diffs, steps: result.outcomes.map((oc) => ({ ...oc.step, status: oc.status, detail: oc.detail, ms: oc.ms })), ...(resume ? { stoppedAt: result.stoppedAt! + 1, resume } : {}) });
  } finally {
    await s.unlock();
  }
}

