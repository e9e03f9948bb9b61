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
