/**
 * The paper's own figure values (`data/reference/*.csv`): numbers the official repository stores as
 * text (`stored`) and numbers read from its figures' PNGs by `lib/scripts/digitise` (`digitised`, with
 * the ±1-pixel uncertainty in y's units). See data/reference/README.md for what each table is.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError } from "../errors";
import { parseCsv } from "./sweep/csv";
import { repoRoot } from "./sweep/paths";

export interface PaperReferenceRow {
  /** the official file stem the plotting notebook saves to (`log_fnn_approx`, `flt_approx`, ...) */
  figure: string;
  panel: string;
  series: string;
  x: number;
  y: number;
  method: "stored" | "digitised";
  /** absolute half-width in y's units (0 for stored numbers, which are exact to their printed digits) */
  uncertainty: number;
  /** `<notebook>@<commit> cell <index>` */
  source: string;
  /** the CSV file the row came from (`early_tables.csv` holds tables of early notebook versions) */
  file: string;
}

const COLUMNS = ["figure", "panel", "series", "x", "y", "method", "uncertainty", "source"] as const;

/** `LORA_REFERENCE_DIR`, else `data/reference` of the repository. */
export function referenceDir(): string {
  return process.env.LORA_REFERENCE_DIR ?? path.join(repoRoot(), "data", "reference");
}

function parseFile(file: string): PaperReferenceRow[] {
  const { columns, rows } = parseCsv(fs.readFileSync(file, "utf8"), file);
  const idx = COLUMNS.map((c) => columns.indexOf(c));
  const missing = COLUMNS.filter((_, i) => idx[i] < 0);
  if (missing.length) throw new ConfigError(`${file} lacks column(s) ${missing.join(", ")}: not a paper-reference CSV`);
  return rows.map((r, line) => {
    const get = (c: (typeof COLUMNS)[number]) => r[idx[COLUMNS.indexOf(c)]] ?? "";
    const num = (c: "x" | "y" | "uncertainty") => {
      const v = Number(get(c));
      if (get(c) === "" || !Number.isFinite(v)) throw new ConfigError(`${file} row ${line + 2}: ${c} must be a finite number, got ${JSON.stringify(get(c))}`);
      return v;
    };
    const method = get("method");
    if (method !== "stored" && method !== "digitised") throw new ConfigError(`${file} row ${line + 2}: method must be stored or digitised, got ${JSON.stringify(method)}`);
    const uncertainty = num("uncertainty");
    if (uncertainty < 0) throw new ConfigError(`${file} row ${line + 2}: uncertainty must be ≥ 0, got ${uncertainty}`);
    return { figure: get("figure"), panel: get("panel"), series: get("series"), x: num("x"), y: num("y"), method, uncertainty, source: get("source"), file: path.basename(file) };
  });
}

/**
 * Rows of `data/reference` (every figure, or one official file stem). `early_tables.csv` (tables of
 * early notebook versions under a different selection rule) is included only with `{ early: true }`.
 */
export function loadPaperReference(figure?: string, opts: { dir?: string; early?: boolean } = {}): PaperReferenceRow[] {
  const dir = opts.dir ?? referenceDir();
  if (!fs.existsSync(dir)) throw new ConfigError(`${dir} does not exist: run lib/scripts/digitise/digitise.mjs <official clone>`);
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".csv") && f !== "validation.csv" && (opts.early || f !== "early_tables.csv"))
    .sort();
  const rows = files.flatMap((f) => parseFile(path.join(dir, f)));
  if (figure === undefined) return rows;
  const mine = rows.filter((r) => r.figure === figure);
  if (mine.length === 0) {
    const known = [...new Set(rows.map((r) => r.figure))].sort();
    throw new ConfigError(`no paper reference for figure ${JSON.stringify(figure)}; known: ${known.join(", ")}`);
  }
  return mine;
}

/** The paper's value at (figure, panel, series, x), preferring stored over digitised; undefined if absent. */
export function paperValue(rows: readonly PaperReferenceRow[], panel: string, series: string, x: number): PaperReferenceRow | undefined {
  const hits = rows.filter((r) => r.panel === panel && r.series === series && r.x === x);
  return hits.find((r) => r.method === "stored") ?? hits[0];
}
