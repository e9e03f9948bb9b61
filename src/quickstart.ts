/**
 * `npm run quickstart`: a local cluster on this machine with the default (embedded) journal,
 * then the smoke tests. Everything lives in .quickstart/ (its own conf dir), so the repo's
 * conf/ is untouched. It uses only the public CLI, exactly as an operator would.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { INSTALL_ROOT } from './commands/context.js';

const dir = path.resolve(process.env.ALLUXIO_QUICKSTART_DIR ?? path.join(INSTALL_ROOT, '.quickstart'));
const confDir = path.join(dir, 'conf');
const alluxio = path.join(INSTALL_ROOT, 'bin', 'alluxio');
const env = { ...process.env, ALLUXIO_CONF_DIR: confDir };

function run(args: string[], allowFail = false): number {
  console.log(`\n$ ALLUXIO_CONF_DIR=${path.relative(process.cwd(), confDir) || '.'} bin/alluxio ${args.join(' ')}`);
  const r = spawnSync(alluxio, args, { env, stdio: 'inherit' });
  const code = r.status ?? 1;
  if (code !== 0 && !allowFail) {
    console.error(`\nQuickstart stopped: "alluxio ${args.join(' ')}" exited with ${code}.`);
    process.exit(code);
  }
  return code;
}

fs.mkdirSync(confDir, { recursive: true });
const site = path.join(confDir, 'alluxio-site.properties');
if (!fs.existsSync(site)) {
  fs.writeFileSync(site, [
    '# Written by npm run quickstart: a one-host cluster under .quickstart/',
    'alluxio.master.hostname=localhost',
    `alluxio.work.dir=${dir}`,
    `alluxio.master.mount.table.root.ufs=${path.join(dir, 'underFSStorage')}`,
    `alluxio.worker.tieredstore.level0.dirs.path=${path.join(dir, 'ramdisk')}`,
    'alluxio.worker.ramdisk.size=1GB',
    '',
  ].join('\n'));
}
for (const f of ['masters', 'workers']) {
  const p = path.join(confDir, f);
  if (!fs.existsSync(p)) fs.writeFileSync(p, 'localhost\n');
}

// Stop a previous quickstart cluster, format (only what is not formatted yet), start, test.
run(['stop', 'local'], true);
run(['format', '-s']);
run(['start', 'local', 'NoMount']);
const failed = run(['runTests'], true);
const web = spawnSync(alluxio, ['getConf', 'alluxio.master.web.port'], { env, encoding: 'utf8' }).stdout.trim();
console.log(`
Master web UI: http://localhost:${web}/
Try:    ALLUXIO_CONF_DIR=${confDir} bin/alluxio fs ls -R /
Stop:   ALLUXIO_CONF_DIR=${confDir} bin/alluxio-stop.sh local`);
process.exit(failed);
