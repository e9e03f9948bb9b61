/** Minimal timestamped logger for server processes (stdout goes to logs/<process>.log). */
export type Level = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  debug(msg: string): void;
}

function stamp(d = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())},${p(d.getMilliseconds(), 3)}`;
}

export function createLogger(name: string, write: (line: string) => void = (l) => process.stdout.write(l + '\n'), debug = !!process.env.ALLUXIO_DEBUG): Logger {
  const line = (level: Level, msg: string) => write(`${stamp()} ${level.padEnd(5)} ${name} - ${msg}`);
  return {
    info: (m) => line('INFO', m),
    warn: (m) => line('WARN', m),
    error: (m) => line('ERROR', m),
    debug: (m) => { if (debug) line('DEBUG', m); },
  };
}
