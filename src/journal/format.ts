/**
 * Formatting a journal folder, and the safety checks that keep `alluxio format` from ever deleting
 * the wrong directory (a headline feature: Alluxio will happily `rm -rf` a mistyped path).
 *
 * A formatted journal folder holds the marker file `.alluxio-journal` (JSON
 * `{format: 1, clusterId, formattedAt}`). Wiping is allowed only for a folder that is empty, missing,
 * or already carries the marker, and never for `/`, a filesystem root, the home directory, the
 * Alluxio home or any ancestor of those (after resolving symlinks).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { ConfigError } from '../errors.js';

export const JOURNAL_MARKER = '.alluxio-journal';
/** Version of the on-disk journal layout written by this code. */
export const JOURNAL_FORMAT_VERSION = 1;

export interface JournalMarker {
  readonly format: number;
  readonly clusterId: string;
  readonly formattedAt: string;
}

export interface SafeToWipeOptions {
  /** Directories that must survive: the directory itself and all its ancestors are refused. */
  protectedPaths: readonly string[];
  /** Name of the marker file that proves the directory is ours (e.g. JOURNAL_MARKER). */
  marker: string;
  /** The user's home directory; defaults to os.homedir(). Injectable for tests. */
  home?: string;
}

/**
 * Resolve `p` to an absolute path with every symlink resolved. For a path that does not exist yet,
 * the deepest existing ancestor is resolved and the missing tail appended, so a missing folder under
 * a symlinked parent still resolves to where it would really be created.
 */
export function resolveReal(p: string): string {
  const abs = path.resolve(p);
  const missing: string[] = [];
  let cur = abs;
  for (;;) {
    try {
      return path.join(fs.realpathSync(cur), ...missing.reverse());
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && (e as NodeJS.ErrnoException).code !== 'ENOTDIR') throw e;
      const parent = path.dirname(cur);
      if (parent === cur) return abs; // nothing exists at all (cannot happen on a sane system)
      missing.push(path.basename(cur));
      cur = parent;
    }
  }
}

/** True when `a` equals `b` or is an ancestor of it (both absolute, normalized). */
function isSameOrAncestor(a: string, b: string): boolean {
  if (a === b) return true;
  const rel = path.relative(a, b);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
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

  if (real === path.parse(real).root) refuse('it is the root of the file system');

  const homeRaw = opts.home ?? os.homedir();
  if (homeRaw) {
    const home = resolveReal(homeRaw);
    if (real === home) refuse(`it is the home directory`);
    if (isSameOrAncestor(real, home)) refuse(`it is an ancestor of the home directory '${home}'`);
  }
  for (const p of opts.protectedPaths) {
    if (!p) continue;
    const prot = resolveReal(p);
    if (real === prot) refuse(`it is a protected directory (e.g. alluxio.home)`);
    if (isSameOrAncestor(real, prot)) refuse(`it is an ancestor of the protected directory '${prot}' (e.g. alluxio.home)`);
  }

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

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export interface FormatJournalOptions {
  /** Cluster id written into the marker; a random UUID by default. */
  clusterId?: string;
  /** Directories never to delete or contain (pass alluxio.home here). */
  protectedPaths?: readonly string[];
  /** Home directory override (tests); defaults to os.homedir(). */
  home?: string;
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
