/**
 * Journal replay benchmark: write N createFile-like entries into a fresh local journal (fsync on,
 * group-committed proposals), close it, then time start() (open + scan + replay) with a Map-based
 * state machine. Prints one figure per line. Target: >= 150,000 entries/s replay.
 *
 *   node dist/bench/replay.js [entries=1000000] [--keep]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { formatJournal } from '../src/journal/format.js';
import { LocalJournal } from '../src/journal/local/journal.js';
import type { JournalEntry, StateMachine } from '../src/journal/types.js';

interface FileMeta {
  id: number;
  ts: number;
  blockSize: number;
  mode: number;
  owner: string;
}

/** A real-ish master namespace: path -> small inode object. */
class Namespace implements StateMachine {
  files = new Map<string, FileMeta>();
  apply(e: JournalEntry): unknown {
    if (e.type !== 'createFile') throw new Error(`unexpected ${e.type}`);
    const p = e.path as string;
    if (this.files.has(p)) throw new Error(`${p} exists`);
    this.files.set(p, { id: e.id as number, ts: e.ts as number, blockSize: e.blockSize as number, mode: e.mode as number, owner: e.owner as string });
    return e.id;
  }
  snapshot(): Buffer {
    return Buffer.from(JSON.stringify([...this.files]));
  }
  restore(data: Buffer): void {
    this.files = new Map(JSON.parse(data.toString('utf8')) as [string, FileMeta][]);
  }
}

function entry(i: number, ts: number): JournalEntry {
  return {
    type: 'createFile',
    path: `/bench/dir${i % 1000}/file${i}`,
    id: 16_777_216 + i * 4096,
    ts,
    blockSize: 67_108_864,
    mode: 420,
    owner: 'alluxio',
    ttl: -1,
  };
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const n of fs.readdirSync(dir)) total += fs.statSync(path.join(dir, n)).size;
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
    const writer = new LocalJournal({ folder, log: (m) => console.error(m) });
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
    const reader = new LocalJournal({ folder, log: (m) => console.error(m) });
    const t0 = performance.now();
    await reader.start(ns);
    const restartMs = performance.now() - t0;
    const rs = reader.stats();
    await reader.close();
    if (ns.files.size !== n || rs.replayedEntries !== n) throw new Error(`replayed ${rs.replayedEntries}, state has ${ns.files.size}, expected ${n}`);

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
