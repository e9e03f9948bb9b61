/** `alluxio facts` (internal): this host's facts as JSON, for the orchestrator (src/orchestrate/local/facts.ts). */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { collectFacts } from '../orchestrate/local/facts.js';

export function register(program: Command, ctx: CliContext): void {
  program.command('facts', { hidden: true })
    .description('internal: facts about this host as JSON (used by the orchestrator over SSH)')
    .action(async () => ctx.out(JSON.stringify(await collectFacts(ctx.conf()))));
}
