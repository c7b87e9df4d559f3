#!/usr/bin/env node
/** `npm run figures [-- --budget quick|course|paper]`: every figure from data/results to data/figures/*.svg. */
import { LoraError } from "../errors";
import { renderFigures } from "./figures";
import { parseBudget } from "./sweep/budgets";

export async function main(argv: readonly string[], write: (l: string) => void = (l) => process.stdout.write(l + "\n")): Promise<number> {
  try {
    const i = argv.indexOf("--budget");
    const budgets = i >= 0 ? [parseBudget(argv[i + 1] ?? "")] : undefined;
    const figs = await renderFigures({ budgets });
    figs.forEach((f) => write(`${f.file}`));
    write(`${figs.length} figures`);
    return 0;
  } catch (e) {
    if (e instanceof LoraError) {
      process.stderr.write(`figures: ${e.name}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`figures: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
