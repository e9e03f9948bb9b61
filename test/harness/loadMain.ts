/**
 * Runnable steady client load (test/harness/load.ts), to start where the cluster's host names
 * resolve (TestHosts.runControl). The conf is the usual one (ALLUXIO_CONF_DIR, alluxio.home).
 *
 *   node dist/test/harness/loadMain.js run --clients N --prefix /load/run1 --out summary.json
 *        [--status status.json] [--stop-file F] [--duration MS] [--write-pace MS] [--read-pace MS] [--stat-pace MS]
 *   node dist/test/harness/loadMain.js verify --in summary.json --out verify.json
 *
 * `run` stops when the stop file exists, on SIGTERM or SIGINT, or after --duration; operations in
 * flight complete, then the summary (LoadSummary, acknowledged writes included) is written to
 * --out. --status is rewritten every 500 ms with the counts so far ({ops, failed, acked}).
 * `verify` reads back every acknowledged write of a summary (VerifyResult to --out).
 * Exit code 0 when the summary or the verification was written, 2 on bad arguments.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/conf/index.js';
import { Load, verifyAcked, type LoadSummary } from './load.js';

// `node --test dist/test/` runs every .js file below a directory named test, this script too
// (without arguments): under the test runner it is not a test and does nothing.
if (process.env.NODE_TEST_CONTEXT !== undefined && process.argv.length <= 2) process.exit(0);

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    clients: { type: 'string', default: '3' }, prefix: { type: 'string' }, out: { type: 'string' }, in: { type: 'string' },
    status: { type: 'string' }, 'stop-file': { type: 'string' }, duration: { type: 'string' },
    'write-pace': { type: 'string' }, 'read-pace': { type: 'string' }, 'stat-pace': { type: 'string' },
  },
});
const fail = (msg: string): never => { process.stderr.write(`loadMain: ${msg}\n`); process.exit(2); };
const num = (v: string | undefined, name: string) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : fail(`--${name} ${v}: expected a number`);
};

const conf = loadConfig({ env: process.env, home: process.cwd() });
const out = values.out ?? fail('--out FILE is required');
const atomicWrite = (file: string, v: unknown) => { fs.writeFileSync(`${file}.tmp`, JSON.stringify(v)); fs.renameSync(`${file}.tmp`, file); };

if (positionals[0] === 'verify') {
  const s = JSON.parse(fs.readFileSync(values.in ?? fail('--in SUMMARY is required'), 'utf8')) as LoadSummary;
  atomicWrite(out, await verifyAcked(conf, s.acked));
} else if (positionals[0] === 'run') {
  const load = new Load(conf, {
    clients: num(values.clients, 'clients')!, prefix: values.prefix ?? fail('--prefix PATH is required'),
    ...(values['write-pace'] !== undefined ? { writePaceMs: num(values['write-pace'], 'write-pace')! } : {}),
    ...(values['read-pace'] !== undefined ? { readPaceMs: num(values['read-pace'], 'read-pace')! } : {}),
    ...(values['stat-pace'] !== undefined ? { statPaceMs: num(values['stat-pace'], 'stat-pace')! } : {}),
  }).start();
  const duration = num(values.duration, 'duration');
  const until = duration !== undefined ? Date.now() + duration : Infinity;
  let signalled = false;
  process.on('SIGTERM', () => { signalled = true; });
  process.on('SIGINT', () => { signalled = true; });
  for (;;) {
    if (values.status) atomicWrite(values.status, { ops: load.records.length, failed: load.records.filter((r) => !r.ok).length, acked: load.acked.length });
    if (signalled || Date.now() >= until || (values['stop-file'] && fs.existsSync(values['stop-file']))) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  atomicWrite(out, await load.stop());
} else {
  fail(`expected "run" or "verify", got ${JSON.stringify(positionals[0] ?? '')}`);
}
process.exit(0);
