/** `alluxio fs <verb>`: the file system shell. Each verb lives in its own file. */
import { Command } from 'commander';
import type { CliContext } from '../context.js';
import * as ls from './ls.js';
import * as mkdir from './mkdir.js';
import * as touch from './touch.js';
import * as copyFromLocal from './copyFromLocal.js';
import * as copyToLocal from './copyToLocal.js';
import * as cat from './cat.js';
import * as rm from './rm.js';
import * as mv from './mv.js';
import * as stat from './stat.js';
import * as du from './du.js';
import * as test from './test.js';
import * as leader from './leader.js';
import * as masterInfo from './masterInfo.js';
import * as chmod from './chmod.js';
import * as chown from './chown.js';
import * as chgrp from './chgrp.js';

const verbs = [ls, mkdir, touch, copyFromLocal, copyToLocal, cat, rm, mv, stat, du, test, chmod, chown, chgrp, leader, masterInfo];

export function register(program: Command, ctx: CliContext): void {
  const fs = program.command('fs').description('file system shell (ls, mkdir, copyFromLocal, cat, rm, leader, ...)')
    .addHelpText('after', `
Examples:
  alluxio fs ls -R /
  alluxio fs copyFromLocal ./data.csv /data/data.csv
  alluxio fs cat alluxio://m1:19998,m2:19998,m3:19998/data/data.csv
  alluxio fs leader`);
  for (const v of verbs) v.register(fs, ctx);
}
