/** Picks the journal implementation from the configuration. */
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../conf/index.js';
import type { AnyEntry, Journal, JournalEntry } from './types.js';
import { LocalJournal } from './local/journal.js';
import { createUfsJournal } from './ufs/index.js';
import { newestEpoch } from './ufs/layout.js';
import { createZkElection } from './zk/election.js';
import { RaftJournal } from './raft/driver.js';
import { NetTransport } from './raft/transport.js';
import { isJournalFormatted, journalFolder, readJournalMarker, RAFT_MEMBER_STAMP } from './format.js';
import type { Role } from './raft/types.js';
import { ConfigError } from '../errors.js';
import { clusterSecret } from '../clusterSecret.js';

export type { JournalEvent, JournalEventKind } from './events.js';
export { JournalEvents } from './events.js';
export type { Journal, JournalEntry, AnyEntry, StateMachine, JournalStats, QuorumAdmin, QuorumInfo } from './types.js';

export { journalFolder };

/** Milliseconds per Raft tick; timeouts are whole numbers of ticks. */
export const RAFT_TICK_MS = 50;

export interface EmbeddedJournalSetup { id: string; voters: string[] }

/**
 * The embedded (Raft) journal serves when the journal type is EMBEDDED and
 * alluxio.master.embedded.journal.addresses lists more than one master; this master's id is
 * `<alluxio.master.hostname>:<alluxio.master.embedded.journal.port>` and must be listed. One master
 * (the default) runs the local journal: the same durability, and no quorum round trip.
 */
export function embeddedSetup(conf: Config): EmbeddedJournalSetup | undefined {
  if (conf.getEnum('alluxio.master.journal.type') !== 'EMBEDDED') return undefined;
  const voters = conf.getList('alluxio.master.embedded.journal.addresses');
  if (voters.length < 2) return undefined;
  const id = `${conf.get('alluxio.master.hostname') || os.hostname()}:${conf.getPort('alluxio.master.embedded.journal.port')}`;
  if (!voters.includes(id)) {
    throw new ConfigError(`this master's journal address ${id} (alluxio.master.hostname:alluxio.master.embedded.journal.port) is not in alluxio.master.embedded.journal.addresses (${voters.join(', ')})`, {
      hint: 'set alluxio.master.hostname to the name used in alluxio.master.embedded.journal.addresses',
    });
  }
  return { id, voters };
}

export interface JournalHooks {
  log(msg: string): void;
  /** Raft only: role or leader changed. */
  onRoleChange?(role: Role, leader: string, term: number): void;
  /**
   * Raft only: this cluster's id as committed in the journal (the namespace's `init` entry), ''
   * until this master has applied it. The embedded journal port refuses batches naming another
   * cluster, or none, once it is known (see NetTransport).
   */
  clusterId?(): string;
}

/** This master's rpc address as configured (what a leader publishes and names in messages). */
function masterAddress(conf: Config): string {
  return `${conf.get('alluxio.master.hostname') || os.hostname()}:${conf.getPort('alluxio.master.rpc.port')}`;
}

/** The journal this configuration asks for, over entries of type `E` (the state machine's). */
export async function createJournal<E extends JournalEntry = AnyEntry>(conf: Config, hooks: JournalHooks): Promise<Journal<E>> {
  const folder = journalFolder(conf);
  if (conf.getEnum('alluxio.master.journal.type') === 'UFS' && conf.getBool('alluxio.zookeeper.enabled')) {
    // The leader publishes its rpc address (clients) and web address (the UI's redirects).
    const web = `${conf.get('alluxio.master.hostname') || os.hostname()}:${conf.getPort('alluxio.master.web.port')}`;
    return createUfsJournal<E>(conf, createZkElection(conf, masterAddress(conf), hooks.log, { webAddress: web }), hooks);
  }
  const setup = embeddedSetup(conf);
  if (!setup) {
    // Also UFS without ZooKeeper: a single master writes the folder as its local journal; it
    // reads only log/*.log, so a folder the shared journal wrote (epochs/) is refused.
    if (newestEpoch(folder) > 0) {
      throw new ConfigError(`journal folder ${folder} was written by masters in ZooKeeper mode (shared journal epochs in ${path.join(folder, 'epochs')}); a single master without ZooKeeper would not read those entries`, {
        hint: 'set alluxio.zookeeper.enabled=true (with alluxio.master.journal.type=UFS), or back up and reformat the journal',
      });
    }
    return new LocalJournal<E>({
      folder, checkpointPeriodEntries: conf.getInt('alluxio.master.journal.checkpoint.period.entries'), log: hooks.log,
      who: masterAddress(conf),
    });
  }
  if (!isJournalFormatted(folder)) {
    throw new ConfigError(`journal folder ${folder} is not formatted`, { hint: "run 'alluxio format' (or 'alluxio formatJournal')" });
  }
  const secret = clusterSecret(conf);
  if (!secret && conf.getEnum('alluxio.security.authentication.type') !== 'NOSASL') hooks.log('No cluster secret (alluxio format creates one): the embedded journal port accepts any caller');
  const { transport } = await NetTransport.start(setup.id, {
    host: conf.get('alluxio.master.bind.host'), port: conf.getPort('alluxio.master.embedded.journal.port'),
  }, new Map(setup.voters.map((v) => [v, v])), { log: hooks.log, ...(hooks.clusterId ? { clusterId: hooks.clusterId } : {}), ...(secret ? { secret } : {}) });
  const heartbeatTicks = Math.max(1, Math.round(conf.getMs('alluxio.master.embedded.journal.heartbeat.interval') / RAFT_TICK_MS));
  const electionTicks = Math.max(heartbeatTicks + 1, Math.round(conf.getMs('alluxio.master.embedded.journal.election.timeout.min') / RAFT_TICK_MS));
  return new RaftJournal<E>({
    id: setup.id, voters: setup.voters, dir: path.join(folder, 'raft'), transport, tickMs: RAFT_TICK_MS, electionTicks, heartbeatTicks,
    snapshotEvery: conf.getInt('alluxio.master.journal.checkpoint.period.entries'),
    writeTimeoutMs: conf.getMs('alluxio.master.embedded.journal.write.timeout'),
    memberStamp: path.join(folder, RAFT_MEMBER_STAMP), rejoin: readJournalMarker(folder)?.rejoin === true,
    log: hooks.log, ...(hooks.onRoleChange ? { onRoleChange: hooks.onRoleChange } : {}),
    who: masterAddress(conf),
  });
}
