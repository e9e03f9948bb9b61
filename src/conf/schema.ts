/**
 * THE property table. Every key the product reads is declared here once, with its type,
 * default and doc; `alluxio getConf`, validation and docs/configuration.md are all derived
 * from it. Names and defaults follow Alluxio 2.x; where we differ, `doc` says so.
 */
import os from 'node:os';
import { isValidHost } from './hosts.js';
import { tryParseBytes, tryParseDuration, SIZE_HINT, DURATION_HINT } from './units.js';

export type PropertyType =
  | 'string' | 'int' | 'port' | 'bool' | 'bytes' | 'duration' | 'enum' | 'list'
  | 'hostport-list' | 'path' | 'double';

/**
 * Which processes read a key (Alluxio's PropertyKey Scope): SERVER is MASTER and WORKER, ALL is
 * every process. `fsadmin doctor configuration` compares a key across the servers it applies to.
 */
export type PropertyScope = 'MASTER' | 'WORKER' | 'CLIENT' | 'SERVER' | 'ALL';

/**
 * How much servers must agree on a key (Alluxio's ConsistencyCheckLevel): ENFORCE (a difference
 * is an error), WARN (a warning), IGNORE (host-specific: hostnames, ports, local paths, sizes).
 */
export type ConsistencyLevel = 'ENFORCE' | 'WARN' | 'IGNORE';

export interface PropertySpec {
  readonly key: string;
  readonly type: PropertyType;
  /** Default value; may contain `${key}` references. Absent means empty. */
  readonly default?: string;
  readonly doc: string;
  /** Allowed values of an enum (compared case-insensitively). */
  readonly values?: readonly string[];
  /** Extra check on a value that passed the type check; returns a problem phrase such as `is not between 1 and 3`. */
  readonly check?: (v: string) => string | undefined;
  /** Older names that still work, with a deprecation warning. */
  readonly aliases?: readonly string[];
  /** How the docs show a default that depends on the machine or the installation. */
  readonly displayDefault?: string;
  /** Who reads it; ALL when absent. See {@link scopeOf}. */
  readonly scope?: PropertyScope;
  /** How much servers must agree on it; WARN when absent (Alluxio: IGNORE). See {@link consistencyOf}. */
  readonly consistency?: ConsistencyLevel;
  /**
   * The value names local directories (a list: each item): a relative one given in the environment
   * or with -D is resolved against the current directory, as a shell user expects. Not set for
   * paths that are not on the local disk (ZooKeeper nodes) or relative to something else.
   */
  readonly localPath?: boolean;
}

export function scopeOf(spec: PropertySpec): PropertyScope {
  return spec.scope ?? 'ALL';
}

export function consistencyOf(spec: PropertySpec): ConsistencyLevel {
  return spec.consistency ?? 'WARN';
}

/** Whether a key of `scope` is read by a server of `kind`. */
export function scopeIncludes(scope: PropertyScope, kind: 'master' | 'worker'): boolean {
  return scope === 'ALL' || scope === 'SERVER' || scope === (kind === 'master' ? 'MASTER' : 'WORKER');
}

// ---- checks ------------------------------------------------------------------------------

const host = (v: string): string | undefined =>
  isValidHost(v) ? undefined : 'is not a valid host name or IP address';

const intRange = (lo: number, hi: number) => (v: string): string | undefined => {
  const n = Number(v);
  return n >= lo && n <= hi ? undefined : `is not between ${lo} and ${hi}`;
};

const positiveInt = (v: string): string | undefined => (Number(v) > 0 ? undefined : 'is not a positive integer');
const nonNegativeInt = (v: string): string | undefined => (Number(v) >= 0 ? undefined : 'is not zero or more');

const positiveBytes = (v: string): string | undefined => ((tryParseBytes(v) ?? 0) > 0 ? undefined : 'is not a positive size');
const positiveDuration = (v: string): string | undefined =>
  (tryParseDuration(v) ?? 0) > 0 ? undefined : 'is not a positive duration';

