#!/usr/bin/env node
// Start Jupyter kernels the way a front end does and check that each answers kernel_info.
//
// The client connects to the kernel's shell socket and queues its kernel_info_request *before* the kernel
// process starts, so the request arrives the moment the shell socket accepts connections — the earliest a
// real front end can send it, and the moment tslab 1.0.22 was not ready for (lib/scripts/tslab-kernel.cjs).
// The request is sent once: a kernel that loses it fails (jupyter_client would resend it each second and
// hide a lost reply until its 60 s limit). Busy-loop processes keep every core loaded meanwhile.
//
// CLI: node test/infra/kernels.mjs [--kernels 16] [--parallel 4] [--load N] [--nice N] [--unpatched] [--trace]
//   --trace starts one kernel with test/infra/trace-sockets.cjs and prints its socket trace.
//   --unpatched starts tslab's own `tslab kernel` instead of the course's launcher (to show the race).
import { spawn } from "node:child_process";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { kernelArgv, projectRoot } from "../../lib/scripts/jupyter.mjs";
import { freePorts } from "./ports.mjs";

const zmq = createRequire(createRequire(join(projectRoot, "package.json")).resolve("tslab/dist/main.js"))("zeromq");
const DELIM = Buffer.from("<IDS|MSG>");
/** Kernel stderr lines that mean a request was lost (the EBUSY race, or a rejected promise tslab only logs). */
export const LOST_REQUEST = /blocked by a bind|EBUSY|UnhandledPromiseRejection|UncaughtException/;

/** The tslab kernel exactly as tslab registers it (no launcher fix). */
export function unpatchedArgv(connectionFile) {
  return [join(projectRoot, "node_modules", ".bin", "tslab"), "kernel", "--config-path", connectionFile];
}

function sign(key, parts) {
  const h = createHmac("sha256", key);
  for (const p of parts) h.update(p);
  return h.digest("hex");
}

/** Busy-loop child processes, one per `n`; returns a function that stops them (each also stops when orphaned). */
export function cpuLoad(n) {
  const loop = "const p = process.ppid; for (let i = 0; ; i++) if ((i & 0xfffff) === 0 && process.ppid !== p) process.exit(0);";
  const children = Array.from({ length: n }, () => spawn(process.execPath, ["-e", loop], { stdio: "ignore" }));
  return () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  };
}

/**
 * Start one kernel with `argvOf(connectionFile)` and send it one kernel_info_request. With `traceFile`, the kernel
 * runs with test/infra/trace-sockets.cjs preloaded, which logs its binds and socket reads/writes there.
 * Resolves { answered, reason, stderr, language } (never rejects); `guardSeconds` only bounds a hang.
 * @param {(connectionFile: string) => string[]} argvOf
 * @param {{ cwd?: string, guardSeconds?: number, niceness?: number, traceFile?: string | null }} [options]
 */
