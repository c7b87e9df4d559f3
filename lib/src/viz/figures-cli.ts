#!/usr/bin/env node
/**
 * `npm run figures [-- --budget quick|course|paper]`: every figure from data/results to data/figures/*.svg.
 * Exit codes: 0 done, 1 a crash, 2 bad arguments (an unknown flag or argument, a bad budget).
 */
import { ConfigError } from "../errors";
import { renderFigures } from "./figures";
import { parseBudget } from "../experiments/sweep/budgets";
import type { BudgetName } from "../experiments/sweep/types";
import { reportLoraError, runCli } from "../experiments/cli-run";

const USAGE = ["usage: figures [--budget quick|course|paper]", "Renders every figure of data/results into data/figures/*.svg (all budgets when --budget is not given)."];

/** Parses `--budget B` / `--budget=B` / `--help`; anything else is a ConfigError. */
function parseFigureArgs(argv: readonly string[]): { help: boolean; budgets: BudgetName[] | undefined } {
  let budgets: BudgetName[] | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--budget(?:=(.*))?$/.exec(a);
    if (a === "--help" || a === "-h") help = true;
    else if (m) {
      const v = m[1] ?? argv[++i];
      if (v === undefined) throw new ConfigError("--budget needs a value: quick, course or paper");
      budgets = [parseBudget(v)];
    } else throw new ConfigError(`unknown ${a.startsWith("-") ? "flag" : "argument"} ${a}: figures takes only --budget quick|course|paper (see --help)`);
  }
  return { help, budgets };
}

export async function main(argv: readonly string[], write: (l: string) => void = (l) => process.stdout.write(l + "\n")): Promise<number> {
  try {
    const { help, budgets } = parseFigureArgs(argv);
    if (help) {
      USAGE.forEach(write);
      return 0;
    }
    const figs = await renderFigures({ budgets });
    figs.forEach((f) => write(`${f.file}`));
    write(`${figs.length} figures`);
    return 0;
  } catch (e) {
    return reportLoraError("figures", e);
  }
}

if (require.main === module) runCli("figures", main);