const ratio = (v: string): string | undefined => {
  const n = Number(v);
  return n > 0 && n <= 1 ? undefined : 'is not a ratio greater than 0 and at most 1';
};

const sizeList = (v: string): string | undefined =>
  splitList(v).every((s) => tryParseBytes(s) !== undefined) ? undefined : 'is not a size or a list of sizes (e.g. 16GB or 100GB,200GB)';

/** Split a list value on `,` and `;`, trim each item and drop empty ones. */
export function splitList(v: string): string[] {
  const out: string[] = [];
  for (const s of v.split(/[,;]/)) {
    const t = s.trim();
    if (t !== '') out.push(t);
  }
  return out;
}

// ---- the table ---------------------------------------------------------------------------

/** Alluxio's default ramdisk size: two thirds of physical memory (1GB when unknown), in whole MB. */
function defaultRamdiskSize(): string {
  const total = os.totalmem();
  if (!Number.isFinite(total) || total <= 0) return '1GB';
  return `${Math.max(1, Math.floor((total * 2) / 3 / (1024 * 1024)))}MB`;
}

const TIER_ALIASES = ['MEM', 'SSD', 'HDD'] as const;
const TIER_DEFAULT_PATHS = ['/mnt/ramdisk', '', ''] as const;

function tierLevel(n: 0 | 1 | 2): PropertySpec[] {
  const p = `alluxio.worker.tieredstore.level${n}`;
  return [
    { key: `${p}.alias`, type: 'string', scope: 'WORKER', default: TIER_ALIASES[n],
      doc: `Storage class name of tier ${n} (e.g. MEM, SSD, HDD); tiers in use must have distinct aliases.` },
    { key: `${p}.dirs.path`, type: 'list', localPath: true, scope: 'WORKER', consistency: 'IGNORE', default: TIER_DEFAULT_PATHS[n],
      doc: n === 0
        ? 'Comma-separated directories of tier 0 on each worker. Alluxio uses /Volumes/ramdisk on macOS; we use /mnt/ramdisk everywhere.'
        : `Comma-separated directories of tier ${n}; required when alluxio.worker.tieredstore.levels > ${n}.` },
    { key: `${p}.dirs.mediumtype`, type: 'list', scope: 'WORKER', consistency: 'IGNORE', default: `\${${p}.alias}`,
      doc: `Medium type of each tier-${n} directory (one per path, or one for all).` },
    { key: `${p}.dirs.quota`, type: 'list', scope: 'WORKER', consistency: 'IGNORE', check: sizeList, default: n === 0 ? '${alluxio.worker.ramdisk.size}' : '',
      doc: `Capacity of each tier-${n} directory: one size per path, or a single size for all.` },
    { key: `${p}.watermark.high.ratio`, type: 'double', scope: 'WORKER', default: '0.95', check: ratio,
      doc: `Usage ratio of tier ${n} above which the worker starts evicting.` },
    { key: `${p}.watermark.low.ratio`, type: 'double', scope: 'WORKER', default: '0.7', check: ratio,
      doc: `Usage ratio of tier ${n} eviction brings the tier back down to; must be below the high watermark.` },
  ];
}

