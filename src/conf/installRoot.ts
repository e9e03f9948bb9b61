/** Where this installation lives: the default of alluxio.home. */
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Root of this installation (the directory holding package.json, bin/, dist/). */
export const INSTALL_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
