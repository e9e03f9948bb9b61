/**
 * Formatting a journal folder, and the safety checks that keep `alluxio format` from ever deleting
 * the wrong directory (a headline feature: Alluxio will happily `rm -rf` a mistyped path).
 *
 * A formatted journal folder holds the marker file `.alluxio-journal` (JSON
 * `{format: 1, clusterId, formattedAt, rejoin?}`; `rejoin`: re-seeded while the other masters
 * ran, so the embedded journal rejoins them instead of bootstrapping a log of its own). The
 * embedded journal also keeps `.alluxio-raft-member` next to it once its Raft state is durable
 * (see raft/driver.ts): empty Raft storage next to it means the storage was lost. A format
 * deletes it with everything else but the marker. Wiping is allowed only for a folder that is empty, missing,
 * or already carries the marker, and never for `/`, a filesystem root, the home directory, the
 * Alluxio home or any ancestor of those (after resolving symlinks).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Config } from '../conf/index.js';
import { ConfigError, FailedPreconditionError } from '../errors.js';
import { resolveReal, fsyncDir, protectedPathReason, type ProtectedPath } from '../fsutil.js';

/** The journal's folder (alluxio.master.journal.folder). Here, not in index.ts, so that the
 * per-host steps (orchestrate/local/service.ts) need not load the journals, Raft's gRPC transport
 * and the ZooKeeper client to find it. */
export function journalFolder(conf: Config): string {
  return conf.get('alluxio.master.journal.folder');
}

export { resolveReal };

export const JOURNAL_MARKER = '.alluxio-journal';
/** Version of the on-disk journal layout written by this code. */
export const JOURNAL_FORMAT_VERSION = 1;

/** Next to the marker: this master's embedded journal has durable Raft state (raft/driver.ts). */
export const RAFT_MEMBER_STAMP = '.alluxio-raft-member';

export interface JournalMarker {
  readonly format: number;
  readonly clusterId: string;
  readonly formattedAt: string;
  /** Re-seeded while the cluster ran: the embedded journal must rejoin, not bootstrap. */
  readonly rejoin?: boolean;
}

export interface SafeToWipeOptions {
  /** Directories that must survive: the directory itself and all its ancestors are refused.
   *  A plain string is labelled "a protected directory" in messages. */
  protectedPaths: readonly (string | ProtectedPath)[];
  /** Name of the marker file that proves the directory is ours (e.g. JOURNAL_MARKER). */
  marker: string;
  /** The user's home directory; defaults to os.homedir(). Injectable for tests. */
  home?: string;
}

function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function hasMarker(dir: string, marker: string): boolean {
  const st = statOrUndefined(path.join(dir, marker));
  return st !== undefined && st.isFile();
}

/**
 * Throw ConfigError unless deleting the contents of `dir` is safe. Pure apart from reading the file
 * system (realpath, stat, readdir); deletes nothing. Reused by the worker storage format.
 *
 * Refused: `/` (or a drive root); the home directory or any ancestor of it; any protected path or
 * any ancestor of one; something that is not a directory; a non-empty directory without the marker
 * (reported as a file system root when it is a mount point). Symlinks are resolved first, so a link pointing at a
 * protected directory is refused too.
 */
export function checkSafeToWipe(dir: string, opts: SafeToWipeOptions): void {
  const real = resolveReal(dir);
  const shown = real === path.resolve(dir) ? `'${real}'` : `'${dir}' (resolves to '${real}')`;
  const refuse = (why: string, hint?: string): never => {
    throw new ConfigError(`refusing to format ${shown}: ${why}`, {
      hint: hint ?? 'check the configured directory (e.g. alluxio.master.journal.folder)',
    });
  };

  const prot = opts.protectedPaths.map((p) => (typeof p === 'string' ? { path: p, label: 'a protected directory' } : p));
  const reason = protectedPathReason(real, prot, opts.home ?? os.homedir());
  if (reason) refuse(reason);

  const st = statOrUndefined(real);
  if (st === undefined) return; // nothing there: nothing to delete
  if (!st.isDirectory()) refuse('it exists and is not a directory');

  if (hasMarker(real, opts.marker) || fs.readdirSync(real).length === 0) return;
  // Non-empty and not ours. Name the more alarming reason when the directory is a mount point
  // (its device differs from its parent's): the root of a mounted file system.
  const parentSt = statOrUndefined(path.dirname(real));
  if (parentSt !== undefined && parentSt.dev !== st.dev) {
    refuse(`it is the root of a mounted file system, it is not empty and has no ${opts.marker} marker`,
      'use a subdirectory of the mount point instead');
  }
  throw new ConfigError(
    `refusing to format ${real}: it is not empty and has no ${opts.marker} marker, so it may not be an Alluxio journal`,
    { hint: 'check alluxio.master.journal.folder; remove the directory yourself if it really is safe' },
  );
}

