/**
 * Interactivity shared by the chart builders (JupyterLab and the course site render the vega-lite
 * spec; the SVG fallback shows the initial state):
 * - `legendHighlight`: click a legend entry to highlight that series (shift-click adds one more);
 * - a rank slider bound to a range input, which either highlights one rank on every series or shows
 *   what a rank-R truncation keeps and drops (a singular-value spectrum).
 */

/** A bound rank slider on a chart's x axis. */
export interface RankSlider {
  /**
   * "highlight" (default): mark the points at the chosen rank on every series.
   * "truncate": the x axis is an index i (σ_i); grey out the points i > R that a rank-R truncation drops.
   */
  mode?: "highlight" | "truncate";
  /** The slider's label (default "rank R"). */
  label?: string;
  /** Slider range and start (default: the x values' range, start at the first rule or the middle). */
  min?: number;
  max?: number;
  value?: number;
}

/** A slider with every field settled. */
export interface ResolvedSlider {
  mode: "highlight" | "truncate";
  label: string;
  field: string;
  min: number;
  max: number;
  value: number;
  /** The x values the data has (sorted, distinct): the slider snaps to the nearest one. */
  stops: number[];
}

/** The name of the legend selection parameter (the `opacity` conditions refer to it). */
export const LEGEND_PARAM = "pick";
/** The name of the slider's parameter (its raw value) and of the snapped value the layers use. */
export const SLIDER_PARAM = "rank";
export const SLIDER_AT = "rank_at";

/** A point selection on `field`, bound to the legend: click an entry to highlight its series. */
export function legendHighlight(field: string): object {
  return { name: LEGEND_PARAM, select: { type: "point", fields: [field] }, bind: "legend" };
}

const RANK_AXIS = /(^|[^a-z])rank([^a-z]|$)|^R$|^r$/i;

/**
 * The slider a line chart gets: the one asked for, or on a rank axis (title or field says "rank" or
 * is R, integer values, three or more) a highlight slider; null when none.
 */
export function resolveSlider(
  o: { x: string; xTitle?: string; slider?: RankSlider | false; rules?: ReadonlyArray<{ at: number }> },
  xs: readonly number[],
): ResolvedSlider | null {
  if (o.slider === false) return null;
  const stops = [...new Set(xs)].sort((a, b) => a - b);
  if (stops.length < 2) return null;
  const integer = stops.every((v) => Number.isInteger(v));
  if (o.slider === undefined && !(integer && stops.length >= 3 && (RANK_AXIS.test(o.x) || RANK_AXIS.test(o.xTitle ?? "")))) return null;
  const s = o.slider ?? {};
  const min = s.min ?? stops[0];
  const max = s.max ?? stops[stops.length - 1];
  const rule = (o.rules ?? []).find((r) => r.at >= min && r.at <= max)?.at;
  const value = s.value ?? rule ?? stops[Math.floor(stops.length / 2)];
  if (!(min <= value && value <= max)) throw new RangeError(`rank slider: value ${value} must lie in [${min}, ${max}]`);
  return { mode: s.mode ?? "highlight", label: s.label ?? (s.mode === "truncate" ? "truncation rank R " : "rank R "), field: o.x, min, max, value, stops };
}

/** A vega expression for the stop nearest to the slider's value (ties go to the lower stop). */
export function nearestStopExpr(stops: readonly number[], param = SLIDER_PARAM): string {
  let expr = String(stops[stops.length - 1]);
  for (let i = stops.length - 2; i >= 0; i--) expr = `(${param} <= ${(stops[i] + stops[i + 1]) / 2} ? ${stops[i]} : ${expr})`;
  return expr;
}

/** Top-level parameters of a chart with this slider: the bound range input and its snapped value. */
export function rankSliderParams(s: ResolvedSlider): object[] {
  const contiguous = s.stops.every((v, i) => i === 0 || v - s.stops[i - 1] === 1) && Number.isInteger(s.min);
  return [
    { name: SLIDER_PARAM, value: s.value, bind: { input: "range", min: s.min, max: s.max, step: contiguous ? 1 : undefined, name: s.label } },
    { name: SLIDER_AT, expr: s.mode === "truncate" ? SLIDER_PARAM : nearestStopExpr(s.stops) },
  ].map((p) => JSON.parse(JSON.stringify(p)) as object);
}

/** The layers that draw the slider's state over a line chart. */
export function rankSliderLayers(
  s: ResolvedSlider,
  enc: { x: object; y: object; color?: object; tooltip: object[] },
): object[] {
  const field = JSON.stringify(s.field);
  const at = {
    transform: [{ aggregate: [{ op: "count", as: "n" }] }, { calculate: s.mode === "truncate" ? `${SLIDER_AT} + 0.5` : SLIDER_AT, as: "slider_at" }],
    mark: { type: "rule", color: "#d62728", strokeWidth: 1.5 },
    encoding: { x: { field: "slider_at", type: "quantitative" } },
  };
  const caption = {
    transform: at.transform,
    mark: {
      type: "text",
      color: "#d62728",
      // Left of the rule in the right half of the axis, so the caption never runs past the plot.
      align: { expr: `${SLIDER_AT} > ${(s.stops[0] + s.stops[s.stops.length - 1]) / 2} ? 'right' : 'left'` },
      limit: 140,
      dx: { expr: `${SLIDER_AT} > ${(s.stops[0] + s.stops[s.stops.length - 1]) / 2} ? -4 : 4` },
      baseline: "bottom",
      text: { expr: s.mode === "truncate" ? `'keep ' + ${SLIDER_AT} + ', drop the rest'` : `'R = ' + ${SLIDER_AT}` },
    },
    encoding: { x: { field: "slider_at", type: "quantitative" }, y: { value: -2 } },
  };
  const marked =
    s.mode === "truncate"
      ? {
          // What a rank-R truncation drops: the singular values past R, greyed out.
          transform: [{ filter: `datum[${field}] > ${SLIDER_AT}` }],
          mark: { type: "point", filled: true, size: 70, color: "#bbbbbb", opacity: 1 },
          encoding: { x: enc.x, y: enc.y, tooltip: enc.tooltip },
        }
      : {
          // The chosen rank on every series.
          transform: [{ filter: `datum[${field}] == ${SLIDER_AT}` }],
          mark: { type: "point", filled: true, size: 110, stroke: "black", strokeWidth: 1 },
          // Faded with its series when another legend entry is picked.
          encoding: {
            x: enc.x,
            y: enc.y,
            tooltip: enc.tooltip,
            ...(enc.color === undefined ? {} : { color: enc.color, opacity: { condition: { param: LEGEND_PARAM, value: 1 }, value: 0.12 } }),
          },
        };
  return [at, caption, marked];
}
