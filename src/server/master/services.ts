/**
 * The master's gRPC services: the file system (namespace operations, through the journal, as
 * their caller: access.ts), the block master for clients and workers, journal administration
 * (fsadmin journal quorum) and meta (master info). Every request is checked against its schema
 * (validate.ts) before its handler runs; the same methods are also served multiplexed (mux.ts).
 */
import type * as grpc from '@grpc/grpc-js';
import { protos, unary } from '../../rpc.js';
import { checkedService, MASTER_REQUESTS } from '../validate.js';
import { InvalidPathError, FailedPreconditionError, FileDoesNotExistError, UsageError } from '../../errors.js';
import type { Inode, DeleteResult } from './namespace.js';
import type { QuorumAdmin } from '../../journal/types.js';
import { normalizePath } from './paths.js';
import * as perm from './permissions.js';
import { checkName } from './access.js';
import { blockLocations } from './views.js';
import type { AlluxioMaster } from './master.js';
import { clusterMetrics } from '../../metrics/master.js';
import { trace } from '../../journal/raft/trace.js';

/** Every service of the master, checked, with its definition. */
export function masterServices(m: AlluxioMaster): [grpc.ServiceDefinition, grpc.UntypedServiceImplementation][] {
  const p = protos();
  return [
    [p.file.FileSystemMasterClientService.service, checkedService(fileSystemService(m), MASTER_REQUESTS.file!)],
    [p.block.BlockMasterClientService.service, checkedService(blockClientService(m), MASTER_REQUESTS.block!)],
    [p.block.BlockMasterWorkerService.service, checkedService(blockWorkerService(m), MASTER_REQUESTS.blockWorker!)],
    [p.meta.MetaMasterClientService.service, metaService(m)],
    [p.journal.JournalMasterClientService.service, checkedService(journalService(m), MASTER_REQUESTS.journal!)],
  ];
}