export const SCHEMA: readonly PropertySpec[] = Object.freeze([
  // ---- installation and directories
  { key: 'alluxio.home', type: 'path', localPath: true, consistency: 'IGNORE', default: '/opt/alluxio', displayDefault: 'the installation root',
    doc: 'Installation directory. Alluxio defaults to /opt/alluxio; our CLI uses the directory it runs from (ALLUXIO_HOME or -Dalluxio.home override it).' },
  { key: 'alluxio.work.dir', type: 'path', localPath: true, consistency: 'IGNORE', default: '${alluxio.home}',
    doc: 'Base directory for the journal, logs, run files and the default under storage.' },
  { key: 'alluxio.conf.dir', type: 'path', localPath: true, consistency: 'IGNORE', default: '${alluxio.home}/conf',
    doc: 'Directory holding alluxio-site.properties, masters and workers. Set with ALLUXIO_CONF_DIR or -Dalluxio.conf.dir; not accepted in alluxio-site.properties.' },
  { key: 'alluxio.logs.dir', type: 'path', localPath: true, consistency: 'IGNORE', default: '${alluxio.work.dir}/logs', doc: 'Directory for server logs.' },
  { key: 'alluxio.user.logs.dir', type: 'path', localPath: true, scope: 'CLIENT', consistency: 'IGNORE', default: '${alluxio.logs.dir}/user', doc: 'Directory for logs of CLI and client processes.' },
  { key: 'alluxio.run.dir', type: 'path', localPath: true, scope: 'SERVER', consistency: 'IGNORE', default: '${alluxio.work.dir}/run',
    doc: 'Our extension (not in Alluxio): directory for pid files, which we use instead of finding processes by class name.' },
  { key: 'alluxio.web.refresh.interval', type: 'duration', scope: 'SERVER', default: '15s', doc: 'How often the web UI refreshes its pages.' },

  // ---- master addresses and ports
  { key: 'alluxio.master.hostname', type: 'string', consistency: 'IGNORE', default: '', check: host,
    doc: 'Host name clients and workers use to reach the (single) master; in HA, the host name this master advertises.' },
  { key: 'alluxio.master.bind.host', type: 'string', scope: 'MASTER', consistency: 'IGNORE', default: '0.0.0.0', check: host, doc: 'Address the master RPC server listens on.' },
  { key: 'alluxio.master.web.bind.host', type: 'string', scope: 'MASTER', consistency: 'IGNORE', default: '0.0.0.0', check: host, doc: 'Address the master web server listens on.' },
  { key: 'alluxio.master.rpc.port', type: 'port', consistency: 'IGNORE', default: '19998', doc: 'Master RPC port.' },
  { key: 'alluxio.master.web.port', type: 'port', consistency: 'IGNORE', default: '19999', doc: 'Master web UI port.' },
  { key: 'alluxio.master.rpc.addresses', type: 'hostport-list', consistency: 'ENFORCE', default: '',
    doc: 'RPC addresses of all masters (host:port, comma-separated) for clients to find the leader; empty means derive them from the embedded journal addresses or alluxio.master.hostname.' },

  // ---- embedded journal
  { key: 'alluxio.master.embedded.journal.port', type: 'port', scope: 'MASTER', consistency: 'IGNORE', default: '19200', doc: 'Port of the embedded (Raft) journal.' },
  { key: 'alluxio.master.embedded.journal.addresses', type: 'hostport-list', consistency: 'ENFORCE', default: '',
    doc: 'Embedded journal addresses of all masters (host:port, comma-separated); empty means alluxio.master.hostname with alluxio.master.embedded.journal.port.' },
  { key: 'alluxio.master.embedded.journal.election.timeout.min', type: 'duration', scope: 'MASTER', default: '300ms', check: positiveDuration,
    doc: 'Shortest time a follower waits without hearing from a leader before it starts an election. Ours is 300ms for fast failover; Alluxio uses 10s.' },
  { key: 'alluxio.master.embedded.journal.election.timeout.max', type: 'duration', scope: 'MASTER', default: '600ms', check: positiveDuration,
    doc: 'Longest such wait (each follower picks a random time between min and max). Ours is 600ms; Alluxio uses 20s.' },
  { key: 'alluxio.master.embedded.journal.heartbeat.interval', type: 'duration', scope: 'MASTER', default: '100ms', check: positiveDuration,
    doc: 'How often the leader heartbeats followers; must be below the minimum election timeout. Ours is 100ms to match the shorter election timeouts.' },
  { key: 'alluxio.master.embedded.journal.write.timeout', type: 'duration', scope: 'MASTER', default: '30sec', check: positiveDuration,
    doc: 'How long a journal write may wait for a quorum before it fails.' },
  { key: 'alluxio.master.embedded.journal.transport.request.timeout.ms', type: 'duration', scope: 'MASTER', default: '5sec', check: positiveDuration,
    doc: 'Timeout of one request between journal peers.' },

  // ---- journal
  { key: 'alluxio.master.journal.type', type: 'enum', scope: 'MASTER', consistency: 'ENFORCE', values: ['EMBEDDED', 'UFS', 'NOOP'], default: 'EMBEDDED',
    doc: 'EMBEDDED: Raft among the masters. UFS: a shared folder with ZooKeeper leader election. NOOP: no journal (tests only).' },
  { key: 'alluxio.master.journal.folder', type: 'path', localPath: true, scope: 'MASTER', consistency: 'IGNORE', default: '${alluxio.work.dir}/journal',
    doc: 'Journal directory: local to each master for EMBEDDED; shared by all masters for UFS.' },
  { key: 'alluxio.master.journal.checkpoint.period.entries', type: 'int', scope: 'MASTER', default: '2000000', check: positiveInt,
    doc: 'Journal entries written between two checkpoints (snapshots).' },
  { key: 'alluxio.master.journal.flush.batch.time', type: 'duration', scope: 'MASTER', default: '5ms',
    doc: 'Longest time a journal write waits so that concurrent writes are committed together.' },
  { key: 'alluxio.master.journal.tailer.sleep.time', type: 'duration', scope: 'MASTER', default: '1sec', check: positiveDuration,
    doc: 'UFS journal: how often a standby master reads what the leader appended to the shared journal (its lag bound).' },

  // ---- namespace and workers, seen from the master
  { key: 'alluxio.master.mount.table.root.ufs', type: 'path', localPath: true, scope: 'SERVER', consistency: 'ENFORCE', default: '${alluxio.work.dir}/underFSStorage', aliases: ['alluxio.underfs.address'],
    doc: 'Under storage mounted at the Alluxio root: a shared directory or URI every master and worker can reach.' },
  { key: 'alluxio.master.worker.timeout', type: 'duration', scope: 'MASTER', default: '5min', check: positiveDuration,
    doc: 'A worker that has not sent a heartbeat for this long is marked lost.' },
  { key: 'alluxio.master.lost.worker.detection.interval', type: 'duration', scope: 'MASTER', default: '10sec', check: positiveDuration,
    doc: 'How often the master looks for lost workers.' },
  { key: 'alluxio.master.persistence.initial.interval', type: 'duration', scope: 'MASTER', default: '1sec', check: positiveDuration,
    doc: 'First wait before an ASYNC_THROUGH persist that failed is handed out again; doubled after each failure.' },
  { key: 'alluxio.master.persistence.max.interval', type: 'duration', scope: 'MASTER', default: '1hour', check: positiveDuration,
    doc: 'Longest wait between two attempts to persist an ASYNC_THROUGH file.' },
  { key: 'alluxio.master.persistence.max.total.wait.time', type: 'duration', scope: 'MASTER', default: '1day', check: positiveDuration,
    doc: 'An ASYNC_THROUGH file still failing to persist this long after its first failure is marked NOT_PERSISTED with the last error (fs stat, fsadmin report).' },
  { key: 'alluxio.underfs.persistence.async.temp.dir', type: 'string', scope: 'SERVER', consistency: 'ENFORCE', default: '.alluxio_ufs_persistence',
    check: (v) => (/^[A-Za-z0-9._-]+$/.test(v) && v !== '.' && v !== '..' ? undefined : 'is not a plain folder name'),
    doc: 'Folder under the root UFS where workers write THROUGH and ASYNC_THROUGH data before the leading master moves it to the file\'s current path; the path is reserved in the namespace.' },
  { key: 'alluxio.underfs.cleanup.enabled', type: 'bool', scope: 'MASTER', default: 'true',
    doc: 'The leading master deletes temp files in alluxio.underfs.persistence.async.temp.dir that no write or persist can still use. Ours defaults to true (Alluxio: false).' },
  { key: 'alluxio.underfs.cleanup.interval', type: 'duration', scope: 'MASTER', default: '1hour', check: positiveDuration,
    doc: 'How often the UFS temp folder is swept (also when a master becomes leader); a temp file of a file still being written or persisted is deleted only once it was not modified for this long. Ours 1hour (Alluxio: 1day).' },
  { key: 'alluxio.master.standby.heartbeat.interval', type: 'duration', scope: 'MASTER', default: '2min', check: positiveDuration,
    doc: 'How often a standby master reports to the leader.' },
  { key: 'alluxio.standby.master.web.enabled', type: 'bool', scope: 'MASTER', default: 'true',
    doc: 'Serve the web UI pages on standby masters too; when false a standby answers them with 503 and a link to the leader, and serves them once it leads. Its /api/v1 endpoints (info, config) answer either way. Ours defaults to true (Alluxio: false) so any master URL shows which master leads.' },

  { key: 'alluxio.metrics.enabled', type: 'bool', scope: 'SERVER', default: 'true',
    doc: 'Serve metrics (/metrics/prometheus/, /metrics/json/, the Metrics page; docs/metrics.md), time the master\'s RPCs per method and send the worker\'s byte counters with its heartbeats. When false the endpoints answer 503. Ours: Alluxio has no such switch (it configures sinks in metrics.properties).' },

  // ---- worker
  { key: 'alluxio.worker.hostname', type: 'string', scope: 'WORKER', consistency: 'IGNORE', default: '', check: host,
    doc: 'Host name the worker advertises to the master; empty means this host\'s name.' },
  { key: 'alluxio.worker.bind.host', type: 'string', scope: 'WORKER', consistency: 'IGNORE', default: '0.0.0.0', check: host, doc: 'Address the worker RPC server listens on.' },
  { key: 'alluxio.worker.web.bind.host', type: 'string', scope: 'WORKER', consistency: 'IGNORE', default: '0.0.0.0', check: host, doc: 'Address the worker web server listens on.' },
  { key: 'alluxio.worker.rpc.port', type: 'port', scope: 'WORKER', consistency: 'IGNORE', default: '29999', doc: 'Worker RPC (and data) port.' },
  { key: 'alluxio.worker.web.port', type: 'port', scope: 'WORKER', consistency: 'IGNORE', default: '30000', doc: 'Worker web UI port.' },
  { key: 'alluxio.worker.ramdisk.size', type: 'bytes', scope: 'WORKER', consistency: 'IGNORE', default: defaultRamdiskSize(), check: positiveBytes, aliases: ['alluxio.worker.memory.size'],
    displayDefault: '2/3 of physical memory',
    doc: 'Size of the worker ramdisk. Ours is a tmpfs mounted with this size (Alluxio uses ramfs on Linux, which enforces no limit).' },
  { key: 'alluxio.worker.tieredstore.levels', type: 'int', scope: 'WORKER', default: '1', check: intRange(1, 3),
    doc: 'Number of storage tiers on each worker (1 to 3); tiers 0..levels-1 need dirs.path.' },
  ...tierLevel(0),
  ...tierLevel(1),
  ...tierLevel(2),
  { key: 'alluxio.worker.data.folder', type: 'path', scope: 'WORKER', default: '/alluxioworker/',
    doc: 'Sub-directory of each tier directory that holds block files.' },
  { key: 'alluxio.worker.block.heartbeat.interval', type: 'duration', scope: 'WORKER', default: '1sec', check: positiveDuration,
    doc: 'How often a worker heartbeats the leading master.' },
  { key: 'alluxio.worker.block.heartbeat.timeout', type: 'duration', scope: 'WORKER', default: '${alluxio.worker.master.connect.retry.timeout}', check: positiveDuration,
    doc: 'A worker that cannot heartbeat for this long exits.' },
  { key: 'alluxio.worker.master.connect.retry.timeout', type: 'duration', scope: 'WORKER', default: '1hour', check: positiveDuration,
    doc: 'How long a worker keeps trying to reach a master before it gives up.' },
  { key: 'alluxio.worker.network.shutdown.timeout', type: 'duration', scope: 'WORKER', default: '15sec', check: positiveDuration,
    doc: 'On SIGTERM a worker drains: it refuses new block and UFS streams at once (clients go to another worker, or wait for it to come back for a read), lets the streams in flight finish for at most this long, then exits. `alluxio-stop.sh worker` waits this long plus a margin before it sends SIGKILL.' },

  { key: 'alluxio.worker.session.timeout', type: 'duration', scope: 'WORKER', default: '1min', check: positiveDuration,
    doc: 'A short-circuit session (a local client reading a block file or writing a temp block file directly) that sends no keep-alive for this long is ended: its block lock is released, its unfinished temp block aborted. A client that dies releases at once (its connection resets); this bounds a frozen one.' },
  { key: 'alluxio.worker.network.keepalive.timeout', type: 'duration', scope: 'WORKER', default: '30sec', check: positiveDuration,
    doc: 'Longest a worker\'s data channel waits for a client\'s bytes (the first bytes and HELLO of a connection, the next request, the rest of a frame, the next frame of a block write); then it closes the connection (a write in progress is aborted). An idle pooled connection is closed after it too.' },

  // ---- clients
  { key: 'alluxio.user.file.writetype.default', type: 'enum', scope: 'CLIENT', values: ['MUST_CACHE', 'CACHE_THROUGH', 'THROUGH', 'ASYNC_THROUGH'], default: 'ASYNC_THROUGH',
    doc: 'Default write type: MUST_CACHE (workers only), CACHE_THROUGH (workers and under storage, synchronously), THROUGH (under storage only), ASYNC_THROUGH (workers, then under storage in the background).' },
  { key: 'alluxio.user.file.readtype.default', type: 'enum', scope: 'CLIENT', values: ['NO_CACHE', 'CACHE', 'CACHE_PROMOTE'], default: 'CACHE',
    doc: 'Default read type: NO_CACHE, CACHE (cache on a worker), CACHE_PROMOTE (also move to the top tier).' },
  { key: 'alluxio.user.block.size.bytes.default', type: 'bytes', default: '64MB', check: positiveBytes, doc: 'Block size of new files.' },
  { key: 'alluxio.user.rpc.retry.base.sleep', type: 'duration', scope: 'CLIENT', default: '50ms', doc: 'First back-off between client RPC retries.' },
  { key: 'alluxio.user.rpc.retry.max.sleep', type: 'duration', scope: 'CLIENT', default: '3sec', doc: 'Longest back-off between client RPC retries.' },
  { key: 'alluxio.user.rpc.retry.max.duration', type: 'duration', scope: 'CLIENT', default: '2min', doc: 'How long a client keeps retrying an RPC in total.' },
  { key: 'alluxio.user.short.circuit.enabled', type: 'bool', scope: 'CLIENT', default: 'true',
    doc: 'A client on the same host as a worker reads its block files and writes its temp block files directly (the worker locks, reserves and commits; docs/architecture.md, Short-circuit I/O); it falls back to the worker\'s data stream when it cannot open the file. false: always the data stream.' },
  { key: 'alluxio.user.block.read.retry.sleep.base', type: 'duration', scope: 'CLIENT', default: '250ms', check: positiveDuration,
    doc: 'First back-off of a read of a block of a file not persisted whose workers refuse (shutting down) or do not answer while the master lists them LIVE; it doubles up to sleep.max.' },
  { key: 'alluxio.user.block.read.retry.sleep.max', type: 'duration', scope: 'CLIENT', default: '2sec', check: positiveDuration,
    doc: 'Longest back-off between such block read retries.' },
  { key: 'alluxio.user.block.read.retry.max.duration', type: 'duration', scope: 'CLIENT', default: '2min', check: positiveDuration,
    doc: 'How long such a read waits for a holder of the block to serve it again (a restarting worker) before it fails with BlockLostError; a holder the master marks LOST ends the wait at once.' },
  { key: 'alluxio.user.master.polling.timeout', type: 'duration', scope: 'CLIENT', default: '30sec', check: positiveDuration,
    doc: 'How long a client polls the masters for the leader before it gives up.' },

  // ---- security (authentication, permissions, audit)
  { key: 'alluxio.security.authentication.type', type: 'enum', consistency: 'ENFORCE', values: ['SIMPLE', 'NOSASL'], default: 'SIMPLE',
    doc: 'SIMPLE: every client names its user (alluxio.security.login.username, else the OS user) with each call, and the master records owners and checks permissions. NOSASL: users are ignored, no checks (anyone reaching the ports may do anything). Alluxio\'s CUSTOM and KERBEROS are not supported.' },
  { key: 'alluxio.security.login.username', type: 'string', scope: 'CLIENT', consistency: 'IGNORE', default: '',
    doc: 'Client side: the user this client acts as; empty means the OS user running it. SIMPLE trusts what the client says: it separates honest users, it does not stop a hostile one.' },
  { key: 'alluxio.security.authorization.permission.enabled', type: 'bool', scope: 'MASTER', consistency: 'ENFORCE', default: 'true',
    doc: 'Check the POSIX permissions of owner, group and mode on every namespace operation (needs SIMPLE).' },
  { key: 'alluxio.security.authorization.permission.umask', type: 'string', scope: 'MASTER', consistency: 'ENFORCE', default: '022',
    check: (v) => (/^[0-7]{1,4}$/.test(v) && parseInt(v, 8) <= 0o777 ? undefined : 'is not an octal umask such as 022'),
    doc: 'Umask of new files (0666 & ~umask) and directories (0777 & ~umask), applied by the master.' },
  { key: 'alluxio.security.authorization.permission.supergroup', type: 'string', scope: 'MASTER', consistency: 'ENFORCE', default: 'supergroup',
    doc: 'Members of this group (on the master host) are superusers, like the OS user that runs the master.' },
  { key: 'alluxio.security.group.mapping.cache.timeout', type: 'duration', scope: 'MASTER', default: '1min',
    doc: 'How long the master keeps a user\'s groups (looked up with id -Gn on the master host); 0 disables the cache.' },
  { key: 'alluxio.master.audit.logging.enabled', type: 'bool', scope: 'MASTER', default: 'false',
    doc: 'Write one line per namespace operation (allowed, user, command, paths) to master_audit.log in alluxio.logs.dir.' },

  // ---- ZooKeeper
  { key: 'alluxio.zookeeper.enabled', type: 'bool', consistency: 'ENFORCE', default: 'false',
    doc: 'Elect the leader through ZooKeeper; requires alluxio.zookeeper.address and alluxio.master.journal.type=UFS.' },
  { key: 'alluxio.zookeeper.address', type: 'hostport-list', consistency: 'ENFORCE', default: '', doc: 'ZooKeeper ensemble (host:port, comma-separated).' },
  { key: 'alluxio.zookeeper.session.timeout', type: 'duration', default: '20s', check: positiveDuration,
    doc: 'ZooKeeper session timeout: how long a dead or cut-off master keeps its candidacy (the failover floor after a crash; a clean stop does not wait for it); a cut-off leader steps down on its own timer before it ends. 20s (Alluxio: 60s) outlasts a leader\'s longest event-loop stall, a checkpoint of a few million files (docs/reliability.md). ZooKeeper grants 2 to 20 x its tickTime (4s to 40s by default).' },
  { key: 'alluxio.zookeeper.connection.timeout', type: 'duration', default: '15s', check: positiveDuration,
    doc: 'How long a master or client waits for a ZooKeeper session before it reports the ensemble unreachable (masters keep trying).' },
  { key: 'alluxio.zookeeper.leader.connection.error.policy', type: 'enum', values: ['SESSION', 'STANDARD'], default: 'SESSION',
    doc: 'SESSION: the leader steps down only when its ZooKeeper session expires. STANDARD: on any connection loss.' },
  { key: 'alluxio.zookeeper.election.path', type: 'path', consistency: 'ENFORCE', default: '/alluxio/election', doc: 'ZooKeeper node used for the election.' },
  { key: 'alluxio.zookeeper.leader.path', type: 'path', consistency: 'ENFORCE', default: '/alluxio/leader', doc: 'ZooKeeper node where the leader publishes its address.' },
  { key: 'alluxio.zookeeper.leader.inquiry.retry', type: 'int', scope: 'CLIENT', default: '10', check: nonNegativeInt,
    doc: 'How many times a client asks ZooKeeper for the leader before it gives up.' },
] satisfies PropertySpec[]);

