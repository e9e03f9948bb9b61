/**
 * Shared entry logic for server processes: load config from -D flags and env, start, and stop
 * cleanly on SIGTERM/SIGINT. Errors print one clear line (with hint) and exit 1.
 */
import { extractDefines, INSTALL_ROOT } from '../commands/context.js';
import { loadConfig, type Config } from '../conf/index.js';
import { AlluxioError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';

export interface Server { start(): Promise<void>; stop(): Promise<void> }

export function runServer(name: string, make: (conf: Config, log: Logger) => Server): void {
  const log = createLogger(name);
  const { flags } = extractDefines(process.argv.slice(2));
  let server: Server | undefined;
  let stopping = false;
  const stop = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`Received ${sig}, stopping`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    try { await server?.stop(); } catch (e) { log.error(`Error while stopping: ${(e as Error).message}`); }
    log.info('Stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  (async () => {
    const conf = loadConfig({ flags, env: process.env, home: INSTALL_ROOT });
    for (const w of conf.warnings) log.warn(w);
    server = make(conf, log);
    await server.start();
  })().catch((e) => {
    if (e instanceof AlluxioError) {
      log.error(`Failed to start: ${e.message}`);
      if (e.hint) log.error(`Hint: ${e.hint}`);
    } else {
      log.error(`Failed to start: ${(e as Error)?.stack ?? e}`);
    }
    process.exit(1);
  });
}
