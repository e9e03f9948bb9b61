import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { VERSION } from '../version.js';

export function register(program: Command, ctx: CliContext): void {
  program.command('version')
    .description('print the version (bare, as Alluxio does)')
    .action(() => ctx.out(VERSION));
}
