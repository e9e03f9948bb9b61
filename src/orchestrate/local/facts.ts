/**
 * The facts of this host (`alluxio facts`, internal): what the orchestrator needs to know about
 * it, as JSON. Run on each host over SSH after the install is current, so the same code that
 * starts and formats decides what "running" and "formatted" mean (facts before changes,
 * convention 4).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../../conf/index.js';
import { INSTALL_ROOT } from '../../conf/installRoot.js';
import { cmdlineMatches, isAlive, pidFile, procRef, readPidFile, type ProcessTarget } from './processes.js';
import { cachedMasterLayout, masterRefsFromPidFiles, type MasterInstance } from './masters.js';
import { journalState } from './journalState.js';
import { planWorkerFormat } from '../../server/worker/format.js';
import { confHash, INSTALL_HASH_FILE } from '../install.js';

export interface HostFactsJson {
  hostname: string;
  node: string;
  timeMs: number;
  installRoot: string;
  installHash: string;
  confHash: string;
  /** Whether any master runs on this host (the first running one's pid). */
  master: { running: boolean; pid?: number };
  /**
   * Every master of this host: one (`master`), or one per local entry of
   * alluxio.master.embedded.journal.addresses (`master-<journal port>`), plus any other master
   * pid file of the run dir. Absent in facts from older installs.
   */
  masters?: { name: string; journalPort: number; running: boolean; pid?: number }[];
  worker: { running: boolean; pid?: number };
  /**
   * The journal of this host's masters. With several masters: folders joined with ', ', formatted
   * when all are, refusal when any would be refused (each refusal, or why the masters cannot be
   * laid out). refusal: why formatting would be refused (checkSafeToWipe), if it would.
   */
  journal: { folder: string; formatted: boolean; refusal?: string };
  /** One entry per master of this host (absent in facts from older installs). */
  journals?: { name: string; journalPort: number; folder: string; formatted: boolean; refusal?: string }[];
  workerStorage: { dataDir: string; exists: boolean }[] | { error: string };
}

export async function collectFacts(conf: Config): Promise<HostFactsJson> {
  const proc = (t: ProcessTarget) => {
    // Read only (facts come before changes): a stale pid file is left for the step that acts to
    // remove and report, unlike status().
    const pid = readPidFile(pidFile(conf, t));
    return pid !== undefined && isAlive(pid) && cmdlineMatches(pid, procRef(t).kind) ? { running: true, pid } : { running: false };
  };
  let layoutError: string | undefined;
  let instances: readonly MasterInstance[];
  try {
    instances = (await cachedMasterLayout(conf)).instances;
  } catch (e) {
    layoutError = (e as Error).message;
    instances = [];
  }
  const masters: NonNullable<HostFactsJson['masters']> = instances.map((m) => ({ name: m.name, journalPort: m.journalPort, ...proc(m) }));
  for (const r of masterRefsFromPidFiles(conf)) {
    if (masters.some((m) => m.name === r.name)) continue;
    const st = proc(r);
    const port = /^master-(\d+)$/.exec(r.name)?.[1];
    if (st.running || instances.length === 0) masters.push({ name: r.name, journalPort: port ? Number(port) : conf.getPort('alluxio.master.embedded.journal.port'), ...st });
  }
  const anyMaster = masters.find((m) => m.running);
  let workerStorage: HostFactsJson['workerStorage'];
  try {
    workerStorage = planWorkerFormat(conf).map((t) => ({ dataDir: t.dataDir, exists: t.exists }));
  } catch (e) {
    workerStorage = { error: (e as Error).message };
  }
  const journals: NonNullable<HostFactsJson['journals']> = (instances.length ? instances : [{ name: 'master', journalPort: 0, conf }]).map((m) => {
    const { refusal, ...j } = journalState(m.conf);
    return { name: m.name, journalPort: m.journalPort, ...j, ...(refusal !== undefined ? { refusal } : {}) };
  });
  const refusals = [...(layoutError ? [layoutError] : []), ...journals.flatMap((j) => (j.refusal ? [j.refusal] : []))];
  const journal: HostFactsJson['journal'] = {
    folder: journals.map((j) => j.folder).join(', '),
    formatted: !layoutError && journals.every((j) => j.formatted),
    ...(refusals.length ? { refusal: refusals.join('; ') } : {}),
  };
  let installHash = '';
  try { installHash = fs.readFileSync(path.join(INSTALL_ROOT, INSTALL_HASH_FILE), 'utf8').trim(); } catch { /* not pushed by us */ }
  return {
    hostname: os.hostname(),
    node: process.version,
    timeMs: Date.now(),
    installRoot: INSTALL_ROOT,
    installHash,
    confHash: confHash(conf.confDir),
    master: anyMaster ? { running: true, pid: anyMaster.pid! } : { running: false },
    masters,
    worker: proc('worker'),
    journal,
    journals: instances.length ? journals : [],
    workerStorage,
  };
}
