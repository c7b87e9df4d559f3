/**
 * Vega-lite spec builders for the course's figures: error against rank (log scale where the paper
 * uses it), with the theoretical threshold drawn as a vertical rule.
 */
import type { TopLevelSpec } from "vega-lite";
import type { Row } from "./table";

export interface LineChartOptions {
  /** The rows to plot. */
  data: readonly Row[];
  /** Field on the x axis. */
  x: string;
  /** Field on the y axis. */
  y: string;
  /** Field that separates the lines (one colour each). */
  color?: string;
  /** Field that splits the chart into side-by-side panels. */
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
  width?: number;
  height?: number;
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
  const line = {
    mark: { type: "line" as const, point: o.points ?? true, tooltip: true },
    encoding: {
      x: xEnc,
      y: yEnc,
      ...(o.color === undefined ? {} : { color: { field: o.color, type: "nominal" as const } }),
    },
  };
  const rules = (o.rules ?? []).map((r) => ({
    data: { values: [{ at: r.at, label: r.label }] },
    layer: [
      {
        mark: { type: "rule" as const, strokeDash: [4, 4], color: "#888" },
        encoding: { x: { field: "at", type: "quantitative" as const } },
      },
      {
        mark: { type: "text" as const, align: "left" as const, dx: 4, dy: -4, color: "#555", baseline: "top" as const },
        encoding: {
          x: { field: "at", type: "quantitative" as const },
          y: { value: 0 },
          text: { field: "label", type: "nominal" as const },
        },
      },
    ],
  }));
  const size = { width: o.width ?? 320, height: o.height ?? 220 };
  const inner = { layer: [line, ...rules] };
  const common = { $schema: "https://vega.github.io/schema/vega-lite/v5.json", ...(o.title === undefined ? {} : { title: o.title }) };
  if (o.column !== undefined) {
    return {
      ...common,
      data: { values: o.data.map((r) => ({ ...r })) },
      facet: { column: { field: o.column, type: "nominal" as const } },
      spec: { ...size, ...inner },
      resolve: { scale: { y: "shared" as const } },
    } as TopLevelSpec;
  }
  return { ...common, ...size, data: { values: o.data.map((r) => ({ ...r })) }, ...inner } as TopLevelSpec;
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
  width?: number;
  height?: number;
}

/** A bar chart (grouped by `color` with an x offset when given). */
export function barChart(o: BarChartOptions): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    ...(o.title === undefined ? {} : { title: o.title }),
    width: o.width ?? 320,
    height: o.height ?? 220,
    data: { values: o.data.map((r) => ({ ...r })) },
    mark: { type: "bar", tooltip: true },
    encoding: {
      x: { field: o.x, type: o.ordinalX === false ? "quantitative" : "ordinal", title: o.xTitle ?? o.x },
      y: { field: o.y, type: "quantitative", title: o.yTitle ?? o.y, ...(o.logY ? { scale: { type: "log" } } : {}) },
      ...(o.color === undefined ? {} : { color: { field: o.color, type: "nominal" }, xOffset: { field: o.color } }),
    },
  } as TopLevelSpec;
}
