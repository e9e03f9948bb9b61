/**
 * The Alluxio master process: namespace (through the journal), block registry, gRPC services
 * and the web UI. Servers are started once and never restarted on a role change.
 */
import os from 'node:os';
import fs from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Config } from '../../conf/index.js';
import type { Journal, JournalEntry } from '../../journal/types.js';
import { createJournal, embeddedSetup } from '../../journal/index.js';
import { RaftJournal } from '../../journal/raft/driver.js';
import { protos, unary, bindServer, CHANNEL_OPTIONS, USER_KEY } from '../../rpc.js';
import { addMuxService } from '../../mux.js';
import { checkedService, MASTER_REQUESTS } from '../validate.js';
import {
  NotLeaderError, InvalidPathError, FailedPreconditionError, AuthenticationError, PermissionDeniedError, FileDoesNotExistError, UsageError,
} from '../../errors.js';
import { createLogger, type Logger } from '../../log.js';
import { VERSION } from '../../version.js';
import { Namespace, type Inode, type DeleteResult } from './namespace.js';
import { BlockRegistry, type WorkerRecord } from './blockRegistry.js';
import { normalizePath } from './paths.js';
import { ufsRootDir, ufsPathOf } from '../ufs.js';
import { UfsSync } from './ufsSync.js';
import { startMasterWeb } from './web.js';
import * as perm from './permissions.js';
import { GroupCache } from './groups.js';
import { AuditLog } from './audit.js';
import type { Server as HttpServer } from 'node:http';

/** User and group names we accept from clients: printable, no blanks, ':' or ',' (owner:group syntax), at most 255 bytes. */
const NAME_RE = /^[^\s:,\x00-\x1f\x7f]{1,255}$/;

export class AlluxioMaster {
  readonly ns = new Namespace();
  readonly registry = new BlockRegistry();
  readonly startTimeMs = Date.now();
  readonly hostname: string;
  /** The OS user running this master: the superuser, and the owner shown for inodes of unknown owner. */
  private readonly superUser = os.userInfo().username;
  /** Its primary group (looked up at start), shown for inodes of unknown group. */
  private superUserGroup = '';
  /** alluxio.security.authentication.type=SIMPLE: every namespace call names its user. */
  private readonly authEnabled: boolean;
  /** SIMPLE and alluxio.security.authorization.permission.enabled: permissions are checked. */
  private readonly permissionsEnabled: boolean;
  private readonly umask: number;
  private readonly supergroup: string;
  private readonly groupCache: GroupCache;
  private readonly audit?: AuditLog;
  journal!: Journal;
  /** The leader whose namespace is current: it applied an entry of its own term (leaderInfo). */
  private serving = false;
  private raftLeader = '';
  readonly log: Logger;
  private readonly ufsRoot: string;
  private grpcServer?: grpc.Server;
  private web?: HttpServer;
  private lostTimer?: NodeJS.Timeout;
  /** The leader's changes to the UFS: placing persisted data, renames, deletes, temp cleanup. */
  readonly ufsSync: UfsSync;
  rpcPort = 0;
  webPort = 0;

  constructor(readonly conf: Config, logger?: Logger) {
    this.log = logger ?? createLogger('AlluxioMaster');
    this.hostname = conf.get('alluxio.master.hostname') || os.hostname();
    this.ufsRoot = ufsRootDir(conf.get('alluxio.master.mount.table.root.ufs'));
    this.ufsSync = new UfsSync(this.ufsRoot, { ns: this.ns, registry: this.registry, conf, log: this.log, propose: (e) => this.propose(e), isLeader: () => this.isLeader() });
    this.authEnabled = conf.getEnum('alluxio.security.authentication.type') === 'SIMPLE';
    this.permissionsEnabled = this.authEnabled && conf.getBool('alluxio.security.authorization.permission.enabled');
    this.umask = perm.parseOctal(conf.get('alluxio.security.authorization.permission.umask')) ?? 0o022;
    this.supergroup = conf.get('alluxio.security.authorization.permission.supergroup');
    this.groupCache = new GroupCache(conf.getMs('alluxio.security.group.mapping.cache.timeout'));
    if (conf.getBool('alluxio.master.audit.logging.enabled')) {
      this.audit = new AuditLog(AuditLog.fileIn(conf.get('alluxio.logs.dir')), (m) => this.log.warn(m));
    }
  }

