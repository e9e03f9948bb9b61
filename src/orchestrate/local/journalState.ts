/**
 * The state of one master's journal folder as facts report it (formatted, and why wiping it
 * would be refused), light enough for the probe to load (no journal implementation imported).
 */
import type { Config } from '../../conf/index.js';
import { checkSafeToWipe, isJournalFormatted, JOURNAL_MARKER } from '../../journal/format.js';
import type { JournalState } from '../refusals.js';

/** The journal of one master (`conf`: that master's configuration) and, if wiping it is unsafe, checkSafeToWipe's error. */
export function journalCheck(conf: Config): { state: JournalState; unsafe?: unknown } {
  // The folder is alluxio.master.journal.folder itself (as journal/index.ts journalFolder()).
  const folder = conf.get('alluxio.master.journal.folder');
  const state: JournalState = { folder, formatted: isJournalFormatted(folder) };
  try {
    checkSafeToWipe(folder, { protectedPaths: [{ path: conf.get('alluxio.home'), label: 'alluxio.home' }], marker: JOURNAL_MARKER });
    return { state };
  } catch (e) {
    state.refusal = (e as Error).message;
    return { state, unsafe: e };
  }
}

/** The state of the journal of one master, as facts report it. */
export function journalState(conf: Config): JournalState {
  return journalCheck(conf).state;
}
