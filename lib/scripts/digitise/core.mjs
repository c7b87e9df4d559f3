// Pixel-level digitising of matplotlib line charts with markers (the official repository's figures):
// find the axes frames (dark spines), the gridlines inside them (grey, one per major tick), the
// markers of one series by colour, and map pixel centres to data values on linear or log axes.
// Plain Node, no dependencies beyond a decoded RGBA image {width, height, data}.

/** A typed error naming the violated condition (the CLI maps it to exit status 2). */
export class DigitiseError extends Error {
  constructor(message) {
    super(message);
    this.name = "DigitiseError";
  }
}

/** "#rrggbb" → [r, g, b]. */
export function hexColour(hex) {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new DigitiseError(`colour must be #rrggbb, got ${JSON.stringify(hex)}`);
  return [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)];
}

function pixel(img, x, y) {
  const i = (y * img.width + x) * 4;
  const a = img.data[i + 3] / 255;
  // composite over white (matplotlib's inline PNGs are opaque, synthetic ones may not be)
  return [img.data[i] * a + 255 * (1 - a), img.data[i + 1] * a + 255 * (1 - a), img.data[i + 2] * a + 255 * (1 - a)];
}

const isDark = (p) => p[0] < 90 && p[1] < 90 && p[2] < 90;
/** Grey gridline pixels: neutral, neither white nor black (matplotlib's grid is #b0b0b0, anti-aliased). */
const greyness = (p) => {
  const v = (p[0] + p[1] + p[2]) / 3;
  if (Math.max(Math.abs(p[0] - p[1]), Math.abs(p[1] - p[2]), Math.abs(p[0] - p[2])) > 14) return 0;
  return v >= 120 && v <= 243 ? (255 - v) / 255 : 0;
};
const matches = (p, rgb, tol) => Math.hypot(p[0] - rgb[0], p[1] - rgb[1], p[2] - rgb[2]) <= tol;

/**
 * The axes frames: rectangles whose top and bottom spines are long dark horizontal runs with the same
 * left/right ends. Returned left-to-right, then top-to-bottom, as {left, right, top, bottom} pixel
 * indices of the spines themselves.
 */
export function findFrames(img, minWidth = 60) {
  const segs = [];
  for (let y = 0; y < img.height; y++) {
    let start = -1;
    let lastDark = -1;
    for (let x = 0; x <= img.width; x++) {
      const dark = x < img.width && isDark(pixel(img, x, y));
      if (dark) {
        if (start < 0) start = x;
        lastDark = x;
      } else if (start >= 0 && x - lastDark > 6) {
        if (lastDark - start + 1 >= minWidth) segs.push({ y, x0: start, x1: lastDark });
        start = -1;
      }
    }
  }
  const groups = [];
  for (const s of segs) {
    const g = groups.find((g) => Math.abs(g.x0 - s.x0) <= 2 && Math.abs(g.x1 - s.x1) <= 2);
    if (g) g.ys.push(s.y);
    else groups.push({ x0: s.x0, x1: s.x1, ys: [s.y] });
  }
  const frames = [];
  const darkRun = (x, from) => {
    // follow the vertical spine at column x down from `from`, bridging gaps of up to 6 rows
    let last = from;
    for (let y = from; y < img.height && y - last <= 6; y++) if (isDark(pixel(img, x, y))) last = y;
    return last;
  };
  for (const g of groups) {
   // one group may hold the spines of panels stacked in a column (same left/right ends): peel them off
   let ys = [...g.ys].sort((a, b) => a - b);
   while (ys.length > 0) {
    const top = ys[0];
    const runEnd = Math.max(darkRun(g.x0, top), darkRun(g.x1, top));
    // the spines run on into tick marks: the bottom is the lowest row that is mostly dark (or, hidden
    // behind a legend, the end of the spines)
    let bottom = runEnd;
    for (let y = runEnd; y > top + 30; y--) {
      let n = 0;
      for (let x = g.x0; x <= g.x1; x++) if (isDark(pixel(img, x, y))) n++;
      if (n / (g.x1 - g.x0 + 1) >= 0.4) {
        bottom = y;
        break;
      }
    }
    ys = ys.filter((y) => y > Math.max(bottom, top) + 2);
    if (bottom - top < 30) continue;
    // the left spine must be dark over most of the height; the right one may hide behind a legend
    const sideDark = (x) => {
      let n = 0;
      for (let y = top; y <= bottom; y++) if (isDark(pixel(img, x, y))) n++;
      return n / (bottom - top + 1);
    };
    const [l, r] = [sideDark(g.x0), sideDark(g.x1)];
    if (Math.min(l, r) < 0.3 || Math.max(l, r) < 0.6) continue;
    if (frames.some((f) => f.left === g.x0 && f.top <= top && f.bottom >= top)) continue;
    frames.push({ left: g.x0, right: g.x1, top, bottom });
   }
  }
  frames.sort((a, b) => (Math.abs(a.top - b.top) > 20 ? a.top - b.top : a.left - b.left));
  return frames;
}

