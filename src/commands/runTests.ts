/**
 * `alluxio runTests`: write, read back and verify a small file for every operation x read type
 * x write type, printing Alluxio's `Passed the test!` / `Failed the test!` lines. The exit code
 * is the number of failed tests, as in Alluxio.
 */
import type { Command } from 'commander';
import chalk from 'chalk';
import type { CliContext } from './context.js';
import { withFs } from './fs/shared.js';
import type { FileSystem } from '../client/fileSystem.js';
import { READ_TYPES, WRITE_TYPES, type ReadType, type WriteType } from '../client/types.js';
import { UsageError, FileDoesNotExistError } from '../errors.js';

export const OPERATIONS = ['BASIC', 'BASIC_NON_BYTE_BUFFER'] as const;
export type Operation = (typeof OPERATIONS)[number];
const NUMBERS = 20;

export interface TestResult { operation: Operation; readType: ReadType; writeType: WriteType; path: string; passed: boolean; error?: string; ms: number }

/** The payload: 20 big-endian int32s, as the Java client writes them. */
function payload(): Buffer {
  const b = Buffer.alloc(NUMBERS * 4);
  for (let i = 0; i < NUMBERS; i++) b.writeInt32BE(i, i * 4);
  return b;
}

async function runOne(fs: FileSystem, op: Operation, readType: ReadType, writeType: WriteType, file: string): Promise<void> {
  const data = payload();
  const out = await fs.createFile(file, { writeType, recursive: true });
  try {
    if (op === 'BASIC') await out.write(data);
    else for (let i = 0; i < NUMBERS; i++) await out.write(data.subarray(i * 4, i * 4 + 4)); // one int at a time
  } catch (e) {
    await out.cancel();
    throw e;
  }
  await out.close();
  const got = await fs.readAll(file, readType);
  if (!got.equals(data)) throw new Error(`read back ${got.length} bytes that differ from the ${data.length} bytes written`);
  if (op === 'BASIC_NON_BYTE_BUFFER') {
    for (let i = 0; i < NUMBERS; i++) if (got.readInt32BE(i * 4) !== i) throw new Error(`number ${i} read back as ${got.readInt32BE(i * 4)}`);
  }
}

function pick<T extends string>(value: string | undefined, all: readonly T[], flag: string): readonly T[] {
  if (value === undefined) return all;
  const v = value.toUpperCase() as T;
  if (!all.includes(v)) throw new UsageError(`${flag} ${value} is invalid; use one of ${all.join(', ')}`);
  return [v];
}

export function register(program: Command, ctx: CliContext): void {
  program.command('runTests').description('smoke tests: write and read back files with every write type and read type')
    .option('--directory <dir>', 'run the tests in <dir>/default_tests_files', '/')
    .option('--operation <op>', `one of ${OPERATIONS.join(', ')}`)
    .option('--readType <type>', `one of ${READ_TYPES.join(', ')}`)
    .option('--writeType <type>', `one of ${WRITE_TYPES.join(', ')}`)
    .option('--json', 'print the results as JSON')
    .addHelpText('after', `
Examples:
  alluxio runTests
  alluxio runTests --readType CACHE --writeType THROUGH
  alluxio runTests --json | jq '.failed'`)
    .action(async (o: { directory: string; operation?: string; readType?: string; writeType?: string; json?: boolean }) => {
      const ops = pick(o.operation, OPERATIONS, '--operation');
      const reads = pick(o.readType, READ_TYPES, '--readType');
      const writes = pick(o.writeType, WRITE_TYPES, '--writeType');
      await withFs(ctx, [o.directory], async (fs, [dir]) => {
        const base = `${dir === '/' ? '' : dir}/default_tests_files`;
        try { await fs.delete(base, true); } catch (e) { if (!(e instanceof FileDoesNotExistError)) throw e; }
        const results: TestResult[] = [];
        for (const readType of reads) for (const writeType of writes) for (const operation of ops) {
          const path = `${base}/${operation}_${readType}_${writeType}`;
          if (!o.json) ctx.out(`runTest --operation ${operation} --readType ${readType} --writeType ${writeType}`);
          const t0 = Date.now();
          let error: string | undefined;
          try { await runOne(fs, operation, readType, writeType, path); } catch (e) { error = (e as Error).message; }
          results.push({ operation, readType, writeType, path, passed: !error, ms: Date.now() - t0, ...(error ? { error } : {}) });
          if (!o.json) {
            if (error) ctx.err(`Exception running test: ${error}`);
            ctx.out(error ? chalk.red('Failed the test!') : chalk.green('Passed the test!'));
          }
        }
        const failed = results.filter((r) => !r.passed).length;
        if (o.json) ctx.out(JSON.stringify({ passed: results.length - failed, failed, results }, null, 2));
        else {
          ctx.out(`${results.length - failed} passed, ${failed} failed`);
          if (failed) ctx.out(`Number of failed tests: ${failed}`);
        }
        ctx.setExitCode(failed % 256 === 0 && failed > 0 ? 255 : failed % 256);
      });
    });
}
