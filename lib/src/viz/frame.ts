/**
 * DataFrames for the notebooks' tables (danfojs 1.1.2, the Node-compatible build with the same API as
 * danfojs-node, sharing the project's tfjs). `frame(rows)` builds one; `showTable(frame)` shows it.
 */
import { DataFrame } from "danfojs";
import type { Row } from "./table";

export { DataFrame };

/** A danfojs DataFrame from an array of records (columns in first-seen key order). */
export function frame(rows: readonly Row[]): DataFrame {
  if (rows.length === 0) return new DataFrame([]);
  return new DataFrame(rows.map((r) => ({ ...r })));
}