function fileSystemService(m: AlluxioMaster): grpc.UntypedServiceImplementation {
  const a = m.access;
  return {
  CreateDirectory: unary(async (r: any, call) => {
    // No pre-check against the local state: an earlier attempt with this opId may still be
    // in the log, so only the journal entry, applied in order, can decide (found by test/sim).
    const path = normalizePath(r.path);
    return a.asCaller(call, 'createDirectory', path, null, async (who, check) => {
      m.ufsSync.checkNewPath(path);
      m.requireLeader();
      const c = a.chainOf(path);
      // mkdir -p of an existing directory only needs to reach it.
      if (check && c.complete && r.allowExists && c.inodes[c.inodes.length - 1]!.dir) perm.checkAccess(check, path, c.views, 0);
      else if (check) perm.checkParentAccess(check, path, c.views, c.complete, perm.WRITE | perm.EXECUTE);
      const persisted = r.writeType !== 'MUST_CACHE';
      const p = a.newPerm(who, true);
      await m.propose({ type: 'mkdir', path, recursive: r.recursive, allowExists: r.allowExists, persisted, opId: r.opId, owner: p.owner, group: p.group, mode: p.mode });
      if (persisted) await m.ufsSync.mkdir(path);
      return m.fileInfo(m.ns.resolve(path), path);
    });
  }),
  CreateFile: unary(async (r: any, call) => {
    trace?.('recv', 0);
    const path = normalizePath(r.path);
    return a.asCaller(call, 'createFile', path, null, async (who, check) => {
      m.ufsSync.checkNewPath(path);
      m.requireLeader();
      a.checkParent(check, path);
      const blockSize = r.blockSizeBytes > 0 ? r.blockSizeBytes : m.conf.getBytes('alluxio.user.block.size.bytes.default');
      const p = a.newPerm(who, false);
      await m.propose({ type: 'createFile', path, recursive: r.recursive, blockSize, opId: r.opId, owner: p.owner, group: p.group, mode: p.mode, dirMode: p.dirMode });
      return m.fileInfo(m.ns.resolve(path), path);
    });
  }),
  GetNewBlockIdForFile: unary(async (r: any, call) => {
    const path = normalizePath(r.path);
    return a.asCaller(call, 'getNewBlockIdForFile', path, null, async (_who, check) => {
      m.requireLeader();
      a.checkWriting(check, path);
      return { blockId: await m.propose({ type: 'newBlock', path, opId: r.opId }) };
    });
  }),
  CompleteFile: unary(async (r: any, call) => {
    const path = normalizePath(r.path);
    return a.asCaller(call, 'completeFile', path, null, async (_who, check) => {
      m.requireLeader();
      a.checkWriting(check, path);
      const persistence = r.persisted ? 'PERSISTED' : r.asyncPersist ? 'TO_BE_PERSISTED' : 'NOT_PERSISTED';
      const complete = () => m.propose({ type: 'completeFile', path, length: r.length, persistence, opId: r.opId });
      // THROUGH / CACHE_THROUGH: the worker wrote the data to a temp file, placed first.
      if (r.persisted) await m.ufsSync.completeThrough(m.ns.resolve(path).id, r.tempUfsPath, Number(r.length), complete);
      else await complete();
      return m.fileInfo(m.ns.resolve(path), path);
    });
  }),
  GetStatus: unary(async (r: any, call) => {
    const path = normalizePath(r.path);
    return a.asCaller(call, 'getFileInfo', path, null, async (_who, check) => {
      await m.readBarrier();
      a.checkPath(check, path, perm.READ);
      return m.fileInfo(m.ns.resolve(path), path);
    });
  }),
  ListStatus: unary(async (r: any, call) => {
    const path = normalizePath(r.path);
    return a.asCaller(call, 'listStatus', path, null, async (_who, check) => {
      await m.readBarrier();
      const c = a.chainOf(path);
      const n = m.ns.resolve(path);
      // A directory's entries need read and execute on it (HDFS); a file, read.
      if (check) perm.checkAccess(check, path, c.views, n.dir ? perm.READ | perm.EXECUTE : perm.READ);
      if (!n.dir) return { infos: [m.fileInfo(n, path)] };
      const infos: any[] = [];
      const walk = (dir: Inode, dirPath: string) => {
        for (const ch of m.ns.children(dir)) {
          const cp = dirPath === '/' ? `/${ch.name}` : `${dirPath}/${ch.name}`;
          infos.push(m.fileInfo(ch, cp));
          if (r.recursive && ch.dir) {
            if (check && !perm.permitted(check, a.view(ch), perm.READ | perm.EXECUTE)) perm.checkAccess(check, cp, a.chainOf(cp).views, perm.READ | perm.EXECUTE);
            walk(ch, cp);
          }
        }
      };
      walk(n, path);
      return { infos };
    });
  }),
  Remove: unary(async (r: any, call) => {
    const path = normalizePath(r.path);
    return a.asCaller(call, 'delete', path, null, async (_who, check) => {
      if (path === '/') throw new InvalidPathError('Cannot delete the root directory "/"');
      m.requireLeader();
      a.checkRemovable(check, path);
      const n = m.ns.lookup(path);
      if (check && n?.dir && r.recursive) perm.checkDeleteSubtree(check, path, n, a.entries, a.view);
      const res = (await m.propose({ type: 'delete', path, recursive: r.recursive, opId: r.opId })) as DeleteResult;
      m.registry.freeBlocks(res.blockIds);
      await m.ufsSync.follow();
      return {};
    });
  }),
  Rename: unary(async (r: any, call) => {
    const src = normalizePath(r.src), dst = normalizePath(r.dst);
    return a.asCaller(call, 'rename', src, dst, async (_who, check) => {
      m.ufsSync.checkNewPath(dst);
      m.requireLeader();
      a.checkRemovable(check, src);
      a.checkParent(check, dst);
      await m.propose({ type: 'rename', src, dst, opId: r.opId });
      await m.ufsSync.follow();
      return {};
    });
  }),
  Exists: unary(async (r: any, call) => {
    const path = normalizePath(r.path);
    return a.asCaller(call, 'exists', path, null, async (_who, check) => {
      await m.readBarrier();
      const c = a.chainOf(path);
      // Knowing whether a name exists needs only to reach its directory.
      if (check) perm.checkAccess(check, path, c.views, c.complete ? 0 : perm.EXECUTE);
      return { exists: c.complete };
    });
  }),
  SetAttribute: unary(async (r: any, call) => {
    const path = normalizePath(r.path);
    return a.asCaller(call, 'setAttribute', path, null, async (_who, check) => {
      const change: perm.AttributeChange = {};
      if (r.owner) change.owner = checkName('owner', String(r.owner));
      if (r.group) change.group = checkName('group', String(r.group));
      if (r.mode) {
        if (!perm.isValidModeSpec(String(r.mode))) throw new UsageError(`"${String(r.mode).slice(0, 64)}" is not a valid mode: use octal (755, 1777) or symbolic (u+x, go-w, a=rX, +t)`);
        change.mode = String(r.mode);
      }
      if (!Object.keys(change).length) throw new UsageError('setAttribute needs an owner, a group or a mode');
      m.requireLeader();
      const c = a.chainOf(path);
      if (!c.complete) throw new FileDoesNotExistError(path);
      const n = c.inodes[c.inodes.length - 1]!;
      if (check) {
        perm.checkSetAttribute(check, path, c.views, change);
        if (r.recursive && n.dir) perm.checkOwnerSubtree(check, path, n, a.entries, a.view);
      }
      await m.propose({ type: 'setAttribute', path, ...change, recursive: !!r.recursive, opId: r.opId });
      return m.fileInfo(m.ns.resolve(path), path);
    });
  }),
  };
}

