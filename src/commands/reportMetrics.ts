/**
 * `alluxio fsadmin report metrics`: the leading master's metrics (its /metrics/json/, which holds
 * the Master.* metrics and the Cluster.* ones it sums from the workers' heartbeats), one line per
 * metric as Alluxio prints them: "Cluster.BytesReadLocal  (Type: COUNTER, Value: 0B)".
 */
import type { CliContext } from './context.js';
import type { FileSystem } from '../client/fileSystem.js';
import { UnavailableError } from '../errors.js';
import { describeFetchError } from '../orchestrate/local/processes.js';
import { DOCTOR_PROBE_MS, masterWebUrl } from './doctor.js';
import { reportLines } from '../metrics/format.js';

/** The leader's /metrics/json/ document (the client finds the leader; its GetMasterInfo names the web port). */
export async function leaderMetrics(fs: FileSystem): Promise<Record<string, unknown>> {
  const info = await fs.masterInfo();
  const leader: string = info.leaderMasterAddress || '';
  if (!leader) throw new UnavailableError('no master knows the leader right now', { hint: 'wait for an election (alluxio fs leader), then run the command again' });
  let url = `the web port of ${leader}`;
  try {
    url = await masterWebUrl(leader, '/metrics/json/');
    const res = await fetch(url, { signal: AbortSignal.timeout(DOCTOR_PROBE_MS) });
    const body: unknown = await res.json().catch(() => undefined);
    if (!res.ok) {
      const why = typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string' ? (body as { error: string }).error : `HTTP ${res.status}`;
      throw new UnavailableError(`the leader ${leader} did not give its metrics (${url}): ${why}`, { hint: res.status === 503 ? 'set alluxio.metrics.enabled=true on the masters (docs/metrics.md)' : 'alluxio fsadmin report shows whether the leader answers' });
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new UnavailableError(`the leader ${leader} answered no metrics document at ${url}`);
    return body as Record<string, unknown>;
  } catch (e) {
    if (e instanceof UnavailableError) throw e;
    throw new UnavailableError(`could not read the leader's metrics from ${url}: ${describeFetchError(e)}`, { hint: 'is the leader\'s web port (alluxio.master.web.port) reachable from here?' });
  }
}

export async function reportMetrics(ctx: CliContext, fs: FileSystem, json: boolean): Promise<void> {
  const doc = await leaderMetrics(fs);
  if (json) { ctx.out(JSON.stringify(doc, null, 2)); return; }
  for (const l of reportLines(doc)) ctx.out(l);
}