const BY_KEY: ReadonlyMap<string, PropertySpec> = new Map(SCHEMA.map((s) => [s.key, s]));
const BY_ALIAS: ReadonlyMap<string, PropertySpec> = new Map(
  SCHEMA.flatMap((s) => (s.aliases ?? []).map((a) => [a, s] as const)),
);
/** All canonical keys, sorted. */
export const KEYS: readonly string[] = Object.freeze(SCHEMA.map((s) => s.key).sort());

/** The spec of a key, or of the key an alias stands for; undefined when unknown. */
export function findSpec(key: string): PropertySpec | undefined {
  return BY_KEY.get(key) ?? BY_ALIAS.get(key);
}

/** True when `key` is a deprecated alias (not the canonical name). */
export function isAlias(key: string): boolean {
  return !BY_KEY.has(key) && BY_ALIAS.has(key);
}

// ---- value checks --------------------------------------------------------------------------

const PORT_HINT = 'is not a valid port (1-65535)';
const HOSTPORT_HINT = 'is not a list of host:port';

function isPortNumber(s: string, allowZero: boolean): boolean {
  if (!/^\d{1,5}$/.test(s)) return false;
  const n = Number(s);
  return n <= 65535 && (allowZero || n >= 1);
}

/** `host:port` with a DNS name, IPv4 or bracketed IPv6 host and a port 1-65535. */
/** An absolute path or a URI with a scheme (`hdfs://...`, `s3://...`): what a 'path' value must be. */
export function isAbsolutePathOrUri(v: string): boolean {
  return v.startsWith('/') || /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(v);
}

