import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { parseBackendRequest } from "../../../lib/src/tf/backend";
import { BackendError } from "../../../lib/src/errors";

function probe(env: Record<string, string>): { status: number | null; out: string } {
  const code = `
    const { initBackend } = require("./lib/src/tf/backend");
    initBackend().then((i) => { console.log(JSON.stringify(i)); }, (e) => { console.log("ERR " + e.name + ": " + e.message); process.exit(3); });`;
  const r = spawnSync(process.execPath, ["--import", "tsx", "-e", code], { env: { ...process.env, ...env }, encoding: "utf8" });
  return { status: r.status, out: r.stdout + r.stderr };
}

test("LORA_BACKEND values parse, anything else is a BackendError naming the choices", () => {
  assert.equal(parseBackendRequest(undefined), "auto");
  assert.equal(parseBackendRequest(" WASM "), "wasm");
  assert.throws(() => parseBackendRequest("gpu"), (e: unknown) => e instanceof BackendError && /use auto, tensorflow, wasm, cpu or webgpu/.test(e.message));
});

const nativeInstalled = (() => {
  for (const p of ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"]) {
    try { require.resolve(p); return true; } catch { /* not installed */ }
  }
  return false;
})();

test("auto picks wasm when no native TensorFlow package is installed", { skip: nativeInstalled ? "a native tfjs package is installed" : false }, () => {
  const r = probe({ LORA_BACKEND: "auto" });
  assert.equal(r.status, 0, r.out);
  const info = JSON.parse(r.out.trim().split("\n").pop() as string);
  assert.equal(info.name, "wasm");
  assert.equal(info.gpu, false);
  assert.match(info.tfjsVersion, /^4\./);
});

test("LORA_BACKEND=tensorflow without the native package fails naming the package and CUDA", { skip: nativeInstalled ? "a native tfjs package is installed" : false }, () => {
  const r = probe({ LORA_BACKEND: "tensorflow" });
  assert.equal(r.status, 3, r.out);
  assert.match(r.out, /BackendError/);
  assert.match(r.out, /@tensorflow\/tfjs-node-gpu/);
  assert.match(r.out, /CUDA/);
});

test("LORA_BACKEND=cpu uses the plain JS backend without printing the tfjs-node banner", () => {
  const code = `
    const { initBackend, tf } = require("./lib/src/tf/backend");
    initBackend().then((i) => { tf.tidy(() => tf.ones([2, 2]).add(1).dataSync()); console.log(i.name); });`;
  const r = spawnSync(process.execPath, ["--import", "tsx", "-e", code], { env: { ...process.env, LORA_BACKEND: "cpu" }, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), "cpu");
  assert.doesNotMatch(r.stdout + r.stderr, /tfjs-node/);
});

test("trainers refuse to run before the backend is chosen (no silent plain-JS fallback)", () => {
  const code = `
    const { makeFNNPair } = require("./lib/src/models/targets");
    const { trainFNNLoRA } = require("./lib/src/tf/fnn-train");
    const { frozen, target } = makeFNNPair({ width: 4, targetDepth: 1, frozenDepth: 2, activation: "relu", bias: true, seed: 0 });
    try { trainFNNLoRA(frozen, target, { rank: 1, steps: 2, seed: 0 }); console.log("trained"); }
    catch (e) { console.log(e.name + ": " + e.message); }`;
  const r = spawnSync(process.execPath, ["--import", "tsx", "-e", code], { encoding: "utf8" });
  assert.match(r.stdout, /BackendError: .*call `await initBackend\(\)`/);
});