export async function askKernelInfo(argvOf, { cwd = projectRoot, guardSeconds = 180, niceness = 0, traceFile = null } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "lora-kernel-"));
  const [shell, iopub, control, stdin, hb] = await freePorts(5);
  const key = randomBytes(16).toString("hex");
  const file = join(dir, "connection.json");
  writeFileSync(file, JSON.stringify({
    transport: "tcp", ip: "127.0.0.1", key, signature_scheme: "hmac-sha256",
    shell_port: shell, iopub_port: iopub, control_port: control, stdin_port: stdin, hb_port: hb,
  }));
  // Reconnect every millisecond: the request is delivered as soon as the shell port listens.
  const dealer = new zmq.Dealer({ routingId: randomUUID(), linger: 0, reconnectInterval: 1 });
  dealer.connect(`tcp://127.0.0.1:${shell}`);
  const msgId = randomUUID();
  const header = JSON.stringify({ msg_id: msgId, session: randomUUID(), username: "test", date: new Date().toISOString(), msg_type: "kernel_info_request", version: "5.3" });
  const body = [header, "{}", "{}", "{}"];
  const queued = dealer.send([DELIM, sign(key, body), ...body]);

  // The kernel may run at a lower priority than the load (a laptop whose other programs hog the CPU).
  const [cmd, ...args] = niceness > 0 ? ["nice", "-n", String(niceness), ...argvOf(file)] : argvOf(file);
  const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: {
    ...process.env,
    TF_CPP_MIN_LOG_LEVEL: "2",
    ...(traceFile ? { LORA_TRACE_SOCKETS: traceFile, NODE_OPTIONS: `--require ${join(projectRoot, "test", "infra", "trace-sockets.cjs")}` } : {}),
  } });
  let stderr = "";
  let settle;
  const outcome = new Promise((resolve) => (settle = resolve));
  child.stdout.on("data", (d) => (stderr += d)); // tslab logs to both
  child.stderr.on("data", (d) => {
    stderr += d;
    if (LOST_REQUEST.test(stderr)) settle({ answered: false, reason: "the kernel reported a lost request" });
  });
  child.on("exit", (code, signal) => settle({ answered: false, reason: `the kernel exited (${code ?? signal}) before answering` }));
  const guard = setTimeout(() => settle({ answered: false, reason: `no answer within ${guardSeconds} s` }), guardSeconds * 1000);
  queued.then(() => dealer.receive()).then((frames) => {
    const at = frames.findIndex((f) => f.equals(DELIM));
    const parts = frames.slice(at + 2, at + 6).map((f) => f.toString());
    const reply = JSON.parse(parts[0]);
    const parent = JSON.parse(parts[1]);
    const content = JSON.parse(parts[3]);
    if (frames[at + 1].toString() !== sign(key, parts)) settle({ answered: false, reason: "reply with a bad signature" });
    else if (reply.msg_type !== "kernel_info_reply" || parent.msg_id !== msgId) settle({ answered: false, reason: `unexpected reply ${reply.msg_type}` });
    else settle({ answered: true, reason: "", language: content.language_info?.name });
  }, (err) => settle({ answered: false, reason: `socket error: ${err.message}` }));

  const result = await outcome;
  clearTimeout(guard);
  // A lost request is sometimes logged right after the reply; give stderr its last chunk.
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
  dealer.close();
  rmSync(dir, { recursive: true, force: true });
  if (result.answered && LOST_REQUEST.test(stderr)) return { ...result, answered: false, reason: "answered, but the kernel reported a lost request", stderr };
  return { ...result, stderr };
}

/** Start `kernels` kernels, `parallel` at a time, under `load` busy loops; resolves one result per kernel. */
export async function stressKernels({ argvOf = kernelArgv, kernels = 16, parallel = 4, load = 2 * availableParallelism(), niceness = 0, onResult = () => {} } = {}) {
  const stop = cpuLoad(load);
  const results = [];
  try {
    let next = 0;
    const worker = async () => {
      while (next < kernels) {
        const index = next++;
        const r = { index, ...(await askKernelInfo(argvOf, { niceness })) };
        results.push(r);
        onResult(r);
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
  } finally {
    stop();
  }
  return results.sort((a, b) => a.index - b.index);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const unpatched = process.argv.includes("--unpatched");
  const argvOf = unpatched ? unpatchedArgv : kernelArgv;
  if (process.argv.includes("--trace")) {
    const dir = mkdtempSync(join(tmpdir(), "lora-trace-"));
    const traceFile = join(dir, "trace");
    writeFileSync(traceFile, "");
    askKernelInfo(argvOf, { traceFile }).then((r) => {
      const trace = readFileSync(traceFile, "utf8");
      rmSync(dir, { recursive: true, force: true });
      console.log(`${unpatched ? "tslab kernel (unpatched)" : "course launcher"}: ${r.answered ? "answered" : r.reason}\n${trace}`);
      process.exit(/early/.test(trace) ? 1 : 0);
    });
  } else stressKernels({
    argvOf,
    kernels: arg("--kernels", 16),
    parallel: arg("--parallel", 4),
    load: arg("--load", 2 * availableParallelism()),
    niceness: arg("--nice", 0),
    onResult: (r) => console.log(`kernel ${r.index}: ${r.answered ? "answered" : `FAILED: ${r.reason}`}${r.answered ? "" : `\n${r.stderr.slice(0, 600)}`}`),
  }).then((results) => {
    const failed = results.filter((r) => !r.answered).length;
    console.log(`${unpatched ? "tslab kernel (unpatched)" : "course launcher"}: ${results.length - failed}/${results.length} kernels answered kernel_info`);
    process.exit(failed === 0 ? 0 : 1);
  });
}