export function isHostPort(s: string): boolean {
  const m = /^(\[[^\]]+\]|[^:\s]+):(\d+)$/.exec(s);
  return m !== null && isValidHost(m[1]!) && isPortNumber(m[2]!, false);
}

/** The type problem of a value, as a phrase (`is not an integer`), or undefined when fine. */
export function typeProblem(spec: PropertySpec, v: string): string | undefined {
  switch (spec.type) {
    case 'int':
      if (!/^[+-]?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) return 'is not an integer';
      break;
    case 'port':
      // 0 is accepted: it asks the OS for any free port (used by tests).
      if (!isPortNumber(v, true)) return PORT_HINT;
      break;
    case 'bool':
      if (!/^(true|false)$/i.test(v)) return 'is not a boolean (true or false)';
      break;
    case 'bytes':
      if (tryParseBytes(v) === undefined) return SIZE_HINT;
      break;
    case 'duration':
      if (tryParseDuration(v) === undefined) return DURATION_HINT;
      break;
    case 'double':
      if (v.trim() === '' || !Number.isFinite(Number(v))) return 'is not a number';
      break;
    case 'enum':
      if (!(spec.values ?? []).includes(v.toUpperCase())) return `is not one of ${(spec.values ?? []).join(', ')}`;
      break;
    case 'hostport-list': {
      const items = splitList(v);
      if (items.length === 0 || !items.every(isHostPort)) return HOSTPORT_HINT;
      break;
    }
    case 'path':
      if (!isAbsolutePathOrUri(v)) return 'is not an absolute path';
      break;
    case 'string':
    case 'list':
      break;
  }
  return spec.check?.(v);
}
