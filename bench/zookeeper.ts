/**
 * The benchmarks' ZooKeeper: a 3-member ensemble with ZooKeeper's default tick and sync settings,
 * started by the test harness (test/harness/zookeeper.ts, the one copy of how servers start).
 */
import { ZooKeeperServers, ensureZooKeeper as ensure, zkCreate } from '../test/harness/zookeeper.js';

export { zkCreate };

/** The jar and java are here (as root, installs the Debian package when missing). */
export function ensureZooKeeper(): boolean {
  return ensure(true);
}

export const ZooKeeperEnsemble = {
  /** A `n`-member ensemble with default settings (tickTime=2000). */
  start: async (n = 3): Promise<ZooKeeperServers & { nodes: ZooKeeperServers['members']; stop(): Promise<void> }> => {
    const z = await ZooKeeperServers.start({ members: n, defaults: true });
    return Object.assign(z, { nodes: z.members, stop: () => z.destroy() });
  },
};
