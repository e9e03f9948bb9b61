/** Pure parts of UFS handling: temp file names tied to file ids, the serial queue, new-path checks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileIdOfTempName, ufsTempName, SerialQueue } from '../../src/server/ufs.js';
import { checkNewPath } from '../../src/server/master/paths.js';
import { InvalidPathError } from '../../src/errors.js';

test('temp names carry the file id; anything else is not ours', () => {
  const cases: [string, number | undefined][] = [
    [ufsTempName(50331647, '0123456789abcdef'), 50331647],
    ['50331647-0123456789abcdef.tmp', 50331647],
    ['1-ffffffffffffffff.tmp', 1],
    ['50331647-0123456789abcde.tmp', undefined], // nonce too short
    ['50331647-0123456789ABCDEF.tmp', undefined], // upper case
    ['50331647-0123456789abcdef.tmp.bak', undefined],
    ['x-0123456789abcdef.tmp', undefined],
    ['f.csv', undefined],
    ['f.csv.alluxio.0a1b2c3d.tmp', undefined],
    ['99999999999999999-0123456789abcdef.tmp', undefined], // 17 digits
    ['9999999999999999-0123456789abcdef.tmp', undefined], // not a safe integer
    ['', undefined],
  ];
  for (const [name, id] of cases) assert.equal(fileIdOfTempName(name), id, name);
});

test('SerialQueue runs tasks one at a time in order, past failures', async () => {
  const q = new SerialQueue();
  const log: string[] = [];
  const task = (name: string, ms: number, fail = false) => q.run(async () => {
    log.push(`start ${name}`);
    await new Promise((r) => setTimeout(r, ms));
    log.push(`end ${name}`);
    if (fail) throw new Error(name);
    return name;
  });
  const results = await Promise.allSettled([task('a', 20), task('b', 1, true), task('c', 5)]);
  assert.deepEqual(log, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
});

test('checkNewPath: names up to 255 bytes; longer (also in UTF-8 bytes) or NUL are refused', () => {
  const ok = ['/', '/a', `/${'x'.repeat(255)}`, `/d/${'é'.repeat(127)}`, '/with space/ünïcode'];
  for (const p of ok) assert.doesNotThrow(() => checkNewPath(p), p);
  const bad: [string, RegExp][] = [
    [`/${'x'.repeat(256)}`, /the name "x{40}\.\.\." is 256 bytes, longer than 255 bytes/],
    [`/d/${'é'.repeat(128)}/f`, /is 256 bytes, longer than 255 bytes/],
    ['/a\0b', /contains a NUL character/],
  ];
  for (const [p, re] of bad) assert.throws(() => checkNewPath(p), (e: unknown) => e instanceof InvalidPathError && re.test((e as Error).message), p.slice(0, 20));
});
