/**
 * The rolling view of `alluxio fsadmin report`: every master (role, applied journal index, lag
 * behind the leader, configuration hash, pid) and every worker (configuration hash), after
 * Alluxio's summary lines.
 *
 * The CLI asks each configured master itself (alluxio.master.rpc.addresses, GetMasterInfo with a
 * short deadline, in parallel): a master that does not answer is shown UNREACHABLE, never an error
 * of the whole command. The leader adds what only it knows: the quorum members (a member missing
 * from the configured addresses still shows) and their match index. Workers tell their hashes in
 * their registration, so the leader's worker list carries them (no call to each worker).
 *
 * The hash compared is `sharedConfigHash` (src/conf/effective.ts: the keys every server should
 * agree on, without hostnames, ports and local paths, which differ per host by design): a master's
 * is marked when it differs from the leader's, a worker's when it differs from the most common
 * one among the live workers.
 */
import { askMasterInfo } from '../client/masterClient.js';
import { mastersToAsk } from '../client/zkMasters.js';
import type { FileSystem, WorkerInfo } from '../client/fileSystem.js';


export type MasterRole = 'LEADER' | 'STANDBY' | 'UNREACHABLE';

export interface MasterRow {
  /** host:rpcPort (a quorum member the configuration does not name: its journal address). */
  address: string;
  /** Embedded journal address (host:port); absent with the local journal or when unknown. */
  journalAddress?: string;
  role: MasterRole;
  /** Last journal entry applied to its namespace (absent when unreachable). */
  appliedIndex?: number;
  /** The leader's commit index minus appliedIndex (never below 0). */
  lag?: number;
  /** The leader's view (embedded journal): the last index it knows this member holds, and its state. */
  matchIndex?: number;
  quorumState?: 'AVAILABLE' | 'UNAVAILABLE' | 'RECOVERING';
  configHash?: string;
  sharedConfigHash?: string;
  /** sharedConfigHash differs from the leader's. */
  configDiffers: boolean;
  pid?: number;
  instanceId?: string;
  /** Why it is unreachable, or what is odd about it (not in the quorum, not configured). */
  note?: string;
}

export interface WorkerRow {
  id: number;
  address: string;
  state: string;
  configHash: string;
  sharedConfigHash: string;
  /** sharedConfigHash differs from the most common one among live workers. */
  configDiffers: boolean;
}

export interface RollingView {
  leaderCommitIndex: number;
  /** Why the leader's quorum could not be read (the rows then lack matchIndex and quorumState). */
  quorumError?: string;
  masters: MasterRow[];
  workers: WorkerRow[];
}

interface QuorumMember { address: string; available: boolean; role: string; matchIndex: number; recovering?: boolean }

const quorumState = (m: QuorumMember): MasterRow['quorumState'] => (!m.available ? 'UNAVAILABLE' : m.recovering ? 'RECOVERING' : 'AVAILABLE');

/**
 * Build the rows from what was gathered (pure): `answers[i]` is the GetMasterInfo of
 * `addresses[i]` or the error it gave; `leader` the serving leader's MasterInfo; `members` the
 * leader's quorum (undefined with the local journal); `journalAddresses` the configured embedded
 * journal addresses (pairs an unreachable master with its quorum member when both lists match).
 */
export function buildView(leader: any, addresses: readonly string[], answers: readonly (any | Error)[],
  members: readonly QuorumMember[] | undefined, journalAddresses: readonly string[], workers: readonly WorkerInfo[]): RollingView {
  const leaderAnswer = answers.find((a) => !(a instanceof Error) && a.isLeader && a.address === leader.address) ?? leader;
  const commit = Math.max(Number(leader.journalCommitIndex ?? 0), Number(leaderAnswer.journalCommitIndex ?? 0));
  const refHash: string = leaderAnswer.sharedConfigHash ?? '';
  const memberOf = new Map((members ?? []).map((m) => [m.address, m]));
  const used = new Set<string>();
  const pairByIndex = journalAddresses.length === addresses.length;
  const masters: MasterRow[] = addresses.map((address, i) => {
    const a = answers[i];
    if (a instanceof Error) {
      const row: MasterRow = { address, role: 'UNREACHABLE', configDiffers: false, note: a.message };
      const ja = pairByIndex ? journalAddresses[i] : undefined;
      const m = ja !== undefined ? memberOf.get(ja) : undefined;
      if (m) { used.add(m.address); Object.assign(row, { journalAddress: m.address, matchIndex: m.matchIndex, quorumState: quorumState(m) }); }
      return row;
    }
    const applied = Number(a.journalAppliedIndex ?? 0);
    const row: MasterRow = {
      address, role: a.isLeader ? 'LEADER' : 'STANDBY', appliedIndex: applied, lag: Math.max(0, commit - applied),
      configHash: a.configHash || undefined, sharedConfigHash: a.sharedConfigHash || undefined,
      configDiffers: !!refHash && !!a.sharedConfigHash && a.sharedConfigHash !== refHash,
      ...(a.pid ? { pid: a.pid } : {}), ...(a.instanceId ? { instanceId: a.instanceId } : {}),
    };
    if (a.journalAddress) {
      row.journalAddress = a.journalAddress;
      const m = memberOf.get(a.journalAddress);
      if (m) { used.add(m.address); row.matchIndex = m.matchIndex; row.quorumState = quorumState(m); }
    }
    const notes = [
      a.journalAddress && members && !row.quorumState ? 'not a member of the journal quorum' : '',
      a.sharedConfigHash ? '' : 'answered no configuration hash (an older master?)',
    ].filter(Boolean);
    if (notes.length) row.note = notes.join('; ');
    return row;
  });
  for (const m of members ?? []) {
    if (used.has(m.address)) continue;
    masters.push({
      address: m.address, journalAddress: m.address, role: m.available ? (m.role === 'LEADER' ? 'LEADER' : 'STANDBY') : 'UNREACHABLE',
      matchIndex: m.matchIndex, quorumState: quorumState(m), configDiffers: false,
      note: 'quorum member not in alluxio.master.rpc.addresses (not asked)',
    });
  }
  return { leaderCommitIndex: commit, masters, workers: workerRows(workers) };
}

