/** `alluxio getConf [--unit U] [--source] [key]`: print resolved configuration, as Alluxio's GetConf. */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { closestKey, findSpec, isValidUnit, KEYS, toUnit } from '../conf/index.js';
import { ConfigError, UsageError } from '../errors.js';

export function register(program: Command, ctx: CliContext): void {
  program.command('getConf')
    .description('print the resolved configuration: every key, or the value of one key')
    .argument('[key...]', 'a property name (all properties when omitted)')
    .option('--unit <unit>', 'print a size or duration as an integer in B, KB, MB, GB, TB, PB or MS, S, SEC, M, MIN, H, HR, HOUR, D, DAY')
    .option('--source', 'print where the value comes from (DEFAULT, SITE_PROPERTY (file:line), ENVIRONMENT (VAR), SYSTEM_PROPERTY, URI_AUTHORITY)')
    .addHelpText('after', `
Values are resolved (\${...} references substituted). Precedence, low to high: defaults,
conf/alluxio-site.properties, ALLUXIO_* environment variables, -Dkey=value flags.

Examples:
  alluxio getConf                                   # every key=value, sorted
  alluxio getConf --source                          # ... with the source of each value
  alluxio getConf alluxio.master.hostname
  alluxio getConf --source alluxio.master.rpc.port  # e.g. SITE_PROPERTY (/opt/alluxio/conf/alluxio-site.properties:3)
  alluxio getConf --unit MB alluxio.worker.ramdisk.size
  alluxio getConf --unit SEC alluxio.master.worker.timeout
  alluxio getConf -Dalluxio.master.rpc.port=29998 alluxio.master.rpc.port`)
    .action((keys: string[], o: { unit?: string; source?: boolean }) => {
      if (keys.length > 1) throw new UsageError(`More arguments than expected. Args: [${keys.join(', ')}]`);
      const key = keys[0];
      if (key !== undefined && !findSpec(key)) {
        throw new UsageError(`${key} is not a valid configuration key`, {
          hint: `${closestKey(key, KEYS) ? `did you mean ${closestKey(key, KEYS)}? ` : ''}usage: alluxio getConf [--unit <unit>] [--source] [key]; alluxio getConf lists every key`,
        });
      }
      const conf = ctx.conf();
      if (key === undefined) {
        if (o.unit !== undefined) throw new UsageError('--unit needs a key, e.g. alluxio getConf --unit MB alluxio.worker.ramdisk.size');
        for (const k of conf.keys()) ctx.out(o.source ? `${k}=${conf.get(k)} (${conf.source(k)})` : `${k}=${conf.get(k)}`);
        return;
      }
      const value = conf.get(key);
      // As Alluxio: a key that is not set (empty default, nothing overrides it) prints an empty
      // line, with or without --source.
      if (o.source) { ctx.out(value === '' && conf.source(key) === 'DEFAULT' ? '' : conf.source(key)); return; }
      if (o.unit !== undefined) {
        if (!isValidUnit(o.unit)) toUnit(value, o.unit); // throws `<u> is not a valid unit`
        try {
          ctx.out(String(toUnit(value, o.unit)));
        } catch (e) {
          if (e instanceof ConfigError) throw new ConfigError(`${key}: ${e.message}`);
          throw e;
        }
        return;
      }
      ctx.out(value);
    });
}
