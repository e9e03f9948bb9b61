/**
 * One election candidate as its own process (for test/journal/zk/processes.test.ts):
 *
 *   node dist/test/journal/zk/candidateMain.js <name> -Dalluxio.zookeeper.address=... [-Dkey=value ...]
 *
 * Builds the election with createZkElection from the configuration (the -D flags), prints
 * `leader <epoch>` and `down <reason>` lines as the election reports them, and leaves the
 * election on SIGTERM. Under `node --test dist/test/` (no arguments) it does nothing.
 */
import os from 'node:os';
import { loadConfig } from '../../../src/conf/index.js';
import { createZkElection } from '../../../src/journal/zk/election.js';

if (process.env.NODE_TEST_CONTEXT !== undefined && process.argv.length <= 2) process.exit(0);

const [name, ...rest] = process.argv.slice(2);
const flags: Record<string, string> = {};
for (const a of rest) {
  const m = /^-D([^=]+)=(.*)$/.exec(a);
  if (m) flags[m[1]!] = m[2]!;
}
const conf = loadConfig({ home: os.tmpdir(), flags, env: {} });
const e = createZkElection(conf, name!, (m) => process.stderr.write(`${m}\n`));
e.onChange((ev) => process.stdout.write(ev.leader ? `leader ${ev.epoch}\n` : `down ${ev.reason}\n`));
process.on('SIGTERM', () => { void e.close().then(() => process.exit(0)); });
await e.start();
process.stdout.write('started\n');
