/** Looking into journal segment files from tests (segments are preallocated: zeros after the data). */
import fs from 'node:fs';

/** Bytes up to the last non-zero one: the data of a segment (or of any file). */
export function dataLength(file: string): number {
  const b = fs.readFileSync(file);
  let n = b.length;
  while (n > 0 && b[n - 1] === 0) n--;
  return n;
}

/** Overwrite bytes of `file` at `offset`, as a torn or stray write would. */
export function writeAt(file: string, offset: number, bytes: Buffer): void {
  const fd = fs.openSync(file, 'r+');
  try { fs.writeSync(fd, bytes, 0, bytes.length, offset); } finally { fs.closeSync(fd); }
}
