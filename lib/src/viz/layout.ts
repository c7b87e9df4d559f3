/**
 * Chart layout: every chart fits one output column of `CHART_COLUMN_WIDTH` CSS pixels (a notebook's
 * output area, a page of the course site). Panel widths, facet wrapping, legend placement and label
 * shortening are all derived from this one setting.
 */

/** The width (CSS px) every chart must fit: the output column of the notebook and the site. */
export const CHART_COLUMN_WIDTH = 900;

/** Room left of the plot for the y axis (tick labels and the rotated title). */
export const Y_AXIS_ROOM = 105;
/** Gap between facet panels. */
export const PANEL_SPACING = 16;
/** A panel is never drawn narrower than this (below it, facets wrap onto another row). */
export const MIN_PANEL_WIDTH = 230;
/** Default width of a single (unfaceted) chart. */
export const DEFAULT_CHART_WIDTH = 420;
/** Width of one character of a 10 px label as vega estimates it in Node (0.8 em): legend columns, label limits. */
export const CHAR_PX = 8;

/** The widest a single plot may be: the column less the y axis. */
export function maxPlotWidth(): number {
  return CHART_COLUMN_WIDTH - Y_AXIS_ROOM;
}

/**
 * Width of one plot: the requested width, capped so the chart fits the column.
 * `requested` is a wish (callers pass the size that reads best); the column always wins.
 */
export function plotWidth(requested?: number): number {
  return Math.min(requested ?? DEFAULT_CHART_WIDTH, maxPlotWidth());
}

/**
 * Facet layout for `panels` panels: how many columns per row (facets wrap beyond it) and each panel's
 * width, so that `columns` panels plus spacing plus one y axis fit the column.
 */
export function facetLayout(panels: number, requested?: number): { columns: number; width: number } {
  if (!Number.isInteger(panels) || panels < 1) throw new RangeError(`facetLayout: panels must be a positive integer (got ${panels})`);
  const room = maxPlotWidth();
  const fits = (c: number) => Math.floor((room - (c - 1) * PANEL_SPACING) / c);
  let columns = Math.min(panels, Math.max(1, Math.floor((room + PANEL_SPACING) / (MIN_PANEL_WIDTH + PANEL_SPACING))));
  // Prefer balanced rows: 4 panels in 2×2 rather than 3 + 1.
  const rows = Math.ceil(panels / columns);
  columns = Math.ceil(panels / rows);
  return { columns, width: Math.min(requested ?? 280, fits(columns)) };
}

/**
 * Legend columns for labels of these lengths, in a legend laid out under a plot `widthPx` wide (vega
 * gives every column the widest entry's width, so the widest label sets the count).
 */
export function legendColumns(labels: readonly string[], widthPx: number = maxPlotWidth()): number {
  if (labels.length === 0) return 1;
  const longest = Math.min(Math.max(...labels.map((l) => l.length)), maxLabelChars());
  const perEntry = longest * CHAR_PX + 70; // symbol, padding, gap
  return Math.max(1, Math.min(labels.length, Math.floor(Math.min(widthPx, maxPlotWidth()) / perEntry)));
}

/** Longest label (characters) drawn in full; longer ones are cut with an ellipsis by vega's labelLimit. */
export function maxLabelChars(): number {
  return Math.floor((CHART_COLUMN_WIDTH - Y_AXIS_ROOM) / 2 / CHAR_PX) - 6;
}

/** Label limit (px) for legends. */
export function legendLabelLimit(): number {
  return Math.round(maxLabelChars() * CHAR_PX);
}

/**
 * A title broken into lines that fit `widthPx` (the chart's width, at most the column) (vega-lite draws an array of strings as lines).
 * Breaks at spaces; a single word longer than a line is kept whole.
 */
export function wrapTitle(title: string, widthPx: number = CHART_COLUMN_WIDTH, fontPx = 13): string | string[] {
  // 0.8 em a character: vega's text-width estimate in Node (the SVG fallback), so a wrapped title
  // never widens the SVG; browsers draw it narrower (~0.55 em a character).
  const perLine = Math.max(20, Math.floor(Math.min(widthPx, CHART_COLUMN_WIDTH) / (fontPx * 0.8)));
  if (title.length <= perLine) return title;
  const lines: string[] = [];
  let line = "";
  for (const word of title.split(" ")) {
    if (line.length > 0 && line.length + 1 + word.length > perLine) {
      lines.push(line);
      line = word;
    } else line = line.length > 0 ? `${line} ${word}` : word;
  }
  if (line.length > 0) lines.push(line);
  return lines;
}

/** The x-axis field values of a chart's rows, as numbers (non-numbers dropped). */
export function numericValues(rows: ReadonlyArray<Record<string, unknown>>, field: string): number[] {
  return rows.map((r) => r[field]).filter((v): v is number => typeof v === "number" && Number.isFinite(v));
}
