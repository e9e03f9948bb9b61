/**
 * What the master's web UI pages show, as plain data (also their JSON: /api/v1/master/webui_*,
 * with Alluxio's names where its web UI has one). Only what this master already holds: nothing
 * here asks another process over the network, so a page view costs no remote call. The HTML is
 * made from this data by webPages.ts.
 */
import { LOG_FILE_ENV } from '../../log.js';
import { readLastLines } from '../../fsutil.js';
import { VERSION } from '../../version.js';
import { embeddedSetup } from '../../journal/index.js';
import { confSummary, intParam, pageWindow } from '../web.js';
import type { QuorumInfo } from '../../journal/types.js';
import { modeString } from './permissions.js';
import { normalizePath } from './paths.js';
import type { TierUsage, WorkerRecord } from './blockRegistry.js';
import type { AlluxioMaster } from './master.js';

/** One master as this master knows it. */
export interface MasterView {
  /** Embedded journal address (host:port); '' with another journal. */
  journalAddress: string;
  /** host:rpcPort ('' when unknown). */
  rpcAddress: string;
  /** host:webPort ('' when unknown: it never led and is not this master). */
  webAddress: string;
  role: 'LEADER' | 'STANDBY' | 'UNKNOWN';
  /** This master (the one serving the page). */
  self: boolean;
  /** Last journal entry applied (known for this master only). */
  appliedIndex?: number;
  /** The leader's view (embedded journal, on the leader): the last index it knows the member holds, and its lag. */
  matchIndex?: number;
  lag?: number;
  quorumState?: 'AVAILABLE' | 'UNAVAILABLE' | 'RECOVERING';
  /** Known for this master only (no remote call per page view). */
  startTimeMs?: number;
  uptimeMs?: number;
  version?: string;
}

export interface WorkerView {
  id: number;
  /** host:rpcPort */
  address: string;
  /** host:webPort */
  webAddress: string;
  state: string;
  lastContactSec: number;
  startTimeMs: number;
  capacityBytes: number;
  usedBytes: number;
  tiers: TierUsage[];
  blockCount: number;
}

export interface OverviewData {
  clusterId: string;
  masterAddress: string;
  isLeader: boolean;
  leaderAddress: string;
  leaderWebAddress: string;
  startTimeMs: number;
  uptimeMs: number;
  version: string;
  journalType: string;
  journalLastIndex: number;
  journalAppliedIndex: number;
  journalCommitIndex: number;
  journalWriteError: string;
  masters: MasterView[];
  /** Why the quorum could not be read ('' when it was, or there is none). */
  quorumError: string;
  liveWorkers: number;
  lostWorkers: number;
  capacityBytes: number;
  usedBytes: number;
  freeBytes: number;
  /** Capacity and used per tier, over live workers. */
  tiers: TierUsage[];
  inodeCount: number;
  filesFailedToPersist: number;
}

/** Tiers in storage order (MEM, SSD, HDD, then others by name). */
export function sortTiers<T extends { alias: string }>(tiers: readonly T[]): T[] {
  const rank = (a: string) => { const i = ['MEM', 'SSD', 'HDD'].indexOf(a); return i < 0 ? 3 : i; };
  return [...tiers].sort((a, b) => rank(a.alias) - rank(b.alias) || a.alias.localeCompare(b.alias));
}

/**
 * Every master this one knows: the embedded journal's quorum (complete on the leader: lag and
 * availability), paired with the addresses masters announced in the journal when they led, or
 * with alluxio.master.rpc.addresses by position when both lists have the same length.
 */