/** Weighted centres of grey lines along one direction inside a frame (columns for "x", rows for "y"). */
export function findGridlines(img, frame, axis, minFraction = 0.3) {
  const inset = 3;
  const along = axis === "x" ? [frame.left + inset, frame.right - inset] : [frame.top + inset, frame.bottom - inset];
  const across = axis === "x" ? [frame.top + inset, frame.bottom - inset] : [frame.left + inset, frame.right - inset];
  const score = [];
  for (let a = along[0]; a <= along[1]; a++) {
    let hits = 0;
    let weight = 0;
    for (let c = across[0]; c <= across[1]; c++) {
      const p = axis === "x" ? pixel(img, a, c) : pixel(img, c, a);
      const g = greyness(p);
      if (g > 0) {
        hits++;
        weight += g;
      }
    }
    score.push({ a, frac: hits / (across[1] - across[0] + 1), weight });
  }
  const lines = [];
  let run = [];
  const flush = () => {
    if (run.length) {
      const w = run.reduce((s, r) => s + r.weight, 0);
      lines.push(run.reduce((s, r) => s + r.a * r.weight, 0) / w);
    }
    run = [];
  };
  for (const s of score) {
    if (s.frac >= minFraction) run.push(s);
    else flush();
  }
  flush();
  // A gridline reaches both spines; a legend's frame (also grey) stops short of at least one of them.
  const reaches = (a, c0, c1) => {
    for (let d = -1; d <= 1; d++)
      for (let c = c0; c <= c1; c++) {
        const r = Math.round(a) + d;
        if (greyness(axis === "x" ? pixel(img, r, c) : pixel(img, c, r)) > 0) return true;
      }
    return false;
  };
  const lo = axis === "x" ? frame.top : frame.left;
  const hi = axis === "x" ? frame.bottom : frame.right;
  return lines.filter((a) => reaches(a, lo + 1, lo + 4) && reaches(a, hi - 4, hi - 1));
}

/**
 * Legend boxes inside a frame: rectangles whose top and bottom edges are grey horizontal runs of the
 * same extent that do not reach both spines (a gridline does). Their sample markers are not data.
 */
export function findLegendBoxes(img, frame, minLength = 40) {
  const runs = [];
  for (let y = frame.top + 2; y < frame.bottom - 1; y++) {
    let start = -1;
    let last = -1;
    for (let x = frame.left + 1; x <= frame.right; x++) {
      const g = x < frame.right && greyness(pixel(img, x, y)) > 0;
      if (g) {
        if (start < 0) start = x;
        last = x;
      } else if (start >= 0 && x - last > 3) {
        if (last - start + 1 >= minLength && !(start <= frame.left + 4 && last >= frame.right - 4)) runs.push({ y, x0: start, x1: last });
        start = -1;
      }
    }
    if (start >= 0 && last - start + 1 >= minLength && !(start <= frame.left + 4 && last >= frame.right - 4)) runs.push({ y, x0: start, x1: last });
  }
  const boxes = [];
  for (const r of runs) {
    const b = boxes.find((b) => Math.abs(b.x0 - r.x0) <= 3 && Math.abs(b.x1 - r.x1) <= 3);
    if (b) {
      b.top = Math.min(b.top, r.y);
      b.bottom = Math.max(b.bottom, r.y);
    } else boxes.push({ x0: r.x0, x1: r.x1, top: r.y, bottom: r.y });
  }
  return boxes.filter((b) => b.bottom - b.top >= 10).map((b) => ({ left: b.x0, right: b.x1, top: b.top, bottom: b.bottom }));
}

/** A map from pixel coordinate to data value through two or more calibrated gridlines (least squares). */
export function axisMap(pixels, values, scale) {
  if (pixels.length !== values.length) throw new DigitiseError(`found ${pixels.length} gridlines but the calibration lists ${values.length} tick values (${values.join(", ")})`);
  if (pixels.length < 2) throw new DigitiseError(`an axis needs at least 2 gridlines, found ${pixels.length}`);
  const t = (v) => {
    if (scale === "log") {
      if (!(v > 0)) throw new DigitiseError(`log-axis tick values must be positive, got ${v}`);
      return Math.log10(v);
    }
    return v;
  };
  const tv = values.map(t);
  const n = pixels.length;
  const mp = pixels.reduce((s, p) => s + p, 0) / n;
  const mv = tv.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (pixels[i] - mp) * (tv[i] - mv);
    sxx += (pixels[i] - mp) ** 2;
  }
  const slope = sxy / sxx;
  const residual = Math.sqrt(tv.reduce((s, v, i) => s + (v - (mv + slope * (pixels[i] - mp))) ** 2, 0) / n);
  return {
    scale,
    /** data units (log10 units on a log axis) per pixel */
    slope,
    /** rms misfit of the gridlines in pixels */
    residualPx: Math.abs(residual / slope),
    toData: (p) => {
      const v = mv + slope * (p - mp);
      return scale === "log" ? 10 ** v : v;
    },
    toPixel: (d) => mp + (t(d) - mv) / slope,
  };
}

