/**
 * Size and duration syntax used by configuration values, in the Alluxio style:
 * sizes are a number plus an optional 1024-based unit (`512MB`, `1.5GB`, `64m`),
 * durations are a number plus an optional unit (`500ms`, `10sec`, `5min`; a bare number is ms).
 */
import { ConfigError } from '../errors.js';

const KB = 1024;
const MB = KB * 1024;
const GB = MB * 1024;
const TB = GB * 1024;
const PB = TB * 1024;

/** Byte multipliers by lower-case suffix (the empty suffix means bytes). */
const BYTE_SUFFIX: Readonly<Record<string, number>> = {
  '': 1, b: 1,
  k: KB, kb: KB, ki: KB, kib: KB,
  m: MB, mb: MB, mi: MB, mib: MB,
  g: GB, gb: GB, gi: GB, gib: GB,
  t: TB, tb: TB, ti: TB, tib: TB,
  p: PB, pb: PB, pi: PB, pib: PB,
};

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** Millisecond multipliers by lower-case suffix (the empty suffix means milliseconds). */
const TIME_SUFFIX: Readonly<Record<string, number>> = {
  '': 1, ms: 1, millis: 1, millisecond: 1, milliseconds: 1,
  s: SEC, sec: SEC, secs: SEC, second: SEC, seconds: SEC,
  m: MIN, min: MIN, mins: MIN, minute: MIN, minutes: MIN,
  h: HOUR, hr: HOUR, hrs: HOUR, hour: HOUR, hours: HOUR,
  d: DAY, day: DAY, days: DAY,
};

/** Units accepted by `getConf --unit` (upper case). */
const BYTE_UNITS: Readonly<Record<string, number>> = { B: 1, KB, MB, GB, TB, PB };
const TIME_UNITS: Readonly<Record<string, number>> = {
  MS: 1, S: SEC, SEC, M: MIN, MIN, H: HOUR, HR: HOUR, HOUR, D: DAY, DAY,
};

const NUMBER_AND_SUFFIX = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*([A-Za-z]*)\s*$/;
/** Guards against 0.1 * 10-style rounding just below an integer before truncation. */
const EPSILON = 1e-4;

function parseWith(s: string, table: Readonly<Record<string, number>>): number | undefined {
  const m = NUMBER_AND_SUFFIX.exec(s);
  if (!m) return undefined;
  const mult = table[m[2]!.toLowerCase()];
  if (mult === undefined) return undefined;
  const n = Number(m[1]);
  if (!Number.isFinite(n)) return undefined;
  return Math.floor(n * mult + EPSILON);
}

/** Bytes in `s`, or undefined when it is not a size. */
export function tryParseBytes(s: string): number | undefined {
  return parseWith(s, BYTE_SUFFIX);
}

/** Milliseconds in `s`, or undefined when it is not a duration. */
export function tryParseDuration(s: string): number | undefined {
  return parseWith(s, TIME_SUFFIX);
}

export const SIZE_HINT = 'is not a size (e.g. 512MB, 1GB)';
export const DURATION_HINT = 'is not a duration (e.g. 500ms, 10sec, 5min)';

/** Parse a size such as `512MB`, `1.5GB`, `64m` or `1024` (bytes). Throws ConfigError. */
export function parseBytes(s: string): number {
  const n = tryParseBytes(s);
  if (n === undefined) throw new ConfigError(`"${s}" ${SIZE_HINT}`);
  return n;
}

/** Parse a duration such as `500ms`, `10sec`, `5min`, `1.5h` or `250` (ms). Throws ConfigError. */
export function parseDuration(s: string): number {
  const n = tryParseDuration(s);
  if (n === undefined) throw new ConfigError(`"${s}" ${DURATION_HINT}`);
  return n;
}

/**
 * Render a byte count for people, as Alluxio does: plain bytes up to 5KB (`4096B`), otherwise
 * two decimals in the largest unit that keeps the number at most 5120 (`1024.00MB` for 1GB).
 */
export function formatBytes(n: number): string {
  if (n <= 5 * KB) return `${Math.trunc(n)}B`;
  let v = n;
  for (const unit of ['KB', 'MB', 'GB', 'TB', 'PB']) {
    v /= KB;
    if (v <= 5 * KB || unit === 'PB') return `${v.toFixed(2)}${unit}`;
  }
  /* c8 ignore next */
  return `${v.toFixed(2)}PB`;
}

/** True for a unit `toUnit` accepts (case-insensitive). */
export function isValidUnit(unit: string): boolean {
  const u = unit.toUpperCase();
  return BYTE_UNITS[u] !== undefined || TIME_UNITS[u] !== undefined;
}

/**
 * Convert a size or duration value to an integer count of `unit` (truncating), as
 * `getConf --unit` does. Units: B, KB, MB, GB, TB, PB or MS, S, SEC, M, MIN, H, HR, HOUR, D, DAY
 * (case-insensitive). Throws ConfigError `<u> is not a valid unit`, or when the value does not
 * parse as that kind of quantity.
 */
export function toUnit(value: string, unit: string): number {
  const u = unit.toUpperCase();
  const bytes = BYTE_UNITS[u];
  if (bytes !== undefined) return Math.trunc(parseBytes(value) / bytes);
  const ms = TIME_UNITS[u];
  if (ms !== undefined) return Math.trunc(parseDuration(value) / ms);
  throw new ConfigError(`${unit} is not a valid unit`, {
    hint: 'use one of B, KB, MB, GB, TB, PB or MS, S, SEC, M, MIN, H, HR, HOUR, D, DAY',
  });
}
