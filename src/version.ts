import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The product version (package.json), printed bare by `alluxio version` as Alluxio does. */
export const VERSION: string = JSON.parse(
  readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json'), 'utf8'),
).version;

/**
 * The git commit this build comes from: dist/src/revision.txt, written by the build
 * (scripts/revision.mjs) and pushed with the install; `unknown` when the build had no git.
 */
export function revision(): string {
  try {
    const r = readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'revision.txt'), 'utf8').trim();
    return /^[0-9a-f]{40}$/.test(r) ? r : 'unknown';
  } catch {
    return 'unknown';
  }
}
