/**
 * `alluxio addMaster <host>` and `alluxio removeMaster <host>`: change the embedded journal's
 * membership online, one master per command, no reformat anywhere but the new master's journal.
 *
 * The operator edits conf/ first (conf/masters and alluxio.master.embedded.journal.addresses name
 * the cluster as it must be afterwards); the command then checks that the edit is exactly one
 * master more (or less) than the running quorum and brings the cluster there.
 *
 * facts -> plan -> apply, as the other cluster verbs:
 * - facts: the conf files, the leader's quorum view (GetQuorumInfo), every member's applied index
 *   against the leader's commit index (rolling.ts gatherMasters), which hosts run a master and
 *   need the install or conf pushed.
 * - plan (pure, `planMembership`): the refusals (conf/ not edited, not exactly one change, no
 *   leader, a quorum that the change would leave unable to commit or elect, a master lagging, a
 *   single master on the local journal) or the typed steps. A rerun resumes: a host already a
 *   member skips the format, start and `quorum add`; a member already removed skips the remove.
 * - apply (`applyMembership`, through `MembershipOps` so that tests can fake the hosts): the steps
 *   in order, each to the audit log; the first failure stops the run and says how to resume.
 *
 * The last step rolls the new address list onto the other masters and the workers with the
 * rolling restart's plan and ops (rolling.ts: standbys first, the leader last after a transfer).
 */
import os from 'node:os';
import path from 'node:path';
import { ConfigError, FailedPreconditionError, HostError, SshError, TimeoutError, UnavailableError, type AlluxioError } from '../errors.js';
import type { ClusterSession } from './cluster.js';
import { hostsFiles, splitHostPort } from '../conf/index.js';
import { replyError } from './protocol.js';
import * as b from './builders/remote.js';
import { showDiffs } from './diffConf.js';
import { CATCH_UP_MS, applyRolling, applySteps, describeStep as describeRollingStep, gatherMasters, planRolling, sessionOps, type MasterState, type RollingResult, type StepOps, type StepOutcome } from './rolling.js';
import { askMasterInfo, MasterClient, loginUser, masterRpcAddresses, retryPolicy } from '../client/masterClient.js';
import type { HostResult, HostStatus } from './runner.js';

/** How long a new master may take to catch up (by snapshot when the log was compacted). */
export const JOIN_MS = 120_000;
const POLL_MS = 200;

export type MembershipOp = 'add' | 'remove';

export interface QuorumMember { address: string; available: boolean; recovering?: boolean }
export interface QuorumState { leader: string; members: readonly QuorumMember[] }

/** What the plan is made from (gathered by `gatherMembershipFacts`, or written by tests). */
export interface MembershipFacts {
  op: MembershipOp;
  host: string;
  /** conf/masters (path and hosts). */
  mastersFile: string;
  masters: readonly string[];
  /** alluxio.master.embedded.journal.addresses as conf/ gives it (the list after the change). */
  addresses: readonly string[];
  journalType: string;
  /** The leader's view of the quorum; undefined when no master leads (or none answers). */
  quorum?: QuorumState;
  /** The running masters serve the single-master local journal (no quorum to change). */
  localJournal?: boolean;
  /** Members that did not apply the leader's commit index in time. */
  lagging: readonly string[];
  /** A master process runs on `host` (its pid file). */
  hostRunsMaster: boolean;
  /** Why `host` could not be checked (SSH, node), when it could not. */
  hostUnreachable?: string;
  /** Hosts whose install or conf differs from this machine's. */
  stale: readonly { host: string; install: boolean; conf: boolean }[];
  /** The rpc address of a journal address (GetMasterInfo's). */
  rpcOf: Readonly<Record<string, string>>;
  /** alluxio.master.journal.folder, for the clean-up hint. */
  journalFolder: string;
}

