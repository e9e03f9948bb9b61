/**
 * What the master shows of its state: file infos (FileInfo messages, with block locations and
 * the owner and group as the permission checks see them), worker infos and the master info
 * (GetMasterInfo, and the web UI's /api/v1/master/info through web.ts).
 */
import { VERSION } from '../../version.js';
import { ufsPathOf } from '../ufs.js';
import { processIdentity } from '../web.js';
import type { Inode } from './namespace.js';
import type { WorkerRecord } from './blockRegistry.js';
import type { AlluxioMaster } from './master.js';

/** A FileInfo message for inode `n` at `path`. */
export function fileInfo(m: AlluxioMaster, n: Inode, path: string): any {
  let cached = 0;
  const fileBlockInfos = n.blocks.map((b, i) => {
    const length = m.ns.blockLengths.get(b) ?? 0;
    const locations = blockLocations(m, b);
    if (locations.length) cached += length;
    return { offset: i * n.blockSize, blockInfo: { blockId: b, length, locations, lostLocations: blockLocations(m, b, true) } };
  });
  const v = m.access.view(n);
  return {
    fileId: n.id, name: n.name, path, ufsPath: ufsPathOf(m.ufsRoot, path), length: n.length,
    blockSizeBytes: n.blockSize, creationTimeMs: n.ctime, lastModificationTimeMs: n.mtime, completed: n.completed,
    folder: n.dir, persisted: n.persistence === 'PERSISTED', persistenceState: n.persistence, blockIds: n.blocks,
    fileBlockInfos, inAlluxioPercentage: n.dir || n.length === 0 ? (n.dir ? 0 : 100) : Math.floor((cached * 100) / n.length),
    mode: n.mode, owner: v.owner, group: v.group, persistError: n.persistError ?? m.ufsSync.retryError(n.id),
  };
}

/**
 * Live locations of a block, as the BlockLocation message; with `lost`, those on LOST workers
 * instead (unreachable; the copy comes back when the worker restarts with its storage).
 */
export function blockLocations(m: AlluxioMaster, blockId: number, lost = false): { workerId: number; workerAddress: unknown; tierAlias: string }[] {
  return (lost ? m.registry.lostLocationsOf(blockId) : m.registry.locationsOf(blockId)).map((l) => ({ workerId: l.worker.id, workerAddress: l.worker.address, tierAlias: l.alias }));
}

/** A WorkerInfo message. */
export function workerInfo(w: WorkerRecord): any {
  const capacityBytes = w.tiers.reduce((s, t) => s + t.capacityBytes, 0);
  const usedBytes = w.tiers.reduce((s, t) => s + t.usedBytes, 0);
  return {
    id: w.id, address: w.address, capacityBytes, usedBytes, tiers: w.tiers,
    lastContactSec: Math.floor((Date.now() - w.lastContactMs) / 1000), state: w.state, startTimeMs: w.startTimeMs,
    blockCount: w.blocks.size, configHash: w.configHash ?? '', sharedConfigHash: w.sharedConfigHash ?? '',
  };
}

/** The MasterInfo message. */
export function masterInfo(m: AlluxioMaster): any {
  const st = m.journal.stats();
  return {
    leaderMasterAddress: m.leaderRpcAddress(), rpcPort: m.rpcPort, webPort: m.webPort,
    clusterId: m.ns.clusterId, startTimeMs: m.startTimeMs, upTimeMs: Date.now() - m.startTimeMs, version: VERSION,
    isLeader: m.isLeader(), journalType: m.conf.getEnum('alluxio.master.journal.type'), safeMode: false,
    zookeeperEnabled: m.conf.getBool('alluxio.zookeeper.enabled'), zookeeperAddresses: m.conf.getList('alluxio.zookeeper.address'),
    liveWorkers: m.registry.live().length, lostWorkers: m.registry.lost().length, address: m.address,
    journalLastIndex: st.lastIndex, journalWriteError: st.writeError ?? '',
    filesFailedToPersist: m.ns.persistFailures.size,
    ...processIdentity(m.conf), journalAppliedIndex: st.appliedIndex, journalCommitIndex: st.commitIndex, journalAddress: st.memberId ?? '',
  };
}