  get address(): string { return `${this.hostname}:${this.rpcPort}`; }

  async start(): Promise<void> {
    const t0 = Date.now();
    this.superUserGroup = (await this.groupCache.primary(this.superUser)) || this.superUser;
    this.journal = await createJournal(this.conf, {
      log: (m) => this.log.warn(m),
      onRoleChange: (role, leader, term) => void this.onRoleChange(role, leader, term),
      clusterId: () => this.ns.clusterId,
    });
    await this.journal.start(this.ns);
    const st = this.journal.stats();
    this.log.info(`Journal (${st.type}) replayed ${st.replayedEntries} entries in ${st.replayMs} ms; last index ${st.lastIndex}`);
    if (!(this.journal instanceof RaftJournal)) await this.becomeServing();
    await fs.mkdir(this.ufsRoot, { recursive: true });

    const server = new grpc.Server(CHANNEL_OPTIONS);
    const p = protos();
    // Every request is checked against its schema (validate.ts) before its handler runs.
    const services: [grpc.ServiceDefinition, grpc.UntypedServiceImplementation][] = [
      [p.file.FileSystemMasterClientService.service, checkedService(this.fileSystemService(), MASTER_REQUESTS.file!)],
      [p.block.BlockMasterClientService.service, checkedService(this.blockClientService(), MASTER_REQUESTS.block!)],
      [p.block.BlockMasterWorkerService.service, checkedService(this.blockWorkerService(), MASTER_REQUESTS.blockWorker!)],
      [p.meta.MetaMasterClientService.service, this.metaService()],
      [p.journal.JournalMasterClientService.service, checkedService(this.journalService(), MASTER_REQUESTS.journal!)],
    ];
    for (const [def, impl] of services) server.addService(def, impl);
    addMuxService(server, services); // the same methods, multiplexed on one stream per client
    this.rpcPort = await bindServer(server, this.conf.get('alluxio.master.bind.host'), this.conf.getPort('alluxio.master.rpc.port'));
    this.grpcServer = server;

    const web = await startMasterWeb(this, this.conf.get('alluxio.master.web.bind.host'), this.conf.getPort('alluxio.master.web.port'));
    this.web = web.server;
    this.webPort = web.port;

    const timeout = this.conf.getMs('alluxio.master.worker.timeout');
    const interval = Math.min(this.conf.getMs('alluxio.master.lost.worker.detection.interval'), timeout);
    this.lostTimer = setInterval(() => {
      for (const w of this.registry.detectLost(timeout)) this.log.warn(`Worker ${w.id} (${w.address.host}:${w.address.rpcPort}) is lost: no heartbeat for ${timeout} ms`);
    }, Math.max(10, interval));
    this.lostTimer.unref();
    this.ufsSync.start(() => this.isLeader());
    this.log.info(`Alluxio master ${VERSION} serving at ${this.address} (web ${this.webPort}), cluster ${this.ns.clusterId}, started in ${Date.now() - t0} ms`);
  }

  async stop(): Promise<void> {
    if (this.lostTimer) clearInterval(this.lostTimer);
    this.ufsSync.stop();
    await new Promise<void>((r) => (this.grpcServer ? this.grpcServer.tryShutdown(() => r()) : r()));
    await new Promise<void>((r) => (this.web ? this.web.close(() => r()) : r()));
    this.web?.closeAllConnections?.();
    await this.journal.close();
    await this.audit?.close();
  }

  /** Serving namespace RPCs: the leader, with the namespace current. */
  isLeader(): boolean { return this.serving && this.journal.isLeader(); }

  /** The leader's rpc address as announced in the journal ('' when unknown). */
  leaderRpcAddress(): string {
    if (this.isLeader()) return this.address;
    return this.ns.masters.get(this.raftLeader)?.rpc ?? '';
  }

  /** The leader's web address as announced in the journal ('' when unknown). */
  leaderWebAddress(): string {
    if (this.isLeader()) return `${this.hostname}:${this.webPort}`;
    return this.ns.masters.get(this.raftLeader)?.web ?? '';
  }

