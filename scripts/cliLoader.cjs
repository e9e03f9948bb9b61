'use strict';
// The CLI's entry once built (scripts/bundle.mjs copies this file to dist/cli/cli.js and fills in
// BUNDLE_ID, the sha256 of dist/cli/bundle.js). It compiles the bundle (one CommonJS file: our
// modules, commander, chalk, ssh2) with V8's code cache, so that a run does not parse and compile
// the ~1.4 MB of JavaScript again: about a third of the CPU time of `alluxio runOn` went there.
//
// The cache is per user and per verb: <dir>/cli-<BUNDLE_ID>-node<version>-<verb>.bin, where dir is
// ALLUXIO_CLI_CACHE_DIR, else $XDG_CACHE_HOME/alluxio, else ~/.cache/alluxio (ALLUXIO_CLI_CACHE_DIR=''
// turns it off). It is written after the first run of a verb that exits 0 (V8 then holds the
// bytecode of every function that run used), atomically (rename), and only read from a directory
// that is this user's and writable by nobody else: bytecode is code (and only created below a
// directory of this user's). V8 itself refuses a cache
// made by another V8 version or with other flags (the run then compiles as without one and
// writes a new cache); the bundle's content hash in the name keeps a cache from ever meeting
// another build. Nothing of the cache is needed: any failure to read or write it is ignored.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { createRequire } = require('node:module');
const { pathToFileURL } = require('node:url');

const BUNDLE_ID = '@BUNDLE_ID@';
const bundle = path.join(__dirname, 'bundle.js');

function cacheDir() {
  const env = process.env.ALLUXIO_CLI_CACHE_DIR;
  if (env !== undefined) return env === '' ? undefined : env;
  const base = process.env.XDG_CACHE_HOME || (process.env.HOME ? path.join(process.env.HOME, '.cache') : '');
  return base ? path.join(base, 'alluxio') : undefined;
}

/**
 * Create the cache directory (0700) only below a directory of ours: `sudo alluxio ...` with the
 * user's HOME must not leave root-owned folders in that home.
 */
function makeDir(d) {
  let existing = d;
  while (!fs.existsSync(existing)) {
    const up = path.dirname(existing);
    if (up === existing) return;
    existing = up;
  }
  if (fs.statSync(existing).uid !== process.getuid?.()) return;
  fs.mkdirSync(d, { recursive: true, mode: 0o700 });
}

/** The directory is ours and nobody else can write to it (a planted cache would run as code). */
function trusted(dir) {
  try {
    const st = fs.statSync(dir);
    return st.isDirectory() && st.uid === process.getuid?.() && (st.mode & 0o022) === 0;
  } catch { return false; }
}

const dir = cacheDir();
const verb = process.argv.slice(2).find((a) => !a.startsWith('-')) ?? '';
const file = dir && path.join(dir, `cli-${BUNDLE_ID}-node${process.versions.v8}-${/^[A-Za-z]{1,40}$/.test(verb) ? verb : 'other'}.bin`);
let cachedData;
if (file && trusted(dir)) {
  try { cachedData = fs.readFileSync(file); } catch { /* none yet */ }
}

const source = fs.readFileSync(bundle, 'utf8');
// As a CommonJS module, in strict mode as the ESM it was built from.
// __import: import() of the ESM packages left out of the bundle (ora), from this file; code
// compiled from a V8 code cache has no import() of its own on Node 20 (scripts/bundle.mjs).
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname, __bundleUrl, __import) {'use strict';${source}\n})`, {
  filename: bundle,
  cachedData,
});

if (file && (cachedData === undefined || script.cachedDataRejected)) {
  process.once('exit', (code) => {
    if (code !== 0) return; // a run that failed early used little of the code
    try {
      makeDir(dir);
      if (!trusted(dir)) return;
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
      fs.renameSync(tmp, file);
      // Caches of other builds (or Node versions) written over a day ago go (made again if used).
      const mine = `cli-${BUNDLE_ID}-node${process.versions.v8}-`;
      for (const n of fs.readdirSync(dir)) {
        const f = path.join(dir, n);
        if (/^cli-.*\.bin$/.test(n) && !n.startsWith(mine) && Date.now() - fs.statSync(f).mtimeMs > 86_400_000) fs.rmSync(f, { force: true });
      }
    } catch { /* no cache: the next run compiles, as this one did */ }
  });
}

const mod = { exports: {} };
script.runInThisContext().call(mod.exports, mod.exports, createRequire(bundle), mod, bundle, __dirname, pathToFileURL(bundle).href, (specifier) => import(specifier));
