/** Reading a shared (UFS) journal folder in tests: what each epoch physically holds. */
import fs from 'node:fs';
import path from 'node:path';
import { epochLogDir } from '../../src/journal/ufs/layout.js';
import { RECORD_HEADER_BYTES, Wal, segmentFileName } from '../../src/journal/local/wal.js';

/** Records physically written in epoch `epoch`'s log folder (sealed or not). */
export function recordsIn(folder: string, epoch: number): number {
  let n = 0;
  const dir = epochLogDir(folder, epoch);
  if (!fs.existsSync(dir)) return 0;
  for (const first of Wal.listSegments(dir)) {
    const b = fs.readFileSync(path.join(dir, segmentFileName(first)));
    let off = 16;
    while (off + RECORD_HEADER_BYTES <= b.length && b.readUInt32LE(off) > 0) { off += RECORD_HEADER_BYTES + b.readUInt32LE(off); n++; }
  }
  return n;
}
