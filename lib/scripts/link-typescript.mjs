#!/usr/bin/env node
// postinstall: make node_modules/.bin/tsc (and tsserver) the declared TypeScript (devDependencies.typescript).
// tslab depends on its TypeScript 5.0.4 fork, @tslab/typescript-for-tslab, which also declares `tsc` and
// `tsserver` bins; npm links bins in path order and the first link wins, so `@tslab/…` takes
// node_modules/.bin/tsc before `typescript` does and `npx tsc` would be 5.0.4. The build and typecheck scripts
// call node_modules/typescript/bin/tsc directly; this keeps `npx tsc` (and editors) on the same compiler.
import { existsSync, readFileSync, renameSync, symlinkSync, unlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const typescript = join(root, "node_modules", "typescript");
const bin = join(root, "node_modules", ".bin");

if (process.platform === "win32") {
  // npm writes .cmd shims there, not symlinks; the build scripts do not depend on the link.
  process.exit(0);
}
if (!existsSync(join(typescript, "package.json"))) {
  console.error(`link-typescript: ${typescript} is missing (run npm install)`);
  process.exit(1);
}
const version = JSON.parse(readFileSync(join(typescript, "package.json"), "utf8")).version;
for (const name of ["tsc", "tsserver"]) {
  const link = join(bin, name);
  const target = join("..", "typescript", "bin", name);
  const tmp = `${link}.link-typescript-${process.pid}`;
  if (existsSync(tmp)) unlinkSync(tmp);
  symlinkSync(target, tmp);
  renameSync(tmp, link); // replaces tslab's link in one step
}
console.log(`link-typescript: node_modules/.bin/tsc is TypeScript ${version}`);
