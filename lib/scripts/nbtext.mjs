#!/usr/bin/env node
// Authoring aid: build a notebook from a plain-text source where cells are separated by lines
// `%% md` and `%% code`, so a notebook can be written (and reviewed) as text.
//   node lib/scripts/nbtext.mjs SOURCE.txt notebooks/NN-name.ipynb
// The notebook gets the course kernel's metadata and no outputs (run `npm run execute-notebooks`).
import { readFileSync, writeFileSync, renameSync } from "node:fs";
import { KERNEL_NAME, KERNEL_DISPLAY_NAME } from "./jupyter.mjs";

export function notebookFromText(text) {
  const cells = [];
  let current = null;
  for (const line of text.split("\n")) {
    const m = /^%% (md|code)\s*$/.exec(line);
    if (m) {
      if (current) cells.push(current);
      current = { kind: m[1], lines: [] };
    } else if (current) current.lines.push(line);
  }
  if (current) cells.push(current);
  return {
    cells: cells.map((c, i) => {
      while (c.lines.length && c.lines[c.lines.length - 1].trim() === "") c.lines.pop();
      while (c.lines.length && c.lines[0].trim() === "") c.lines.shift();
      const source = c.lines.map((l, j) => (j < c.lines.length - 1 ? l + "\n" : l));
      const id = `cell-${String(i).padStart(3, "0")}`;
      return c.kind === "md"
        ? { cell_type: "markdown", id, metadata: {}, source }
        : { cell_type: "code", execution_count: null, id, metadata: {}, outputs: [], source };
    }),
    metadata: {
      kernelspec: { display_name: KERNEL_DISPLAY_NAME, language: "typescript", name: KERNEL_NAME },
      language_info: { codemirror_mode: { mode: "typescript", name: "javascript", typescript: true }, file_extension: ".ts", mimetype: "text/typescript", name: "typescript", version: "5.0" },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

if (process.argv[1] && process.argv[1].endsWith("nbtext.mjs")) {
  const [src, out] = process.argv.slice(2);
  if (!src || !out) {
    console.error("usage: node lib/scripts/nbtext.mjs SOURCE.txt OUT.ipynb");
    process.exit(2);
  }
  const nb = notebookFromText(readFileSync(src, "utf8"));
  writeFileSync(out + ".tmp", JSON.stringify(nb, null, 1) + "\n");
  renameSync(out + ".tmp", out);
  console.log(`wrote ${out} (${nb.cells.length} cells)`);
}
