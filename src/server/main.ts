/**
 * Shared entry logic for server processes: load config from -D flags and env, start, and stop
 * cleanly on SIGTERM/SIGINT. Errors print one clear line (with hint) and exit 1.
 */
import { extractDefines } from '../conf/defines.js';
import { INSTALL_ROOT } from '../conf/installRoot.js';
import { loadConfig, type Config } from '../conf/index.js';
import { AlluxioError } from '../errors.js';
import { createLogger, LOG_FILE_ENV, RollingFile, setLevel, setSink, type Logger } from '../log.js';
import { DEFAULT_MAX_BACKUPS, DEFAULT_MAX_FILE_BYTES, loadLogConf, type Appender } from './logConf.js';


export interface Server {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** How long stop() may drain on purpose (a worker: alluxio.worker.network.shutdown.timeout). */
  stopBoundMs?(): number;
}

/** How long a stopping server may take beyond its drain bound before it exits anyway (exit code 1). */
export const STOP_MARGIN_MS = 10_000;

/** The words the safety net logs with; tests look for them (none may ever appear). */
export const UNHANDLED_REJECTION = 'Unhandled rejection (a bug; still serving)';
export const UNCAUGHT_EXCEPTION = 'Uncaught exception (a bug; still serving)';

/**
 * Last line of defence (convention 12): a server logs an unhandled rejection or an uncaught
 * exception, with its stack, and keeps serving. Each is a bug to fix at its source; ending the
 * process instead would let one bad input take a master or worker down (and, repeated, a quorum).
 */
export function installSafetyNet(log: Logger): void {
  const stack = (e: unknown) => (e instanceof Error ? e.stack ?? `${e.name}: ${e.message}` : String(e));
  let logging = false; // an error while logging one must not loop
  const report = (what: string, e: unknown) => {
    if (logging) return;
    logging = true;
    try { log.error(`${what}: ${stack(e)}`); } catch { /* nowhere left to report it */ } finally { logging = false; }
  };
  // A log that cannot be written (closed pipe) must not become an uncaught error of its own.
  process.stdout.on('error', () => {});
  process.on('unhandledRejection', (reason) => report(UNHANDLED_REJECTION, reason));
  process.on('uncaughtException', (err, origin) => report(`${UNCAUGHT_EXCEPTION} (${origin})`, err));
}

/**
 * Run a server: log to ALLUXIO_LOG_FILE when set, load the configuration and the log settings
 * of `appender` (conf/log4j.properties), start, and stop cleanly on SIGTERM/SIGINT.
 */
export function runServer(name: string, make: (conf: Config, log: Logger) => Server, appender: Appender = 'MASTER_LOGGER'): void {
  const logFile = process.env[LOG_FILE_ENV];
  let rolling: RollingFile | undefined;
  if (logFile) {
    try {
      rolling = new RollingFile(logFile, DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_BACKUPS);
      setSink(rolling);
    } catch (e) {
      process.stdout.write(`Cannot open the log file ${logFile} (${(e as NodeJS.ErrnoException).code ?? e}); logging to stdout\n`);
    }
  }
  const log = createLogger(name);
  const { flags } = extractDefines(process.argv.slice(2));
  let server: Server | undefined;
  let stopping = false;
  const stop = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`Received ${sig}, stopping`);
    const force = setTimeout(() => process.exit(1), STOP_MARGIN_MS + (server?.stopBoundMs?.() ?? 0));
    force.unref();
    try { await server?.stop(); } catch (e) { log.error(`Error while stopping: ${(e as Error).message}`); }
    log.info('Stopped');
    process.exit(0);
  };
  installSafetyNet(log);
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  (async () => {
    const conf = loadConfig({ flags, env: process.env, home: INSTALL_ROOT });
    for (const w of conf.warnings) log.warn(w);
    const logConf = loadLogConf(conf.confDir, appender);
    if (logConf.rootLevel && !process.env.ALLUXIO_DEBUG) setLevel('root', logConf.rootLevel);
    for (const [n, l] of Object.entries(logConf.levels)) setLevel(n, l);
    rolling?.setLimits(logConf.maxFileBytes, logConf.maxBackups);
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
