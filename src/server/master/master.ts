/**
 * The Alluxio master process: namespace (through the journal), block registry, gRPC services
 * (services.ts, run as their caller: access.ts), the views they answer with (views.ts), the
 * leader's UFS side effects (ufsSync.ts) and the web UI (web.ts). This file holds the lifecycle
 * and leadership: servers are started once and never restarted on a role change.
 */
import os from 'node:os';
import fs from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Config } from '../../conf/index.js';
import type { Journal } from '../../journal/types.js';
import { createJournal, embeddedSetup } from '../../journal/index.js';
import { CHANNEL_OPTIONS } from '../../rpc.js';
import { muxPort, MuxRoutes, type FramedMuxServer } from '../../mux.js';
import type { SharedPort } from '../../sharedPort.js';
import { NotLeaderError } from '../../errors.js';
import { createLogger, type Logger } from '../../log.js';
import { VERSION } from '../../version.js';
import { Namespace, type Inode } from './namespace.js';
import type { MasterEntry } from './entries.js';
import { BlockRegistry, type WorkerRecord } from './blockRegistry.js';
import { ufsRootDir } from '../ufs.js';
import { UfsSync } from './ufsSync.js';
import { startMasterWeb } from './web.js';
import { Access } from './access.js';
import { masterServices } from './services.js';
import * as views from './views.js';
import { clusterMetrics, installMasterMetrics, instrumentServices } from '../../metrics/master.js';
import type { Server as HttpServer } from 'node:http';

/** Longest wait for a new rpc connection's first bytes (the HTTP/2 preface or a protocol's magic). */
const RPC_FIRST_BYTES_TIMEOUT_MS = 10_000;

/** How long a stopping master lets calls in flight finish before it closes every connection. */
export const SHUTDOWN_GRACE_MS = 1000;

export class AlluxioMaster {
  readonly ns = new Namespace();
  readonly registry = new BlockRegistry();
  readonly startTimeMs = Date.now();
  readonly hostname: string;
  /** Callers, permission checks and the audit log. */
  readonly access: Access;
  journal!: Journal<MasterEntry>;
  /** The leader whose namespace is current: it applied an entry of its own term (leaderInfo). */
  private serving = false;
  private raftLeader = '';
  readonly log: Logger;
  readonly ufsRoot: string;
  private grpcServer?: grpc.Server;
  /** The rpc port: gRPC and the framed mux (metadata calls of this version's clients). */
  private rpcListener?: SharedPort;
  private framedMux?: FramedMuxServer;
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
    this.access = new Access(this.ns, conf, this.log, () => this.isLeader());
  }

  get address(): string { return `${this.hostname}:${this.rpcPort}`; }

  async start(): Promise<void> {
    const t0 = Date.now();
    await this.access.start();
    this.journal = await createJournal<MasterEntry>(this.conf, {
      log: (m) => this.log.warn(m),
      onRoleChange: (role, leader, term) => void this.onRoleChange(role, leader, term),
      clusterId: () => this.ns.clusterId,
    });
    await this.journal.start(this.ns);
    const st = this.journal.stats();
    this.log.info(`Journal (${st.type}) replayed ${st.replayedEntries} entries in ${st.replayMs} ms; last index ${st.lastIndex}`);
    if (!this.journal.elected) await this.becomeServing(); // the only writer leads from start

    await fs.mkdir(this.ufsRoot, { recursive: true });

    const server = new grpc.Server(CHANNEL_OPTIONS);
    installMasterMetrics(this, this.conf.getBool('alluxio.metrics.enabled'));
    const services = instrumentServices(masterServices(this));
    for (const [def, impl] of services) server.addService(def, impl);
    // The same methods multiplexed: on one gRPC stream per client, and on the framed protocol of
    // one TCP connection per client (src/mux.ts), which shares the rpc port with gRPC.
    const { port, framed } = muxPort(server, new MuxRoutes(services), RPC_FIRST_BYTES_TIMEOUT_MS);
    this.rpcListener = port;
    this.framedMux = framed;
    this.grpcServer = server;
    this.rpcPort = await this.rpcListener.listen(this.conf.get('alluxio.master.bind.host'), this.conf.getPort('alluxio.master.rpc.port'));

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
    // Calls in flight get SHUTDOWN_GRACE_MS to finish; clients' multiplexed call streams (mux.ts)
    // stay open for the life of the client and would hold tryShutdown forever: then force. The
    // framed mux's connections get the same grace; then the port closes every connection.
    await Promise.all([
      new Promise<void>((r) => {
        const srv = this.grpcServer;
        if (!srv) { r(); return; }
        const force = setTimeout(() => { srv.forceShutdown(); r(); }, SHUTDOWN_GRACE_MS);
        srv.tryShutdown(() => { clearTimeout(force); r(); });
      }),
      this.framedMux?.close(SHUTDOWN_GRACE_MS),
    ]);
    await this.rpcListener?.close();
    await new Promise<void>((r) => (this.web ? this.web.close(() => r()) : r()));
    this.web?.closeAllConnections?.();
    await this.journal.close();
    await this.access.close();
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

  /** Throws NotLeaderError (naming the leader's rpc address when known) unless this master serves. */
  requireLeader(): void {
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
      clusterMetrics.reset();
    }
  }

  /** Announce this master as leader through the journal: when that entry applies, all before it has. */
  private async becomeServing(): Promise<void> {
    await this.journal.propose({ type: 'leaderInfo', id: embeddedSetup(this.conf)?.id ?? this.address, rpc: this.address, web: `${this.hostname}:${this.webPort || this.conf.getPort('alluxio.master.web.port')}` });
    if (!this.ns.clusterId) await this.journal.propose({ type: 'init', clusterId: randomUUID() });
    if (this.journal.isLeader()) {
      this.serving = true;
      if (this.journal.elected) this.log.info(`Serving as the leader at ${this.address}`);
      // Fresh persist retries, a temp sweep, and what a previous leader applied but did not do in the UFS.
      this.ufsSync.onLeading();
    }
  }

  /** Before a read of the namespace: this master serves, and what it reads is current (Journal.readBarrier). */
  async readBarrier(): Promise<void> {
    this.requireLeader();
    await this.journal.readBarrier();
  }

  /** Journal an entry as the serving leader (stamped with the time); resolves with what apply returned. */
  async propose(e: MasterEntry): Promise<unknown> {
    this.requireLeader();
    try {
      return await this.journal.propose({ ...e, ts: Date.now() });
    } catch (err) {
      // The journal names leaders by journal address; clients need the rpc address.
      if (err instanceof NotLeaderError) throw new NotLeaderError(this.leaderRpcAddress() || undefined, err.message);
      throw err;
    }
  }

  // ------------------------------------------------------------------ views (views.ts)
  fileInfo(n: Inode, path = this.ns.pathOf(n)): any { return views.fileInfo(this, n, path); }
  workerInfo(w: WorkerRecord): any { return views.workerInfo(w); }
  masterInfo(): any { return views.masterInfo(this); }
}
