// Loaded before every test file (test/run.mjs passes it with --import).
// Property-based tests: under CI (or when FC_SEED is set) fast-check runs with a fixed seed so a run is
// reproducible; locally each run explores new random cases. A failure prints its seed either way:
// re-run with FC_SEED=<seed> to reproduce it.
import { createRequire } from "node:module";
import fcEsm from "fast-check";

const seed = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : process.env.CI === "true" ? 20240507 : undefined;
if (seed !== undefined && Number.isFinite(seed)) {
  // Test files compiled by tsx load fast-check's CommonJS build, a separate instance from the ESM one.
  const fcCjs = createRequire(import.meta.url)("fast-check");
  for (const fc of [fcEsm, fcCjs]) fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
}
