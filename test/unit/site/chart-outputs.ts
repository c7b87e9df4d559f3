// Helpers for the chart tests: the chart outputs of a notebook and their widths.

/** The widest chart output allowed (the notebook's and the site's output column is ~980 px). */
export const MAX_OUTPUT_WIDTH = 960;

const VEGALITE_MIME = "application/vnd.vegalite.v5+json";
type Json = Record<string, unknown>;

export interface ChartOutput {
  cell: string;
  svg?: string;
  spec?: Json;
}

const text = (v: unknown): string => (Array.isArray(v) ? v.join("") : typeof v === "string" ? v : "");

/** Every output of a notebook that holds a chart (a vega-lite spec and/or an SVG). */
export function chartOutputs(nb: { cells: Array<{ id?: string; outputs?: Array<{ data?: Json }> }> }): ChartOutput[] {
  const out: ChartOutput[] = [];
  nb.cells.forEach((c, i) => {
    for (const o of c.outputs ?? []) {
      const d = o.data ?? {};
      if (d[VEGALITE_MIME] === undefined && d["image/svg+xml"] === undefined) continue;
      out.push({
        cell: c.id ?? `#${i}`,
        ...(d["image/svg+xml"] === undefined ? {} : { svg: text(d["image/svg+xml"]) }),
        ...(d[VEGALITE_MIME] === undefined ? {} : { spec: d[VEGALITE_MIME] as Json }),
      });
    }
  });
  return out;
}

/** The width attribute of an SVG's root element (NaN when it has none). */
export function svgWidth(svg: string): number {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0] ?? "";
  const m = /\swidth="([\d.]+)"/.exec(root);
  return m ? Number(m[1]) : NaN;
}

/**
 * The plot width a vega-lite spec asks for: `width`, or for a facet its panels per row times the
 * panel width plus spacing; concatenations add up. NaN when a width is not a number (e.g. "container").
 */
export function specWidth(spec: Json): number {
  if (Array.isArray(spec.hconcat)) return (spec.hconcat as Json[]).reduce((a, s) => a + specWidth(s), 0);
  if (Array.isArray(spec.vconcat)) return Math.max(...(spec.vconcat as Json[]).map(specWidth));
  if (spec.facet !== undefined && spec.spec !== undefined) {
    const inner = specWidth(spec.spec as Json);
    const facet = spec.facet as Json;
    const values = (spec.data as { values?: Json[] } | undefined)?.values ?? [];
    const field = ((facet.column as Json | undefined)?.field ?? facet.field) as string | undefined;
    const panels = field === undefined ? 1 : new Set(values.map((r) => String(r[field]))).size;
    const perRow = facet.column !== undefined ? panels : Math.min(panels, typeof spec.columns === "number" ? spec.columns : panels);
    const spacing = typeof spec.spacing === "number" ? spec.spacing : 20;
    return perRow * inner + (perRow - 1) * spacing;
  }
  if (Array.isArray(spec.layer) && spec.width === undefined) return Math.max(0, ...(spec.layer as Json[]).map((l) => (l.width === undefined ? 0 : specWidth(l))));
  if (spec.width === undefined) return 0; // vega-lite's default view width (200 px, or a step per category)
  return typeof spec.width === "number" ? spec.width : NaN;
}
