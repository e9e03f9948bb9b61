/**
 * The root under file system. Today: a local or shared directory (`/path` or `file:///path`),
 * which masters use for metadata operations and workers for data.
 */
import path from 'node:path';
import { ConfigError } from '../errors.js';

/** Resolve alluxio.master.mount.table.root.ufs to an absolute local directory. */
export function ufsRootDir(uri: string): string {
  let p = uri.trim();
  if (p.startsWith('file://')) p = p.slice('file://'.length);
  if (!p.startsWith('/')) {
    throw new ConfigError(`alluxio.master.mount.table.root.ufs: "${uri}" is not supported: only a local or shared directory (/path or file:///path) can be the root UFS`, {
      hint: 'mount the shared storage (NFS, ...) on every host and give its path',
    });
  }
  return path.resolve(p);
}

/** UFS location of a normalized Alluxio path. */
export function ufsPathOf(root: string, alluxioPath: string): string {
  return alluxioPath === '/' ? root : path.join(root, alluxioPath);
}

/**
 * Temp files in the UFS (alluxio.underfs.persistence.async.temp.dir under the root): a worker
 * writes THROUGH and ASYNC_THROUGH data there under a name that carries the file id, and the
 * leading master moves it to the file's path *at that moment* (convention 13: data is tied to
 * the file id, not to a path that a rename may have changed since). Only names of this shape are
 * ever deleted by the cleanup.
 */
const TEMP_NAME = /^(\d{1,16})-([0-9a-f]{16})\.tmp$/;

export function ufsTempDir(root: string, tempDirName: string): string {
  return path.join(root, tempDirName);
}

/** A fresh temp file name for `fileId`. */
export function ufsTempName(fileId: number, nonce: string): string {
  return `${fileId}-${nonce}.tmp`;
}

/** The file id a temp file name belongs to, or undefined when the name is not one of ours. */
export function fileIdOfTempName(name: string): number | undefined {
  const m = TEMP_NAME.exec(name);
  if (!m) return undefined;
  const id = Number(m[1]);
  return Number.isSafeInteger(id) ? id : undefined;
}

/** A worker's report on an ASYNC_THROUGH persist (proto PersistResult): the temp file it wrote, or why it failed. */
export interface PersistReport { fileId: number; tempUfsPath: string; error: string }

/** Runs async tasks one at a time, in the order they were queued. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