/** Whether `folder` carries a valid journal marker. */
export function isJournalFormatted(folder: string): boolean {
  return readJournalMarker(folder) !== undefined;
}

/** The parsed marker of a formatted journal folder, or undefined when missing or unreadable. */
export function readJournalMarker(folder: string): JournalMarker | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(folder, JOURNAL_MARKER), 'utf8')) as Partial<JournalMarker>;
    if (m && m.format === JOURNAL_FORMAT_VERSION && typeof m.clusterId === 'string') return m as JournalMarker;
  } catch {
    // missing or not JSON: not formatted
  }
  return undefined;
}


export interface FormatJournalOptions {
  /** Cluster id written into the marker; a random UUID by default. */
  clusterId?: string;
  /** Directories never to delete or contain (pass alluxio.home here). */
  protectedPaths?: readonly (string | ProtectedPath)[];
  /** Home directory override (tests); defaults to os.homedir(). */
  home?: string;
  /** Re-seed one master of a running embedded journal (see JournalMarker.rejoin). */
  rejoin?: boolean;
}

/**
 * Wipe the journal folder and write a fresh marker. Refuses (ConfigError, nothing deleted) anything
 * checkSafeToWipe refuses. Deletes only the folder's own entries (symlinks inside are removed, not
 * followed). The marker itself stays in place until the end and is then atomically replaced, so an
 * interrupted format can simply be retried. Returns the absolute paths of the deleted entries.
 */
export function formatJournal(folder: string, opts: FormatJournalOptions = {}): { deleted: string[] } {
  const safeOpts: SafeToWipeOptions = { protectedPaths: opts.protectedPaths ?? [], marker: JOURNAL_MARKER };
  if (opts.home !== undefined) safeOpts.home = opts.home;
  checkSafeToWipe(folder, safeOpts);
  const real = resolveReal(folder);

  const deleted: string[] = [];
  if (statOrUndefined(real) !== undefined) {
    for (const name of fs.readdirSync(real).sort()) {
      if (name === JOURNAL_MARKER) continue;
      const p = path.join(real, name);
      fs.rmSync(p, { recursive: true, force: true });
      deleted.push(p);
    }
  } else {
    fs.mkdirSync(real, { recursive: true });
    fsyncDir(path.dirname(real));
  }

  const marker: JournalMarker = {
    format: JOURNAL_FORMAT_VERSION,
    clusterId: opts.clusterId ?? randomUUID(),
    formattedAt: new Date().toISOString(),
    ...(opts.rejoin ? { rejoin: true } : {}),
  };
  const tmp = path.join(real, `${JOURNAL_MARKER}.tmp`);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeFileSync(fd, JSON.stringify(marker) + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path.join(real, JOURNAL_MARKER));
  fsyncDir(real);
  return { deleted };
}

/** What the running embedded journal says about its members (fsadmin journal quorum info). */
export interface QuorumView {
  leader: string;
  members: readonly { address: string; available: boolean; recovering?: boolean }[];
}

/** Those of `targets` that the leader heard from lately (or that lead). */
export function runningTargets(targets: readonly string[], quorum: QuorumView): string[] {
  const byAddress = new Map(quorum.members.map((m) => [m.address, m]));
  return targets.filter((t) => t === quorum.leader || byAddress.get(t)?.available === true);
}

