/** `alluxio validateConf`: load the configuration and report every problem, as Alluxio's ValidateConf. */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { ConfigError } from '../errors.js';

export function register(program: Command, ctx: CliContext): void {
  program.command('validateConf')
    .description('check conf/alluxio-site.properties, ALLUXIO_* environment variables and -D flags; list every problem')
    .addHelpText('after', `
Checks: unknown keys (with a did-you-mean), values of the wrong type (ports, sizes, durations,
enums, host:port lists), empty values, unresolvable \${...} references, and rules across keys
(election timeout min < max, watermark low < high, ZooKeeper mode needs an address and
alluxio.master.journal.type=UFS, tier paths for every level in use). Exits 1 when invalid.

Examples:
  alluxio validateConf
  ALLUXIO_CONF_DIR=/etc/alluxio alluxio validateConf
  alluxio validateConf -Dalluxio.zookeeper.enabled=true`)
    .action(() => {
      ctx.out('Validating configuration.');
      let conf;
      try {
        conf = ctx.conf();
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        for (const p of e.problems) ctx.err(p);
        ctx.err('Configuration is invalid');
        ctx.setExitCode(1);
        return;
      }
      for (const w of conf.warnings) ctx.err(`Warning: ${w}`);
      ctx.out('Configuration is valid.');
    });
}
