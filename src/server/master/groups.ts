/**
 * Users' groups on the master host (Alluxio's shell-based group mapping): `id -Gn -- <user>`,
 * primary group first. An unknown user has no groups. Answers are cached for
 * alluxio.security.group.mapping.cache.timeout, at most MAX_CACHED users (oldest dropped first),
 * and concurrent questions about one user share one lookup.
 */
import { execFile } from 'node:child_process';

const MAX_CACHED = 10_000;
const LOOKUP_TIMEOUT_MS = 5_000;

export type GroupLookup = (user: string) => Promise<string[]>;

/** `id -Gn -- user`: its groups, primary first; [] when the user is unknown (or id fails). */
export const osGroups: GroupLookup = (user) => new Promise((resolve) => {
  execFile('id', ['-Gn', '--', user], { timeout: LOOKUP_TIMEOUT_MS, maxBuffer: 1 << 20 }, (err, stdout) => {
    resolve(err ? [] : String(stdout).trim().split(/\s+/).filter(Boolean));
  });
});

export class GroupCache {
  private cache = new Map<string, { groups: Promise<string[]>; at: number }>();

  constructor(private readonly ttlMs: number, private readonly lookup: GroupLookup = osGroups, private readonly now: () => number = Date.now) {}

  groups(user: string): Promise<string[]> {
    const hit = this.cache.get(user);
    if (hit && this.ttlMs > 0 && this.now() - hit.at < this.ttlMs) return hit.groups;
    if (hit) this.cache.delete(user);
    const groups = this.lookup(user).catch(() => [] as string[]);
    if (this.ttlMs > 0) {
      this.cache.set(user, { groups, at: this.now() });
      if (this.cache.size > MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    }
    return groups;
  }

  /** The primary group ('' for an unknown user). */
  async primary(user: string): Promise<string> {
    return (await this.groups(user))[0] ?? '';
  }
}