/** Workers with their hashes; a live worker's shared hash is marked when it differs from the most common one. */
export function workerRows(workers: readonly WorkerInfo[]): WorkerRow[] {
  const counts = new Map<string, number>();
  for (const w of workers) if (w.state !== 'LOST' && w.sharedConfigHash) counts.set(w.sharedConfigHash, (counts.get(w.sharedConfigHash) ?? 0) + 1);
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  // No single most common hash (a tie): nothing to hold the others against.
  const majority = top.length && (top.length === 1 || top[0]![1] > top[1]![1]) ? top[0]![0] : undefined;
  return workers.map((w) => ({
    id: w.id, address: `${w.address.host}:${w.address.rpcPort}`, state: w.state,
    configHash: w.configHash ?? '', sharedConfigHash: w.sharedConfigHash ?? '',
    configDiffers: majority !== undefined && !!w.sharedConfigHash && w.sharedConfigHash !== majority,
  }));
}

/** Ask every configured master and the leader's quorum; `leader` is the serving leader's MasterInfo. */
export async function gatherView(fs: FileSystem, leader: any, workers: readonly WorkerInfo[]): Promise<RollingView> {
  // ZooKeeper mode: every master of the election unless alluxio.master.rpc.addresses names them.
  const addresses = await mastersToAsk(fs.conf, fs.master.addresses).catch(() => [...fs.master.addresses]);
  const answers = await Promise.all(addresses.map((a) => askMasterInfo(a).catch((e: Error) => e)));
  // With the local journal the leader has no quorum (GetQuorumInfo refuses): one master, nothing to add.
  let members: QuorumMember[] | undefined;
  let quorumError: string | undefined;
  if (leader.journalAddress) {
    try {
      members = (await fs.master.call('journal', 'GetQuorumInfo', {})).members;
    } catch (e) {
      quorumError = (e as Error).message; // e.g. leadership moved meanwhile: the masters' own answers still stand
    }
  }
  const journalAddresses = fs.conf.isSet('alluxio.master.embedded.journal.addresses') ? fs.conf.getList('alluxio.master.embedded.journal.addresses') : [];
  const view = buildView(leader, addresses, answers, members, journalAddresses, workers);
  return quorumError ? { ...view, quorumError } : view;
}

const short = (h: string | undefined): string => (h ? h.slice(0, 12) : '-');

/** The Masters and Workers sections; a legend when a hash is marked. */
export function renderView(v: RollingView): string[] {
  const cols = (cells: string[], widths: number[]) => cells.map((c, i) => (i < widths.length ? c.padEnd(widths[i]!) : c)).join('  ').trimEnd();
  const addrWidth = Math.max(22, ...v.masters.map((m) => m.address.length), ...v.workers.map((w) => w.address.length));
  const mw = [addrWidth, 11, 10, 8, 13, 8];
  const lines = [
    `Masters (leader commit index ${v.leaderCommitIndex}): `,
    '    ' + cols(['ADDRESS', 'ROLE', 'APPLIED', 'LAG', 'CONF HASH', 'PID', 'NOTE'], mw),
    ...v.masters.map((m) => '    ' + cols([
      m.address, m.role, m.appliedIndex === undefined ? '-' : String(m.appliedIndex), m.lag === undefined ? '-' : String(m.lag),
      short(m.sharedConfigHash) + (m.configDiffers ? '*' : ''), m.pid ? String(m.pid) : '-',
      [m.quorumState && m.quorumState !== 'AVAILABLE' ? `quorum: ${m.quorumState}` : '', m.note ?? ''].filter(Boolean).join('; '),
    ], mw)),
    ...(v.quorumError ? [`    (the leader's journal quorum could not be read: ${v.quorumError})`] : []),
    'Workers: ',
    '    ' + cols(['ADDRESS', 'ID', 'STATE', 'CONF HASH'], [addrWidth, 20, 6]),
    ...v.workers.map((w) => '    ' + cols([w.address, String(w.id), w.state, short(w.sharedConfigHash) + (w.configDiffers ? '*' : '')], [addrWidth, 20, 6])),
  ];
  if (!v.workers.length) lines.push('    (none)');
  if (v.masters.some((m) => m.configDiffers) || v.workers.some((w) => w.configDiffers)) {
    lines.push('* configuration differs from the leader\'s (masters) or from most workers\' (workers): fsadmin doctor configuration shows the keys');
  }
  return lines;
}