export type MemberStep =
  | { kind: 'push'; hosts: { host: string; install: boolean; conf: boolean }[] }
  | { kind: 'stopMaster'; host: string; why: string }
  | { kind: 'formatJournal'; host: string; address: string }
  | { kind: 'startMaster'; host: string; address: string }
  | { kind: 'quorumAdd'; address: string }
  | { kind: 'waitCaughtUp'; address: string; rpcAddress: string }
  | { kind: 'elect'; from: string; to: string }
  | { kind: 'quorumRemove'; address: string }
  | { kind: 'roll' };

export interface MembershipPlan {
  steps: MemberStep[];
  refusal?: AlluxioError;
  /** The journal address added or removed. */
  address?: string;
  /** A rerun: what an earlier run did already. */
  resumed?: string;
}

/** Votes a quorum of `n` voters needs. */
export const quorumOf = (n: number) => Math.floor(n / 2) + 1;

const hostOf = (addr: string) => splitHostPort(addr).host.toLowerCase();

/** One line per step, for --dry-run, progress and the audit log. */
export function describeMemberStep(st: MemberStep): string {
  switch (st.kind) {
    case 'push': return `push ${st.hosts.map((h) => `${[h.install ? 'install' : '', h.conf ? 'conf' : ''].filter(Boolean).join('+')} to ${h.host}`).join(', ')}`;
    case 'stopMaster': return `stop the master on ${st.host} (${st.why})`;
    case 'formatJournal': return `format the journal of the new master ${st.address} on ${st.host} (rejoin: it catches up from the leader; no other journal is touched)`;
    case 'startMaster': return `start the master on ${st.host} (${st.address}): it runs RECOVERING, without a vote, until it has caught up`;
    case 'quorumAdd': return `quorum add ${st.address} (through the leader)`;
    case 'waitCaughtUp': return `wait until ${st.address} is no longer recovering and applied the leader's commit index (at most ${JOIN_MS / 1000} s)`;
    case 'elect': return `transfer leadership from ${st.from} to the caught-up member ${st.to} (quorum elect)`;
    case 'quorumRemove': return `quorum remove ${st.address} (through the leader)`;
    case 'roll': return 'roll the new address list onto the other masters (standbys one at a time, the leader last after a transfer) and the workers whose effective configuration changes, as alluxio rollingRestart all';
  }
}

/** The hosts a step acts on (for the audit log and the summary). */
export function memberStepHosts(st: MemberStep, f: Pick<MembershipFacts, 'masters' | 'host'>): string[] {
  switch (st.kind) {
    case 'push': return st.hosts.map((h) => h.host);
    case 'stopMaster': case 'formatJournal': case 'startMaster': return [st.host];
    case 'quorumAdd': case 'quorumRemove': case 'waitCaughtUp': return [hostOf(st.address)];
    case 'elect': return [hostOf(st.to)];
    case 'roll': return [...f.masters.filter((h) => h.toLowerCase() !== f.host.toLowerCase())];
  }
}

function refuse(steps: MembershipPlan, e: AlluxioError): MembershipPlan {
  return { ...steps, steps: [], refusal: e };
}

const ONE_TO_MANY_HINT = 'a single master runs the local journal, which has no quorum to join; see docs/orchestration.md, "Growing from one master"';

/**
 * The steps to go from one master on the local journal to several (refused: the local journal's
 * namespace cannot be converted into a Raft log in this version). Printed with the refusal.
 */
export function oneToManySteps(f: Pick<MembershipFacts, 'masters' | 'addresses'>): string {
  return [
    'This version cannot carry the namespace of the single-master local journal over to an embedded journal quorum (online or offline). The steps that work:',
    '  1. copy out what you keep: alluxio fs copyToLocal <path> <local dir> (files only in the under file system stay there, but the new namespace will not list them)',
    '  2. alluxio-stop.sh all',
    `  3. list every master (two or more) in conf/masters and their <host>:19200 in alluxio.master.embedded.journal.addresses (now: ${f.addresses.join(',') || 'empty'}), with an empty alluxio.master.mount.table.root.ufs folder`,
    '  4. alluxio format   (formats every journal and worker storage: a new, empty namespace)',
    '  5. alluxio-start.sh all',
    '  6. copy the data back in: alluxio fs copyFromLocal <local dir> <path>',
    'From two masters on, alluxio addMaster and removeMaster change the quorum online.',
  ].join('\n');
}

