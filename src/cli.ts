/**
 * `bin/alluxio` entry point: parses -D flags and the verb with commander, runs the command,
 * and is the only place (with the server mains) that catches and renders errors.
 */
import { Command, CommanderError } from 'commander';
import chalk from 'chalk';
import { createContext, extractDefines, type CliContext } from './commands/context.js';
import { AlluxioError, UsageError } from './errors.js';
import { commandModules } from './commands/index.js';

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('alluxio')
    .description('Alluxio-compatible HA data cluster: configuration, file system shell, process management')
    .usage('COMMAND [GENERIC_COMMAND_OPTIONS] [COMMAND_ARGS]')
    .helpOption('-h, --help', 'show help')
    .addHelpText('after', `
Generic options: -Dkey=value (any position) sets a property for this command, above
conf/alluxio-site.properties and ALLUXIO_* environment variables.

Examples:
  alluxio getConf alluxio.master.rpc.port
  alluxio format
  alluxio-start.sh local SudoMount
  alluxio fs ls /
  alluxio runTests`)
    .showSuggestionAfterError(true)
    .exitOverride();
  program.configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });
  for (const m of commandModules) m.register(program, ctx);
  return program;
}

/** Alluxio's multi-letter single-dash options (`-domain MASTER`, `-address h:19200`) read as long ones. */
const SINGLE_DASH_LONG = new Set(['-domain', '-address']);

export async function main(argv: string[]): Promise<number> {
  const { argv: defined, flags } = extractDefines(argv);
  const rest = defined.map((a) => (SINGLE_DASH_LONG.has(a) ? `-${a}` : a));
  const ctx = createContext(flags);
  const program = buildProgram(ctx);
  if (rest.length === 0) {
    process.stderr.write(program.helpInformation());
    return 1;
  }
  // Subcommands inherit exitOverride so usage errors come back here.
  const applyOverride = (c: Command) => { c.exitOverride(); c.commands.forEach(applyOverride); };
  applyOverride(program);
  try {
    await program.parseAsync(rest, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      if (e.code === 'commander.unknownCommand') process.stderr.write(`Unsupported command ${rest[0]}\n`);
      return e.exitCode || 1;
    }
    return renderError(e);
  }
}

/** Print an error (and its hint) the way every command does; returns the exit code. */
export function renderError(e: unknown): number {
  if (e instanceof AlluxioError) {
    process.stderr.write(`${chalk.red('Error:')} ${e.message}\n`);
    if (e.hint) process.stderr.write(`${chalk.yellow('Hint:')} ${e.hint}\n`);
    return e instanceof UsageError ? 1 : e.exitCode;
  }
  process.stderr.write(`${chalk.red('Internal error:')} ${(e as Error)?.stack ?? String(e)}\n`);
  return 2;
}

// `alluxio getConf | head`: a closed pipe ends the command quietly, as with any Unix tool.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e) => { process.exitCode = renderError(e); },
);