export function mastersOf(m: AlluxioMaster): { masters: MasterView[]; quorumError: string } {
  const st = m.journal.stats();
  const selfWeb = `${m.hostname}:${m.webPort}`;
  const leaderRpc = m.leaderRpcAddress();
  const selfRow = (journalAddress: string): MasterView => ({
    journalAddress, rpcAddress: m.address, webAddress: selfWeb, role: m.isLeader() ? 'LEADER' : 'STANDBY', self: true,
    appliedIndex: st.appliedIndex, startTimeMs: m.startTimeMs, uptimeMs: Date.now() - m.startTimeMs, version: VERSION,
  });
  let setup: ReturnType<typeof embeddedSetup>;
  try { setup = embeddedSetup(m.conf); } catch { setup = undefined; }
  if (!setup || !m.journal.quorum) {
    const rows = [selfRow('')];
    const leaderWeb = m.leaderWebAddress();
    if (!m.isLeader() && leaderRpc) rows.push({ journalAddress: '', rpcAddress: leaderRpc, webAddress: leaderWeb, role: 'LEADER', self: false });
    for (const a of m.conf.getList('alluxio.master.rpc.addresses')) {
      if (!rows.some((r) => r.rpcAddress === a)) rows.push({ journalAddress: '', rpcAddress: a, webAddress: '', role: 'UNKNOWN', self: false });
    }
    return { masters: rows, quorumError: '' };
  }
  const rpcList = m.conf.getList('alluxio.master.rpc.addresses');
  const byPosition = rpcList.length === setup.voters.length;
  let info: QuorumInfo | undefined;
  let quorumError = '';
  try { info = m.journal.quorum.info(); } catch (e) { quorumError = String((e as Error)?.message ?? e); }
  const members = info?.members ?? setup.voters.map((id) => ({ id, available: false, role: 'follower' as const, recovering: false, match: undefined, lag: undefined }));
  const masters = members.map((q): MasterView => {
    if (q.id === setup!.id) return { ...selfRow(q.id), quorumState: q.available ? (q.recovering ? 'RECOVERING' : 'AVAILABLE') : 'UNAVAILABLE' };
    const announced = m.ns.masters.get(q.id);
    const i = setup!.voters.indexOf(q.id);
    const rpcAddress = announced?.rpc ?? (byPosition && i >= 0 ? rpcList[i]! : '');
    const leads = info !== undefined && info.leader === q.id;
    return {
      journalAddress: q.id, rpcAddress, webAddress: announced?.web ?? '', role: leads ? 'LEADER' : info?.leader ? 'STANDBY' : 'UNKNOWN', self: false,
      ...(q.match !== undefined && m.isLeader() ? { matchIndex: q.match, lag: q.lag } : {}),
      ...(m.isLeader() ? { quorumState: q.available ? (q.recovering ? 'RECOVERING' as const : 'AVAILABLE' as const) : 'UNAVAILABLE' as const } : {}),
    };
  });
  return { masters, quorumError };
}

export function workerView(m: AlluxioMaster, w: WorkerRecord): WorkerView {
  const i = m.workerInfo(w);
  return {
    id: i.id, address: `${w.address.host}:${w.address.rpcPort}`, webAddress: `${w.address.host}:${w.address.webPort}`, state: i.state,
    lastContactSec: i.lastContactSec, startTimeMs: i.startTimeMs, capacityBytes: i.capacityBytes, usedBytes: i.usedBytes,
    tiers: sortTiers(w.tiers), blockCount: i.blockCount,
  };
}

export function overviewData(m: AlluxioMaster): OverviewData {
  const info = m.masterInfo();
  const cap = m.registry.capacity();
  const { masters, quorumError } = mastersOf(m);
  return {
    clusterId: info.clusterId, masterAddress: info.address, isLeader: info.isLeader, leaderAddress: info.leaderMasterAddress,
    leaderWebAddress: m.leaderWebAddress(), startTimeMs: info.startTimeMs, uptimeMs: info.upTimeMs, version: info.version,
    journalType: info.journalType, journalLastIndex: info.journalLastIndex, journalAppliedIndex: info.journalAppliedIndex,
    journalCommitIndex: info.journalCommitIndex, journalWriteError: info.journalWriteError, masters, quorumError,
    liveWorkers: info.liveWorkers, lostWorkers: info.lostWorkers, capacityBytes: cap.capacityBytes, usedBytes: cap.usedBytes,
    freeBytes: cap.capacityBytes - cap.usedBytes, tiers: sortTiers(cap.tiers), inodeCount: m.ns.inodeCount,
    filesFailedToPersist: info.filesFailedToPersist,
  };
}

export interface WorkersData { liveWorkers: WorkerView[]; lostWorkers: WorkerView[]; isLeader: boolean }

export function workersData(m: AlluxioMaster): WorkersData {
  return { liveWorkers: m.registry.live().map((w) => workerView(m, w)), lostWorkers: m.registry.lost().map((w) => workerView(m, w)), isLeader: m.isLeader() };
}

// ---------------------------------------------------------------- browse

export interface BrowseEntry {
  name: string;
  absolutePath: string;
  isDirectory: boolean;
  /** Bytes (0 for a directory, as fs ls prints). */
  size: number;
  blockSizeBytes: number;
  inAlluxioPercentage: number;
  persistenceState: string;
  completed: boolean;
  owner: string;
  group: string;
  /** `drwxr-xr-x`, as fs ls prints. */
  mode: string;
  creationTimeMs: number;
  lastModificationTimeMs: number;
}

export interface BlockLocationView { workerId: number; workerAddress: string; workerWebAddress: string; tierAlias: string }

export interface BlockView { blockId: number; offset: number; length: number; locations: BlockLocationView[]; lostLocations: BlockLocationView[] }

export interface BrowseData {
  /** The path asked for (normalized when it parses). */
  currentPath: string;
  /** 'ok'; 'notFound' (404); 'invalid' (400: not absolute, `..`). */
  status: 'ok' | 'notFound' | 'invalid';
  error: string;
  /** Links to each directory above, the root first. */
  pathInfos: { name: string; absolutePath: string }[];
  currentDirectory?: BrowseEntry;
  /** A directory's entries from offset (at most limit). */
  fileInfos: BrowseEntry[];
  ntotalFile: number;
  offset: number;
  limit: number;
  /** A file's blocks with their locations. */
  fileBlocks: BlockView[];
  ufsPath: string;
  persistError: string;
}