function lagRefusal(lagging: readonly string[]): UnavailableError {
  return new UnavailableError(`master ${lagging.join(', ')} is lagging: it did not apply the leader's commit index within ${CATCH_UP_MS / 1000} s; nothing was changed`, {
    hint: 'wait until alluxio fsadmin report shows no lag, then rerun',
  });
}

/** The plan (pure). */
export function planMembership(f: MembershipFacts): MembershipPlan {
  const none: MembershipPlan = { steps: [] };
  const host = f.host.toLowerCase();
  const inFile = f.masters.some((m) => m.toLowerCase() === host);
  const key = 'alluxio.master.embedded.journal.addresses';
  const onHost = f.addresses.filter((a) => hostOf(a) === host);
  if (f.journalType === 'UFS') {
    // ZooKeeper mode: the masters share one journal folder and ZooKeeper elects among whoever runs.
    const what = f.op === 'add' ? 'addMaster' : 'removeMaster';
    return refuse(none, new ConfigError(`alluxio.master.journal.type=UFS: the masters share one journal folder and ZooKeeper elects the leader, so there is no quorum for ${what} to change`, {
      hint: f.op === 'add'
        ? `list ${f.host} in ${f.mastersFile}, then run alluxio-start.sh masters (it starts only the masters not running; start checks that ${f.host} sees the shared journal folder and reaches ZooKeeper)`
        : `run alluxio-stop.sh master on ${f.host} (a clean stop hands leadership over at once), then remove it from ${f.mastersFile}`,
    }));
  }
  if (f.journalType !== 'EMBEDDED') {
    return refuse(none, new ConfigError(`alluxio.master.journal.type=${f.journalType}: ${f.op === 'add' ? 'addMaster' : 'removeMaster'} changes the embedded journal's quorum`, { hint: 'set alluxio.master.journal.type=EMBEDDED' }));
  }
  if (f.op === 'add') {
    if (!inFile) return refuse(none, new ConfigError(`${f.host} is not in ${f.mastersFile}: add it there first (one host per line)`, { hint: `then also add ${f.host}:19200 to ${key}, and run alluxio addMaster ${f.host}` }));
    if (!onHost.length) return refuse(none, new ConfigError(`${key} (${f.addresses.join(',') || 'empty'}) has no entry for ${f.host}: add its embedded journal address first`, { hint: `e.g. ${[...f.addresses, `${f.host}:19200`].join(',')}` }));
    if (onHost.length > 1) return refuse(none, new ConfigError(`${key} lists ${onHost.length} masters on ${f.host} (${onHost.join(', ')}): addMaster adds one master per host`, { hint: 'add hosts that run one master each' }));
  } else {
    if (inFile) return refuse(none, new ConfigError(`${f.host} is still in ${f.mastersFile}: remove it there first`, { hint: `then also remove its entry from ${key}, and run alluxio removeMaster ${f.host}` }));
    if (onHost.length) return refuse(none, new ConfigError(`${key} still lists ${onHost.join(', ')} on ${f.host}: remove it first`, { hint: `e.g. ${f.addresses.filter((a) => hostOf(a) !== host).join(',')}` }));
  }
  if (f.localJournal) {
    return refuse(none, new FailedPreconditionError(`the running master serves the single-master local journal: there is no quorum to add ${f.host} to.\n${oneToManySteps(f)}`, { hint: ONE_TO_MANY_HINT }));
  }
  if (f.op === 'remove' && f.addresses.length < 2) {
    return refuse(none, new FailedPreconditionError(
      `${key} would list ${f.addresses.length === 0 ? 'no master' : `one master (${f.addresses[0]})`}: a single master runs the local journal, which cannot take over the embedded journal's log; removeMaster keeps at least two masters`,
      { hint: 'keep two or more masters (add another one first with alluxio addMaster)' },
    ));
  }
  const q = f.quorum;
  if (!q || !q.leader) {
    return refuse(none, new UnavailableError(`no master leads: the quorum cannot be changed now; nothing was changed`, { hint: 'start the masters (alluxio-start.sh masters) and wait until alluxio fs leader answers, then rerun' }));
  }
  const members = q.members.map((m) => m.address);
  const added = f.addresses.filter((a) => !members.includes(a));
  const gone = members.filter((m) => !f.addresses.includes(m));
  const healthy = (m: QuorumMember) => (m.available || m.address === q.leader) && !m.recovering && !f.lagging.includes(m.address);
  const describeUnhealthy = (ms: readonly QuorumMember[]) => ms.filter((m) => !healthy(m)).map((m) => `${m.address} (${!m.available && m.address !== q.leader ? 'down' : m.recovering ? 'recovering' : 'lagging'})`).join(', ');

  if (f.op === 'add') {
    const address = onHost[0]!;
    const extraAdds = added.filter((a) => a !== address);
    if (extraAdds.length || gone.length) {
      return refuse(none, new ConfigError(`${key} differs from the running quorum (${members.join(', ')}) by more than ${address}: ${[...extraAdds.map((a) => `adds ${a}`), ...gone.map((a) => `drops ${a}`)].join(', ')}; one master per command`, {
        hint: 'list exactly the running members plus the new master, run addMaster, then make the next change',
      }));
    }
    if (f.hostUnreachable !== undefined) {
      return refuse({ steps: [], address }, new HostError(f.host, `${f.host} could not be checked (${f.hostUnreachable}); nothing was changed`, { hint: `check that ssh ${f.host} works (see its row above), then rerun` }));
    }
    const rpcAddress = f.rpcOf[address] ?? address;
    const push: MemberStep[] = f.stale.length ? [{ kind: 'push', hosts: [...f.stale] }] : [];
    if (members.includes(address)) {
      // A rerun after the member was added: it keeps its journal; it only has to be running and current.
      return {
        address, resumed: `${address} is a member already (an earlier run added it): its journal is kept; resuming with the catch-up and the roll`,
        steps: [...push, { kind: 'startMaster', host: f.host, address }, { kind: 'waitCaughtUp', address, rpcAddress }, { kind: 'roll' }],
      };
    }
    const n = members.length;
    const ok = q.members.filter(healthy);
    if (ok.length < quorumOf(n + 1)) {
      return refuse({ steps: [], address }, new UnavailableError(
        `adding ${address} would leave the quorum unable to commit while it catches up: ${n + 1} members need ${quorumOf(n + 1)} up to date, `
        + `and ${ok.length} of the ${n} running members are (${describeUnhealthy(q.members) || 'none unhealthy'} not counting); nothing was changed`,
        { hint: 'bring every master back (alluxio-start.sh masters), wait until alluxio fsadmin journal quorum info -domain MASTER shows them AVAILABLE with no lag, then rerun' },
      ));
    }
    if (f.lagging.length) return refuse({ steps: [], address }, lagRefusal(f.lagging));
    return {
      address,
      steps: [
        ...push,
        ...(f.hostRunsMaster ? [{ kind: 'stopMaster', host: f.host, why: 'not a member: it is re-seeded' } as MemberStep] : []),
        { kind: 'formatJournal', host: f.host, address },
        { kind: 'startMaster', host: f.host, address },
        { kind: 'quorumAdd', address },
        { kind: 'waitCaughtUp', address, rpcAddress },
        { kind: 'roll' },
      ],
    };
  }

  // remove
  if (added.length) {
    return refuse(none, new ConfigError(`${key} lists ${added.join(', ')}, not a member of the running quorum (${members.join(', ')}): removeMaster removes one master and adds none`, { hint: `add it with alluxio addMaster after this removal, or take it out of ${key}` }));
  }
  const gonesOnHost = gone.filter((a) => hostOf(a) === host);
  const elsewhere = gone.filter((a) => hostOf(a) !== host);
  if (elsewhere.length || gonesOnHost.length > 1) {
    return refuse(none, new ConfigError(`${key} drops ${gone.join(', ')} from the running quorum (${members.join(', ')}): removeMaster removes one master per command (removing several at once could remove a majority)`, {
      hint: `put back all but the master of ${f.host}, run alluxio removeMaster ${f.host}, then remove the next one`,
    }));
  }
  const stop: MemberStep = { kind: 'stopMaster', host: f.host, why: 'removed from the quorum; its journal stays on disk' };
  const push: MemberStep[] = f.stale.length ? [{ kind: 'push', hosts: [...f.stale] }] : [];
  if (!gonesOnHost.length) {
    return { steps: [stop, ...push, { kind: 'roll' }], resumed: `no member of the quorum runs on ${f.host} (an earlier run removed it): resuming with the stop and the roll` };
  }
  const address = gonesOnHost[0]!;
  const n = members.length;
  const rest = q.members.filter((m) => m.address !== address);
  const ok = rest.filter(healthy);
  if (ok.length < quorumOf(n - 1)) {
    return refuse({ steps: [], address }, new UnavailableError(
      `removing ${address} would leave the quorum unable to elect: the ${n - 1} members left need ${quorumOf(n - 1)} up to date, and ${ok.length} are (${describeUnhealthy(rest) || 'none'} not counting); nothing was changed`,
      { hint: 'bring the other masters back (alluxio-start.sh masters) and wait until alluxio fsadmin journal quorum info -domain MASTER shows them AVAILABLE with no lag, then rerun' },
    ));
  }
  const lag = f.lagging.filter((a) => a !== address);
  if (lag.length) return refuse({ steps: [], address }, lagRefusal(lag));
  const steps: MemberStep[] = [];
  if (q.leader === address) steps.push({ kind: 'elect', from: address, to: ok[0]!.address });
  steps.push({ kind: 'quorumRemove', address }, stop, ...push, { kind: 'roll' });
  return { steps, address };
}

