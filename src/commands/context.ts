import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { loadConfig, type Config } from '../conf/index.js';

/** Root of this installation (the directory holding package.json, bin/, dist/). */
export const INSTALL_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** What every command gets: the -D flags from the command line and a lazily loaded config. */
export interface CliContext {
  /** `-Dkey=value` flags given anywhere on the command line (removed from argv before parsing). */
  readonly flags: Readonly<Record<string, string>>;
  /** Load (once) and return the resolved configuration; throws ConfigError listing all problems. */
  conf(): Config;
  /** Standard output / error writers (tests may capture them). */
  out(line: string): void;
  err(line: string): void;
  /** Set the process exit code (the last non-zero one wins). */
  setExitCode(code: number): void;
}

export function createContext(flags: Record<string, string>): CliContext {
  let cached: Config | undefined;
  return {
    flags,
    conf() {
      cached ??= loadConfig({ flags, env: process.env, home: INSTALL_ROOT });
      return cached;
    },
    out: (line) => { process.stdout.write(line + '\n'); },
    err: (line) => { process.stderr.write(line + '\n'); },
    setExitCode(code) { if (code !== 0 || process.exitCode === undefined) process.exitCode = code; },
  };
}

/** Split `-Dkey=value` flags out of argv. Returns the remaining argv and the flags. */
export function extractDefines(argv: readonly string[]): { argv: string[]; flags: Record<string, string> } {
  const rest: string[] = [];
  const flags: Record<string, string> = {};
  for (const a of argv) {
    const m = /^-D([^=]+)=(.*)$/s.exec(a);
    if (m) flags[m[1]!.trim()] = m[2]!;
    else rest.push(a);
  }
  return { argv: rest, flags };
}
