/** The load generator's summary (test/harness/load.ts summarize): pauses, failures, percentiles. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarize, type OpRecord } from './load.js';

test('summary: longest pause between successive successful completions per kind, failures with their errors', () => {
  const r = (kind: OpRecord['kind'], start: number, ms: number, ok = true): OpRecord => ({ client: 0, kind, path: `/p${start}`, start, ms, ok, ...(ok ? {} : { error: 'UnavailableError: down' }) });
  const records = [
    r('stat', 1000, 10), r('stat', 1100, 10), r('stat', 1200, 500, false), r('stat', 1300, 900), r('stat', 2300, 10),
    r('write', 1000, 100), r('write', 1500, 100),
  ];
  const s = summarize(records, [{ path: '/p1000', bytes: 3, sha256: 'x', ackedAt: 1100 }], { clients: 1, prefix: '/l', fileBytes: 3, startedAt: 0, stoppedAt: 10_000 });
  assert.equal(s.ops, 7);
  assert.equal(s.failed, 1);
  assert.deepEqual(s.failures.map((f) => [f.kind, f.error]), [['stat', 'UnavailableError: down']]);
  // stat successes end at 1010, 1110, 2200, 2310: the longest gap is 1110 -> 2200 (the failure does not count).
  assert.equal(s.kinds.stat.longestPauseMs, 1090);
  assert.equal(s.kinds.stat.longestPauseAt, 1110);
  assert.equal(s.kinds.stat.longestOpMs, 900);
  assert.equal(s.kinds.stat.ops, 5);
  // No ramp-up (0 -> first) or wind-down (last -> stop) gap.
  assert.equal(s.kinds.write.longestPauseMs, 500);
  assert.equal(s.kinds.read.longestPauseMs, 0);
  assert.equal(s.kinds.read.ops, 0);
  assert.equal(s.acked.length, 1);
});
