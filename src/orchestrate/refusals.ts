/**
 * Every refusal of the start and format steps, decided once, here, from plain data (pure: no I/O).
 * The controller's plan (plan.ts, from the hosts' facts) and the host-side commands
 * (local/service.ts, from what this host sees) both ask these functions, so a refusal reads the
 * same wherever it is met and a dry run refuses exactly what the apply would.
 */
import { ConfigError, HostError } from '../errors.js';

/** A server found running: its name (`master`, `master-19201`, `worker`), host and pid. */
export interface RunningServer { name: string; host: string; pid?: number | undefined }

/**
 * Formatting is refused while anything it concerns runs. `scope` says where the question was
 * asked: on one host (`alluxio formatJournal`, `start -f`), or across the cluster (`alluxio
 * format`), which names every host. Undefined when nothing runs.
 */
export function formatWhileRunning(scope: 'host' | 'cluster', running: readonly RunningServer[]): HostError | undefined {
  if (!running.length) return undefined;
  const verb = running.length === 1 ? 'is' : 'are';
  if (scope === 'cluster') {
    const list = running.map((r) => `${r.name} on ${r.host} (pid ${r.pid})`).join(', ');
    return new HostError(running[0]!.host, `cannot format while ${list} ${verb} running; nothing was formatted`, {
      hint: 'stop the cluster first: alluxio-stop.sh all',
    });
  }
  const list = running.map((r) => `the ${r.name} (pid ${r.pid})`).join(' and ');
  return new HostError(running[0]!.host, `cannot format while ${list} ${verb} running on this host`, {
    hint: `stop ${running.length === 1 ? 'it' : 'them'} first: alluxio-stop.sh local (or alluxio stop master / alluxio stop worker)`,
  });
}

/** A journal folder as facts describe it: formatted (marker present), and why a wipe is refused. */
export interface JournalState { folder: string; formatted: boolean; refusal?: string | undefined }

/**
 * What formatting does to one journal: `skip` (format -s of a formatted journal), `format`, or a
 * refusal (the path is unsafe to wipe: checkSafeToWipe's reason, as facts carry it).
 */
export function journalFormat(j: JournalState, onlyUnformatted: boolean): 'skip' | 'format' | { refused: string } {
  if (onlyUnformatted && j.formatted) return 'skip';
  if (j.refusal !== undefined) return { refused: j.refusal };
  return 'format';
}

/** Worker storage as facts describe it: the data folders, or why formatting it is refused. */
export type WorkerStorageState = { dataDir: string; exists: boolean }[] | { error: string };

/** What formatting does to a worker's storage: `skip` (format -s, every folder exists), `format`, or a refusal. */
export function workerFormat(w: WorkerStorageState, onlyUnformatted: boolean): 'skip' | 'format' | { refused: string } {
  if ('error' in w) return { refused: w.error };
  if (onlyUnformatted && w.every((d) => d.exists)) return 'skip';
  return 'format';
}

/**
 * A master is never started on an unformatted journal (it is never formatted implicitly): a
 * ConfigError naming every such folder, or undefined when all are formatted.
 */
export function startUnformatted(journals: readonly JournalState[]): ConfigError | undefined {
  const missing = journals.filter((j) => !j.formatted).map((j) => j.folder);
  if (!missing.length) return undefined;
  return new ConfigError(missing.map((f) => `the journal folder ${f} (alluxio.master.journal.folder) is not formatted`), {
    hint: "run 'alluxio format' (or 'alluxio formatJournal') first, or start with -f; it is never formatted implicitly",
  });
}

/**
 * `alluxio format` checks every path on every host before deleting anything anywhere: one
 * ConfigError listing each refused path (`[host] reason`), or undefined when none is.
 */
export function formatPathRefusals(refused: readonly { host: string; reason: string }[]): ConfigError | undefined {
  if (!refused.length) return undefined;
  return new ConfigError([...refused.map((r) => `[${r.host}] ${r.reason}`), 'nothing was formatted on any host']);
}
