import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Wal, ZERO_CHUNK_BYTES, SEGMENT_HEADER_BYTES } from '../../src/journal/local/wal.js';
import { ROOT } from '../harness/cluster.js';
import { Tmpfs } from '../harness/tmpfs.js';
import { needsRoot } from '../harness/root.js';

const TMPFS_MAGIC = 0x01021994;
// The zeros are written on disk file systems only: where the temp folder is a tmpfs, use the build folder.
const base = fs.statfsSync(os.tmpdir()).type === TMPFS_MAGIC ? path.join(ROOT, 'dist') : os.tmpdir();
const root = fs.mkdtempSync(path.join(base, 'alluxio-wal-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;

function open(dir: string, fsync: boolean): { wal: Wal; records: string[]; warnings: string[] } {
  const records: string[] = [];
  const { wal, warnings } = Wal.open({ dir, fsync, coveredIndex: 0, segmentBytes: 8 * ZERO_CHUNK_BYTES, onRecord: (p) => records.push(p.toString()) });
  return { wal, records, warnings };
}

/** Bytes the file system allocated to the file (holes excluded). */
const allocated = (file: string) => fs.statSync(file).blocks * 512;

test('durable appends land on blocks written ahead with zeros, not in holes; the zeros are not records', async () => {
  const sizes: Record<string, number> = {};
  for (const fsync of [false, true]) {
    const dir = path.join(root, `w${n++}`);
    const { wal } = open(dir, fsync);
    await wal.append([Buffer.from('{"first":1}')]);
    const file = wal.segmentFiles()[0]!;
    sizes[String(fsync)] = allocated(file);
    for (let i = 0; i < 50; i++) await wal.append([Buffer.from(JSON.stringify({ i, pad: 'x'.repeat(300) }))]);
    wal.close();
    await new Promise((r) => setTimeout(r, 50)); // a fill in flight closes the descriptor after it
    const again = open(dir, fsync);
    assert.equal(again.records.length, 51);
    assert.equal(again.records[0], '{"first":1}');
    assert.equal(JSON.parse(again.records[50]!).i, 49);
    assert.deepEqual(again.warnings, []);
    await again.wal.append([Buffer.from('{"after":"reopen"}')]);
    again.wal.close();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(open(dir, fsync).records.at(-1), '{"after":"reopen"}');
  }
  console.log(`allocated after the first append: ${sizes.true} bytes durable, ${sizes.false} bytes without fsync`);
  // Durable: the first chunk is written before the first record goes in.
  assert.ok(sizes.true! >= ZERO_CHUNK_BYTES, `only ${sizes.true} bytes allocated with fsync on`);
  // Without durability nothing is filled (the segment stays a sparse preallocation).
  assert.ok(sizes.false! < ZERO_CHUNK_BYTES / 2, `${sizes.false} bytes allocated with fsync off`);
});

test('a torn tail inside the zeroed space is cut and the log goes on from there', async () => {
  const dir = path.join(root, `w${n++}`);
  const { wal } = open(dir, true);
  for (let i = 0; i < 10; i++) await wal.append([Buffer.from(`{"i":${i}}`)]);
  const file = wal.segmentFiles()[0]!;
  wal.close();
  await new Promise((r) => setTimeout(r, 50));
  // Half a record header after the last record: a write that was cut short.
  const end = SEGMENT_HEADER_BYTES + 10 * (12 + 7);
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.from([9, 0, 0, 0, 1, 2]), 0, 6, end);
  fs.closeSync(fd);
  const r = open(dir, true);
  assert.equal(r.records.length, 10);
  assert.match(r.warnings.join('\n'), /truncated torn tail/);
  await r.wal.append([Buffer.from('{"i":10}')]);
  r.wal.close();
  await new Promise((res) => setTimeout(res, 50));
  const last = open(dir, true);
  assert.equal(last.records.length, 11);
  assert.equal(last.records[10], '{"i":10}');
  assert.deepEqual(last.warnings, []);
});

test('on tmpfs no zeros are written ahead (memory has no block allocation to save)', { skip: needsRoot('mounts a 4 MB tmpfs') }, async () => {
  const disk = Tmpfs.mount('4m');
  try {
    const { wal } = open(path.join(disk.dir, 'wal'), true);
    await wal.append([Buffer.from('{"first":1}')]);
    const file = wal.segmentFiles()[0]!;
    assert.ok(allocated(file) < ZERO_CHUNK_BYTES / 2, `${allocated(file)} bytes allocated on tmpfs`);
    assert.equal(wal.zeroFills, 0);
    wal.close();
  } finally { disk.unmount(); }
});
