/**
 * The metrics of this process (one registry per process: a master or a worker), and the journal's
 * metrics, which the journal code updates with one-liners wherever a master runs it.
 *
 * alluxio.metrics.enabled=false (ours; Alluxio has no such switch) leaves the registry empty, the
 * RPC handlers unwrapped and the heartbeats without metrics; the one-line counter increments in
 * the code paths stay (plain additions). The endpoints then answer 503 saying so.
 */
import { Counter, Registry, Timer } from './registry.js';

export { Counter, Gauge, Timer, Registry, promName, promFamily } from './registry.js';

export const registry = new Registry();

/** Whether this process serves metrics (set once at start by the master or worker from alluxio.metrics.enabled). */
export const metricsState = { enabled: true };

/** The journal's own metrics (src/journal/*): a flush timer, snapshots, leader changes. */
export const journalMetrics = {
  flush: new Timer('Master.JournalFlushTimer', { help: 'Time of one durable journal write (a group commit of one or more entries: the O_DSYNC write, or write and fsync), every journal type' }),
  snapshots: new Counter('Master.JournalSnapshots', { help: 'Journal checkpoints (snapshots) this master wrote or installed from the leader' }),
  leaderChanges: new Counter('Master.JournalLeaderChanges', { help: 'Times this master saw the journal leader change: a new leader, or the same one in a new term or epoch (elections, transfers, its own); the leader events of its Journal page. Not counted: the moments no leader is known' }),
};
