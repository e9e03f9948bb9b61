/**
 * The one needs-root helper (convention 10): tests that need root skip only outside CI, saying
 * why; with CI set they run, and fail (never pass vacuously) when not root.
 */

export const isRoot = process.getuid?.() === 0;

/**
 * A node:test `skip` value for tests that need root: skipped only when CI is unset (CI runs as
 * root and must run them), with the reason.
 */
export function needsRoot(what: string): string | false {
  return !isRoot && !process.env.CI ? `needs root (${what}); CI runs it as root` : false;
}

/**
 * First statement of a test (or its before hook) marked `skip: needsRoot(what)`: it runs without
 * root only when CI is set, and then fails here, naming what needs root.
 */
export function assertRoot(what: string): void {
  if (!isRoot) throw new Error(`CI is set but the tests do not run as root: ${what} needs root`);
}