// ---- apply ------------------------------------------------------------------------------------

/** What applying needs from the hosts: the real one runs protocol steps and asks the masters. */
export type MembershipOps = Omit<StepOps<MemberStep>, 'describe'>;

export type MemberOutcome = StepOutcome<MemberStep>;

/** Execute the steps in order (rolling.ts applySteps): the first failure stops the run. */
export function applyMembership(steps: readonly MemberStep[], ops: MembershipOps): Promise<RollingResult<MemberStep>> {
  return applySteps(steps, { ...ops, describe: describeMemberStep });
}

// ---- the real hosts ---------------------------------------------------------------------------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The rpc address of each journal address: alluxio.master.rpc.addresses' entry of that host, else host:rpc port. */
function rpcAddressOf(s: ClusterSession, journal: string): string {
  const h = hostOf(journal);
  const explicit = s.conf.getList('alluxio.master.rpc.addresses').filter((a) => hostOf(a) === h);
  return explicit.length === 1 ? explicit[0]! : `${splitHostPort(journal).host}:${s.conf.getPort('alluxio.master.rpc.port')}`;
}

/** A client of the leader, asking the configured masters and `extra` (a removed master that may lead). */
function leaderClient(s: ClusterSession, extra: readonly string[] = [], maxDurationMs = 30_000): MasterClient {
  return new MasterClient([...new Set([...masterRpcAddresses(s.conf), ...extra])], { ...retryPolicy(s.conf), maxDurationMs }, loginUser(s.conf));
}

