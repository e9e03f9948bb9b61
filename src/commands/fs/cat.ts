import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { withFs } from './shared.js';
import { stdoutSink } from './output.js';
import { BufferPool } from '../../bufferPool.js';
import { LOCAL_READ_BUFFER } from '../../client/shortCircuit.js';
import { withProgress, progressWanted } from '../progress.js';

export function register(fs: Command, ctx: CliContext): void {
  fs.command('cat').description('print a file to standard output').argument('<path>')
    .action(async (p: string) => withFs(ctx, [p], async (c, [path]) => {
      // No progress line between the data on a terminal (as curl); the length is asked for only
      // when the line can be shown (one more master call).
      const shown = progressWanted() && !process.stdout.isTTY;
      await withProgress(shown ? (await c.getStatus(path!)).length : undefined, async (progress) => {
        const buffers = new BufferPool(LOCAL_READ_BUFFER); // local blocks are read into buffers the output gives back
        const out = stdoutSink((b) => buffers.give(b));
        for await (const chunk of c.read(path!, undefined, { buffers })) {
          await out.write(chunk);
          progress.add(chunk.length);
        }
        await out.end();
      });
    }));
}
