/** File system helpers shared by the journal, worker storage and mount code. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

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
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
      const parent = path.dirname(cur);
      if (parent === cur) return abs; // nothing exists at all (cannot happen on a sane system)
      missing.push(path.basename(cur));
      cur = parent;
    }
  }
}

/** True when `a` equals `b` or is an ancestor of it (both absolute, normalized). */
export function isSameOrAncestor(a: string, b: string): boolean {
  if (a === b) return true;
  const rel = path.relative(a, b);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** fsync a directory so that entries created, renamed or removed in it are durable. */
export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Entries of `dir`, or [] when it does not exist. */
export function readdirOrEmpty(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/** A directory that must survive any wipe, with the name used in messages. */
export interface ProtectedPath { readonly path: string; readonly label: string }

/**
 * Why wiping the (already resolved) directory `real` would be a disaster, or undefined when it is
 * none of: a file system root, the home directory or an ancestor of it, a protected directory or
 * an ancestor of one (protected paths are resolved here).
 */
export function protectedPathReason(real: string, protectedPaths: readonly ProtectedPath[], home: string = os.homedir()): string | undefined {
  if (real === path.parse(real).root) return 'it is the root of the file system';
  if (home) {
    const h = resolveReal(home);
    if (real === h) return 'it is the home directory';
    if (isSameOrAncestor(real, h)) return `it is an ancestor of the home directory '${h}'`;
  }
  for (const p of protectedPaths) {
    if (!p.path) continue;
    const prot = resolveReal(p.path);
    if (real === prot) return `it is ${p.label} '${prot}'`;
    if (isSameOrAncestor(real, prot)) return `it is an ancestor of ${p.label} '${prot}'`;
  }
  return undefined;
}

/**
 * The last `n` lines of `file` (without reading more than `maxBytes` from its end). A missing
 * file is no lines; another failure is the error's message.
 */
export function readLastLines(file: string, n: number, maxBytes = 256 * 1024): { lines: string[]; error?: string } {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const len = Math.min(size, maxBytes);
    const buf = Buffer.alloc(len);
    let got = 0;
    while (got < len) {
      const r = fs.readSync(fd, buf, got, len - got, size - len + got);
      if (r === 0) break;
      got += r;
    }
    const lines = buf.subarray(0, got).toString('utf8').split('\n');
    if (len < size) lines.shift(); // the first one may be cut
    if (lines.at(-1) === '') lines.pop();
    return { lines: lines.slice(-n) };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { lines: [] };
    return { lines: [], error: (e as Error).message };
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
