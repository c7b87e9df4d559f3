/**
 * Tables in notebooks: an array of records, or a danfojs DataFrame, shown as an HTML table with a
 * plain-text copy.
 */
import { displayBundle, escapeHtml, type MimeBundle } from "./display";

/** One row of a table. */
export type Row = Record<string, unknown>;

/** What `showTable` accepts: records, or anything DataFrame-like (danfojs `DataFrame`). */
export type TableLike = readonly Row[] | DataFrameLike;

/** The part of danfojs's DataFrame the table helpers read. */
export interface DataFrameLike {
  columns: string[];
  values: unknown[] | unknown[][];
}

export interface TableOptions {
  /** Significant digits for non-integer numbers (default 4). */
  digits?: number;
  /** Caption above the table. */
  caption?: string;
  /** Show at most this many rows (default 50). */
  maxRows?: number;
}

function isDataFrame(t: TableLike): t is DataFrameLike {
  return !Array.isArray(t) && typeof t === "object" && t !== null && "columns" in t && "values" in t;
}

/** Normalise a table to column names and rows of cells. */
export function tableRows(table: TableLike): { columns: string[]; rows: unknown[][] } {
  if (isDataFrame(table)) {
    const values = table.values;
    const rows = values.map((r) => (Array.isArray(r) ? r : [r]));
    return { columns: [...table.columns], rows };
  }
  const records = table as readonly Row[];
  const columns: string[] = [];
  for (const r of records) for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
  return { columns, rows: records.map((r) => columns.map((c) => r[c])) };
}

/** Format one cell: integers as is, other numbers with `digits` significant digits. */
export function formatCell(v: unknown, digits = 4): string {
  if (typeof v === "number") {
    if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
    if (!Number.isFinite(v)) return String(v);
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(digits - 1) : Number(v.toPrecision(digits)).toString();
  }
  if (v === null || v === undefined) return "";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/** The HTML and plain-text renderings of a table. */
export function tableBundle(table: TableLike, options: TableOptions = {}): MimeBundle {
  const { columns, rows } = tableRows(table);
  const digits = options.digits ?? 4;
  const maxRows = options.maxRows ?? 50;
  const shown = rows.slice(0, maxRows);
  const cells = shown.map((r) => r.map((v) => formatCell(v, digits)));
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = cells
    .map((r) => `<tr>${r.map((c, i) => `<td${typeof shown[0]?.[i] === "number" ? ' style="text-align:right"' : ""}>${escapeHtml(c)}</td>`).join("")}</tr>`)
    .join("\n");
  const caption = options.caption === undefined ? "" : `<caption>${escapeHtml(options.caption)}</caption>`;
  const more = rows.length > maxRows ? `<p>… ${rows.length - maxRows} more rows</p>` : "";
  const html = `<table class="lora-table">${caption}<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>${more}`;

  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padStart(widths[i])).join("  ");
  const text = [
    ...(options.caption === undefined ? [] : [options.caption]),
    line(columns),
    ...cells.map(line),
    ...(rows.length > maxRows ? [`… ${rows.length - maxRows} more rows`] : []),
  ].join("\n");
  return { "text/html": html, "text/plain": text };
}

/** Show records or a DataFrame as an HTML table in the notebook. */
export function showTable(table: TableLike, options: TableOptions = {}): void {
  displayBundle(tableBundle(table, options));
}
