/**
 * Every command module; each registers its verb(s) on the commander program.
 *
 * Modules are loaded on demand (dynamic import): a run of `alluxio <verb>` loads only the module
 * that registers <verb> (and what that module imports), so `alluxio runOn` never loads gRPC or
 * the ZooKeeper client, and `alluxio version` loads neither those nor ssh2. Help, an unknown verb
 * (for the did-you-mean) and no verb at all load every module, in this order (the help lists
 * verbs in registration order). test/orchestrate/cli-entry.test.ts checks that VERBS names
 * exactly the verbs each module registers.
 */
import type { Command } from 'commander';
import type { CliContext } from './context.js';

export interface CommandModule { register(program: Command, ctx: CliContext): void }

/** One module: how to load it and the top-level verbs (hidden ones too) it registers. */
export interface CommandEntry { load(): Promise<CommandModule>; verbs: readonly string[] }

export const VERBS: readonly CommandEntry[] = [
  { load: () => import('./version.js'), verbs: ['version'] },
  { load: () => import('./getConf.js'), verbs: ['getConf'] },
  { load: () => import('./validateConf.js'), verbs: ['validateConf'] },
  { load: () => import('./fs/index.js'), verbs: ['fs'] },
  { load: () => import('./fsadmin.js'), verbs: ['fsadmin'] },
  { load: () => import('./runTests.js'), verbs: ['runTests'] },
  { load: () => import('./format.js'), verbs: ['format', 'formatJournal', 'formatWorker', 'formatMaster', 'formatMasters'] },
  { load: () => import('./start.js'), verbs: ['start'] },
  { load: () => import('./stop.js'), verbs: ['stop'] },
  { load: () => import('./copyDir.js'), verbs: ['copyDir'] },
  { load: () => import('./validateEnv.js'), verbs: ['validateEnv', 'sharedJournal'] },
  { load: () => import('./runOn.js'), verbs: ['runOn'] },
  { load: () => import('./facts.js'), verbs: ['facts'] },
  { load: () => import('./bootstrapConf.js'), verbs: ['bootstrapConf'] },
  { load: () => import('./mount.js'), verbs: ['mount'] },
  { load: () => import('./diffConf.js'), verbs: ['diffConf', 'configProbe'] },
  { load: () => import('./rollingRestart.js'), verbs: ['rollingRestart'] },
  { load: () => import('./membership.js'), verbs: ['addMaster', 'removeMaster'] },
  { load: () => import('./logLevel.js'), verbs: ['logLevel'] },
  { load: () => import('./completion.js'), verbs: ['completion'] },
];

/**
 * The modules to register for a command line (its first word): the one registering that verb,
 * or every module (in order) when the first word is not a verb (help, an option, a typo, none).
 */
export function commandModules(firstWord: string | undefined): Promise<CommandModule[]> {
  const one = firstWord === undefined ? undefined : VERBS.find((e) => e.verbs.includes(firstWord));
  return Promise.all((one ? [one] : VERBS).map((e) => e.load()));
}