  private requireLeader(): void {
    if (!this.isLeader()) throw new NotLeaderError(this.leaderRpcAddress() || undefined);
  }

  /** Raft role changes: servers stay up; only what they answer changes. */
  private async onRoleChange(role: string, leader: string, term: number): Promise<void> {
    this.raftLeader = leader;
    const wasServing = this.serving;
    this.serving = false;
    if (role === 'leader') {
      this.log.info(`Became the leader (term ${term}); catching up before serving`);
      try {
        await this.becomeServing();
      } catch (e) {
        this.log.warn(`Could not start serving as leader of term ${term}: ${(e as Error).message}`);
      }
    } else if (wasServing || role === 'follower') {
      this.log.info(`Standby (term ${term}); leader is ${leader || 'unknown'}`);
      this.registry.workers.clear();
    }
  }

  /** Announce this master as leader through the journal: when that entry applies, all before it has. */
  private async becomeServing(): Promise<void> {
    await this.journal.propose({ type: 'leaderInfo', id: embeddedSetup(this.conf)?.id ?? this.address, rpc: this.address, web: `${this.hostname}:${this.webPort || this.conf.getPort('alluxio.master.web.port')}` });
    if (!this.ns.clusterId) await this.journal.propose({ type: 'init', clusterId: randomUUID() });
    if (this.journal.isLeader()) {
      this.serving = true;
      if (this.journal instanceof RaftJournal) this.log.info(`Serving as the leader at ${this.address}`);
      // Fresh persist retries, a temp sweep, and what a previous leader applied but did not do in the UFS.
      this.ufsSync.onLeading();
    }
  }

  /** Linearizable reads on the Raft journal (ReadIndex); the local journal has one writer. */
  private async readBarrier(): Promise<void> {
    this.requireLeader();
    if (this.journal instanceof RaftJournal) await this.journal.read();
  }

  private async propose(e: JournalEntry): Promise<unknown> {
    this.requireLeader();
    try {
      return await this.journal.propose({ ...e, ts: Date.now() });
    } catch (err) {
      // The journal names leaders by journal address; clients need the rpc address.
      if (err instanceof NotLeaderError) throw new NotLeaderError(this.leaderRpcAddress() || undefined, err.message);
      throw err;
    }
  }

  // ------------------------------------------------------------------ views
  fileInfo(n: Inode, path = this.ns.pathOf(n)): any {
    let cached = 0;
    const fileBlockInfos = n.blocks.map((b, i) => {
      const length = this.ns.blockLengths.get(b) ?? 0;
      const locations = this.blockLocations(b);
      if (locations.length) cached += length;
      return { offset: i * n.blockSize, blockInfo: { blockId: b, length, locations } };
    });
    return {
      fileId: n.id, name: n.name, path, ufsPath: ufsPathOf(this.ufsRoot, path), length: n.length,
      blockSizeBytes: n.blockSize, creationTimeMs: n.ctime, lastModificationTimeMs: n.mtime, completed: n.completed,
      folder: n.dir, persisted: n.persistence === 'PERSISTED', persistenceState: n.persistence, blockIds: n.blocks,
      fileBlockInfos, inAlluxioPercentage: n.dir || n.length === 0 ? (n.dir ? 0 : 100) : Math.floor((cached * 100) / n.length),
      mode: n.mode, owner: this.view(n).owner, group: this.view(n).group, persistError: n.persistError ?? this.ufsSync.retryError(n.id),
    };
  }

  /** Live locations of a block, as the BlockLocation message. */
  private blockLocations(blockId: number): { workerId: number; workerAddress: unknown; tierAlias: string }[] {
    return this.registry.locationsOf(blockId).map((l) => ({ workerId: l.worker.id, workerAddress: l.worker.address, tierAlias: l.alias }));
  }

  workerInfo(w: WorkerRecord): any {
    const capacityBytes = w.tiers.reduce((s, t) => s + t.capacityBytes, 0);
    const usedBytes = w.tiers.reduce((s, t) => s + t.usedBytes, 0);
    return {
      id: w.id, address: w.address, capacityBytes, usedBytes, tiers: w.tiers,
      lastContactSec: Math.floor((Date.now() - w.lastContactMs) / 1000), state: w.state, startTimeMs: w.startTimeMs,
      blockCount: w.blocks.size,
    };
  }