/** The leader's quorum view; `localJournal` when the masters answer without a quorum. */
async function readQuorum(s: ClusterSession, extra: readonly string[]): Promise<{ quorum?: QuorumState; localJournal?: boolean; error?: string }> {
  const c = leaderClient(s, extra, 10_000);
  try {
    const q = await c.call('journal', 'GetQuorumInfo', {}) as QuorumState;
    return { quorum: { leader: q.leader, members: (q.members ?? []).map((m) => ({ address: m.address, available: m.available, ...(m.recovering ? { recovering: true } : {}) })) } };
  } catch (e) {
    if (e instanceof FailedPreconditionError) return { localJournal: true };
    return { error: (e as Error).message };
  } finally {
    c.close();
  }
}

/** Read the facts: conf files, quorum, members' lag, hosts' state (checkHosts). */
export async function gatherMembershipFacts(s: ClusterSession, op: MembershipOp, host: string): Promise<MembershipFacts> {
  const hosts = [...new Set([...s.allHosts, host])];
  s.rep.setHosts(hosts);
  await s.checkHosts(hosts, { facts: () => false });
  s.rep.phase('Checking the quorum');
  // The masters of conf/ and the named host's (it may lead or be the only one answering).
  const extra = [`${host}:${s.conf.getPort('alluxio.master.rpc.port')}`];
  const { quorum, localJournal } = await readQuorum(s, extra);
  const lagging: string[] = [];
  const rpcOf: Record<string, string> = {};
  for (const a of [...s.conf.getList('alluxio.master.embedded.journal.addresses'), ...(quorum?.members.map((m) => m.address) ?? [])]) rpcOf[a] = rpcAddressOf(s, a);
  if (quorum) {
    const states: MasterState[] = await gatherMasters(s, quorum.members.filter((m) => m.available && !m.recovering).map((m) => rpcOf[m.address]!));
    for (const st of states) if (st.lagging && st.journalAddress) lagging.push(st.journalAddress);
  }
  const servers = s.basics.get(host)?.servers ?? [];
  const unreachable = s.rep.phases.find((ph) => ph.phase === 'check')?.results.find((r) => r.host === host && r.status === 'failed');
  const stale = s.allHosts.filter((h) => s.basics.has(h) && !(s.installCurrent(h) && s.confCurrent(h)))
    .map((h) => ({ host: h, install: !s.installCurrent(h), conf: !s.confCurrent(h) }));
  return {
    op, host, mastersFile: hostsFiles(s.conf).masters, masters: s.masters, addresses: s.conf.getList('alluxio.master.embedded.journal.addresses'),
    journalType: s.conf.getEnum('alluxio.master.journal.type'), ...(quorum ? { quorum } : {}), ...(localJournal ? { localJournal } : {}),
    lagging, hostRunsMaster: servers.some((p) => p.kind === 'master' && p.running), stale, rpcOf,
    ...(s.basics.has(host) ? {} : { hostUnreachable: unreachable?.error?.message ?? unreachable?.detail ?? 'no answer' }),
    journalFolder: s.conf.get('alluxio.master.journal.folder'),
  };
}

