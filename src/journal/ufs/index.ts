/** The shared (UFS) journal of the ZooKeeper mode: see journal.ts (writing, fencing) and layout.ts (files, history). */
import os from 'node:os';
import type { Config } from '../../conf/index.js';
import type { LeaderElection } from '../election.js';
import type { AnyEntry, JournalEntry } from '../types.js';
import type { Role } from '../raft/types.js';
import { UfsJournal } from './journal.js';

export { UfsJournal, type UfsJournalOptions, type UfsJournalStats } from './journal.js';
export { checkSameStorage, writeSameStorageProbe, removeSameStorageProbe } from '../format.js';

export interface UfsJournalHooks {
  log(msg: string): void;
  onRoleChange?(role: Role, leader: string, term: number): void;
}

/**
 * The shared journal over alluxio.master.journal.folder, led through `election` (the ZooKeeper
 * election in production). Standbys poll every alluxio.master.journal.tailer.sleep.time.
 */
export function createUfsJournal<E extends JournalEntry = AnyEntry>(conf: Config, election: LeaderElection, hooks: UfsJournalHooks): UfsJournal<E> {
  return new UfsJournal<E>({
    folder: conf.get('alluxio.master.journal.folder'),
    election,
    who: `${conf.get('alluxio.master.hostname') || os.hostname()}:${conf.getPort('alluxio.master.rpc.port')}`, // as journal/index.ts masterAddress
    pollMs: conf.getMs('alluxio.master.journal.tailer.sleep.time'),
    checkpointPeriodEntries: conf.getInt('alluxio.master.journal.checkpoint.period.entries'),
    log: hooks.log,
    ...(hooks.onRoleChange ? { onRoleChange: hooks.onRoleChange } : {}),
  });
}
