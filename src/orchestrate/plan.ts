/**
 * Pure planning (convention 4): from the facts of one host and the action, the steps that would
 * run there. Used by --dry-run; tested exactly.
 */
import type { HostFactsJson } from './local/facts.js';

export type Action = 'start' | 'format+start' | 'stop' | 'format' | 'format -s';

export interface HostPlanInput {
  reachable: boolean;
  installCurrent: boolean;
  confCurrent: boolean;
  master: boolean;
  worker: boolean;
  facts?: HostFactsJson | undefined;
}

export interface HostPlan { host: string; steps: string[] }

export function planFor(action: Action, host: string, i: HostPlanInput): HostPlan {
  if (!i.reachable) return { host, steps: ['unreachable: nothing can be planned'] };
  const steps: string[] = [];
  const mutating = action !== 'stop';
  if (mutating && !i.installCurrent) steps.push('push install');
  if (mutating && !i.confCurrent) steps.push('push conf');
  const f = i.facts;
  const kinds = [...(i.master ? ['master' as const] : []), ...(i.worker ? ['worker' as const] : [])];
  for (const kind of kinds) {
    if (kind === 'master' && f && severalMasters(f)) {
      steps.push(...severalMasterSteps(action, f));
      continue;
    }
    const proc = f?.[kind];
    if (action === 'stop') {
      if (!f) steps.push(`stop ${kind} (state unknown: no current install to ask)`);
      else steps.push(proc!.running ? `stop ${kind} (pid ${proc!.pid})` : `${kind} not running: nothing to stop`);
      continue;
    }
    if (action === 'format' || action === 'format -s' || action === 'format+start') {
      if (f && proc!.running) steps.push(`REFUSED: ${kind} is running (pid ${proc!.pid}); format needs it stopped`);
      else if (kind === 'master') {
        const done = f?.journal.formatted;
        if (action === 'format -s' && done) steps.push(`journal ${f!.journal.folder} already formatted: skip`);
        else if (f?.journal.refusal) steps.push(`REFUSED: ${f.journal.refusal}`);
        else steps.push(`format journal${f ? ` ${f.journal.folder}` : ''}`);
      } else {
        const dirs = f && !('error' in f.workerStorage) ? f.workerStorage : undefined;
        if (f && 'error' in f.workerStorage) steps.push(`REFUSED: ${f.workerStorage.error}`);
        else if (action === 'format -s' && dirs && dirs.every((d) => d.exists)) steps.push('worker storage already formatted: skip');
        else steps.push(`format worker storage${dirs ? ` ${dirs.map((d) => d.dataDir).join(', ')}` : ''}`);
      }
    }
    if (action === 'start' || action === 'format+start') {
      if (!f) steps.push(`start ${kind} (state unknown until the install is pushed)`);
      else if (proc!.running) steps.push(`${kind} already running (pid ${proc!.pid}): nothing to do`);
      else if (kind === 'master' && !f.journal.formatted && action === 'start') steps.push(`REFUSED: journal ${f.journal.folder} is not formatted (alluxio format)`);
      else steps.push(`start ${kind}`);
    }
  }
  if (!steps.length) steps.push('nothing to do');
  return { host, steps };
}

/** True when the facts describe several masters on the host (`master-<journal port>`). */
function severalMasters(f: HostFactsJson): boolean {
  return (f.masters ?? []).some((m) => m.name !== 'master');
}

/** The master steps of a host that runs several masters, one step per master. */
function severalMasterSteps(action: Action, f: HostFactsJson): string[] {
  const masters = f.masters ?? [];
  const running = masters.filter((m) => m.running);
  const list = (ms: typeof masters) => ms.map((m) => `${m.name} (pid ${m.pid})`).join(', ');
  if (action === 'stop') return running.length ? [`stop ${list(running)}`] : ['masters not running: nothing to stop'];
  const steps: string[] = [];
  if (action === 'format' || action === 'format -s' || action === 'format+start') {
    if (running.length) {
      steps.push(`REFUSED: ${list(running)} ${running.length > 1 ? 'are' : 'is'} running; format needs ${running.length > 1 ? 'them' : 'it'} stopped`);
    } else {
      for (const j of f.journals ?? []) {
        if (action === 'format -s' && j.formatted) steps.push(`journal ${j.folder} already formatted: skip`);
        else if (j.refusal) steps.push(`REFUSED: ${j.refusal}`);
        else steps.push(`format journal ${j.folder}`);
      }
    }
  }
  if (action === 'start' || action === 'format+start') {
    for (const m of masters) {
      const j = (f.journals ?? []).find((x) => x.name === m.name);
      if (m.running) steps.push(`${m.name} already running (pid ${m.pid}): nothing to do`);
      else if (action === 'start' && j && !j.formatted) steps.push(`REFUSED: journal ${j.folder} of ${m.name} is not formatted (alluxio format)`);
      else steps.push(`start ${m.name}`);
    }
  }
  return steps;
}

export function renderPlan(p: HostPlan): string {
  return p.steps.join('; ');
}
