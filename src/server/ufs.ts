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