/** The MembershipOps of a session. */
export function membershipOps(s: ClusterSession, f: MembershipFacts): MembershipOps {
  const logFile = path.posix.join(s.conf.get('alluxio.logs.dir'), 'audit.log');
  const extra = [`${f.host}:${s.conf.getPort('alluxio.master.rpc.port')}`];
  const ok = <T>(host: string, reply: { ok: true; result: T } | { ok: false; error: any }): T => {
    if (!reply.ok) throw replyError(reply.error, host);
    return reply.result;
  };
  const withLeader = async <T>(fn: (c: MasterClient) => Promise<T>): Promise<T> => {
    const c = leaderClient(s, extra);
    try { return await fn(c); } finally { c.close(); }
  };
  return {
    progress(st, i, n) { s.rep.phase(`Step ${i + 1}/${n}: ${describeMemberStep(st)}`); },
    async audit(st, outcome) {
      const line = `${new Date().toISOString()} ${os.userInfo().username}@${os.hostname()} "${s.command}" ${outcome}`;
      await Promise.all(memberStepHosts(st, f).map((h) => s.exec.run(h, b.auditAppend(logFile, line), { timeoutMs: 30_000 }).catch(() => undefined)));
    },
    async run(st) {
      switch (st.kind) {
        case 'push': {
          const failed = await s.push(st.hosts);
          if (failed.size) throw new HostError([...failed][0]!, `the install or conf could not be pushed to ${[...failed].join(', ')}`);
          return `pushed to ${st.hosts.map((h) => h.host).join(', ')}`;
        }
        case 'stopMaster': {
          try {
            const r = ok(st.host, await s.runStep(st.host, 'stop', ['stop', 'master']));
            const n = r.processes.filter((p) => p.action === 'stopped' || p.action === 'killed').length;
            return n ? 'master stopped' : 'no master was running';
          } catch (e) {
            if (f.op === 'remove' && e instanceof SshError && e.kind === 'unreachable') {
              s.rep.warn(`${st.host} is unreachable: its master was removed from the quorum but could not be stopped; make sure it is not started again with the old conf`);
              return `unreachable (${e.message}): not stopped`;
            }
            throw e;
          }
        }
        case 'formatJournal': {
          const r = ok(st.host, await s.runStep(st.host, 'formatJournal', ['formatJournal']));
          const rejoin = r.journals?.some((j) => j.action === 'formatted');
          return `journal formatted${rejoin ? '' : ' (nothing to do)'}: it rejoins the quorum`;
        }
        case 'startMaster': {
          const r = ok(st.host, await s.runStep(st.host, 'start', ['start', 'master', '--no-leader-wait']));
          const p = r.processes[0];
          return p?.action === 'already-running' ? `master already running (pid ${p.pid})` : `master started${p?.pid ? ` (pid ${p.pid})` : ''}`;
        }
        case 'quorumAdd':
          await withLeader((c) => c.call('journal', 'AddQuorumServer', { address: st.address }));
          return `${st.address} is a member`;
        case 'quorumRemove':
          await withLeader((c) => c.call('journal', 'RemoveQuorumServer', { address: st.address }));
          return `${st.address} is no longer a member`;
        case 'elect':
          await withLeader((c) => c.transferLeadership(st.to, 30_000));
          return `${st.to} leads`;
        case 'waitCaughtUp': {
          const t0 = Date.now();
          const deadline = t0 + JOIN_MS;
          let why = 'not asked yet';
          for (;;) {
            const q = await readQuorum(s, extra);
            const m = q.quorum?.members.find((x) => x.address === st.address);
            if (!q.quorum) why = `no leader (${q.error ?? 'local journal'})`;
            else if (!m) why = `${st.address} is not a member`;
            else if (m.recovering) why = `${st.address} is still recovering`;
            else {
              const leader = await askMasterInfo(f.rpcOf[q.quorum.leader] ?? rpcAddressOf(s, q.quorum.leader)).catch(() => undefined);
              const mine = await askMasterInfo(st.rpcAddress).catch(() => undefined);
              if (leader && mine && Number(mine.journalAppliedIndex ?? 0) >= Number(leader.journalCommitIndex ?? 0)) {
                return `caught up in ${((Date.now() - t0) / 1000).toFixed(1)} s: applied ${mine.journalAppliedIndex} >= the leader's commit ${leader.journalCommitIndex}`;
              }
              why = mine ? `applied ${mine.journalAppliedIndex} of the leader's commit ${leader?.journalCommitIndex ?? '?'}` : `${st.rpcAddress} does not answer`;
            }
            if (Date.now() > deadline) throw new TimeoutError(`${st.address} did not catch up within ${JOIN_MS / 1000} s: ${why}`);
            await sleep(POLL_MS);
          }
        }
        case 'roll': {
          const { diffs } = await showDiffs(s, 'all');
          const failedHosts = s.rep.failedHosts();
          const masters = await gatherMasters(s);
          const p = planRolling(diffs, masters, { batch: 1, failedHosts });
          if (p.refusal) throw p.refusal;
          if (!p.steps.length) return 'nothing to restart (every process runs the new conf)';
          const r = await applyRolling(p.steps, sessionOps(s));
          if (r.stoppedAt !== undefined) {
            const o = r.outcomes[r.stoppedAt]!;
            throw o.error ?? new Error(o.detail);
          }
          return `${p.steps.length} restart step(s): ${p.steps.map(describeRollingStep).map((d) => d.split(':')[0]).join('; ')}`;
        }
      }
    },
  };
}

