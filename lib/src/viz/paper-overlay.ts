/**
 * The paper's own points on a course chart: hollow diamonds (shape legend "paper") in the colour of
 * the series they compare with, with a vertical bar for the digitising uncertainty. Works on any
 * spec `lineChart` builds (plain or faceted by column) without changing how it is built: the paper
 * rows join the chart's data with `__source: "paper"`, the chart's own layers filter them out.
 */
import type { TopLevelSpec } from "vega-lite";
import type { Row } from "./table";

export interface PaperOverlayOptions {
  /** The paper's rows in the chart's own fields (x, y, colour and column fields), plus `lo`/`hi`. */
  points: readonly Row[];
  x: string;
  y: string;
  /** The chart's colour field (the paper marks take the colour of the series they compare with). */
  color?: string;
  /** The chart's column (facet) field, when faceted. */
  column?: string;
  /** Legend label of the paper marks (default "paper"). */
  label?: string;
}

export const PAPER_SOURCE_FIELD = "__source";

type Layer = Record<string, unknown>;
type SpecObject = Record<string, unknown> & { layer?: Layer[]; spec?: SpecObject; data?: { values?: Row[] } };

const OURS_ONLY = { filter: `datum.${PAPER_SOURCE_FIELD} !== 'paper'` };
const PAPER_ONLY = { filter: `datum.${PAPER_SOURCE_FIELD} === 'paper'` };

/** A copy of `spec` with the paper's points layered on (the spec is left unchanged). */
export function withPaperPoints(spec: TopLevelSpec, o: PaperOverlayOptions): TopLevelSpec {
  if (o.points.length === 0) return spec;
  const s = JSON.parse(JSON.stringify(spec)) as SpecObject;
  const inner: SpecObject = s.spec ?? s;
  if (!Array.isArray(inner.layer)) throw new TypeError("withPaperPoints: the chart must be a layered lineChart spec");
  if (!s.data || !Array.isArray(s.data.values)) throw new TypeError("withPaperPoints: the chart must carry inline data values");
  const label = o.label ?? "paper";
  s.data.values = [...s.data.values, ...o.points.map((p) => ({ ...p, [PAPER_SOURCE_FIELD]: "paper" }))];
  // the chart's own layers that read the shared data must not draw the paper rows
  inner.layer = inner.layer.map((l) => (l.data === undefined ? { ...l, transform: [OURS_ONLY, ...((l.transform as unknown[]) ?? [])] } : l));
  const firstEnc = (inner.layer.find((l) => l.encoding !== undefined)?.encoding ?? {}) as Record<string, Record<string, unknown>>;
  const x = { ...(firstEnc.x ?? { field: o.x, type: "quantitative" }) };
  const y = { ...(firstEnc.y ?? { field: o.y, type: "quantitative" }) };
  const color = o.color === undefined ? { value: "#222" } : { field: o.color, type: "nominal" };
  inner.layer.push(
    {
      transform: [PAPER_ONLY],
      mark: { type: "rule", strokeWidth: 1, opacity: 0.7 },
      encoding: { x, y: { ...y, field: "lo" }, y2: { field: "hi" }, color },
    },
    {
      transform: [PAPER_ONLY],
      mark: { type: "point", shape: "diamond", filled: false, size: 70, strokeWidth: 1.6, tooltip: true },
      encoding: {
        x,
        y,
        color,
        shape: { field: PAPER_SOURCE_FIELD, type: "nominal", title: "official repository", scale: { domain: [label], range: ["diamond"] }, legend: { labelExpr: `'${label}'` } },
      },
    },
  );
  return s as unknown as TopLevelSpec;
}
