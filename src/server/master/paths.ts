import { InvalidPathError } from '../../errors.js';

/** Normalize an Alluxio path: absolute, no empty or dot components, no trailing slash. */
export function normalizePath(p: string): string {
  if (typeof p !== 'string' || !p.startsWith('/')) throw new InvalidPathError(`Path "${p}" is invalid: it must be absolute (start with /)`);
  // Fast path (journal replay, most RPCs): already normalized.
  if (p === '/' || (!p.endsWith('/') && !p.includes('//') && !p.includes('/.'))) return p;
  const parts: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') throw new InvalidPathError(`Path "${p}" is invalid: ".." is not allowed`);
    parts.push(c);
  }
  return '/' + parts.join('/');
}

/** Components of a normalized path ("/" has none). */
export function components(p: string): string[] {
  return p === '/' ? [] : p.slice(1).split('/');
}

export function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

export function baseName(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** True when `a` is `b` or lies under `b`. */
export function isUnder(a: string, b: string): boolean {
  return a === b || b === '/' || a.startsWith(b + '/');
}

/** Longest name (one path component) in bytes that the under file systems we write can hold (NAME_MAX). */
export const MAX_NAME_BYTES = 255;

/**
 * Refuse a new path whose names the UFS cannot hold, before anything is created: the file may
 * be persisted later (ASYNC_THROUGH, or a MUST_CACHE file persisted by an operator), and a
 * persist that can never succeed must not be acknowledged as a create.
 */
export function checkNewPath(p: string): void {
  for (const c of components(p)) {
    if (Buffer.byteLength(c) > MAX_NAME_BYTES) {
      const shown = c.length > 40 ? `${c.slice(0, 40)}...` : c;
      throw new InvalidPathError(`Path "${p.length > 120 ? `${p.slice(0, 120)}...` : p}" is invalid: the name "${shown}" is ${Buffer.byteLength(c)} bytes, longer than ${MAX_NAME_BYTES} bytes (the longest name an under file system can hold)`);
    }
    if (c.includes('\0')) throw new InvalidPathError(`Path "${p}" is invalid: a name contains a NUL character`);
  }
}
