/**
 * Logging for server and client processes: one line per event, `<date time,ms> <LEVEL> <logger> - <message>`,
 * as Alluxio's log4j layout writes them.
 *
 * - Levels per logger name, changed at run time (`alluxio logLevel`): a name's level applies to it
 *   and to every name below it (`alluxio.master` covers `alluxio.master.journal`), the nearest
 *   one wins, `root` is the default (INFO, or DEBUG with ALLUXIO_DEBUG set).
 * - Where lines go: stdout by default; a server started by the CLI writes its own log file
 *   (`<alluxio.logs.dir>/master.log`, `worker.log`, named by the launcher in ALLUXIO_LOG_FILE) and
 *   rolls it as log4j's RollingFileAppender does: past MaxFileSize the file becomes `master.log.1`,
 *   the older ones shift up to MaxBackupIndex and the oldest goes (conf/log4j.properties,
 *   src/server/logConf.ts).
 */
import fs from 'node:fs';

export type Level = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'OFF';
export const LEVELS: readonly Level[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'OFF'];
const RANK: Record<Level, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4, OFF: 5 };

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  debug(msg: string): void;
}

/** A logger of this module: named, with its level looked up at each line. */
export interface NamedLogger extends Logger {
  readonly name: string;
  /** Whether a DEBUG line would be written now (to skip building an expensive message). */
  debugEnabled(): boolean;
}

/** A logger name as `alluxio logLevel --logName` takes it: dotted words, at most 256 characters. */
export function isLoggerName(s: string): boolean {
  return /^[A-Za-z0-9_$.-]{1,256}$/.test(s);
}

/** The level name of `s` (case-insensitive), or undefined. */
export function parseLevel(s: string): Level | undefined {
  const u = s.trim().toUpperCase();
  return (LEVELS as readonly string[]).includes(u) ? (u as Level) : undefined;
}

function stamp(d = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())},${p(d.getMilliseconds(), 3)}`;
}

/**
 * The environment variable through which the launcher names a server's log file
 * (`<alluxio.logs.dir>/master.log`): the process writes and rolls it itself, while its stdout and
 * stderr (what is not a log line, e.g. a crash of node itself) go to `master.out`, as Alluxio's do.
 * Unset (a server started by a test or by hand): log lines go to stdout.
 */
export const LOG_FILE_ENV = 'ALLUXIO_LOG_FILE';

// ---- levels ---------------------------------------------------------------------------------

const ROOT = 'root';
const levels = new Map<string, Level>([[ROOT, process.env.ALLUXIO_DEBUG ? 'DEBUG' : 'INFO']]);

/** The level that applies to logger `name`: its own, else its nearest dotted parent's, else root's. */
export function effectiveLevel(name: string): Level {
  for (let n = name; ; n = n.slice(0, n.lastIndexOf('.'))) {
    const l = levels.get(n);
    if (l) return l;
    if (!n.includes('.')) return levels.get(ROOT)!;
  }
}

/** Set the level of logger `name` (and of the names below it that have none of their own); `root` for all. */
export function setLevel(name: string, level: Level): void {
  levels.set(name.trim() === '' ? ROOT : name.trim(), level);
}

/** The levels set so far, by logger name (`root` included). */
export function levelsSet(): Record<string, Level> {
  return Object.fromEntries([...levels].sort(([a], [b]) => a.localeCompare(b)));
}

// ---- where lines go ---------------------------------------------------------------------------

export interface Sink { write(line: string): void }

const stdoutSink: Sink = { write: (l) => { process.stdout.write(l + '\n'); } };
let sink: Sink = stdoutSink;

/** Send every logger's lines to `s` from now on (stdout when undefined). */
export function setSink(s: Sink | undefined): void {
  sink = s ?? stdoutSink;
}

/**
 * A log file that rolls over by size, as log4j's RollingFileAppender: once a line takes it past
 * `maxBytes`, `file` is renamed `file.1` (`file.1` -> `file.2` ... up to `maxBackups`; the oldest
 * is removed) and a new `file` is started. `maxBackups` 0: the file is truncated instead.
 * Writes are synchronous (a line is on disk, in the page cache, before the call returns), so the
 * last lines before a crash are never lost; a server logs a few lines per second at INFO.
 */
export class RollingFile implements Sink {
  private fd: number;
  private size: number;

  constructor(readonly file: string, private maxBytes: number, private maxBackups: number) {
    this.fd = fs.openSync(file, 'a');
    this.size = fs.fstatSync(this.fd).size;
  }

  /** New limits (e.g. once the configuration is read); applied from the next line on. */
  setLimits(maxBytes: number, maxBackups: number): void {
    this.maxBytes = maxBytes;
    this.maxBackups = maxBackups;
  }

  write(line: string): void {
    const buf = Buffer.from(line + '\n');
    try {
      fs.writeSync(this.fd, buf);
      this.size += buf.length;
      if (this.size >= this.maxBytes) this.roll();
    } catch { /* a full or vanished disk must not take the server down; stdout is the fallback */
      process.stdout.write(line + '\n');
    }
  }

  private roll(): void {
    fs.closeSync(this.fd);
    if (this.maxBackups > 0) {
      fs.rmSync(`${this.file}.${this.maxBackups}`, { force: true });
      for (let i = this.maxBackups - 1; i >= 1; i--) {
        try { fs.renameSync(`${this.file}.${i}`, `${this.file}.${i + 1}`); } catch { /* no such backup yet */ }
      }
      fs.renameSync(this.file, `${this.file}.1`);
      this.fd = fs.openSync(this.file, 'a');
    } else {
      this.fd = fs.openSync(this.file, 'w');
    }
    this.size = 0;
  }

  close(): void {
    try { fs.closeSync(this.fd); } catch { /* already closed */ }
  }
}

// ---- loggers ----------------------------------------------------------------------------------

/**
 * A logger named `name` (what lines show and what `alluxio logLevel --logName` matches).
 * `write`: this logger's own destination instead of the process's sink (tests). `debug`: always
 * write DEBUG lines, whatever the level set.
 */
export function createLogger(name: string, write?: (line: string) => void, debug = false): NamedLogger {
  const out = (level: Level, msg: string) => {
    if (RANK[level] < RANK[debug && level === 'DEBUG' ? 'DEBUG' : effectiveLevel(name)]) return;
    const line = `${stamp()} ${level.padEnd(5)} ${name} - ${msg}`;
    if (write) write(line); else sink.write(line);
  };
  return {
    name,
    info: (m) => out('INFO', m),
    warn: (m) => out('WARN', m),
    error: (m) => out('ERROR', m),
    debug: (m) => out('DEBUG', m),
    debugEnabled: () => debug || RANK[effectiveLevel(name)] <= RANK.DEBUG,
  };
}
