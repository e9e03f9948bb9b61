/**
 * Journal replay benchmark: write N createFile-like entries into a fresh local journal (fsync on,
 * group-committed proposals), close it, then time start() (open + scan + replay) with the master's real
 * namespace state machine (inode tree). Prints one figure per line. Target: >= 150,000 entries/s replay.
 *
 *   node dist/bench/replay.js [entries=1000000] [--keep]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { formatJournal } from '../src/journal/format.js';
import { LocalJournal } from '../src/journal/local/journal.js';
import type { MasterEntry } from '../src/server/master/entries.js';
import { Namespace } from '../src/server/master/namespace.js';

/** Exactly what the master journals for a createFile RPC (see AlluxioMaster.CreateFile). */
function entry(i: number, ts: number): MasterEntry {
  return {
    type: 'createFile',
    path: `/bench/dir${i % 1000}/file${i}`,
    recursive: true,
    blockSize: 67_108_864,
    opId: `0b6a7c52-9f1e-4d3a-8c71-${String(i).padStart(12, '0')}`,
    ts,
  };
}

/** Bytes the files of `dir` occupy on disk (segments are preallocated as sparse files). */
function dirBytes(dir: string): number {
  let total = 0;
  for (const n of fs.readdirSync(dir)) total += fs.statSync(path.join(dir, n)).blocks * 512;
  return total;
}

async function main(): Promise<void> {
  const n = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 1_000_000);
  const keep = process.argv.includes('--keep');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-replay-'));
  const folder = path.join(root, 'journal');
  formatJournal(folder, { clusterId: 'bench' });
  try {
    // Write phase: a bounded window of outstanding proposals, as many concurrent RPCs would produce.
    const writer = new LocalJournal<MasterEntry>({ folder, log: (m) => console.error(m) });
    await writer.start(new Namespace());
    const window = 20_000;
    const ts = Date.now();
    const tw = performance.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < n) await writer.propose(entry(next++, ts));
    };
    await Promise.all(Array.from({ length: window }, worker));
    const writeMs = performance.now() - tw;
    const ws = writer.stats();
    await writer.close();
    const avgEntryBytes = Buffer.byteLength(JSON.stringify(entry(Math.floor(n / 2), ts)));

    // Replay phase: a fresh process-like start on the closed journal.
    const ns = new Namespace();
    const reader = new LocalJournal<MasterEntry>({ folder, log: (m) => console.error(m) });
    const t0 = performance.now();
    await reader.start(ns);
    const restartMs = performance.now() - t0;
    const rs = reader.stats();
    await reader.close();
    // n files + 1000 directories + /bench + the root.
    if (ns.inodeCount !== n + 1002 || rs.replayedEntries !== n) throw new Error(`replayed ${rs.replayedEntries}, state has ${ns.inodeCount} inodes, expected ${n + 1002}`);

    const logBytes = dirBytes(path.join(folder, 'log'));
    console.log(`entries: ${n}`);
    console.log(`entry size (JSON bytes): ${avgEntryBytes}`);
    console.log(`write time ms (fsync on): ${writeMs.toFixed(0)}`);
    console.log(`write entries/s: ${Math.round(n / (writeMs / 1000))}`);
    console.log(`write fsyncs: ${ws.fsyncs}`);
    console.log(`replay time ms: ${rs.replayMs.toFixed(0)}`);
    console.log(`replay entries/s: ${Math.round(n / (rs.replayMs / 1000))}`);
    console.log(`restart time ms (start() total): ${restartMs.toFixed(0)}`);
    console.log(`log size MB: ${(logBytes / 1024 / 1024).toFixed(1)}`);
  } finally {
    if (!keep) fs.rmSync(root, { recursive: true, force: true });
    else console.log(`journal kept in ${folder}`);
  }
}

await main();
