/**
 * `npm run quickstart`: a one-machine HA cluster (three masters on the embedded Raft journal, one
 * worker), then the smoke tests. Everything lives in .quickstart/ (its own conf dir), so the
 * repo's conf/ is untouched. It uses only the public CLI, exactly as an operator would.
 *
 * `npm run quickstart -- --stop` stops that cluster (no path to type); it is what the output's
 * "Stop:" line says.
 *
 * Ports: the first master keeps Alluxio's defaults (journal 19200, rpc 19998, web 19999); the
 * others are 1000 apart (rpc 20998 / 21998, web = rpc + 1) so that no master touches another's or
 * the worker's (29999, 30000).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { INSTALL_ROOT } from './conf/installRoot.js';

const dir = path.resolve(process.env.ALLUXIO_QUICKSTART_DIR ?? path.join(INSTALL_ROOT, '.quickstart'));
const confDir = path.join(dir, 'conf');
const alluxio = path.join(INSTALL_ROOT, 'bin', 'alluxio');
const env = { ...process.env, ALLUXIO_CONF_DIR: confDir };

const JOURNAL = ['localhost:19200', 'localhost:19201', 'localhost:19202'];
const RPC = ['localhost:19998', 'localhost:20998', 'localhost:21998'];
/** First line of the site file we write; a file starting with it is ours to rewrite. */
const MARKER = '# Written by npm run quickstart: a one-host HA cluster (3 masters, 1 worker) under .quickstart/';
const OLD_MARKER = '# Written by npm run quickstart: a one-host cluster under .quickstart/';

/** The conf dir as the user should type it here: relative when under the current directory. */
function shown(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}

function run(args: string[], allowFail = false): number {
  console.log(`\n$ ALLUXIO_CONF_DIR=${shown(confDir)} bin/alluxio ${args.join(' ')}`);
  const r = spawnSync(alluxio, args, { env, stdio: 'inherit' });
  const code = r.status ?? 1;
  if (code !== 0 && !allowFail) {
    console.error(`\nQuickstart stopped: "alluxio ${args.join(' ')}" exited with ${code}.`);
    process.exit(code);
  }
  return code;
}

function getConf(key: string): string {
  return spawnSync(alluxio, ['getConf', key], { env, encoding: 'utf8' }).stdout.trim();
}

function writeSite(file: string): void {
  fs.writeFileSync(file, [
    MARKER,
    'alluxio.master.hostname=localhost',
    `alluxio.work.dir=${dir}`,
    `alluxio.master.mount.table.root.ufs=${path.join(dir, 'underFSStorage')}`,
    '# Three masters on this machine: one per entry; entry i of the rpc addresses is master i,',
    '# its web port is its rpc port + 1, its journal <alluxio.master.journal.folder>/<journal port>.',
    `alluxio.master.embedded.journal.addresses=${JOURNAL.join(',')}`,
    `alluxio.master.rpc.addresses=${RPC.join(',')}`,
    `alluxio.worker.tieredstore.level0.dirs.path=${path.join(dir, 'ramdisk')}`,
    'alluxio.worker.ramdisk.size=1GB',
    '',
  ].join('\n'));
}

const site = path.join(confDir, 'alluxio-site.properties');
const args = process.argv.slice(2);
if (args.length > 0) {
  if (args.length !== 1 || args[0] !== '--stop') {
    console.error(`Error: unknown argument ${JSON.stringify(args.find((a) => a !== '--stop') ?? args[1])}\nUsage: npm run quickstart [-- --stop]`);
    process.exit(2);
  }
  if (!fs.existsSync(site)) {
    console.log(`No quickstart cluster in ${dir} (no ${site}): nothing to stop.`);
    process.exit(0);
  }
  process.exit(run(['stop', 'local'], true));
}

// Stop a previous quickstart cluster first (pid files say what runs, whatever the conf says).
fs.mkdirSync(confDir, { recursive: true });
if (fs.existsSync(site)) run(['stop', 'local'], true);
const existing = fs.existsSync(site) ? fs.readFileSync(site, 'utf8') : undefined;
if (existing === undefined || existing.startsWith(OLD_MARKER)) {
  writeSite(site);
  if (existing !== undefined) console.log(`\nRewrote ${site} for the 3-master cluster (the single-master journal of the previous quickstart is no longer used).`);
}
for (const f of ['masters', 'workers']) {
  const p = path.join(confDir, f);
  if (!fs.existsSync(p)) fs.writeFileSync(p, 'localhost\n');
}

// Format (only what is not formatted yet), start three masters and a worker, test.
run(['format', '-s']);
run(['start', 'local', 'NoMount']);
const failed = run(['runTests'], true);

// Each master's web UI (web port = rpc port + 1), and which one leads.
const rpc = getConf('alluxio.master.rpc.addresses').split(',').map((s) => s.trim()).filter(Boolean);
const webs = rpc.length > 1
  ? rpc.map((a) => `${a.slice(0, a.lastIndexOf(':'))}:${Number(a.slice(a.lastIndexOf(':') + 1)) + 1}`)
  : [`localhost:${getConf('alluxio.master.web.port')}`];
const roles = await Promise.all(webs.map(async (w) => {
  try {
    const info = await (await fetch(`http://${w}/api/v1/master/info`, { signal: AbortSignal.timeout(3000) })).json() as { isLeader?: boolean };
    return info.isLeader ? 'leader' : 'standby';
  } catch {
    return 'not answering';
  }
}));
const leader = webs.find((_, i) => roles[i] === 'leader');
console.log(`
Master web UIs:
${webs.map((w, i) => `  http://${w}/  (${roles[i]})`).join('\n')}
Leader: ${leader ? `the master with web UI http://${leader}/ (rpc ${rpc.length > 1 ? rpc[webs.indexOf(leader)] : 'localhost'})` : 'none answers as leader right now'}
Try:    ALLUXIO_CONF_DIR=${shown(confDir)} bin/alluxio fs ls -R /
        ALLUXIO_CONF_DIR=${shown(confDir)} bin/alluxio fs leader
Stop:   npm run quickstart -- --stop
        (or ALLUXIO_CONF_DIR=${shown(confDir)} bin/alluxio-stop.sh local)`);
process.exit(failed);
