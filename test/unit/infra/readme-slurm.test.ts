// The README's Slurm job script ("Clusters") is the committed file npm run test:slurm submits, verbatim.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(__dirname, "..", "..", "..");

test("the README shows lib/scripts/sweep-array.sbatch verbatim", () => {
  const script = readFileSync(join(root, "lib", "scripts", "sweep-array.sbatch"), "utf8");
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/```bash\n(#!\/bin\/bash\n[\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(blocks.length > 0, "no job script (```bash block starting #!/bin/bash) in README.md");
  assert.ok(blocks.includes(script), "README.md's job script differs from lib/scripts/sweep-array.sbatch");
  assert.match(script, /--shard "\$SLURM_ARRAY_TASK_ID\/\$SHARDS"/);
});
