/**
 * The journal's timeline trace (src/journal/raft/trace.ts): off unless JOURNAL_TRACE_DIR is set
 * (then `trace` is undefined, so every call site costs one check); on, a write through three
 * Raft members records each stage of its path with its index, in order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { trace } from '../../../src/journal/raft/trace.js';

const MAIN = fileURLToPath(new URL('./traceMain.js', import.meta.url));

test('off by default: no tracer', () => {
  assert.equal(process.env.JOURNAL_TRACE_DIR, undefined);
  assert.equal(trace, undefined);
});

test('on: a write records its stages on leader and followers, in order', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alluxio-trace-'));
  try {
    const r = spawnSync(process.execPath, [MAIN], { env: { ...process.env, JOURNAL_TRACE_DIR: dir }, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const index = Number(r.stdout.trim());
    assert.ok(index > 0, r.stdout);
    const files = fs.readdirSync(dir);
    assert.deepEqual(files, [`trace-${r.pid}.jsonl`]);
    const recs = fs.readFileSync(path.join(dir, files[0]!), 'utf8').trim().split('\n').map((l) => {
      const [stage, i, ns] = JSON.parse(l.replace(/,(\d+)\]$/, ',"$1"]')) as [string, number, string];
      return { stage, i, ns: BigInt(ns) };
    });
    const at = (stage: string, n = 1) => {
      const hits = recs.filter((x) => x.stage === stage && x.i === index);
      assert.ok(hits.length >= n, `stage ${stage} of entry ${index}: ${hits.length} records, expected >= ${n}\n${JSON.stringify(recs.map((x) => [x.stage, x.i]))}`);
      return hits[0]!.ns;
    };
    // Leader: propose, appends handed over, own write, durable; followers (two): append in, write, ack out; leader: ack in, applied.
    const order = [at('propose'), at('send'), at('append'), at('acksent'), at('ack'), at('apply')];
    for (let k = 1; k < order.length; k++) assert.ok(order[k - 1]! <= order[k]!, `stages out of order at ${k}`);
    at('write', 3);
    at('saved', 3);
    at('append', 2);
    at('acksent', 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
