/**
 * Shared entry point of the command-line tools (`lora-exp`, sweep, figures): run `main`, report
 * an unexpected error with its stack, and exit only once stdout and stderr are flushed — a plain
 * `process.exit` right after a large write truncates output piped to another program (e.g. a
 * `--json` object with a long loss history cut at 64 KiB). A reader that closes the pipe early
 * (`lora-exp --help | head -1`) ends the tool quietly with status 0 (EPIPE is not an error).
 *
 * Exit statuses (README "Errors and exit codes"): 0 done, 1 a crash (or, for sweeps, runs that
 * failed or are missing), 2 bad input (any other typed `LoraError`), 3 training diverged
 * (`DivergenceError`), 4 the results file is locked by another running sweep (`LockError`).
 */
import { DivergenceError, LockError, LoraError } from "../errors";

/** Exit status of a typed library error: 3 divergence, 4 a held lock, 2 any other bad input. */
export function exitStatusOf(e: LoraError): number {
  if (e instanceof DivergenceError) return EXIT_DIVERGED;
  if (e instanceof LockError) return EXIT_LOCKED;
  return EXIT_BAD_INPUT;
}

export const EXIT_CRASH = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_DIVERGED = 3;
export const EXIT_LOCKED = 4;

/** Exit with `code` after everything written to stdout/stderr has been flushed. */
export function exitWhenFlushed(code: number): void {
  process.exitCode = code;
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

/** Typed library errors become `name: message` on stderr and their exit status (`exitStatusOf`); others propagate. */
export function reportLoraError(tool: string, e: unknown): number {
  if (e instanceof LoraError) {
    process.stderr.write(`${tool}: ${e.name}: ${e.message}\n`);
    return exitStatusOf(e);
  }
  throw e;
}

/** Ends the process quietly (status 0) when the reader of stdout has gone (EPIPE); other stream errors propagate. */
export function quietOnEpipe(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
    process.exit(0);
  });
}

/** Run a CLI's `main(argv)` as the process. */
export function runCli(tool: string, main: (argv: readonly string[]) => Promise<number>): void {
  quietOnEpipe();
  main(process.argv.slice(2)).then(exitWhenFlushed, (e: unknown) => {
    process.stderr.write(`${tool}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    exitWhenFlushed(1);
  });
}
