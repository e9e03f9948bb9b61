/**
 * `bin/alluxio` entry point: parses -D flags and the verb with commander, runs the command,
 * and is the only place (with the server mains) that catches and renders errors.
 */
import { Command, CommanderError } from 'commander';
import { createContext, type CliContext } from './commands/context.js';
import { extractDefines } from './conf/defines.js';
import { editDistance } from './conf/suggest.js';
import { LocalFileError, isSystemError, describeSystemError } from './errors.js';
import { describeError } from './commands/errorOutput.js';
import { commandModules, type CommandModule } from './commands/index.js';

/** The program with `modules` registered (commands/index.ts: every module, or just the verb's). */
export function buildProgram(ctx: CliContext, modules: readonly CommandModule[]): Command {
  const program = new Command('alluxio')
    .description('Alluxio-compatible HA data cluster: configuration, file system shell, process management')
    .usage('COMMAND [GENERIC_COMMAND_OPTIONS] [COMMAND_ARGS]')
    .helpOption('-h, --help', 'show help')
    .addHelpText('after', `
Generic options: -Dkey=value (any position) sets a property for this command, above
conf/alluxio-site.properties and ALLUXIO_* environment variables.
ALLUXIO_DEBUG=1 in the environment adds stack traces to error messages.

Examples:
  alluxio getConf alluxio.master.rpc.port
  alluxio format
  alluxio-start.sh local SudoMount
  alluxio fs ls /
  alluxio runTests`)
    .showSuggestionAfterError(true)
    .exitOverride();
  program.configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });
  for (const m of modules) m.register(program, ctx);
  return program;
}

/** Alluxio's multi-letter single-dash options (`-domain MASTER`, `-address h:19200`) read as long ones. */
const SINGLE_DASH_LONG = new Set(['-domain', '-address']);

export async function main(argv: string[]): Promise<number> {
  const { argv: defined, flags } = extractDefines(argv);
  const rest = defined.map((a) => (SINGLE_DASH_LONG.has(a) ? `-${a}` : a));
  const ctx = createContext(flags);
  const program = buildProgram(ctx, await commandModules(rest[0]));
  if (rest.length === 0) {
    process.stderr.write(program.helpInformation());
    return 1;
  }
  // Subcommands inherit exitOverride so usage errors come back here.
  const applyOverride = (c: Command) => {
    c.exitOverride();
    if (c.commands.length) c.on('command:*', (operands: string[]) => unsupportedCommand(c, operands[0]!));
    c.commands.forEach(applyOverride);
  };
  applyOverride(program);
  try {
    await program.parseAsync(rest, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
      // `alluxio fsadmin` without a subcommand: the usage on stderr and exit 1, as Alluxio.
      if (e.code === 'commander.help') return e.exitCode;
      return e.exitCode || 1;
    }
    return renderError(e);
  }
}

/**
 * An unknown verb (`alluxio nope`, `alluxio fsadmin nope`): one error line, as Alluxio's
 * `Unsupported command <x>` (with a did-you-mean when a verb is close), then the usage of the
 * command it was given to, on stderr; exit 1.
 */
function unsupportedCommand(parent: Command, name: string): never {
  const near = parent.commands.map((c) => c.name())
    .find((v) => editDistance(name.toLowerCase(), v.toLowerCase()) <= Math.max(1, Math.floor(v.length / 4)));
  process.stderr.write(`Unsupported command ${name}${near ? ` (did you mean "${near}"?)` : ''}\n`);
  process.stderr.write(parent.helpInformation());
  throw new CommanderError(1, 'commander.unknownCommand', `Unsupported command ${name}`);
}

/**
 * Print an error (and its hint) the way every command does; returns the exit code. No stack
 * trace reaches a user: ALLUXIO_DEBUG=1 adds them (see commands/errorOutput.ts).
 */
export function renderError(e: unknown): number {
  const { lines, exitCode } = describeError(e);
  for (const l of lines) process.stderr.write(`${l}\n`);
  return exitCode;
}

// `alluxio getConf | head`: a closed pipe ends the command quietly, as with any Unix tool. Any
// other failure to write (`alluxio fs cat /f > /dev/full`: ENOSPC) ends it with one error line.
for (const [stream, name] of [[process.stdout, 'standard output'], [process.stderr, 'standard error']] as const) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    if (stream === process.stderr) process.exit(1); // nowhere left to say why
    process.exit(renderError(isSystemError(e) ? new LocalFileError(name, e.code, `Cannot write to ${name}: ${describeSystemError(e)}`) : e));
  });
}

// Whatever escapes a command (a callback that throws, a promise nobody awaited) is still
// rendered as one error, not as Node's stack dump.
process.on('uncaughtException', (e) => { process.exit(renderError(e)); });
process.on('unhandledRejection', (e) => { process.exit(renderError(e)); });

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e) => { process.exitCode = renderError(e); },
);
