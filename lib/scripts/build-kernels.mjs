// Compiles the fused engines' kernels (AssemblyScript, lib/src/fast/kernels/) to one WebAssembly
// SIMD module, lib/dist/fast/kernels.wasm, which lib/src/fast/arena.ts loads. Run by `npm run build`
// after tsc. Checks what the loader relies on (valid SIMD module; imports exactly env.memory;
// exports the five kernels; no data segments that would overwrite the arena) and writes the
// file through a temporary name and a rename. Exit status 1 on a compile error, 2 on a module
// that fails a check.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const lib = dirname(dirname(fileURLToPath(import.meta.url)));
const entry = join(lib, "src", "fast", "kernels", "index.ts");
const out = join(lib, "dist", "fast", "kernels.wasm");
const KERNELS = ["adam", "gemm", "reluMask", "softmax", "squaredError"];

// The compiler's command line (its JavaScript API's types would leak into the project's typecheck).
const asc = join(dirname(createRequire(import.meta.url).resolve("assemblyscript/package.json")), "bin", "asc.js");
const work = mkdtempSync(join(tmpdir(), "kernels-"));
const compiled = spawnSync(
  process.execPath,
  [
    asc,
    entry,
    "--outFile", join(work, "kernels.wasm"),
    "--textFile", join(work, "kernels.wat"),
    "-O3", // speed; binaryen keeps IEEE float semantics (no reassociation, no fused multiply-add)
    "--noAssert",
    "--runtime", "stub", // no allocation happens: the kernels only read and write the arena
    "--use", "abort=", // nothing to report: no abort import
    "--importMemory", // env.memory: the arena, created by the loader
    "--noExportMemory",
    "--enable", "simd",
  ],
  { encoding: "utf8" },
);
if (compiled.status !== 0) {
  rmSync(work, { recursive: true, force: true });
  console.error(`build-kernels: AssemblyScript compile failed (status ${compiled.status})\n${compiled.stderr}${compiled.stdout}`);
  process.exit(1);
}
const binary = new Uint8Array(readFileSync(join(work, "kernels.wasm")));
const text = readFileSync(join(work, "kernels.wat"), "utf8");
rmSync(work, { recursive: true, force: true });

function fail(why) {
  console.error(`build-kernels: ${entry} compiled to a module that ${why}`);
  process.exit(2);
}
if (!WebAssembly.validate(binary)) fail("does not validate");
const mod = new WebAssembly.Module(binary);
const imports = WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name}:${i.kind}`);
if (imports.join() !== "env.memory:memory") fail(`imports ${imports.join(", ") || "nothing"} instead of env.memory alone`);
const exports = WebAssembly.Module.exports(mod).map((e) => e.name).sort();
if (exports.join() !== KERNELS.join()) fail(`exports ${exports.join(", ")} instead of ${KERNELS.join(", ")}`);
if (/\(data\b/.test(text)) fail("has data segments (they would be written into the arena)");

mkdirSync(dirname(out), { recursive: true });
const tmp = `${out}.${process.pid}.tmp`;
writeFileSync(tmp, binary);
renameSync(tmp, out);
console.log(`build-kernels: ${out} (${binary.length} bytes: ${KERNELS.join(", ")})`);
