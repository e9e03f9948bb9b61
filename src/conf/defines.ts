/** `-Dkey=value` flags, as the CLI and the server processes take them (they rank above the site file). */

/** Split `-Dkey=value` flags out of argv. Returns the remaining argv and the flags. */
export function extractDefines(argv: readonly string[]): { argv: string[]; flags: Record<string, string> } {
  const rest: string[] = [];
  const flags: Record<string, string> = {};
  for (const a of argv) {
    const m = /^-D([^=]+)=(.*)$/s.exec(a);
    if (m) flags[m[1]!.trim()] = m[2]!;
    else rest.push(a);
  }
  return { argv: rest, flags };
}
