/**
 * The host side of the ZooKeeper-mode checks (protocol step `sharedJournal`, run by validateEnv and
 * by `alluxio-start.sh` before it starts masters):
 *
 * - `zk`: does every member of alluxio.zookeeper.address answer from this host? Each member is
 *   asked on its own (a ZooKeeper session is opened and closed: the member serves, not just a
 *   port that accepts), within alluxio.zookeeper.connection.timeout (at most 10 s here).
 * - `write` / `check <token> <writer>` / `remove <token>`: the same-storage probe of the shared
 *   journal folder (src/journal/format.ts): one master writes a marker, every other master must
 *   see it there, then the writer removes it.
 */
import os from 'node:os';
import fs from 'node:fs';
import type { Config } from '../../conf/index.js';
import { UsageError } from '../../errors.js';
import { checkSameStorage, removeSameStorageProbe, writeSameStorageProbe } from '../../journal/format.js';
import type { SharedJournalResult, ZkMemberAnswer } from '../protocol.js';

/** Open a session with one ZooKeeper member and close it; its round trip, or why it failed. */
async function askMember(address: string, timeoutMs: number): Promise<ZkMemberAnswer> {
  const t0 = Date.now();
  // Loaded here: validateEnv, which registers this step's verb, needs no ZooKeeper client otherwise.
  const { createZkClient } = await import('../../journal/zk/client.js');
  const client = createZkClient(address, { sessionTimeout: Math.max(2000, timeoutMs), spinDelay: 200, retries: 0 });
  try {
    return await new Promise<ZkMemberAnswer>((resolve) => {
      const timer = setTimeout(() => resolve({ address, ok: false, ms: Date.now() - t0, error: `no ZooKeeper session within ${timeoutMs} ms (not reachable from this host, or not serving: a member without a quorum refuses sessions)` }), timeoutMs);
      client.once('connected', () => { clearTimeout(timer); resolve({ address, ok: true, ms: Date.now() - t0 }); });
      client.once('authenticationFailed', () => { clearTimeout(timer); resolve({ address, ok: false, ms: Date.now() - t0, error: 'authentication failed' }); });
      client.connect();
    });
  } finally {
    client.close();
  }
}

/** Every member of alluxio.zookeeper.address, asked from this host. */
export async function zkMembers(conf: Config): Promise<ZkMemberAnswer[]> {
  const members = conf.getList('alluxio.zookeeper.address');
  if (!members.length) throw new UsageError('alluxio.zookeeper.address is empty', { hint: 'name the ensemble, e.g. alluxio.zookeeper.address=zk1:2181,zk2:2181,zk3:2181' });
  const timeoutMs = Math.min(10_000, conf.getMs('alluxio.zookeeper.connection.timeout'));
  return Promise.all(members.map((m) => askMember(m, timeoutMs)));
}

/** `alluxio sharedJournal zk|write|check <token> <writer>|remove <token>` on this host. */
export async function sharedJournalStep(conf: Config, args: readonly string[]): Promise<SharedJournalResult> {
  const folder = conf.get('alluxio.master.journal.folder');
  const usage = () => new UsageError(`Invalid arguments: ${args.join(' ')}`, { hint: 'usage: alluxio sharedJournal zk | write | check <token> <writer> | remove <token>' });
  switch (args[0]) {
    case 'zk':
      if (args.length !== 1) throw usage();
      return { action: 'zk', folder, members: await zkMembers(conf) };
    case 'write':
      if (args.length !== 1) throw usage();
      fs.mkdirSync(folder, { recursive: true });
      return { action: 'write', folder, token: writeSameStorageProbe(folder, os.hostname()) };
    case 'check':
      if (args.length !== 3) throw usage();
      checkSameStorage(folder, args[1]!, args[2]!);
      return { action: 'check', folder, token: args[1]! };
    case 'remove':
      if (args.length !== 2) throw usage();
      removeSameStorageProbe(folder, args[1]!);
      return { action: 'remove', folder, token: args[1]! };
    default:
      throw usage();
  }
}
