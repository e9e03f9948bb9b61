/**
 * The ONLY place an argv becomes a shell string (ARCHITECTURE convention 3).
 *
 * Builders return `readonly string[]`; whatever runs them over SSH turns them into one POSIX
 * `sh` command line here, with single-quote escaping. Nothing else concatenates shell text.
 */
import { UsageError } from '../errors.js';

/** Characters that never need quoting in a POSIX shell word (outside the first word). */
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;
/** A first word of this form would be an assignment (`A=b cmd`), not a command name. */
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * POSIX-quote one argument: safe characters stay bare, anything else is single-quoted with
 * each `'` written as `'\''`; the empty string becomes `''`. A NUL byte cannot be passed in a
 * shell argument at all, so it is refused.
 */
export function quote(arg: string): string {
  if (arg.includes('\0')) throw new UsageError(`argument contains a NUL byte and cannot be passed to a shell: ${JSON.stringify(arg)}`);
  if (arg === '') return "''";
  if (SAFE.test(arg)) return arg;
  return singleQuote(arg);
}

function singleQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * `argv.map(quote).join(' ')`. One exception keeps the meaning of argv: a first word that
 * would read as a variable assignment (`A=b`) is single-quoted so it stays the command name.
 */
export function toShell(argv: readonly string[]): string {
  return argv.map((a, i) => (i === 0 && ASSIGNMENT.test(a) && !a.includes('\0') ? singleQuote(a) : quote(a))).join(' ');
}
