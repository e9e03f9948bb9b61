/**
 * `alluxio bootstrapConf <master host>`: create conf/alluxio-site.properties naming the master,
 * unless the file exists (then say so and succeed), as Alluxio's bootstrapConf.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { isValidHost } from '../conf/hosts.js';
import { SITE_FILE_NAME } from '../conf/config.js';
import { LocalFileError, UsageError, isSystemError, describeSystemError } from '../errors.js';

export const BOOTSTRAP_USAGE = 'Usage: alluxio bootstrapConf <alluxio_master_hostname>';

/** Check the master host name given to bootstrapConf; a UsageError saying what is wrong. */
export function checkMasterHost(host: string): void {
  const hint = `${BOOTSTRAP_USAGE} (a host name or IP address, e.g. master1.example.com)`;
  if (/^[^:[\]]+:\d+$/.test(host)) {
    throw new UsageError(`bootstrapConf takes the master's host name, not host:port (${host})`, {
      hint: `the ports are alluxio.master.rpc.port and alluxio.master.web.port; ${hint}`,
    });
  }
  if (!isValidHost(host)) throw new UsageError(`"${host}" is not a valid host name or IP address`, { hint });
}

export function register(program: Command, ctx: CliContext): void {
  program.command('bootstrapConf')
    .description('create conf/alluxio-site.properties with alluxio.master.hostname (kept when it exists)')
    .argument('[host...]', 'the master host name')
    .addHelpText('after', `
${BOOTSTRAP_USAGE}
The file is created in the conf dir (ALLUXIO_CONF_DIR, -Dalluxio.conf.dir, else <install>/conf)
with the single line alluxio.master.hostname=<host>. An existing file is never changed.

Example:
  alluxio bootstrapConf master1.example.com`)
    .action((hosts: string[]) => {
      if (hosts.length !== 1) {
        ctx.err(hosts.length === 0 ? BOOTSTRAP_USAGE : `Error: bootstrapConf takes one host name, got ${hosts.length}: ${hosts.join(' ')}\n${BOOTSTRAP_USAGE}`);
        ctx.setExitCode(1);
        return;
      }
      const host = hosts[0]!;
      checkMasterHost(host);
      const file = path.join(ctx.conf().confDir, SITE_FILE_NAME);
      try {
        // 'wx': never overwrite, even when another command creates the file meanwhile.
        fs.writeFileSync(file, `alluxio.master.hostname=${host}\n`, { flag: 'wx' });
      } catch (e) {
        if (isSystemError(e) && e.code === 'EEXIST') { ctx.out(`${file} already exists`); return; }
        if (isSystemError(e)) throw new LocalFileError(file, e.code, `cannot create ${file}: ${describeSystemError(e)}`);
        throw e;
      }
      ctx.out(`${file} is created.`);
    });
}
