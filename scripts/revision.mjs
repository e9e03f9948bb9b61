// Build step (npm run build): record the git commit this build comes from in dist/src/revision.txt,
// which `alluxio version -r` prints and the install push carries to hosts that have no .git.
// Without git (a source tarball, no git binary) it writes `unknown`.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let revision = 'unknown';
try {
  const out = execFileSync('git', ['-C', root, 'rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  if (/^[0-9a-f]{40}$/.test(out)) revision = out;
} catch { /* no git, or not a checkout: unknown */ }
fs.mkdirSync(path.join(root, 'dist', 'src'), { recursive: true });
fs.writeFileSync(path.join(root, 'dist', 'src', 'revision.txt'), `${revision}\n`);
