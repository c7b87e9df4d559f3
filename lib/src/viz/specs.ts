/**
 * Vega-lite spec builders for the course's figures: error against rank (log scale where the paper
 * uses it), with the theoretical threshold drawn as a vertical rule. Every chart fits the output column
 * (`CHART_COLUMN_WIDTH`, see ./layout), shows tooltips, highlights a series when its legend entry is
 * clicked, and, on a rank axis, has a rank slider (see ./interact).
 */
import type { TopLevelSpec } from "vega-lite";
import type { Row } from "./table";
import { PANEL_SPACING, Y_AXIS_ROOM, facetLayout, legendColumns, legendLabelLimit, numericValues, plotWidth, wrapTitle } from "./layout";
import { LEGEND_PARAM, legendHighlight, rankSliderLayers, rankSliderParams, resolveSlider, type RankSlider } from "./interact";

export type { RankSlider };

const SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

export interface LineChartOptions {
  /** The rows to plot. */
  data: readonly Row[];
  /** Field on the x axis. */
  x: string;
  /** Field on the y axis. */
  y: string;
  /** Field that separates the lines (one colour each). */
  color?: string;
  /** Field that splits the chart into panels (they wrap onto rows to fit the column). */
  column?: string;
  title?: string;
  xTitle?: string;
  yTitle?: string;
  /** Logarithmic y axis (non-positive values are dropped by vega-lite). */
  logY?: boolean;
  /** Logarithmic x axis. */
  logX?: boolean;
  /** Vertical rules, e.g. `{ at: 8, label: "threshold ⌈D·L̄/L⌉" }`. */
  rules?: ReadonlyArray<{ at: number; label: string }>;
  /** Draw points on the lines (default true). */
  points?: boolean;
  /**
   * A bound rank slider (interactive views only; the SVG shows its initial value). Default: on a rank
   * axis (x titled "rank…" or named R/rank, integer values) a slider that highlights one rank across
   * the series; `false` turns it off; `{ mode: "truncate" }` greys what a rank-R truncation drops.
   */
  slider?: RankSlider | false;
  /** Preferred width of one plot (px); capped so the chart fits the column. */
  width?: number;
  height?: number;
}

/** Shared chart config: legend under the plot (seen, never off-screen), labels cut to fit. */
function config(labels: readonly string[], chartWidth: number): object {
  return {
    legend: { orient: "bottom", direction: "horizontal", columns: legendColumns(labels, chartWidth - Y_AXIS_ROOM), labelLimit: legendLabelLimit(), titleLimit: legendLabelLimit() },
    axis: { labelLimit: 160, titleLimit: 400 },
    header: { labelLimit: 260 },
    title: { anchor: "start" },
  };
}

/** The title, in lines no wider than the chart. */
function titleOf(title: string | undefined, chartWidth: number): object {
  return title === undefined ? {} : { title: { text: wrapTitle(title, chartWidth) } };
}

function distinctLabels(rows: readonly Row[], field: string | undefined): string[] {
  if (field === undefined) return [];
  return [...new Set(rows.map((r) => String(r[field])))];
}

