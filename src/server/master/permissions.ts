/**
 * The permission model of the namespace (HDFS / Alluxio 2.x POSIX bits; no ACLs), as pure
 * functions: who may do what to which inode. No I/O: the caller resolves the user's groups and
 * hands in the inodes along the path. Every refusal is a PermissionDeniedError that names the
 * user, the access asked, the path, and the inode where the check failed with its owner, group
 * and mode.
 *
 * Rules (a superuser passes every check):
 * - reaching a path needs execute (traverse) on every existing directory above it;
 * - the access itself is checked on the last existing inode of the path (for a path that does
 *   not exist yet, its deepest existing ancestor);
 * - owner bits apply to the owner, group bits to members of the inode's group, other bits to the
 *   rest (exclusively, as POSIX: an owner without a bit is refused even if others have it);
 * - a directory with the sticky bit (01000) lets only the owner of an entry, the owner of the
 *   directory or a superuser delete or rename that entry.
 */
import { PermissionDeniedError } from '../../errors.js';
import { components } from './paths.js';

export const READ = 4;
export const WRITE = 2;
export const EXECUTE = 1;
export const STICKY = 0o1000;
/** Mode bits we keep: rwx for owner, group and others, and the sticky bit. */
export const MODE_MASK = 0o1777;

/** Who asks: the authenticated user, its groups (from the master host), and whether it is a superuser. */
export interface Subject { readonly user: string; readonly groups: readonly string[]; readonly superuser: boolean }

/** What the checks read of an inode. */
export interface PermInode { readonly owner: string; readonly group: string; readonly mode: number }

/** `rwx` of the three low bits of `bits`: 6 -> `rw-`. */
export function rwx(bits: number): string {
  return `${bits & READ ? 'r' : '-'}${bits & WRITE ? 'w' : '-'}${bits & EXECUTE ? 'x' : '-'}`;
}

/** `rwxr-xr-x` for 0755; the sticky bit shows as t (x set for others) or T, as ls does. */
export function modeString(mode: number): string {
  const s = rwx(mode >> 6) + rwx(mode >> 3) + rwx(mode);
  if (!(mode & STICKY)) return s;
  return s.slice(0, 8) + (mode & EXECUTE ? 't' : 'T');
}

/** Does `s` hold every bit of `bits` on `n`? */
export function permitted(s: Subject, n: PermInode, bits: number): boolean {
  if (s.superuser) return true;
  const cls = n.owner === s.user ? n.mode >> 6 : s.groups.includes(n.group) ? n.mode >> 3 : n.mode;
  return (cls & bits & 7) === bits;
}

/** The path of the i-th inode of a chain that starts at the root and follows `path`. */
function prefixPath(path: string, i: number): string {
  return '/' + components(path).slice(0, i).join('/');
}

function denied(s: Subject, bits: number, path: string, at: string, n: PermInode, why = ''): PermissionDeniedError {
  return new PermissionDeniedError(
    `Permission denied: user=${s.user}, access=${rwx(bits)}, path=${path}: failed at ${at}, inode owner=${n.owner}, group=${n.group}, mode=${modeString(n.mode)}${why}`,
    path,
  );
}

/**
 * `bits` on `path`: execute on every inode of `chain` but the last, `bits` on the last.
 * `chain` holds the existing inodes from the root along `path` (root first, at least the root).
 */
export function checkAccess(s: Subject, path: string, chain: readonly PermInode[], bits: number): void {
  if (s.superuser) return;
  for (let i = 0; i < chain.length - 1; i++) {
    if (!permitted(s, chain[i]!, EXECUTE)) throw denied(s, EXECUTE, path, prefixPath(path, i), chain[i]!);
  }
  const last = chain.length - 1;
  if (!permitted(s, chain[last]!, bits)) throw denied(s, bits, path, prefixPath(path, last), chain[last]!);
}

/**
 * `bits` on the directory that holds (or would hold) `path`. `complete`: the last inode of
 * `chain` is the one at `path` itself (it exists). The root has no parent: always allowed.
 */
export function checkParentAccess(s: Subject, path: string, chain: readonly PermInode[], complete: boolean, bits: number): void {
  if (components(path).length === 0) return;
  checkAccess(s, path, complete ? chain.slice(0, -1) : chain, bits);
}

/** Deleting or renaming `child` out of `parent` (at `path`): the sticky bit's rule. */
export function checkSticky(s: Subject, path: string, parent: PermInode, child: PermInode): void {
  if (s.superuser || !(parent.mode & STICKY) || child.owner === s.user || parent.owner === s.user) return;
  const parentPath = prefixPath(path, components(path).length - 1);
  throw denied(s, WRITE, path, parentPath, parent, `; the sticky bit is set: only the owner of ${path} (${child.owner}), of ${parentPath} or a superuser may delete or rename it`);
}

/** The user owns the inode at `path` (the last of `chain`), or is a superuser; traverse as checkAccess. */
export function checkOwner(s: Subject, path: string, chain: readonly PermInode[]): void {
  if (s.superuser) return;
  checkAccess(s, path, chain, 0);
  const n = chain[chain.length - 1]!;
  if (n.owner !== s.user) throw denied(s, 0, path, path, n, `; only the owner (${n.owner}) or a superuser may change it`);
}

/** What a setAttribute call changes. */
export interface AttributeChange { owner?: string; group?: string; mode?: string }

/**
 * chown: a superuser only. chgrp: the owner, to a group it belongs to, or a superuser. chmod: the
 * owner or a superuser. `chain` ends at the inode whose attributes change.
 */
