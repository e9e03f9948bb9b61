/**
 * Leader discovery: ask every candidate master at once whether it leads and take the first that
 * says so. The asking itself (a GetMasterInfo call) is injected, so this part runs on fake
 * probes in unit tests.
 *
 * - Each round asks every candidate that has no question in flight; rounds are `pollMs` apart.
 *   A master that does not answer (frozen, partitioned) keeps one question in flight until its
 *   per-attempt deadline and is asked again in a later round; it never holds up the others.
 * - The per-attempt deadline starts at `probeTimeoutMs` and doubles for each consecutive time-out
 *   of the same master, up to `maxProbeTimeoutMs`: a frozen master is re-asked soon, a master
 *   that is merely slow still gets the time it needs.
 * - A standby's hint (the leader's rpc address) is asked at once, also when it is not among the
 *   candidates: it becomes one (at most `maxCandidates` in all). A hint that is not a valid
 *   host:port is ignored.
 * - When a leader answers, the deadline passes or `signal` aborts, every question still in flight
 *   is aborted.
 */
import { isValidHost } from '../conf/hosts.js';
import { TimeoutError } from '../errors.js';

/** What a master says about leadership. */
/** A master's answer; `journalWriteError`: why its journal refuses writes (a full disk), shown in the final error. */
export interface ProbeAnswer { isLeader: boolean; leaderHint?: string; journalWriteError?: string }

/** Ask `addr` whether it leads, within `timeoutMs`; reject with TimeoutError when it does not answer in time. */
export type Probe = (addr: string, timeoutMs: number, signal: AbortSignal) => Promise<ProbeAnswer>;

export interface DiscoveryOptions {
  /** Epoch ms after which no new question is asked. */
  deadline: number;
  /** Pause between rounds. */
  pollMs: number;
  /** First per-attempt deadline of a master. */
  probeTimeoutMs: number;
  /** Longest per-attempt deadline (after repeated time-outs). */
  maxProbeTimeoutMs: number;
  /** Most candidates, hints included. */
  maxCandidates: number;
  /** Ends the search at once (no leader), e.g. when the client closes. */
  signal?: AbortSignal;
}

export interface DiscoveryResult {
  /** The master that said it leads (undefined when none did before the deadline). */
  leader?: string;
  /** Every candidate asked, with its last answer or error. */
  tried: Map<string, string>;
}

/** Shortest per-attempt deadline: even a master at the end of the budget gets a real chance. */
export const MIN_PROBE_TIMEOUT_MS = 100;

/** A leader hint as a `host:port` string, or undefined when it is not one. */
export function validHint(hint: unknown): string | undefined {
  if (typeof hint !== 'string' || hint.length === 0 || hint.length > 300) return undefined;
  const i = hint.lastIndexOf(':');
  if (i <= 0) return undefined;
  const port = hint.slice(i + 1);
  if (!/^[0-9]{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return undefined;
  return isValidHost(hint.slice(0, i)) ? hint : undefined;
}

/** The per-attempt deadline of a master after `timeouts` consecutive time-outs, within `remainingMs` of the budget. */
export function probeTimeout(timeouts: number, remainingMs: number, o: Pick<DiscoveryOptions, 'probeTimeoutMs' | 'maxProbeTimeoutMs'>): number {
  const escalated = Math.min(o.probeTimeoutMs * 2 ** Math.min(timeouts, 30), o.maxProbeTimeoutMs);
  return Math.max(MIN_PROBE_TIMEOUT_MS, Math.min(escalated, remainingMs));
}

export function discoverLeader(initial: readonly string[], probe: Probe, o: DiscoveryOptions): Promise<DiscoveryResult> {
  const candidates = [...new Set(initial)];
  const inFlight = new Map<string, AbortController>();
  const timeouts = new Map<string, number>();
  const tried = new Map<string, string>();
  let askedThisRound = new Set<string>();
  let first = true;
  let done = false;
  let timer: NodeJS.Timeout | undefined;

  return new Promise<DiscoveryResult>((resolve) => {
    const onAbort = () => finish();
    const finish = (leader?: string) => {
      if (done) return;
      done = true;
      o.signal?.removeEventListener('abort', onAbort); // the signal lives as long as the client: one search must not leave a listener
      if (timer) clearTimeout(timer);
      for (const ac of inFlight.values()) ac.abort();
      inFlight.clear();
      resolve(leader === undefined ? { tried } : { leader, tried });
    };
    const pastDeadline = () => !first && Date.now() >= o.deadline;
    // Past the deadline, the answers still in flight may decide; when none is left, it is over.
    const maybeGiveUp = () => { if (pastDeadline() && inFlight.size === 0) finish(); };

    const ask = (addr: string) => {
      if (done || inFlight.has(addr) || askedThisRound.has(addr) || pastDeadline()) return;
      askedThisRound.add(addr);
      const ac = new AbortController();
      inFlight.set(addr, ac);
      const timeoutMs = probeTimeout(timeouts.get(addr) ?? 0, o.deadline - Date.now(), o);
      Promise.resolve()
        .then(() => probe(addr, timeoutMs, ac.signal))
        .then((answer) => {
          if (ac.signal.aborted) return;
          inFlight.delete(addr);
          timeouts.delete(addr);
          if (answer.isLeader === true) { tried.set(addr, 'leader'); finish(addr); return; }
          const hint = validHint(answer.leaderHint);
          const why = answer.journalWriteError ? `; ${answer.journalWriteError}` : '';
          tried.set(addr, (hint ? `standby (leader is ${hint})` : 'standby, no leader known') + why);
          if (hint && hint !== addr) {
            if (!candidates.includes(hint) && candidates.length < o.maxCandidates) candidates.push(hint);
            if (candidates.includes(hint)) ask(hint);
          }
        }, (e: unknown) => {
          if (ac.signal.aborted) return;
          inFlight.delete(addr);
          if (e instanceof TimeoutError) timeouts.set(addr, (timeouts.get(addr) ?? 0) + 1);
          tried.set(addr, e instanceof Error ? e.message : String(e));
        })
        .finally(maybeGiveUp);
    };

    if (o.signal?.aborted) { finish(); return; }
    o.signal?.addEventListener('abort', onAbort, { once: true });

    const round = () => {
      timer = undefined;
      if (done) return;
      askedThisRound = new Set();
      for (const a of [...candidates]) ask(a);
      first = false;
      if (Date.now() >= o.deadline) { maybeGiveUp(); return; }
      timer = setTimeout(round, Math.max(1, Math.min(o.pollMs, o.deadline - Date.now())));
    };
    round();
  });
}
