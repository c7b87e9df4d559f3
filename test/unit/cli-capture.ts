// Runs a CLI's `main(argv, write)` in-process, capturing its stdout lines and what it wrote to stderr.

export type CliMain = (argv: readonly string[], write: (line: string) => void) => Promise<number>;

export async function runMain(main: CliMain, argv: readonly string[]): Promise<{ status: number; out: string[]; err: string }> {
  const out: string[] = [];
  let err = "";
  const orig = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    const status = await main(argv, (l) => out.push(l));
    return { status, out, err };
  } finally {
    process.stderr.write = orig;
  }
}
