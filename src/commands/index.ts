/** Every command module; each registers its verb(s) on the commander program. */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import * as version from './version.js';
import * as getConf from './getConf.js';
import * as validateConf from './validateConf.js';
import * as fs from './fs/index.js';
import * as fsadmin from './fsadmin.js';
import * as runTests from './runTests.js';
import * as format from './format.js';
import * as start from './start.js';
import * as stop from './stop.js';
import * as copyDir from './copyDir.js';
import * as facts from './facts.js';
import * as validateEnv from './validateEnv.js';
import * as runOn from './runOn.js';
import * as bootstrapConf from './bootstrapConf.js';
import * as mount from './mount.js';
import * as diffConf from './diffConf.js';
import * as rollingRestart from './rollingRestart.js';
import * as membership from './membership.js';
import * as logLevel from './logLevel.js';

export interface CommandModule { register(program: Command, ctx: CliContext): void }

export const commandModules: readonly CommandModule[] = [version, getConf, validateConf, fs, fsadmin, runTests, format, start, stop, copyDir, validateEnv, runOn, facts, bootstrapConf, mount, diffConf, rollingRestart, membership, logLevel];