/**
 * May the journals of `targets` (embedded journal addresses) be re-seeded while the cluster runs?
 * Pure. `quorum` is the leader's view, or undefined when no master answered at all (then this is
 * an ordinary format of a stopped cluster: false). Throws FailedPreconditionError, formatting
 * nothing, when a target still runs (it answers the leader), when the masters run without a
 * leader, or when the members left would not be a majority while the targets catch up (a
 * recovering member does not count). Returns true: format them with `rejoin`.
 */
export function checkReseed(targets: readonly string[], quorum: QuorumView | undefined, mastersAnswering: boolean): boolean {
  if (quorum === undefined) {
    if (!mastersAnswering) return false;
    throw new FailedPreconditionError('refusing to format the journal while the other masters run without a leader: re-seeding it now could lose committed entries', {
      hint: 'wait until a leader is elected (alluxio fs leader), or stop every master to format the whole cluster',
    });
  }
  const running = runningTargets(targets, quorum);
  if (running.length) {
    const what = running.length === 1 ? 'that master is running (it answers' : 'those masters are running (they answer';
    throw new FailedPreconditionError(`refusing to format the journal of ${running.join(', ')}: ${what} the embedded journal's leader ${quorum.leader})`, {
      hint: 'stop it first (alluxio stop master, or alluxio-stop.sh master), then format its journal to re-seed it',
    });
  }
  const healthy = quorum.members.filter((m) => !targets.includes(m.address) && m.available && !m.recovering).map((m) => m.address);
  const need = Math.floor(quorum.members.length / 2) + 1;
  if (healthy.length < need) {
    throw new FailedPreconditionError(
      `refusing to re-seed the journal of ${targets.join(', ')}: only ${healthy.length} of the ${quorum.members.length} members (${healthy.join(', ') || 'none'}) `
      + `would be up to date while it catches up, and the quorum needs ${need}`,
      { hint: 'start the stopped masters and wait until alluxio fsadmin journal quorum info -domain MASTER shows them AVAILABLE, then re-seed one master at a time' },
    );
  }
  return true;
}

/**
 * The "same storage" check of a shared (UFS) journal folder: every master must see the very
 * same folder (a shared mount), not a local directory of the same name. One master writes a
 * probe with a random token (`writeSameStorageProbe`); each of the others checks it sees that
 * token (`checkSameStorage`, run on that master's host); the writer then removes the probe.
 * Wiring into validateEnv / start is the orchestrator's (not done here yet).
 */
export const SAME_STORAGE_PROBE_PREFIX = '.alluxio-same-storage-';

/** Write a probe into `folder` (durably, atomically); returns its token. */
export function writeSameStorageProbe(folder: string, who: string): string {
  const token = randomUUID();
  const name = SAME_STORAGE_PROBE_PREFIX + token;
  const tmp = path.join(folder, `${name}.tmp`);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeFileSync(fd, JSON.stringify({ token, who, writtenAt: new Date().toISOString() }) + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path.join(folder, name));
  fsyncDir(folder);
  return token;
}

/** Throws ConfigError unless `folder` holds the probe `token` that `writer` wrote (see writeSameStorageProbe). */
export function checkSameStorage(folder: string, token: string, writer: string, here = os.hostname()): void {
  let seen: { token?: string } | undefined;
  try {
    seen = JSON.parse(fs.readFileSync(path.join(folder, SAME_STORAGE_PROBE_PREFIX + token), 'utf8')) as { token?: string };
  } catch {
    seen = undefined;
  }
  if (seen?.token !== token) {
    throw new ConfigError(`the journal folder ${folder} on ${here} is not the storage ${writer} writes: a marker ${writer} wrote there is not visible here`, {
      hint: 'with alluxio.master.journal.type=UFS every master needs alluxio.master.journal.folder on storage all of them share (the same NFS/cluster mount)',
    });
  }
}

/** Remove a probe (the writer, once every master checked it). */
export function removeSameStorageProbe(folder: string, token: string): void {
  fs.rmSync(path.join(folder, SAME_STORAGE_PROBE_PREFIX + token), { force: true });
}
