// The course's kernel (kernel.json → lib/scripts/tslab-kernel.cjs) answers kernel_info however early the request
// comes and however loaded the machine is: 16 kernels, 4 at a time, under 2 busy loops per core, each sent one
// kernel_info_request queued before the kernel starts (test/infra/kernels.mjs). tslab's own `tslab kernel` loses
// requests this way (`node test/infra/kernels.mjs --unpatched`): it serves its sockets before they are bound.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { stressKernels } from "../../infra/kernels.mjs";
import { kernelArgv, registerKernel } from "../../../lib/scripts/jupyter.mjs";

type Result = { index: number; answered: boolean; reason: string; stderr: string; language?: string };

test("the registered kernel is the course's launcher", () => {
  const { file } = registerKernel();
  const spec = JSON.parse(readFileSync(file, "utf8")) as { argv: string[] };
  assert.deepEqual(spec.argv, kernelArgv("{connection_file}"));
  assert.match(spec.argv[1], /tslab-kernel\.cjs$/);
});

test("16 kernels started 4 at a time under CPU load all answer kernel_info", { timeout: 30 * 60 * 1000 }, async (t) => {
  const results = (await stressKernels({ kernels: 16, parallel: 4 })) as Result[];
  const failed = results.filter((r) => !r.answered);
  t.diagnostic(`${results.length - failed.length}/${results.length} kernels answered`);
  assert.equal(results.length, 16);
  assert.deepEqual(
    failed.map((r) => `kernel ${r.index}: ${r.reason}\n${r.stderr.slice(0, 800)}`),
    [],
  );
  assert.ok(results.every((r) => r.language === "typescript"), "every reply names the TypeScript kernel");
});
