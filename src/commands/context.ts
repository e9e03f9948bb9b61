import { loadConfig, type Config } from '../conf/index.js';
import { INSTALL_ROOT } from '../conf/installRoot.js';

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