function blockClientService(m: AlluxioMaster): grpc.UntypedServiceImplementation {
  return {
    GetWorkerInfoList: unary(async (r: any) => {
      const ws = r.includeLost ? [...m.registry.workers.values()] : m.registry.live();
      return { workerInfos: ws.map((w) => m.workerInfo(w)) };
    }),
    GetBlockInfo: unary(async (r: any) => ({
      blockId: r.blockId, length: m.ns.blockLengths.get(r.blockId) ?? 0,
      locations: blockLocations(m, r.blockId),
    })),
    GetCapacity: unary(async () => m.registry.capacity()),
  };
}

function blockWorkerService(m: AlluxioMaster): grpc.UntypedServiceImplementation {
  return {
    RegisterWorker: unary(async (r: any) => {
      m.requireLeader();
      const blocks: { blockId: number; alias: string }[] = [];
      const orphans: number[] = [];
      for (const t of r.blocks) {
        for (const b of t.blockIds) {
          const status = m.ns.blockStatus(b);
          if (status === 'committed') blocks.push({ blockId: b, alias: t.alias });
          else if (status === 'orphan') orphans.push(b);
          // pending: its commit is still on the way; neither a location nor garbage yet
        }
      }
      const w = m.registry.register(r.address, r.previousWorkerId, r.tiers, blocks, r.startTimeMs);
      w.configHash = r.configHash ?? '';
      w.sharedConfigHash = r.sharedConfigHash ?? '';
      for (const o of orphans) w.pendingFree.add(o);
      m.ufsSync.workerRegistered(w.id);
      m.log.info(`Registered worker ${w.id} at ${r.address.host}:${r.address.rpcPort} with ${blocks.length} blocks` + (orphans.length ? ` (${orphans.length} unknown blocks to free)` : ''));
      const unpinBlockIds = (r.pinnedBlockIds as number[]).filter((b) => m.ns.isBlockPersisted(Number(b)));
      return { workerId: w.id, clusterId: m.ns.clusterId, unpinBlockIds };
    }),
    BlockHeartbeat: unary(async (r: any) => {
      m.requireLeader();
      const w = m.registry.get(r.workerId);
      if (!w) return { command: 'Register', freeBlockIds: [], persistFiles: [] };
      if (w.state === 'LOST') m.log.info(`Worker ${w.id} is back`);
      w.state = 'LIVE';
      w.lastContactMs = Date.now();
      w.tiers = r.tiers;
      clusterMetrics.report(w.id, r.metrics);
      for (const b of r.addedBlocks) {
        // A block can be reported here before its CommitBlock is applied: only orphans are freed.
        const status = m.ns.blockStatus(b.blockId);
        if (status === 'committed') m.registry.addLocation(w, b.blockId, b.tierAlias);
        else if (status === 'orphan') w.pendingFree.add(b.blockId);
      }
      for (const b of r.removedBlockIds) m.registry.removeLocation(w, b);
      for (const p of r.persistResults) {
        w.persisting.delete(Number(p.fileId));
        await m.ufsSync.persistReported(p);
      }
      const freeBlockIds = [...w.pendingFree];
      w.pendingFree.clear();
      const unpinBlockIds = [...w.pendingUnpin];
      w.pendingUnpin.clear();
      const persistFiles = m.ufsSync.assignPersistence(w);
      return { command: freeBlockIds.length || persistFiles.length || unpinBlockIds.length ? 'Work' : 'Nothing', freeBlockIds, persistFiles, unpinBlockIds };
    }),
    CommitBlock: unary(async (r: any) => {
      if (m.ns.blockLengths.get(r.blockId) !== r.length) await m.propose({ type: 'commitBlock', blockId: r.blockId, length: r.length });
      // The worker's record as it is now: it may have (re-)registered while the commit was
      // journaled, listing this block as still pending.
      const w = m.registry.get(r.workerId);
      if (w) m.registry.addLocation(w, r.blockId, r.tierAlias);
      return {};
    }),
  };
}

