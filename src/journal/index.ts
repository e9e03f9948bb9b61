/** Picks the journal implementation from the configuration. */
import type { Config } from '../conf/index.js';
import type { Journal } from './types.js';
import { LocalJournal } from './local/journal.js';

export type { Journal, JournalEntry, StateMachine, JournalStats } from './types.js';

export function journalFolder(conf: Config): string {
  return conf.get('alluxio.master.journal.folder');
}

/**
 * EMBEDDED (default) and UFS both use the durable local journal in alluxio.master.journal.folder
 * until the Raft and shared-folder journals land; more than one master needs those (checked by
 * the orchestrator).
 */
export function createJournal(conf: Config, log: (msg: string) => void): Journal {
  return new LocalJournal({
    folder: journalFolder(conf),
    checkpointPeriodEntries: conf.getInt('alluxio.master.journal.checkpoint.period.entries'),
    log,
  });
}