/** Where the run stopped and how to resume (undefined when it finished). */
export function membershipResume(r: RollingResult<MemberStep>, op: MembershipOp, host: string): string | undefined {
  if (r.stoppedAt === undefined) return undefined;
  const o = r.outcomes[r.stoppedAt]!;
  const done = r.outcomes.filter((x) => x.status === 'done').length;
  return `Stopped at step ${r.stoppedAt + 1} of ${r.outcomes.length} (${describeMemberStep(o.step)}): ${o.detail}\n`
    + `${done} step(s) completed before it; the steps after it were not run.\n`
    + `To resume, fix the cause and rerun: alluxio ${op === 'add' ? 'addMaster' : 'removeMaster'} ${host}\n`
    + '(what was done already is found and skipped)';
}

function planJson(p: MembershipPlan): unknown {
  return {
    ...(p.address ? { address: p.address } : {}),
    ...(p.resumed ? { resumed: p.resumed } : {}),
    steps: p.steps.map((st) => ({ ...st, description: describeMemberStep(st) })),
    ...(p.refusal ? { refusal: { class: p.refusal.name, code: p.refusal.code, message: p.refusal.message, ...(p.refusal.hint ? { hint: p.refusal.hint } : {}) } } : {}),
  };
}

/** The clean-up note of removeMaster: the journal stays. */
export function leftJournalNote(f: Pick<MembershipFacts, 'host' | 'journalFolder'>): string {
  return `The journal of ${f.host} was left on disk (${f.journalFolder}); nothing was deleted. `
    + `To reclaim the space once you are sure: ssh ${f.host} rm -rf ${f.journalFolder}`;
}

