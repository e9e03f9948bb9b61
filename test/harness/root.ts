/** The one needs-root helper (convention 10): tests that need root skip only outside CI, saying why. */

export const isRoot = process.getuid?.() === 0;

/**
 * A node:test `skip` value for tests that need root: skipped only when CI is unset (CI runs as
 * root and must run them), with the reason.
 */
export function needsRoot(what: string): string | false {
  return !isRoot && !process.env.CI ? `needs root (${what}); CI runs it as root` : false;
}
