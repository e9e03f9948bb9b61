/**
 * The leader as ZooKeeper publishes it (alluxio.zookeeper.leader.path, written by the leading
 * master's election, journal/zk): clients and workers with alluxio.zookeeper.enabled (or a
 * zk@host:port;... URI authority) read it, keep a watch on it, and read it again only after it
 * changed or the connection was lost.
 */
import zookeeper from 'node-zookeeper-client';
import { UnavailableError } from '../errors.js';
import { decodeLeader } from '../journal/zk/election.js';
import type { Config } from '../conf/index.js';
import { createZkClient } from '../journal/zk/client.js';

export class ZkLeaderWatcher {
  private client: zookeeper.Client | undefined;
  private connected = false;
  /** The address last read, valid while the watch set with it has not fired. */
  private cached: { address: string | undefined } | undefined;

  constructor(readonly ensemble: string, readonly leaderPath: string, readonly timeoutMs: number) {}

  static fromConf(conf: Config): ZkLeaderWatcher | undefined {
    if (!conf.getBool('alluxio.zookeeper.enabled')) return undefined;
    const ensemble = conf.getList('alluxio.zookeeper.address').join(',');
    if (!ensemble) return undefined;
    return new ZkLeaderWatcher(ensemble, conf.get('alluxio.zookeeper.leader.path'), conf.getMs('alluxio.zookeeper.connection.timeout'));
  }

  private connect(timeoutMs: number): Promise<zookeeper.Client> {
    if (this.client && this.connected) return Promise.resolve(this.client);
    this.client?.close();
    const c = createZkClient(this.ensemble, { sessionTimeout: 30_000, spinDelay: 200, retries: 0 });
    this.client = c;
    c.on('disconnected', () => { if (this.client === c) { this.connected = false; this.cached = undefined; } });
    c.on('expired', () => { if (this.client === c) { this.connected = false; this.cached = undefined; c.close(); this.client = undefined; } });
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        if (this.client === c) { c.close(); this.client = undefined; }
        reject(new UnavailableError(`cannot reach ZooKeeper ${this.ensemble} (alluxio.zookeeper.address) within ${timeoutMs} ms to find the leading master`, {
          hint: 'check that the ZooKeeper servers run and that this host reaches them, or name the masters with alluxio.master.rpc.addresses',
        }));
      }, timeoutMs);
      c.once('connected', () => { clearTimeout(t); if (this.client === c) this.connected = true; resolve(c); });
      c.connect();
    });
  }

  /** The published leader's rpc address (undefined when none leads), within `timeoutMs`. */
  async leader(timeoutMs = this.timeoutMs): Promise<string | undefined> {
    if (this.cached && this.connected) return this.cached.address;
    const c = await this.connect(timeoutMs);
    const address = await new Promise<string | undefined>((resolve, reject) => {
      const t = setTimeout(() => reject(new UnavailableError(`ZooKeeper ${this.ensemble} did not answer within ${timeoutMs} ms for ${this.leaderPath}`)), timeoutMs);
      c.getData(this.leaderPath, () => { this.cached = undefined; }, (err, data) => {
        clearTimeout(t);
        const code = (err as { getCode?: () => number } | null)?.getCode?.();
        if (err && code !== (zookeeper as unknown as { Exception: Record<string, number> }).Exception.NO_NODE) {
          reject(new UnavailableError(`cannot read ${this.leaderPath} from ZooKeeper ${this.ensemble}: ${(err as Error).message}`));
          return;
        }
        if (err) {
          // No leader now: watch for the node to appear.
          c.exists(this.leaderPath, () => { this.cached = undefined; }, () => undefined);
          resolve(undefined);
          return;
        }
        resolve(decodeLeader(data)?.address);
      });
    });
    this.cached = { address };
    return address;
  }

  /** Forget the address read (a master it names said it does not lead). */
  invalidate(): void { this.cached = undefined; }

  close(): void {
    this.client?.close();
    this.client = undefined;
    this.connected = false;
    this.cached = undefined;
  }
}