  masterInfo(): any {
    return {
      leaderMasterAddress: this.leaderRpcAddress(), rpcPort: this.rpcPort, webPort: this.webPort,
      clusterId: this.ns.clusterId, startTimeMs: this.startTimeMs, upTimeMs: Date.now() - this.startTimeMs, version: VERSION,
      isLeader: this.isLeader(), journalType: this.conf.getEnum('alluxio.master.journal.type'), safeMode: false,
      zookeeperEnabled: this.conf.getBool('alluxio.zookeeper.enabled'), zookeeperAddresses: this.conf.getList('alluxio.zookeeper.address'),
      liveWorkers: this.registry.live().length, lostWorkers: this.registry.lost().length, address: this.address,
      journalLastIndex: this.journal.stats().lastIndex, journalWriteError: this.journal.stats().writeError ?? '',
      filesFailedToPersist: this.ns.persistFailures.size,
    };
  }

  // ------------------------------------------------------------------ users and permissions
  /**
   * Who calls: with SIMPLE, the user named in the call's metadata (sent by every client), its
   * groups on this host, and whether it is a superuser (this master's OS user or a member of
   * alluxio.security.authorization.permission.supergroup). undefined with NOSASL.
   */
  private async caller(call: { metadata?: grpc.Metadata }): Promise<perm.Subject | undefined> {
    if (!this.authEnabled) return undefined;
    const v = call.metadata?.get(USER_KEY)?.[0];
    const user = typeof v === 'string' ? v : '';
    if (!user) {
      throw new AuthenticationError('Unauthenticated: the call names no user (alluxio.security.authentication.type=SIMPLE)', {
        hint: 'use a client of this version (it sends its login user), or set alluxio.security.authentication.type=NOSASL on the masters to turn users off',
      });
    }
    if (!NAME_RE.test(user)) throw new AuthenticationError(`Unauthenticated: "${user.slice(0, 64)}" is not a valid user name`);
    const groups = await this.groupCache.groups(user);
    return { user, groups, superuser: user === this.superUser || groups.includes(this.supergroup) };
  }

  /**
   * What the checks (and clients) see of an inode: an inode of unknown owner (NOSASL, or created
   * before permissions) is this master's, with its group; a known owner without a group (a user
   * with no groups on this host) keeps the empty group.
   */
  private readonly view = (n: Inode): perm.PermInode => (n.owner
    ? { owner: n.owner, group: n.group, mode: n.mode }
    : { owner: this.superUser, group: n.group || this.superUserGroup, mode: n.mode });
  private readonly entries = (n: Inode) => this.ns.entries(n);

  /** The existing inodes along `path` as the checks see them; `complete` when `path` exists. */
  private chainOf(path: string): { inodes: Inode[]; views: perm.PermInode[]; complete: boolean } {
    const { chain, complete } = this.ns.chain(path);
    return { inodes: chain, views: chain.map(this.view), complete };
  }

  /** Owner, group (the user's primary group, as Alluxio) and modes (umask applied) of what `who` creates. */
  private newPerm(who: perm.Subject | undefined, dir: boolean): { owner: string; group: string; mode: number; dirMode: number } {
    return {
      owner: who?.user ?? '', group: who?.groups[0] ?? '',
      mode: perm.createMode(dir, this.umask), dirMode: perm.createMode(true, this.umask),
    };
  }

  /** Creating or removing the entry `path`: write and execute on its directory. */
  private checkParent(s: perm.Subject | undefined, path: string): { inodes: Inode[]; views: perm.PermInode[]; complete: boolean } {
    const c = this.chainOf(path);
    if (s) perm.checkParentAccess(s, path, c.views, c.complete, perm.WRITE | perm.EXECUTE);
    return c;
  }

  /** Deleting or renaming `path` away: its directory's write permission and sticky bit. */
  private checkRemovable(s: perm.Subject | undefined, path: string): void {
    const c = this.checkParent(s, path);
    if (s && c.complete && c.views.length > 1) perm.checkSticky(s, path, c.views[c.views.length - 2]!, c.views[c.views.length - 1]!);
  }

