/** Temp installation roots for configuration tests. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { ConfigError } from '../../src/errors.js';
import { loadConfig, type Config, type LoadOptions } from '../../src/conf/index.js';

let root: string | undefined;
let n = 0;

/** A fresh installation root with a conf/ dir (and a site file when `site` is given). */
export function makeHome(site?: string): { home: string; confDir: string; file: string } {
  if (root === undefined) {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'alluxio-conf-test-'));
    const r = root;
    after(() => fs.rmSync(r, { recursive: true, force: true }));
  }
  const home = path.join(root, `home${n++}`);
  const confDir = path.join(home, 'conf');
  fs.mkdirSync(confDir, { recursive: true });
  const file = path.join(confDir, 'alluxio-site.properties');
  if (site !== undefined) fs.writeFileSync(file, site);
  return { home, confDir, file };
}

export type Opts = Omit<LoadOptions, 'home'> & { home?: string };

/** Load with a fresh home holding `site`; `env` defaults to empty (never the real environment). */
export function load(site: string | undefined, opts: Opts = {}): { conf: Config; file: string; home: string } {
  const h = makeHome(site);
  const conf = loadConfig({ env: {}, ...opts, home: opts.home ?? h.home });
  return { conf, file: h.file, home: h.home };
}

/** The problems of the ConfigError that `fn` throws. */
export function problemsOf(fn: () => unknown): readonly string[] {
  try { fn(); } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  assert.fail('expected a ConfigError');
}

/** The problems loading `site` produces; `{file}` in expected strings stands for the site file path. */
export function loadProblems(site: string | undefined, opts: Opts = {}): { problems: readonly string[]; file: string } {
  const h = makeHome(site);
  const problems = problemsOf(() => loadConfig({ env: {}, ...opts, home: opts.home ?? h.home }));
  return { problems, file: h.file };
}
