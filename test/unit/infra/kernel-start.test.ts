// The course's kernel (kernel.json → lib/scripts/tslab-kernel.cjs) binds all five sockets before it serves any (a
// socket trace shows it; tslab's own `tslab kernel` reads three sockets before any bind completes, at every start:
// `node test/infra/kernels.mjs --trace --unpatched` exits 1), and answers kernel_info however early the request comes
// and however loaded the machine is: 16 kernels, 4 at a time, under 2 busy loops per core, each sent one
// kernel_info_request queued before the kernel starts (test/infra/kernels.mjs; `--unpatched` runs tslab's kernel).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { askKernelInfo, stressKernels } from "../../infra/kernels.mjs";
import { kernelArgv, registerKernel } from "../../../lib/scripts/jupyter.mjs";

type Result = { index: number; answered: boolean; reason: string; stderr: string; language?: string };

test("the registered kernel is the course's launcher", () => {
  const { file } = registerKernel();
  const spec = JSON.parse(readFileSync(file, "utf8")) as { argv: string[] };
  assert.deepEqual(spec.argv, kernelArgv("{connection_file}"));
  assert.match(spec.argv[1], /tslab-kernel\.cjs$/);
});

test("the kernel binds all five sockets before it reads or writes any (traced)", async (t) => {
  // test/infra/trace-sockets.cjs logs each bind and each socket read/write; tslab's own init reads its shell,
  // control and heartbeat sockets before any bind completes, at every start (`kernels.mjs --trace --unpatched`).
  const dir = mkdtempSync(join(tmpdir(), "lora-trace-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const traceFile = join(dir, "trace");
  writeFileSync(traceFile, "");
  const r = (await askKernelInfo(kernelArgv, { traceFile })) as Result;
  assert.equal(r.answered, true, `${r.reason}\n${r.stderr}`);
  const lines = readFileSync(traceFile, "utf8").trim().split("\n");
  assert.equal(lines.filter((l) => l.startsWith("bound ")).length, 5, lines.join("\n"));
  assert.ok(lines.some((l) => l.startsWith("receive on a Router with 5/5")), `no traced read of the shell socket:\n${lines.join("\n")}`);
  assert.deepEqual(lines.filter((l) => l.startsWith("early ")), []);
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