  /**
   * Adding blocks to or completing a file: write on it, except for its owner while it is being
   * written (as a POSIX open for writing stays valid whatever mode the file was created with: a
   * umask of 0277 must not stop a writer from finishing its own file).
   */
  private checkWriting(s: perm.Subject | undefined, path: string): void {
    if (!s) return;
    const c = this.chainOf(path);
    const f = c.inodes[c.inodes.length - 1]!;
    if (c.complete && !f.dir && !f.completed && f.owner === s.user) { perm.checkAccess(s, path, c.views, 0); return; }
    perm.checkAccess(s, path, c.views, perm.WRITE);
  }

  /** `bits` on `path` itself (execute on every directory above it). */
  private checkPath(s: perm.Subject | undefined, path: string, bits: number): void {
    if (s) perm.checkAccess(s, path, this.chainOf(path).views, bits);
  }

  /**
   * Run a namespace operation as its caller: `fn` gets the caller (undefined with NOSASL) and the
   * subject to check permissions for (undefined when checks are off). With the audit log on, one
   * line records who asked for what and whether it was allowed and succeeded.
   */
  private async asCaller<T>(call: grpc.ServerUnaryCall<unknown, unknown>, cmd: string, src: string, dst: string | null,
    fn: (who: perm.Subject | undefined, check: perm.Subject | undefined) => Promise<T>): Promise<T> {
    const t0 = process.hrtime.bigint();
    const before = this.audit ? this.ns.lookup(src) : undefined;
    let who: perm.Subject | undefined;
    let allowed = true;
    let succeeded = false;
    try {
      who = await this.caller(call);
      const result = await fn(who, this.permissionsEnabled ? who : undefined);
      succeeded = true;
      return result;
    } catch (e) {
      if (e instanceof PermissionDeniedError || e instanceof AuthenticationError) allowed = false;
      if (e instanceof NotLeaderError) who = undefined;
      throw e;
    } finally {
      if (this.audit && (succeeded || this.isLeader())) {
        const v = before && this.view(before);
        this.audit.write({
          succeeded, allowed, user: who?.user ?? '', group: who?.groups[0] ?? '', authType: this.authEnabled ? 'SIMPLE' : 'NOSASL',
          ip: `/${call.getPeer?.() ?? ''}`, cmd, src, dst, perm: v ? `${v.owner}:${v.group}:${perm.modeString(v.mode)}` : null,
          executionTimeUs: Number(process.hrtime.bigint() - t0) / 1000,
        });
      }
    }
  }

  /** Administration (fsadmin journal quorum add/remove/elect) is for superusers when permissions are checked. */
  private async requireSuperuser(call: { metadata?: grpc.Metadata }, what: string): Promise<void> {
    const who = await this.caller(call);
    if (this.permissionsEnabled && who && !who.superuser) {
      throw new PermissionDeniedError(`Permission denied: user=${who.user} may not ${what}: only a superuser (${this.superUser} or a member of ${this.supergroup}) may`);
    }
  }

  /** A user or group name from a client: printable, no blanks, ':' or ','. */
  private static checkName(kind: string, v: string): string {
    if (!NAME_RE.test(v)) throw new UsageError(`"${v.slice(0, 64)}" is not a valid ${kind} name`);
    return v;
  }

