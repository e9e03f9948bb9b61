/**
 * `alluxio facts` (internal): what the orchestrator needs to know about this host, as JSON.
 * Run on each host over SSH after the install is current, so the same code that starts and
 * formats decides what "running" and "formatted" mean (facts before changes, convention 4).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { INSTALL_ROOT } from './context.js';
import { status } from '../orchestrate/local/processes.js';
import { isJournalFormatted, checkSafeToWipe, JOURNAL_MARKER } from '../journal/format.js';
import { journalFolder } from '../journal/index.js';
import { planWorkerFormat } from '../server/worker/format.js';
import { confHash, INSTALL_HASH_FILE } from '../orchestrate/install.js';

export interface HostFactsJson {
  hostname: string;
  node: string;
  timeMs: number;
  installRoot: string;
  installHash: string;
  confHash: string;
  master: { running: boolean; pid?: number };
  worker: { running: boolean; pid?: number };
  /** refusal: why formatting the journal folder would be refused (checkSafeToWipe), if it would. */
  journal: { folder: string; formatted: boolean; refusal?: string };
  workerStorage: { dataDir: string; exists: boolean }[] | { error: string };
}

export function collectFacts(ctx: CliContext): HostFactsJson {
  const conf = ctx.conf();
  const proc = (kind: 'master' | 'worker') => {
    const st = status(conf, kind);
    return st.running ? { running: true, pid: st.pid! } : { running: false };
  };
  let workerStorage: HostFactsJson['workerStorage'];
  try {
    workerStorage = planWorkerFormat(conf).map((t) => ({ dataDir: t.dataDir, exists: t.exists }));
  } catch (e) {
    workerStorage = { error: (e as Error).message };
  }
  const folder = journalFolder(conf);
  const journal: HostFactsJson['journal'] = { folder, formatted: isJournalFormatted(folder) };
  try {
    checkSafeToWipe(folder, { protectedPaths: [{ path: conf.get('alluxio.home'), label: 'alluxio.home' }], marker: JOURNAL_MARKER });
  } catch (e) {
    journal.refusal = (e as Error).message;
  }
  let installHash = '';
  try { installHash = fs.readFileSync(path.join(INSTALL_ROOT, INSTALL_HASH_FILE), 'utf8').trim(); } catch { /* not pushed by us */ }
  return {
    hostname: os.hostname(),
    node: process.version,
    timeMs: Date.now(),
    installRoot: INSTALL_ROOT,
    installHash,
    confHash: confHash(conf.confDir),
    master: proc('master'),
    worker: proc('worker'),
    journal,
    workerStorage,
  };
}

export function register(program: Command, ctx: CliContext): void {
  program.command('facts', { hidden: true })
    .description('internal: facts about this host as JSON (used by the orchestrator over SSH)')
    .action(() => ctx.out(JSON.stringify(collectFacts(ctx))));
}
