#!/usr/bin/env node
// `npm run execute-notebooks [-- NAME...]`: re-execute notebooks in place so the committed outputs
// match the code (default profile: course; set LORA_PROFILE to change it).
import { join } from "node:path";
import { executeNotebook, findNotebookPython, listNotebooks, notebooksDir } from "./notebooks.mjs";
import { INSTALL_JUPYTER_HINT } from "./jupyter.mjs";

const python = findNotebookPython();
if (python === null) {
  console.error(INSTALL_JUPYTER_HINT.replace("No Jupyter found", "No Python with nbclient found"));
  process.exit(1);
}
const wanted = process.argv.slice(2);
const names = listNotebooks().filter((n) => wanted.length === 0 || wanted.some((w) => n.startsWith(w)));
let failed = 0;
for (const nb of names) {
  const r = await executeNotebook(python, nb, join(notebooksDir, nb), { env: { LORA_PROFILE: process.env.LORA_PROFILE ?? "course" } });
  if (r.kernelRetry !== undefined) console.error(`! ${nb}: the kernel never answered (${r.kernelRetry.message}); started it again once`);
  if (r.ok) console.log(`✔ ${nb} executed in ${r.seconds.toFixed(1)} s`);
  else {
    failed++;
    console.error(`✘ ${nb} failed at cell ${r.error?.cell}: ${r.error?.message}\n${r.error?.source ?? ""}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