  // ------------------------------------------------------------------ services
  private fileSystemService(): grpc.UntypedServiceImplementation {
    return {
      CreateDirectory: unary(async (r: any, call) => {
        // No pre-check against the local state: an earlier attempt with this opId may still be
        // in the log, so only the journal entry, applied in order, can decide (found by test/sim).
        const path = normalizePath(r.path);
        return this.asCaller(call, 'createDirectory', path, null, async (who, check) => {
          this.ufsSync.checkNewPath(path);
          this.requireLeader();
          const c = this.chainOf(path);
          // mkdir -p of an existing directory only needs to reach it.
          if (check && c.complete && r.allowExists && c.inodes[c.inodes.length - 1]!.dir) perm.checkAccess(check, path, c.views, 0);
          else if (check) perm.checkParentAccess(check, path, c.views, c.complete, perm.WRITE | perm.EXECUTE);
          const persisted = r.writeType !== 'MUST_CACHE';
          const p = this.newPerm(who, true);
          await this.propose({ type: 'mkdir', path, recursive: r.recursive, allowExists: r.allowExists, persisted, opId: r.opId, owner: p.owner, group: p.group, mode: p.mode });
          if (persisted) await this.ufsSync.mkdir(path);
          return this.fileInfo(this.ns.resolve(path), path);
        });
      }),
      CreateFile: unary(async (r: any, call) => {
        const path = normalizePath(r.path);
        return this.asCaller(call, 'createFile', path, null, async (who, check) => {
          this.ufsSync.checkNewPath(path);
          this.requireLeader();
          this.checkParent(check, path);
          const blockSize = r.blockSizeBytes > 0 ? r.blockSizeBytes : this.conf.getBytes('alluxio.user.block.size.bytes.default');
          const p = this.newPerm(who, false);
          await this.propose({ type: 'createFile', path, recursive: r.recursive, blockSize, opId: r.opId, owner: p.owner, group: p.group, mode: p.mode, dirMode: p.dirMode });
          return this.fileInfo(this.ns.resolve(path), path);
        });
      }),
      GetNewBlockIdForFile: unary(async (r: any, call) => {
        const path = normalizePath(r.path);
        return this.asCaller(call, 'getNewBlockIdForFile', path, null, async (_who, check) => {
          this.requireLeader();
          this.checkWriting(check, path);
          return { blockId: await this.propose({ type: 'newBlock', path, opId: r.opId }) };
        });
      }),
      CompleteFile: unary(async (r: any, call) => {
        const path = normalizePath(r.path);
        return this.asCaller(call, 'completeFile', path, null, async (_who, check) => {
          this.requireLeader();
          this.checkWriting(check, path);
          const persistence = r.persisted ? 'PERSISTED' : r.asyncPersist ? 'TO_BE_PERSISTED' : 'NOT_PERSISTED';
          const complete = () => this.propose({ type: 'completeFile', path, length: r.length, persistence, opId: r.opId });
          // THROUGH / CACHE_THROUGH: the worker wrote the data to a temp file, placed first.
          if (r.persisted) await this.ufsSync.completeThrough(this.ns.resolve(path).id, r.tempUfsPath, Number(r.length), complete);
          else await complete();
          return this.fileInfo(this.ns.resolve(path), path);
        });
      }),
      GetStatus: unary(async (r: any, call) => {
        const path = normalizePath(r.path);
        return this.asCaller(call, 'getFileInfo', path, null, async (_who, check) => {
          await this.readBarrier();
          this.checkPath(check, path, perm.READ);
          return this.fileInfo(this.ns.resolve(path), path);
        });
      }),
      ListStatus: unary(async (r: any, call) => {
        const path = normalizePath(r.path);
        return this.asCaller(call, 'listStatus', path, null, async (_who, check) => {
          await this.readBarrier();
          const c = this.chainOf(path);
          const n = this.ns.resolve(path);
          // A directory's entries need read and execute on it (HDFS); a file, read.
          if (check) perm.checkAccess(check, path, c.views, n.dir ? perm.READ | perm.EXECUTE : perm.READ);
          if (!n.dir) return { infos: [this.fileInfo(n, path)] };
          const infos: any[] = [];
          const walk = (dir: Inode, dirPath: string) => {
            for (const ch of this.ns.children(dir)) {
              const cp = dirPath === '/' ? `/${ch.name}` : `${dirPath}/${ch.name}`;
              infos.push(this.fileInfo(ch, cp));
              if (r.recursive && ch.dir) {
                if (check && !perm.permitted(check, this.view(ch), perm.READ | perm.EXECUTE)) perm.checkAccess(check, cp, this.chainOf(cp).views, perm.READ | perm.EXECUTE);
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
        return this.asCaller(call, 'delete', path, null, async (_who, check) => {
          if (path === '/') throw new InvalidPathError('Cannot delete the root directory "/"');
          this.requireLeader();
          this.checkRemovable(check, path);
          const n = this.ns.lookup(path);
          if (check && n?.dir && r.recursive) perm.checkDeleteSubtree(check, path, n, this.entries, this.view);
          const res = (await this.propose({ type: 'delete', path, recursive: r.recursive, opId: r.opId })) as DeleteResult;
          this.registry.freeBlocks(res.blockIds);
          await this.ufsSync.follow();
          return {};
        });
      }),
      Rename: unary(async (r: any, call) => {
        const src = normalizePath(r.src), dst = normalizePath(r.dst);
        return this.asCaller(call, 'rename', src, dst, async (_who, check) => {
          this.ufsSync.checkNewPath(dst);
          this.requireLeader();
          this.checkRemovable(check, src);
          this.checkParent(check, dst);
          await this.propose({ type: 'rename', src, dst, opId: r.opId });
          await this.ufsSync.follow();
          return {};
        });
      }),
      Exists: unary(async (r: any, call) => {
        const path = normalizePath(r.path);
        return this.asCaller(call, 'exists', path, null, async (_who, check) => {
          await this.readBarrier();
          const c = this.chainOf(path);
          // Knowing whether a name exists needs only to reach its directory.
          if (check) perm.checkAccess(check, path, c.views, c.complete ? 0 : perm.EXECUTE);
          return { exists: c.complete };
        });
      }),
      SetAttribute: unary(async (r: any, call) => {
        const path = normalizePath(r.path);
        return this.asCaller(call, 'setAttribute', path, null, async (_who, check) => {
          const change: perm.AttributeChange = {};
          if (r.owner) change.owner = AlluxioMaster.checkName('owner', String(r.owner));
          if (r.group) change.group = AlluxioMaster.checkName('group', String(r.group));
          if (r.mode) {
            if (!perm.isValidModeSpec(String(r.mode))) throw new UsageError(`"${String(r.mode).slice(0, 64)}" is not a valid mode: use octal (755, 1777) or symbolic (u+x, go-w, a=rX, +t)`);
            change.mode = String(r.mode);
          }
          if (!Object.keys(change).length) throw new UsageError('setAttribute needs an owner, a group or a mode');
          this.requireLeader();
          const c = this.chainOf(path);
          if (!c.complete) throw new FileDoesNotExistError(path);
          const n = c.inodes[c.inodes.length - 1]!;
          if (check) {
            perm.checkSetAttribute(check, path, c.views, change);
            if (r.recursive && n.dir) perm.checkOwnerSubtree(check, path, n, this.entries, this.view);
          }
          await this.propose({ type: 'setAttribute', path, ...change, recursive: !!r.recursive, opId: r.opId });
          return this.fileInfo(this.ns.resolve(path), path);
        });
      }),
    };
  }

  private blockClientService(): grpc.UntypedServiceImplementation {
    return {
      GetWorkerInfoList: unary(async (r: any) => {
        const ws = r.includeLost ? [...this.registry.workers.values()] : this.registry.live();
        return { workerInfos: ws.map((w) => this.workerInfo(w)) };
      }),
      GetBlockInfo: unary(async (r: any) => ({
        blockId: r.blockId, length: this.ns.blockLengths.get(r.blockId) ?? 0,
        locations: this.blockLocations(r.blockId),
      })),
      GetCapacity: unary(async () => this.registry.capacity()),
    };
  }

  private blockWorkerService(): grpc.UntypedServiceImplementation {
    return {
      RegisterWorker: unary(async (r: any) => {
        this.requireLeader();
        const blocks: { blockId: number; alias: string }[] = [];
        const orphans: number[] = [];
        for (const t of r.blocks) {
          for (const b of t.blockIds) {
            const status = this.ns.blockStatus(b);
            if (status === 'committed') blocks.push({ blockId: b, alias: t.alias });
            else if (status === 'orphan') orphans.push(b);
            // pending: its commit is still on the way; neither a location nor garbage yet
          }
        }
        const w = this.registry.register(r.address, r.previousWorkerId, r.tiers, blocks, r.startTimeMs);
        for (const o of orphans) w.pendingFree.add(o);
        this.ufsSync.workerRegistered(w.id);
        this.log.info(`Registered worker ${w.id} at ${r.address.host}:${r.address.rpcPort} with ${blocks.length} blocks` + (orphans.length ? ` (${orphans.length} unknown blocks to free)` : ''));
        const unpinBlockIds = (r.pinnedBlockIds as number[]).filter((b) => this.ns.isBlockPersisted(Number(b)));
        return { workerId: w.id, clusterId: this.ns.clusterId, unpinBlockIds };
      }),
      BlockHeartbeat: unary(async (r: any) => {
        this.requireLeader();
        const w = this.registry.get(r.workerId);
        if (!w) return { command: 'Register', freeBlockIds: [], persistFiles: [] };
        if (w.state === 'LOST') this.log.info(`Worker ${w.id} is back`);
        w.state = 'LIVE';
        w.lastContactMs = Date.now();
        w.tiers = r.tiers;
        for (const b of r.addedBlocks) {
          // A block can be reported here before its CommitBlock is applied: only orphans are freed.
          const status = this.ns.blockStatus(b.blockId);
          if (status === 'committed') this.registry.addLocation(w, b.blockId, b.tierAlias);
          else if (status === 'orphan') w.pendingFree.add(b.blockId);
        }
        for (const b of r.removedBlockIds) this.registry.removeLocation(w, b);
        for (const p of r.persistResults) {
          w.persisting.delete(Number(p.fileId));
          await this.ufsSync.persistReported(p);
        }
        const freeBlockIds = [...w.pendingFree];
        w.pendingFree.clear();
        const unpinBlockIds = [...w.pendingUnpin];
        w.pendingUnpin.clear();
        const persistFiles = this.ufsSync.assignPersistence(w);
        return { command: freeBlockIds.length || persistFiles.length || unpinBlockIds.length ? 'Work' : 'Nothing', freeBlockIds, persistFiles, unpinBlockIds };
      }),
      CommitBlock: unary(async (r: any) => {
        const w = this.registry.get(r.workerId);
        if (this.ns.blockLengths.get(r.blockId) !== r.length) await this.propose({ type: 'commitBlock', blockId: r.blockId, length: r.length });
        if (w) this.registry.addLocation(w, r.blockId, r.tierAlias);
        return {};
      }),
    };
  }

  /** `fsadmin journal quorum ...`: answered by the serving leader. */
  private journalService(): grpc.UntypedServiceImplementation {
    const raft = (): RaftJournal => {
      if (!(this.journal instanceof RaftJournal)) {
        throw new FailedPreconditionError('this master does not run the embedded Raft journal: quorum commands need alluxio.master.journal.type=EMBEDDED and several masters in alluxio.master.embedded.journal.addresses');
      }
      this.requireLeader();
      return this.journal;
    };
    const info = (j: RaftJournal) => {
      const q = j.quorumInfo();
      return {
        leader: q.leader, term: q.term,
        members: q.members.map((m) => ({ address: m.id, available: m.available, role: m.role.toUpperCase(), matchIndex: m.match ?? 0, lag: m.lag ?? 0, recovering: m.recovering })),
      };
    };
    const address = (a: string): string => {
      if (!/^[^\s:/]+:\d{1,5}$/.test(a ?? '')) throw new InvalidPathError(`"${a}" is not a valid embedded journal address; expected host:port (e.g. m2:19200)`);
      return a;
    };
    return {
      GetQuorumInfo: unary(async () => info(raft())),
      AddQuorumServer: unary(async (r: any, call) => { await this.requireSuperuser(call, 'change the journal quorum'); const j = raft(); await j.changeMembership('add', address(r.address)); return info(j); }),
      RemoveQuorumServer: unary(async (r: any, call) => { await this.requireSuperuser(call, 'change the journal quorum'); const j = raft(); await j.changeMembership('remove', address(r.address)); return info(j); }),
      TransferLeadership: unary(async (r: any, call) => {
        await this.requireSuperuser(call, 'transfer the leadership');
        const j = raft();
        const to = address(r.address);
        if (!j.quorumInfo().members.some((m) => m.id === to)) throw new InvalidPathError(`${to} is not a member of the quorum`);
        await j.transferLeadership(to, this.conf.getMs('alluxio.master.embedded.journal.write.timeout'));
        return info(j);
      }),
    };
  }

  private metaService(): grpc.UntypedServiceImplementation {
    return { GetMasterInfo: unary(async () => this.masterInfo()) };
  }
}
