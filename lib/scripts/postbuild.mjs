// After `tsc`: make the package's bin scripts executable (tsc writes them 0644), so `npx lora-exp`
// works from a fresh build.
import { chmodSync, existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const lib = dirname(dirname(fileURLToPath(import.meta.url)));
const pkg = JSON.parse(readFileSync(join(lib, "package.json"), "utf8"));
for (const file of Object.values(pkg.bin ?? {})) {
  const path = join(lib, file);
  if (existsSync(path)) chmodSync(path, 0o755);
}
