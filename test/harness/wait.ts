/**
 * The one wait helper of the tests: poll a condition until it holds, bounded in time and in
 * tries, and fail with a message that names what was awaited and the last state observed.
 * Tests wait for an observable condition, never for a fixed time.
 */
import { inspect } from 'node:util';

export interface WaitOptions {
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
  /** Pause between two tries (default 100 ms). */
  everyMs?: number;
  /** Give up after this many tries (default 100 000). */
  maxTries?: number;
}

/** Thrown from a check: stop waiting at once (the condition can no longer become true), with this message. */
export class GiveUp extends Error {}

/** Stop waiting at once: the condition can no longer become true (a process exited, ...). */
export function giveUp(message: string): never {
  throw new GiveUp(message);
}

type Falsy = false | undefined | null | 0 | '';

/** Resolve after `ms`; for pacing a workload, never for waiting until something happened (use waitFor). */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A short, one-line rendering of an observed value for failure messages. */
function show(v: unknown): string {
  const s = v instanceof Error ? `${v.constructor.name}: ${v.message}` : typeof v === 'string' ? v : inspect(v, { depth: 4, breakLength: Infinity });
  return s.length > 2000 ? `${s.slice(0, 2000)}...` : s;
}

/**
 * Call `check` until it returns a truthy value (returned) or throws {@link GiveUp} (rethrown);
 * any other error or a falsy value means "not yet". `check` may call `observe(state)` to record
 * what it saw (an info JSON, a count, a listing): the last one is in the time-out message, else
 * the last error or value. `opts` is the time-out in ms or {@link WaitOptions}; `everyMs` the
 * pause between tries when `opts` is a number.
 */
export async function waitFor<T>(
  what: string,
  check: (observe: (state: unknown) => void) => T | Falsy | Promise<T | Falsy>,
  opts: number | WaitOptions = {},
  everyMs?: number,
): Promise<T> {
  const o: WaitOptions = typeof opts === 'number' ? { timeoutMs: opts, everyMs } : opts;
  const timeoutMs = o.timeoutMs ?? 30_000, pause = o.everyMs ?? 100, maxTries = o.maxTries ?? 100_000;
  const start = Date.now();
  /** The last try: what it observed, else what it threw or returned. */
  let last: { observed?: { state: unknown }; error?: unknown; value?: unknown } = {};
  let tries = 0;
  while (tries < maxTries) {
    tries++;
    let observed: { state: unknown } | undefined;
    try {
      const v = await check((state) => { observed = { state }; });
      if (v) return v;
      last = { observed, value: v };
    } catch (e) {
      if (e instanceof GiveUp) throw new Error(`gave up waiting for ${what}: ${e.message}`, { cause: e });
      last = { observed, error: e };
    }
    if (Date.now() - start >= timeoutMs) break;
    await sleep(pause);
  }
  const seen = last.observed ? show(last.observed.state) : 'error' in last ? show(last.error) : `the check returned ${show(last.value)}`;
  throw new Error(`timed out waiting for ${what} after ${Date.now() - start} ms and ${tries} tries (limits ${timeoutMs} ms, ${maxTries} tries); last observed: ${seen}`);
}
