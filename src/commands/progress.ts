/**
 * Progress of a long copy (`fs cat`, `fs copyFromLocal`, `fs copyToLocal`): bytes done of the
 * total, percent and rate on one line of standard error, rewritten in place with \r, only when
 * standard error is a terminal and the copy is long (more than SHOW_AFTER_MS, or more than
 * SHOW_BYTES in all: then from the start). Anywhere else nothing is written, so piped or
 * redirected output is exactly what it is without progress. The line is erased at the end.
 */
import { formatBytes } from '../conf/units.js';

/** A copy shows progress once it has run this long... */
export const SHOW_AFTER_MS = 1000;
/** ...or from its start when it moves at least this many bytes. */
export const SHOW_BYTES = 64 * 1024 * 1024;
const REDRAW_MS = 250;

export interface Progress {
  /** `n` more bytes were copied. */
  add(n: number): void;
  /** The copy ended (done or failed): erase the line. Safe to call twice. */
  end(): void;
}

const QUIET: Progress = { add() {}, end() {} };

/** Whether progress can be shown at all (standard error is a terminal): callers skip work it needs otherwise. */
export function progressWanted(stream: NodeJS.WriteStream = process.stderr): boolean {
  return stream.isTTY === true;
}

/** The progress line (without \r): "512.00MB / 1024.00MB  (50%)  834.2 MB/s" (sizes as Alluxio prints them). */
export function progressLine(done: number, total: number, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? done / 1e6 / (elapsedMs / 1000) : 0;
  const pct = total > 0 ? `  (${Math.min(100, Math.floor((done / total) * 100))}%)` : '';
  return `${formatBytes(done)} / ${formatBytes(total)}${pct}  ${rate.toFixed(1)} MB/s`;
}

/**
 * Progress of a copy of `total` bytes (all files of a directory copy together). Quiet unless
 * `stream` (standard error) is a terminal; quiet too when `total` is undefined (the caller
 * decided no line is to be shown).
 */
export function startProgress(total: number | undefined, stream: NodeJS.WriteStream = process.stderr, now: () => number = performance.now.bind(performance)): Progress {
  if (total === undefined || !progressWanted(stream)) return QUIET;
  const t0 = now();
  let done = 0;
  let shown = false;
  let ended = false;
  const draw = (): void => {
    if (ended) return;
    if (!shown && total < SHOW_BYTES && now() - t0 < SHOW_AFTER_MS) return;
    shown = true;
    stream.write(`\r${progressLine(done, total, now() - t0)}\x1b[K`);
  };
  if (total >= SHOW_BYTES) draw(); // a big copy shows its line from the start
  // unref: a progress line never keeps the process alive.
  const timer = setInterval(draw, REDRAW_MS);
  timer.unref();
  return {
    add(n) { done += n; },
    end() {
      if (ended) return;
      clearInterval(timer);
      if (shown) stream.write('\r\x1b[K');
      ended = true;
    },
  };
}

/** Run a copy of `total` bytes with its progress (startProgress), erased however the copy ends. */
export async function withProgress<T>(total: number | undefined, fn: (p: Progress) => Promise<T>): Promise<T> {
  const p = startProgress(total);
  try {
    return await fn(p);
  } finally {
    p.end();
  }
}
