/**
 * Every master ZooKeeper knows (ZooKeeper mode): each running master is a candidate of the
 * election (an ephemeral node under alluxio.zookeeper.election.path whose data is its rpc
 * address, src/journal/zk/election.ts). `fsadmin doctor` and `fsadmin report` ask these masters
 * when alluxio.master.rpc.addresses does not name them.
 */
import type zookeeper from 'node-zookeeper-client';
import type { Config } from '../conf/index.js';
import { UnavailableError } from '../errors.js';

/** ZooKeeper mode: alluxio.zookeeper.enabled with alluxio.master.journal.type=UFS (as createJournal decides). */
export function isZooKeeperMode(conf: Config): boolean {
  return conf.getEnum('alluxio.master.journal.type') === 'UFS' && conf.getBool('alluxio.zookeeper.enabled');
}

function call<T>(what: string, ms: number, fn: (cb: (err: unknown, v: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new UnavailableError(`ZooKeeper did not answer ${what} within ${ms} ms`)), ms);
    fn((err, v) => { clearTimeout(t); if (err) reject(err); else resolve(v); });
  });
}

/** The rpc addresses of the election's candidates (sorted, unique), within `timeoutMs`. */
export async function zkCandidateAddresses(conf: Config, timeoutMs = Math.min(10_000, conf.getMs('alluxio.zookeeper.connection.timeout'))): Promise<string[]> {
  const ensemble = conf.getList('alluxio.zookeeper.address').join(',');
  const electionPath = conf.get('alluxio.zookeeper.election.path');
  // Loaded here: the orchestrator imports this module for isZooKeeperMode alone.
  const { createZkClient } = await import('../journal/zk/client.js');
  const c: zookeeper.Client = createZkClient(ensemble, { sessionTimeout: 30_000, spinDelay: 200, retries: 0 });
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new UnavailableError(`cannot reach ZooKeeper ${ensemble} (alluxio.zookeeper.address) within ${timeoutMs} ms to list the masters`, {
        hint: 'check that the ZooKeeper servers run and that this host reaches them, or name the masters with alluxio.master.rpc.addresses',
      })), timeoutMs);
      c.once('connected', () => { clearTimeout(t); resolve(); });
      c.connect();
    });
    const children = await call<string[]>(`the children of ${electionPath}`, timeoutMs, (cb) => c.getChildren(electionPath, cb)).catch(() => [] as string[]);
    const addrs = await Promise.all(children.map((n) => call<Buffer | undefined>(`${electionPath}/${n}`, timeoutMs, (cb) => c.getData(`${electionPath}/${n}`, cb)).then((d) => d?.toString('utf8') ?? '', () => '')));
    return [...new Set(addrs.filter((a) => /^[^\s:]+:\d{1,5}$/.test(a)))].sort();
  } finally {
    c.close();
  }
}

/**
 * The masters a cluster-wide admin command asks: alluxio.master.rpc.addresses when set (or
 * `configured`, the client's list, outside ZooKeeper mode); in ZooKeeper mode otherwise, every
 * candidate ZooKeeper knows (the configured list when it knows none).
 */
export async function mastersToAsk(conf: Config, configured: readonly string[]): Promise<string[]> {
  if (!isZooKeeperMode(conf) || conf.getList('alluxio.master.rpc.addresses').length) return [...configured];
  const found = await zkCandidateAddresses(conf);
  return found.length ? found : [...configured];
}