/**
 * The marker of one series near pixel column `cx`: in the columns cx±half, rows where at least
 * (2·half) of the (2·half+1) columns match the colour are marker rows (a line crossing the window at a
 * slope fills fewer); the longest such run of rows is the marker, its count-weighted centre the answer.
 * Returns {row, rows} or null when no run of at least `minRows` rows exists (hidden or clipped marker).
 */
export function findMarker(img, frame, rgb, cx, opts = {}) {
  const half = opts.half ?? 2;
  const tol = opts.tolerance ?? 70;
  const minRows = opts.minRows ?? 3;
  const need = opts.need ?? 2 * half;
  const c0 = Math.round(cx) - half;
  const counts = [];
  for (let y = frame.top + 1; y < frame.bottom; y++) {
    let n = 0;
    for (let x = c0; x <= c0 + 2 * half; x++) {
      if (x <= frame.left || x >= frame.right) continue;
      if ((opts.exclude ?? []).some((b) => x >= b.left && x <= b.right && y >= b.top && y <= b.bottom)) continue;
      if (matches(pixel(img, x, y), rgb, tol)) n++;
    }
    counts.push({ y, n });
  }
  let best = null;
  let run = [];
  const flush = () => {
    if (run.length >= minRows && (!best || run.length > best.length)) best = run;
    run = [];
  };
  for (const c of counts) {
    if (c.n >= need) run.push(c);
    else flush();
  }
  flush();
  if (!best) return null;
  const w = best.reduce((s, r) => s + r.n, 0);
  return { row: best.reduce((s, r) => s + r.y * r.n, 0) / w, rows: best.length };
}

/**
 * A line series (no markers) at pixel column `cx`: the rows of the colour in columns cx±1; the value is
 * their median row, the half-spread of the band (a noisy curve oscillates) is returned as `spread`.
 */
export function findLine(img, frame, rgb, cx, opts = {}) {
  const tol = opts.tolerance ?? 60;
  const rows = [];
  for (let y = frame.top + 1; y < frame.bottom; y++) {
    for (let x = Math.round(cx) - 1; x <= Math.round(cx) + 1; x++) {
      if (x > frame.left && x < frame.right && matches(pixel(img, x, y), rgb, tol)) {
        rows.push(y);
        break;
      }
    }
  }
  if (rows.length === 0) return null;
  return { row: rows[Math.floor(rows.length / 2)], rows: rows.length, spread: (rows[rows.length - 1] - rows[0]) / 2 };
}

/**
 * Digitise one panel: gridlines → axis maps, then one marker per expected x of each series.
 * `panel` = {xTicks, yTicks, xScale, yScale, series: [{name, colour, xs}]}; returns points with
 * the ±1-pixel uncertainty in y's units (absolute, upper side on log axes).
 */
export function digitisePanel(img, frame, panel) {
  const gx = findGridlines(img, frame, "x");
  const gy = panel.yGridlines ?? findGridlines(img, frame, "y");
  const xmap = axisMap(gx, panel.xTicks, panel.xScale ?? "linear");
  // pixel rows grow downwards: list y gridlines bottom-to-top to pair with increasing tick values
  const ymap = axisMap([...gy].reverse(), panel.yTicks, panel.yScale ?? "linear");
  const legends = findLegendBoxes(img, frame);
  const points = [];
  const missing = [];
  for (const s of panel.series) {
    const rgb = hexColour(s.colour);
    for (const x of s.xs) {
      const cx = xmap.toPixel(x);
      if (cx <= frame.left || cx >= frame.right) {
        missing.push({ series: s.name, x, why: "outside the frame" });
        continue;
      }
      const m = s.line ? findLine(img, frame, rgb, cx) : findMarker(img, frame, rgb, cx, { ...(s.marker ?? {}), exclude: legends });
      if (!m) {
        missing.push({ series: s.name, x, why: "no marker of this colour (hidden or clipped)" });
        continue;
      }
      points.push({ series: s.name, x, y: ymap.toData(m.row), px: cx, py: m.row, rows: m.rows, spread: m.spread ?? 0, line: Boolean(s.line) });
    }
  }
  // ±1 pixel plus the gridlines' misfit, plus the rows a partly hidden marker lacks against the
  // series' typical marker height (its centre can be off by that much)
  for (const s of panel.series) {
    const mine = points.filter((p) => p.series === s.name);
    const rows = mine.map((p) => p.rows).sort((a, b) => a - b);
    const typical = rows[Math.floor(rows.length / 2)] ?? 0;
    for (const p of mine) {
      // markers: rows a partly hidden marker lacks; lines: half the band a noisy curve covers in the column
      const px = 1 + ymap.residualPx + (p.line ? p.spread : Math.max(0, typical - p.rows));
      p.uncertaintyPx = px;
      p.uncertainty = ymap.scale === "log" ? p.y * (10 ** (Math.abs(ymap.slope) * px) - 1) : Math.abs(ymap.slope) * px;
    }
  }
  return { points, missing, gridlines: { x: gx, y: gy }, legends, xmap, ymap };
}
