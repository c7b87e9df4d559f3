/**
 * Vega-lite charts in notebooks: one display bundle with the interactive
 * `application/vnd.vegalite.v5+json` (JupyterLab) and an `image/svg+xml` rendered with vega in Node
 * (classic notebook, nbconvert HTML, code hosts).
 */
import * as vega from "vega";
import { compile } from "vega-lite";
import type { TopLevelSpec } from "vega-lite";
import { displayBundle, type MimeBundle } from "./display";

export type { TopLevelSpec };

/** The vega-lite MIME type JupyterLab renders. */
export const VEGALITE_MIME = "application/vnd.vegalite.v5+json";

/** Render a vega-lite spec to an SVG string with vega's headless renderer. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vgSpec = compile(spec).spec;
  const view = new vega.View(vega.parse(vgSpec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The text of a spec's title (a string, lines, or a title object), or undefined. */
export function titleText(title: unknown): string | undefined {
  if (typeof title === "string") return title;
  if (Array.isArray(title)) return title.join(" ");
  if (typeof title === "object" && title !== null && "text" in title) return titleText((title as { text: unknown }).text);
  return undefined;
}

/** The display bundle of a chart: vega-lite JSON, SVG and a one-line text description. */
export async function chartBundle(spec: TopLevelSpec): Promise<MimeBundle> {
  const svg = await renderSvg(spec);
  const title = titleText(spec.title) ?? "chart";
  return {
    [VEGALITE_MIME]: spec as object,
    "image/svg+xml": svg,
    "text/plain": `<vega-lite chart: ${title}>`,
  };
}

/** Show a vega-lite chart in the notebook (interactive in JupyterLab, SVG elsewhere). */
export async function showChart(spec: TopLevelSpec): Promise<void> {
  displayBundle(await chartBundle(spec));
}
