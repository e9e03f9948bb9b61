/**
 * A server's logging settings from `<conf dir>/log4j.properties`, the file Alluxio operators edit
 * (we read the lines that matter here; the rest of a log4j file is ignored):
 *
 *   log4j.rootLogger=INFO, ${alluxio.logger.type}       root level (the first word)
 *   log4j.logger.<name>=DEBUG                            level of one logger and those below it
 *   log4j.appender.MASTER_LOGGER.MaxFileSize=10MB        master.log rolls past this size
 *   log4j.appender.MASTER_LOGGER.MaxBackupIndex=100      and keeps this many old files
 *   (WORKER_LOGGER for the worker)
 *
 * No file: Alluxio's defaults (INFO, 10MB, 100 backups). A bad value is an error naming the file,
 * line and key: the server does not start with a log configuration it cannot honour.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { parseProperties, tryParseBytes } from '../conf/index.js';
import { LEVELS, parseLevel, type Level } from '../log.js';

export const LOG4J_FILE_NAME = 'log4j.properties';
export const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;
export const DEFAULT_MAX_BACKUPS = 100;

/** The appender that writes a process's own log, by the logger type Alluxio gives it. */
export type Appender = 'MASTER_LOGGER' | 'WORKER_LOGGER';

export interface LogConf {
  rootLevel: Level | undefined;
  /** log4j.logger.<name> levels. */
  levels: Record<string, Level>;
  maxFileBytes: number;
  maxBackups: number;
}

/** Parse log4j.properties text for `appender`; throws one ConfigError listing every problem. */
export function parseLogConf(text: string, file: string, appender: Appender): LogConf {
  const { entries, problems } = parseProperties(text, file);
  const out: LogConf = { rootLevel: undefined, levels: {}, maxFileBytes: DEFAULT_MAX_FILE_BYTES, maxBackups: DEFAULT_MAX_BACKUPS };
  const levelOf = (v: string, at: string, key: string): Level | undefined => {
    const l = parseLevel(v.split(',')[0]!);
    if (!l) problems.push(`${at}: ${key}: "${v.split(',')[0]!.trim()}" is not a log level (one of ${LEVELS.join(', ')})`);
    return l;
  };
  for (const e of entries) {
    const at = `${file}:${e.line}`;
    if (e.key === 'log4j.rootLogger') out.rootLevel = levelOf(e.value, at, e.key);
    else if (e.key.startsWith('log4j.logger.')) {
      const l = levelOf(e.value, at, e.key);
      if (l) out.levels[e.key.slice('log4j.logger.'.length)] = l;
    } else if (e.key === `log4j.appender.${appender}.MaxFileSize`) {
      const n = tryParseBytes(e.value);
      if (n === undefined || n <= 0) problems.push(`${at}: ${e.key}: "${e.value}" is not a positive size (e.g. 10MB)`);
      else out.maxFileBytes = n;
    } else if (e.key === `log4j.appender.${appender}.MaxBackupIndex`) {
      const n = Number(e.value);
      if (!/^\d+$/.test(e.value) || !Number.isSafeInteger(n)) problems.push(`${at}: ${e.key}: "${e.value}" is not a whole number of files (0 or more)`);
      else out.maxBackups = n;
    }
  }
  if (problems.length) throw new ConfigError(problems, { hint: `fix ${file} (Alluxio's log4j.properties keys), or remove it for the defaults` });
  return out;
}

/** `<confDir>/log4j.properties` for `appender`, or the defaults when there is no such file. */
export function loadLogConf(confDir: string, appender: Appender): LogConf {
  const file = path.join(confDir, LOG4J_FILE_NAME);
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { rootLevel: undefined, levels: {}, maxFileBytes: DEFAULT_MAX_FILE_BYTES, maxBackups: DEFAULT_MAX_BACKUPS };
    throw new ConfigError(`${file}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  return parseLogConf(text, file, appender);
}
