/**
 * `alluxio facts` (internal): this host's facts (src/orchestrate/local/facts.ts) as a protocol
 * reply (src/orchestrate/protocol.ts, step `facts`), for the orchestrator over SSH. Always the
 * reply: `--json` is accepted and changes nothing.
 */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { collectFacts } from '../orchestrate/local/facts.js';
import { UsageError } from '../errors.js';
import { machineMode, stepReply } from './cluster.js';

export function register(program: Command, ctx: CliContext): void {
  program.command('facts', { hidden: true })
    .description('internal: facts about this host as a protocol reply (JSON, used by the orchestrator over SSH)')
    .argument('[args...]')
    .allowUnknownOption()
    .action(async (args: string[]) => stepReply(ctx, 'facts', true, async () => {
      const { rest } = machineMode(args);
      if (rest.length) throw new UsageError(`Invalid arguments: ${rest.join(' ')}`, { hint: 'usage: alluxio facts [--json]' });
      return collectFacts(ctx.conf());
    }));
}