/** A line chart (one line per `color` value), optionally faceted and with threshold rules. */
export function lineChart(o: LineChartOptions): TopLevelSpec {
  const xEnc = { field: o.x, type: "quantitative" as const, title: o.xTitle ?? o.x, ...(o.logX ? { scale: { type: "log" as const } } : {}) };
  const yEnc = {
    field: o.y,
    type: "quantitative" as const,
    title: o.yTitle ?? o.y,
    ...(o.logY ? { scale: { type: "log" as const } } : {}),
  };
  const colorEnc = o.color === undefined ? undefined : { field: o.color, type: "nominal" as const };
  const tooltip = [
    ...(o.color === undefined ? [] : [{ field: o.color, type: "nominal" as const }]),
    ...(o.column === undefined ? [] : [{ field: o.column, type: "nominal" as const }]),
    { field: o.x, type: "quantitative" as const, title: o.xTitle ?? o.x },
    { field: o.y, type: "quantitative" as const, title: o.yTitle ?? o.y, format: ".4~g" },
  ];
  const line = {
    mark: { type: "line" as const, point: o.points ?? true },
    ...(colorEnc === undefined ? {} : { params: [legendHighlight(o.color as string)] }),
    encoding: {
      x: xEnc,
      y: yEnc,
      tooltip,
      ...(colorEnc === undefined ? {} : { color: colorEnc, opacity: { condition: { param: LEGEND_PARAM, value: 1 }, value: 0.12 } }),
    },
  };
  const xs = numericValues(o.data, o.x);
  const lo = xs.length > 0 ? Math.min(...xs) : 0, hi = xs.length > 0 ? Math.max(...xs) : 1;
  const mid = (lo + hi) / 2;
  const height = o.height ?? 220;
  const panels = o.column === undefined ? 0 : Math.max(1, distinctLabels(o.data, o.column).length);
  const facet = panels === 0 ? null : facetLayout(panels, o.width);
  const plotW = facet === null ? plotWidth(o.width) : facet.width;
  /** Room (px) between a rule and the plot's edge on the side its label is drawn. */
  const ruleLabelLimit = (at: number): number => {
    const px = hi > lo && !o.logX ? ((Math.min(Math.max(at, lo), hi) - lo) / (hi - lo)) * plotW : plotW / 2;
    return Math.max(40, Math.floor((at > mid ? px : plotW - px) - 8));
  };
  // Each rule is derived from the chart's own rows (one aggregate row per panel) rather than a
  // separate dataset, so faceted charts lay out as tightly as unfaceted ones.
  const rules = (o.rules ?? []).map((r) => ({
    transform: [
      { aggregate: [{ op: "count" as const, as: "rule_n" }] },
      { calculate: String(r.at), as: "rule_at" },
      { calculate: JSON.stringify(r.label), as: "rule_label" },
    ],
    layer: [
      {
        mark: { type: "rule" as const, strokeDash: [4, 4], color: "#888" },
        encoding: { x: { field: "rule_at", type: "quantitative" as const }, tooltip: { field: "rule_label", type: "nominal" as const, title: "rule" } },
      },
      {
        // Labels right of a rule in the left half, left of it in the right half: never past the plot.
        // `limit` keeps the label inside the plot (vega's Node renderer estimates text widths generously,
        // and a label past the plot would widen every facet cell).
        mark: {
          type: "text" as const,
          align: r.at > mid ? ("right" as const) : ("left" as const),
          dx: r.at > mid ? -4 : 4,
          dy: 4,
          color: "#555",
          baseline: "top" as const,
          limit: ruleLabelLimit(r.at),
        },
        encoding: {
          x: { field: "rule_at", type: "quantitative" as const },
          y: { value: 0 },
          text: { field: "rule_label", type: "nominal" as const },
        },
      },
    ],
  }));
  const slider = resolveSlider(o, xs);
  const sliderLayers = slider === null ? [] : rankSliderLayers(slider, { x: xEnc, y: yEnc, color: colorEnc, tooltip });
  const params = slider === null ? [] : rankSliderParams(slider);
  const inner = { layer: [line, ...sliderLayers, ...rules] };
  const chartWidth = facet === null ? plotWidth(o.width) + Y_AXIS_ROOM : facet.columns * (facet.width + PANEL_SPACING) + Y_AXIS_ROOM;
  const common = {
    $schema: SCHEMA,
    ...titleOf(o.title, chartWidth),
    ...(params.length === 0 ? {} : { params }),
    config: config(distinctLabels(o.data, o.color), chartWidth),
  };
  if (o.column !== undefined && facet !== null) {
    const { columns, width } = facet;
    return {
      ...common,
      data: { values: o.data.map((r) => ({ ...r })) },
      facet: { field: o.column, type: "nominal" as const, title: null, header: { labelLimit: width, labelFontSize: 12 } },
      columns,
      spacing: PANEL_SPACING,
      spec: { width, height, ...inner },
      resolve: { scale: { y: "shared" as const } },
    } as TopLevelSpec;
  }
  return { ...common, width: plotWidth(o.width), height, data: { values: o.data.map((r) => ({ ...r })) }, ...inner } as TopLevelSpec;
}

export interface BarChartOptions {
  data: readonly Row[];
  x: string;
  y: string;
  color?: string;
  title?: string;
  xTitle?: string;
  yTitle?: string;
  logY?: boolean;
  /** Treat x as ordinal (one bar per value; default true). */
  ordinalX?: boolean;
  /** Preferred width (px); capped so the chart fits the column. */
  width?: number;
  height?: number;
}

/** A bar chart (grouped by `color` with an x offset when given); a legend click highlights one group. */
export function barChart(o: BarChartOptions): TopLevelSpec {
  const xLabels = distinctLabels(o.data, o.x);
  const longX = xLabels.some((l) => l.length > 6);
  return {
    $schema: SCHEMA,
    ...titleOf(o.title, plotWidth(o.width ?? 320) + Y_AXIS_ROOM),
    width: plotWidth(o.width ?? 320),
    height: o.height ?? 220,
    data: { values: o.data.map((r) => ({ ...r })) },
    mark: { type: "bar" },
    ...(o.color === undefined ? {} : { params: [legendHighlight(o.color)] }),
    encoding: {
      x: {
        field: o.x,
        type: o.ordinalX === false ? "quantitative" : "ordinal",
        title: o.xTitle ?? o.x,
        ...(longX ? { axis: { labelAngle: -30, labelLimit: 100 } } : {}),
      },
      y: { field: o.y, type: "quantitative", title: o.yTitle ?? o.y, ...(o.logY ? { scale: { type: "log" } } : {}) },
      tooltip: [
        ...(o.color === undefined ? [] : [{ field: o.color, type: "nominal" }]),
        { field: o.x, type: o.ordinalX === false ? "quantitative" : "ordinal", title: o.xTitle ?? o.x },
        { field: o.y, type: "quantitative", title: o.yTitle ?? o.y, format: ".4~g" },
      ],
      ...(o.color === undefined
        ? {}
        : {
            color: { field: o.color, type: "nominal" },
            xOffset: { field: o.color },
            opacity: { condition: { param: LEGEND_PARAM, value: 1 }, value: 0.2 },
          }),
    },
    config: config(distinctLabels(o.data, o.color), plotWidth(o.width ?? 320) + Y_AXIS_ROOM),
  } as TopLevelSpec;
}
