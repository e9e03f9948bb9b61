import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { withFs } from './shared.js';
import { stdoutSink } from './output.js';
import { withProgress, progressWanted } from '../progress.js';

export function register(fs: Command, ctx: CliContext): void {
  fs.command('cat').description('print a file to standard output').argument('<path>')
    .action(async (p: string) => withFs(ctx, [p], async (c, [path]) => {
      // The length is asked for only when a progress line can be shown (one more master call).
      await withProgress(progressWanted() ? (await c.getStatus(path!)).length : 0, async (progress) => {
        const out = stdoutSink();
        for await (const chunk of c.read(path!)) {
          await out.write(chunk);
          progress.add(chunk.length);
        }
        await out.end();
      });
    }));
}
