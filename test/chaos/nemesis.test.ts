/**
 * The fault suite (issue #10): a short seeded nemesis run in `npm test`; `npm run chaos` runs
 * longer ones (CHAOS_SEED, CHAOS_DURATION ms, CHAOS_CLIENTS, CHAOS_FAULTS=kill-master,...).
 * A failure prints the command that replays the run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChaos, FAULTS, ROOT_FAULTS, type Fault } from './nemesis.js';
import { needsRoot } from '../harness/root.js';

const env = process.env;
const long = env.CHAOS === '1';
const seed = Number(env.CHAOS_SEED ?? (long ? Date.now() % 100_000 : 1));
// Faults that mount file systems need root; CI runs as root and runs them all.
const faults = (env.CHAOS_FAULTS ? env.CHAOS_FAULTS.split(',') : FAULTS.filter((f) => !ROOT_FAULTS.includes(f) || !needsRoot('tmpfs mounts'))) as Fault[];
for (const f of faults) if (!FAULTS.includes(f)) throw new Error(`CHAOS_FAULTS: unknown fault "${f}"; known: ${FAULTS.join(', ')}`);

test(`nemesis run, seed ${seed}: no acknowledged write lost, no crash, one namespace, no orphan`, { timeout: 30 * 60_000 }, async () => {
  const report = await runChaos({
    seed, faults,
    durationMs: Number(env.CHAOS_DURATION ?? (long ? 300_000 : 25_000)),
    clients: Number(env.CHAOS_CLIENTS ?? 3),
    faultEveryMs: Number(env.CHAOS_FAULT_EVERY ?? 2000),
    log: (l) => console.log(`# ${l}`),
  });
  console.log(`# chaos report ${JSON.stringify({ ...report, faults: undefined })}`);
  assert.ok(report.faults.length > 0, 'the nemesis injected no fault');
  assert.ok(report.acknowledgedWrites > 0, 'no write was acknowledged');
  assert.deepEqual(report.violations, [], `replay with: ${report.replay}`);
});
