/**
 * What `push` sends to a host: the built installation (dist/src, the CLI bundle dist/cli, bin/,
 * proto/, package files, node_modules/) and the conf dir, identified by a content hash so that a
 * host is only pushed to when its copy differs (a fact probed first).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

/** Installation entries, relative to the install root. node_modules is covered by package-lock.json. */
export const INSTALL_ENTRIES = ['package.json', 'package-lock.json', 'bin', 'proto', 'dist/src', 'dist/cli', 'node_modules'] as const;
const HASHED_ENTRIES = ['package.json', 'package-lock.json', 'bin', 'proto', 'dist/src', 'dist/cli'] as const;

/**
 * The CLI bundle (dist/cli, scripts/bundle.mjs) is current unless dist/src was rebuilt after it
 * (the rule bin/alluxio applies). A stale one is left out of the hash and the push: unpacked
 * after dist/src on a host it would look newer there.
 */
function bundleCurrent(root: string): boolean {
  try {
    return fs.statSync(path.join(root, 'dist', 'src', 'cli.js')).mtimeMs <= fs.statSync(path.join(root, 'dist', 'cli', 'cli.js')).mtimeMs;
  } catch { return false; }
}

/** What to push from `root`: INSTALL_ENTRIES, without a stale CLI bundle. */
export function installEntries(root: string): readonly string[] {
  return bundleCurrent(root) ? INSTALL_ENTRIES : INSTALL_ENTRIES.filter((e) => e !== 'dist/cli');
}

/** File written last by a push: its content is the hash of what was pushed. */
export const INSTALL_HASH_FILE = '.install-hash';

function walk(root: string, rel: string, out: string[]): void {
  const abs = path.join(root, rel);
  const st = fs.statSync(abs);
  if (st.isDirectory()) {
    for (const name of fs.readdirSync(abs).sort()) walk(root, path.join(rel, name), out);
  } else if (st.isFile()) {
    out.push(rel);
  }
}

/** sha256 over the names and contents of `entries` under `root` (missing entries count as absent). */
export function treeHash(root: string, entries: readonly string[]): string {
  const h = crypto.createHash('sha256');
  const files: string[] = [];
  for (const e of entries) if (fs.existsSync(path.join(root, e))) walk(root, e, files);
  for (const f of files) {
    h.update(f).update('\0');
    h.update(fs.readFileSync(path.join(root, f))).update('\0');
  }
  return h.digest('hex');
}

export function installHash(installRoot: string): string {
  return treeHash(installRoot, bundleCurrent(installRoot) ? HASHED_ENTRIES : HASHED_ENTRIES.filter((e) => e !== 'dist/cli'));
}

/** Hash of the files directly in a conf dir (alluxio-site.properties, masters, workers, ...). */
export function confHash(confDir: string): string {
  const names = fs.existsSync(confDir) ? fs.readdirSync(confDir).filter((n) => fs.statSync(path.join(confDir, n)).isFile()) : [];
  return treeHash(confDir, names.sort());
}

/** A gzip'd tar stream of `entries` under `root` (system tar; paths relative to root). */
export function tarStream(root: string, entries: readonly string[]): { stream: Readable; done: Promise<void> } {
  const present = entries.filter((e) => fs.existsSync(path.join(root, e)));
  const child = spawn('tar', ['-c', '-z', '-C', root, '--', ...present], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar -c in ${root} failed (exit ${code}): ${stderr.trim()}`))));
  });
  return { stream: child.stdout, done };
}

/** The whole tar stream as one buffer (built once, then sent to every host that needs it). */
export async function tarBuffer(root: string, entries: readonly string[]): Promise<Buffer> {
  const { stream, done } = tarStream(root, entries);
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  await done;
  return Buffer.concat(chunks);
}
