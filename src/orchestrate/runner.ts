/**
 * Bounded fan-out over hosts (convention 5): every host gets a result, one failure never stops
 * or hides the others.
 */
export type HostStatus = 'ok' | 'changed' | 'failed' | 'skipped';

export interface HostResult<T = unknown> {
  host: string;
  status: HostStatus;
  /** One-line summary for the table. */
  detail: string;
  value?: T;
  error?: Error;
  ms: number;
}

/** Run `fn` for every host with at most `parallel` at a time; never throws. */
export async function fanOut<T>(
  hosts: readonly string[],
  parallel: number,
  fn: (host: string) => Promise<{ status?: HostStatus; detail: string; value?: T }>,
): Promise<HostResult<T>[]> {
  const results: HostResult<T>[] = new Array(hosts.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= hosts.length) return;
      const host = hosts[i]!;
      const t0 = Date.now();
      try {
        const r = await fn(host);
        results[i] = { host, status: r.status ?? 'ok', detail: r.detail, ms: Date.now() - t0, ...(r.value !== undefined ? { value: r.value } : {}) };
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        results[i] = { host, status: 'failed', detail: err.message, error: err, ms: Date.now() - t0 };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, hosts.length)) }, worker));
  return results;
}
