#!/usr/bin/env node
/** `npm run figures [-- --budget quick|course|paper]`: every figure from data/results to data/figures/*.svg. */
import { renderFigures } from "./figures";
import { parseBudget } from "./sweep/budgets";
import { reportLoraError, runCli } from "./cli-run";

export async function main(argv: readonly string[], write: (l: string) => void = (l) => process.stdout.write(l + "\n")): Promise<number> {
  try {
    const i = argv.indexOf("--budget");
    const budgets = i >= 0 ? [parseBudget(argv[i + 1] ?? "")] : undefined;
    const figs = await renderFigures({ budgets });
    figs.forEach((f) => write(`${f.file}`));
    write(`${figs.length} figures`);
    return 0;
  } catch (e) {
    return reportLoraError("figures", e);
  }
}

if (require.main === module) runCli("figures", main);