export function checkSetAttribute(s: Subject, path: string, chain: readonly PermInode[], change: AttributeChange): void {
  if (s.superuser) return;
  if (change.owner !== undefined) {
    throw new PermissionDeniedError(`Permission denied: user=${s.user} cannot change the owner of ${path}: only a superuser (the master's user or a member of the supergroup) may`, path);
  }
  checkOwner(s, path, chain);
  if (change.group !== undefined && !s.groups.includes(change.group)) {
    throw new PermissionDeniedError(`Permission denied: user=${s.user} cannot change the group of ${path} to ${change.group}: not a member of ${change.group} (member of: ${s.groups.join(',') || 'no group'})`, path);
  }
}

/**
 * Check every inode under `root` (at `path`), collecting the failures (up to a few are named):
 * execute on every directory whose entries are reached, and `test` on every descendant.
 * `children` lists a directory's entries (undefined for a file); `view` gives what the checks
 * read of an inode.
 */
export function checkSubtree<N>(
  s: Subject, path: string, root: N, children: (n: N) => readonly (readonly [string, N])[] | undefined,
  view: (n: N) => PermInode, test: (p: string, v: PermInode) => PermissionDeniedError | undefined, what: string,
): void {
  if (s.superuser) return;
  const failures: string[] = [];
  let count = 0;
  const fail = (e: PermissionDeniedError) => { if (count++ < 3) failures.push(e.message); };
  const stack: [string, N][] = [[path, root]];
  for (let guard = 0; stack.length && guard < 100_000_000; guard++) {
    const [p, n] = stack.pop()!;
    const kids = children(n);
    if (!kids || kids.length === 0) continue;
    const v = view(n);
    if (!permitted(s, v, EXECUTE)) { fail(denied(s, EXECUTE, p, p, v)); continue; }
    for (const [name, c] of kids) {
      const cp = p === '/' ? `/${name}` : `${p}/${name}`;
      const e = test(cp, view(c));
      if (e) fail(e);
      stack.push([cp, c]);
    }
  }
  if (count) {
    const more = count > failures.length ? ` (and ${count - failures.length} more)` : '';
    throw new PermissionDeniedError(`Cannot ${what} ${path}: ${failures.join('; ')}${more}`, path);
  }
}

/** Recursive delete (Alluxio): write on every descendant, so execute on every directory on the way. */
export function checkDeleteSubtree<N>(s: Subject, path: string, root: N, children: (n: N) => readonly (readonly [string, N])[] | undefined, view: (n: N) => PermInode): void {
  checkSubtree(s, path, root, children, view, (p, v) => (permitted(s, v, WRITE) ? undefined : denied(s, WRITE, p, p, v)), 'delete everything under');
}

/** Recursive chmod / chgrp: the user owns every descendant (chown needs a superuser anyway). */
export function checkOwnerSubtree<N>(s: Subject, path: string, root: N, children: (n: N) => readonly (readonly [string, N])[] | undefined, view: (n: N) => PermInode): void {
  checkSubtree(s, path, root, children, view, (p, v) => (v.owner === s.user ? undefined : denied(s, 0, p, p, v, `; only the owner (${v.owner}) or a superuser may change it`)), 'change everything under');
}

// ---------------------------------------------------------------------------------- modes

/** 0666 & ~umask for files, 0777 & ~umask for directories. */
export function createMode(dir: boolean, umask: number): number {
  return (dir ? 0o777 : 0o666) & ~umask & 0o777;
}

/** An octal mode such as 022 or 0755, or undefined when `v` is not one. */
export function parseOctal(v: string): number | undefined {
  return /^0?[0-7]{1,4}$/.test(v) ? parseInt(v, 8) : undefined;
}

const CLAUSE = /^([ugoa]*)((?:[-+=][rwxXt]*)+)$/;

/** A chmod mode: octal (755, 1777) or symbolic (u+x, go-w, a=rX, +t, u=rwx,g=rx,o=). */
export function isValidModeSpec(spec: string): boolean {
  if (parseOctal(spec) !== undefined) return true;
  return spec.length > 0 && spec.length <= 256 && spec.split(',').every((c) => CLAUSE.test(c));
}

/**
 * The mode `spec` gives an inode whose mode is `current` (`dir`: X adds execute to directories
 * and to files with some execute bit already). Deterministic; `spec` must be valid.
 */
export function applyModeSpec(spec: string, current: number, dir: boolean): number {
  const octal = parseOctal(spec);
  if (octal !== undefined) return octal & MODE_MASK;
  let mode = current & MODE_MASK;
  for (const clause of spec.split(',')) {
    const m = CLAUSE.exec(clause);
    if (!m) continue;
    const who = m[1] === '' || m[1]!.includes('a') ? 'ugo' : m[1]!;
    const shifts = [...new Set(who)].map((w) => (w === 'u' ? 6 : w === 'g' ? 3 : 0));
    for (const [, op, perms] of m[2]!.matchAll(/([-+=])([rwxXt]*)/g)) {
      let bits = 0;
      if (perms!.includes('r')) bits |= READ;
      if (perms!.includes('w')) bits |= WRITE;
      if (perms!.includes('x') || (perms!.includes('X') && (dir || (mode & 0o111) !== 0))) bits |= EXECUTE;
      let set = 0;
      let clear = 0;
      for (const sh of shifts) { set |= bits << sh; clear |= 7 << sh; }
      const sticky = perms!.includes('t') && who.includes('o') ? STICKY : 0;
      if (op === '+') mode |= set | sticky;
      else if (op === '-') mode &= ~(set | sticky);
      else mode = (mode & ~clear & ~(who.includes('o') ? STICKY : 0)) | set | sticky;
    }
  }
  return mode & MODE_MASK;
}