/** Entries per browse page by default, and the most one page shows. */
export const BROWSE_LIMIT = 20;
export const BROWSE_MAX_LIMIT = 10_000;

/** The directories from the root down to `path`'s parent, and `path` itself, as breadcrumbs. */
export function pathInfos(path: string): { name: string; absolutePath: string }[] {
  const out = [{ name: '/', absolutePath: '/' }];
  if (path === '/') return out;
  let at = '';
  for (const c of path.slice(1).split('/')) { at += '/' + c; out.push({ name: c, absolutePath: at }); }
  return out;
}

function entry(info: any): BrowseEntry {
  return {
    name: info.name || '/', absolutePath: info.path, isDirectory: info.folder, size: info.folder ? 0 : info.length, blockSizeBytes: info.blockSizeBytes,
    inAlluxioPercentage: info.inAlluxioPercentage, persistenceState: info.persistenceState, completed: info.completed,
    owner: info.owner, group: info.group, mode: (info.folder ? 'd' : '-') + modeString(info.mode),
    creationTimeMs: info.creationTimeMs, lastModificationTimeMs: info.lastModificationTimeMs,
  };
}

function location(l: any): BlockLocationView {
  return { workerId: l.workerId, workerAddress: `${l.workerAddress.host}:${l.workerAddress.rpcPort}`, workerWebAddress: `${l.workerAddress.host}:${l.workerAddress.webPort}`, tierAlias: l.tierAlias };
}

/** `?path=/a/b&offset=&limit=`: a directory's entries (paginated) or a file's status and blocks. */
export function browseData(m: AlluxioMaster, q: URLSearchParams): BrowseData {
  const offset = intParam(q, 'offset', 0, Number.MAX_SAFE_INTEGER);
  const limit = Math.max(1, intParam(q, 'limit', BROWSE_LIMIT, BROWSE_MAX_LIMIT));
  const raw = q.get('path') || '/';
  const base = { currentPath: raw, error: '', pathInfos: [], fileInfos: [], ntotalFile: 0, offset, limit, fileBlocks: [], ufsPath: '', persistError: '' };
  let path: string;
  try { path = normalizePath(raw); } catch (e) { return { ...base, status: 'invalid', error: (e as Error).message }; }
  const n = m.ns.lookup(path);
  if (!n) return { ...base, currentPath: path, status: 'notFound', error: `${path} does not exist`, pathInfos: pathInfos(path) };
  const info = m.fileInfo(n, path);
  const out: BrowseData = { ...base, currentPath: path, status: 'ok', pathInfos: pathInfos(path), currentDirectory: entry(info), ufsPath: info.ufsPath, persistError: info.persistError ?? '' };
  if (n.dir) {
    const children = m.ns.children(n);
    const { start, end } = pageWindow(children.length, offset, limit);
    out.ntotalFile = children.length;
    out.fileInfos = children.slice(start, end).map((c) => entry(m.fileInfo(c, path === '/' ? `/${c.name}` : `${path}/${c.name}`)));
  } else {
    out.fileBlocks = info.fileBlockInfos.map((b: any) => ({
      blockId: b.blockInfo.blockId, offset: b.offset, length: b.blockInfo.length,
      locations: b.blockInfo.locations.map(location), lostLocations: b.blockInfo.lostLocations.map(location),
    }));
  }
  return out;
}

// ---------------------------------------------------------------- configuration, logs

export interface ConfigData { configHash: string; sharedConfigHash: string; configuration: { key: string; value: string; source: string }[] }

/** Every key with its value and source, as `alluxio getConf --source` prints them (Config.source). */
export function configData(m: AlluxioMaster): ConfigData {
  const s = confSummary(m.conf);
  return { configHash: s.configHash, sharedConfigHash: s.sharedConfigHash, configuration: m.conf.keys().map((key) => ({ key, value: m.conf.get(key), source: m.conf.source(key) })) };
}

export interface LogsData { logFile: string; lines: number; tail: string[]; note: string }

export const LOG_LINES = 200;
export const LOG_MAX_LINES = 10_000;

/** `?lines=N`: the last N lines of this master's log file (ALLUXIO_LOG_FILE, set by alluxio-start.sh). */
export function logsData(q: URLSearchParams): LogsData {
  const lines = Math.max(1, intParam(q, 'lines', LOG_LINES, LOG_MAX_LINES));
  const logFile = process.env[LOG_FILE_ENV] ?? '';
  if (!logFile) return { logFile, lines, tail: [], note: `this master writes its log to its standard output (started without ${LOG_FILE_ENV}, not by alluxio-start.sh): no log file to show` };
  const { lines: tail, error } = readLastLines(logFile, lines, 4 * 1024 * 1024);
  return { logFile, lines, tail, note: error ? `the log file cannot be read: ${error}` : tail.length ? '' : 'the log file is missing or empty' };
}
