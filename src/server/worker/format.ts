/**
 * `alluxio formatWorker`: wipe this host's worker storage. For every tier level and every directory
 * in `alluxio.worker.tieredstore.level<N>.dirs.path`, the data folder
 * `<dir>/<alluxio.worker.data.folder>` is deleted recursively and recreated with mode 1777
 * (rwxrwxrwt). Only that subfolder goes; the tier directory (often a ramdisk mount point) stays.
 *
 * Safety first (Alluxio happily deletes whatever the configuration points at): every target is
 * checked before anything is deleted, and nothing is deleted when any target is refused. Refused:
 * an empty or `/` data folder name (the tier directory itself would be wiped), a data folder that
 * escapes its tier directory (`..`), and a target that resolves (after symlinks) to `/`, the home
 * directory or an ancestor of it, or alluxio.home or an ancestor of it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../errors.js';
import { resolveReal, protectedPathReason } from '../../fsutil.js';

/** The part of the resolved configuration this module reads (the real `Config` satisfies it). */
export interface WorkerFormatConf {
  get(key: string): string;
  getInt(key: string): number;
  getList(key: string): string[];
}

export interface WorkerFormatOptions {
  /** Only create data folders that do not exist yet (`alluxio format -s`); never delete. */
  onlyMissing?: boolean;
  /** Home directory override (tests); defaults to os.homedir(). */
  home?: string;
}

export interface WorkerFormatTarget {
  /** The tier directory from the configuration. */
  dir: string;
  /** `<dir>/<data folder>`, absolute. */
  dataDir: string;
  /** The key that named `dir`. */
  key: string;
  exists: boolean;
}

const DATA_FOLDER_KEY = 'alluxio.worker.data.folder';

/**
 * Compute and check every data folder `formatWorkerStorage` would touch. Throws one ConfigError
 * listing every refused path (naming its key); deletes nothing.
 */
export function planWorkerFormat(conf: WorkerFormatConf, opts: { home?: string } = {}): WorkerFormatTarget[] {
  const folder = conf.get(DATA_FOLDER_KEY);
  const problems: string[] = [];
  const rel = folder.replace(/^\/+/, '');
  const norm = path.posix.normalize(rel === '' ? '.' : rel);
  if (norm === '.' || norm === './' || norm === '') {
    throw new ConfigError(`${DATA_FOLDER_KEY}="${folder}" names no subfolder: formatting would wipe the tier directories themselves`, {
      hint: `set ${DATA_FOLDER_KEY} to a subfolder name such as /alluxioworker/`,
    });
  }
  if (norm === '..' || norm.startsWith('../')) {
    throw new ConfigError(`${DATA_FOLDER_KEY}="${folder}" leaves the tier directory`, {
      hint: `set ${DATA_FOLDER_KEY} to a subfolder name such as /alluxioworker/`,
    });
  }

  const home = opts.home ?? os.homedir();
  const protectedPaths = [{ path: conf.get('alluxio.home'), label: 'alluxio.home' }];

  const targets: WorkerFormatTarget[] = [];
  const seen = new Set<string>();
  const levels = conf.getInt('alluxio.worker.tieredstore.levels');
  for (let n = 0; n < levels; n++) {
    const key = `alluxio.worker.tieredstore.level${n}.dirs.path`;
    for (const dir of conf.getList(key)) {
      const dataDir = path.resolve(dir, norm);
      const real = resolveReal(dataDir);
      const where = `${dataDir}${real !== dataDir ? ` (resolves to ${real})` : ''} from ${key}=${dir} and ${DATA_FOLDER_KEY}=${folder}`;
      let why = protectedPathReason(real, protectedPaths, home);
      if (!why && real === resolveReal(dir)) why = 'it is the tier directory itself';
      if (why) {
        problems.push(`refusing to format worker storage ${where}: ${why}`);
        continue;
      }
      if (seen.has(dataDir)) continue;
      seen.add(dataDir);
      targets.push({ dir, dataDir, key, exists: fs.existsSync(dataDir) || isSymlink(dataDir) });
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(problems, { hint: `check ${DATA_FOLDER_KEY} and alluxio.worker.tieredstore.level<N>.dirs.path` });
  }
  return targets;
}

function isSymlink(p: string): boolean {
  try { return fs.lstatSync(p).isSymbolicLink(); } catch { return false; }
}

/**
 * Delete and recreate (mode 1777) every worker data folder of this host. With `onlyMissing`, only
 * creates the data folders that do not exist. Returns the deleted paths.
 */
export function formatWorkerStorage(conf: WorkerFormatConf, opts: WorkerFormatOptions = {}): { deleted: string[] } {
  const planOpts: { home?: string } = {};
  if (opts.home !== undefined) planOpts.home = opts.home;
  const targets = planWorkerFormat(conf, planOpts);
  const deleted: string[] = [];
  for (const t of targets) {
    if (t.exists) {
      if (opts.onlyMissing) continue;
      // rmSync removes a symlink itself, never what it points to.
      fs.rmSync(t.dataDir, { recursive: true, force: true });
      deleted.push(t.dataDir);
    }
    fs.mkdirSync(t.dataDir, { recursive: true });
    fs.chmodSync(t.dataDir, 0o1777);
  }
  return { deleted };
}