/** `alluxio addMaster <host>` / `alluxio removeMaster <host>`. */
export async function clusterMembership(s: ClusterSession, op: MembershipOp, host: string, o: { ops?: MembershipOps } = {}): Promise<number> {
  await s.lock();
  try {
    const f = await gatherMembershipFacts(s, op, host);
    const p = planMembership(f);
    if (s.opts.dryRun) {
      s.rep.phase('Plan (dry run: nothing is changed)');
      if (p.refusal) s.rep.warn(p.refusal.message);
      if (p.resumed) s.rep.info(p.resumed);
      p.steps.forEach((st, i) => s.rep.info(`${i + 1}. ${describeMemberStep(st)}`));
      return s.rep.finish({ dryRun: true, plan: planJson(p) });
    }
    if (p.refusal) throw p.refusal;
    if (p.resumed) s.rep.info(p.resumed);
    const result = await applyMembership(p.steps, o.ops ?? membershipOps(s, f));
    const rows: HostResult[] = result.outcomes.flatMap((oc) => memberStepHosts(oc.step, f).map((h) => ({
      host: h, status: (oc.status === 'done' ? 'changed' : oc.status === 'failed' ? 'failed' : 'skipped') as HostStatus,
      detail: `${oc.step.kind}: ${oc.detail}`, ms: oc.ms, ...(oc.error ? { error: oc.error } : {}),
    })));
    s.rep.record(op === 'add' ? 'add master' : 'remove master', rows);
    const resume = membershipResume(result, op, host);
    if (resume) for (const l of resume.split('\n')) s.rep.warn(l);
    else if (op === 'remove') s.rep.info(leftJournalNote(f));
    return s.rep.finish({
      op, host, ...(p.address ? { address: p.address } : {}),
      steps: result.outcomes.map((oc) => ({ ...oc.step, description: describeMemberStep(oc.step), status: oc.status, detail: oc.detail, ms: oc.ms })),
      ...(resume ? { stoppedAt: result.stoppedAt! + 1, resume } : {}),
      ...(op === 'remove' && !resume ? { journalLeft: { host, folder: f.journalFolder } } : {}),
    });
  } finally {
    await s.unlock();
  }
}