/**
 * `fsadmin journal quorum ...`: answered by the serving leader of a journal with a quorum (the
 * embedded journal); a clear refusal on a master whose journal has none.
 */
function journalService(m: AlluxioMaster): grpc.UntypedServiceImplementation {
  const quorum = (): QuorumAdmin => {
    const q = m.journal.quorum;
    if (!q) {
      throw new FailedPreconditionError('this master does not run the embedded Raft journal: quorum commands need alluxio.master.journal.type=EMBEDDED and several masters in alluxio.master.embedded.journal.addresses');
    }
    m.requireLeader();
    return q;
  };
  const info = (q: QuorumAdmin) => {
    const i = q.info();
    return {
      leader: i.leader, term: i.term,
      members: i.members.map((x) => ({ address: x.id, available: x.available, role: x.role.toUpperCase(), matchIndex: x.match ?? 0, lag: x.lag ?? 0, recovering: x.recovering })),
    };
  };
  const address = (v: string): string => {
    if (!/^[^\s:/]+:\d{1,5}$/.test(v ?? '')) throw new InvalidPathError(`"${v}" is not a valid embedded journal address; expected host:port (e.g. m2:19200)`);
    return v;
  };
  const change = (op: 'add' | 'remove') => unary(async (r: any, call) => {
    await m.access.requireSuperuser(call, 'change the journal quorum');
    const q = quorum();
    await q.change(op, address(r.address));
    return info(q);
  });
  return {
    GetQuorumInfo: unary(async () => info(quorum())),
    AddQuorumServer: change('add'),
    RemoveQuorumServer: change('remove'),
    TransferLeadership: unary(async (r: any, call) => {
      await m.access.requireSuperuser(call, 'transfer the leadership');
      const q = quorum();
      const to = address(r.address);
      if (!q.info().members.some((x) => x.id === to)) throw new InvalidPathError(`${to} is not a member of the quorum`);
      await q.transferLeadership(to, m.conf.getMs('alluxio.master.embedded.journal.write.timeout'));
      return info(q);
    }),
  };
}

function metaService(m: AlluxioMaster): grpc.UntypedServiceImplementation {
  return { GetMasterInfo: unary(async () => m.masterInfo()) };
}
