/**
 * Shared entry point of the command-line tools (`lora-exp`, sweep, figures): run `main`, report
 * an unexpected error with its stack, and exit only once stdout and stderr are flushed — a plain
 * `process.exit` right after a large write truncates output piped to another program (e.g. a
 * `--json` object with a long loss history cut at 64 KiB).
 */
import { LoraError } from "../errors";

/** Exit with `code` after everything written to stdout/stderr has been flushed. */
export function exitWhenFlushed(code: number): void {
  process.exitCode = code;
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

/** Typed library errors become `name: message` on stderr and exit status 2; others propagate. */
export function reportLoraError(tool: string, e: unknown): number {
  if (e instanceof LoraError) {
    process.stderr.write(`${tool}: ${e.name}: ${e.message}\n`);
    return 2;
  }
  throw e;
}

/** Run a CLI's `main(argv)` as the process. */
export function runCli(tool: string, main: (argv: readonly string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(exitWhenFlushed, (e: unknown) => {
    process.stderr.write(`${tool}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    exitWhenFlushed(1);
  });
}
