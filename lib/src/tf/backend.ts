/**
 * Backend choice for the training engine: `LORA_BACKEND=auto|tensorflow|wasm|cpu|webgpu`.
 *
 * `auto` tries `@tensorflow/tfjs-node-gpu` (CUDA), then `@tensorflow/tfjs-node` (native CPU), then the
 * WebAssembly backend, then tfjs's plain JavaScript backend. Asking for `tensorflow` when neither
 * native package is installed throws a `BackendError` naming the package to install: it never
 * silently falls back.
 *
 * `webgpu` (only when asked for; `auto` never loads it) runs tfjs's WebGPU backend on Dawn from the
 * optional npm package `webgpu` (prebuilt, no download at install): it loads the package, asks it
 * for an adapter, exposes it as `navigator.gpu` (which the tfjs backend needs before it is
 * loaded) and registers `@tensorflow/tfjs-backend-webgpu`. A missing package or no usable adapter
 * is a `BackendError` naming what is missing. The adapter is reported (`BackendInfo.adapter`);
 * `gpu` is true only for a hardware adapter (not SwiftShader, llvmpipe/lavapipe or another
 * CPU/fallback adapter). WebGPU reads tensors only asynchronously in Node: train with the `…Async`
 * trainers (`trainFNNLoRAAsync`, …; `lora-exp` and the sweeps use them).
 */
import * as tf from "@tensorflow/tfjs";
import { BackendError } from "../errors";

export type BackendRequest = "auto" | "tensorflow" | "wasm" | "cpu" | "webgpu";

const REQUESTS: readonly BackendRequest[] = ["auto", "tensorflow", "wasm", "cpu", "webgpu"];

/** The WebGPU adapter a `webgpu` backend runs on (from `GPUAdapter.info`). */
export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** `GPUAdapterInfo.isFallbackAdapter`: the implementation says it is a software/fallback adapter. */
  fallback: boolean;
  /** A CPU adapter: a fallback adapter, or one whose names match a known software rasteriser. */
  software: boolean;
}

/** What the training engine runs on. */
export interface BackendInfo {
  /** tfjs backend name: `tensorflow`, `wasm`, `cpu` or `webgpu`. */
  name: string;
  /** The npm package that provides it. */
  package: string;
  /** Version of `@tensorflow/tfjs-core` in use. */
  tfjsVersion: string;
  /**
   * Whether training runs on a GPU: `@tensorflow/tfjs-node-gpu` with a CUDA device, or `webgpu` on
   * a hardware adapter (false on a software adapter such as SwiftShader).
   */
  gpu: boolean;
  /** The WebGPU adapter (`webgpu` only; null on the other backends). */
  adapter: AdapterInfo | null;
  /** What was asked for (`LORA_BACKEND` or the argument of `initBackend`). */
  requested: BackendRequest;
}

const NATIVE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const;

const INSTALL_HINT =
  "install `@tensorflow/tfjs-node-gpu` (NVIDIA GPU: needs Linux x86-64 with CUDA 11.2 and cuDNN 8.1) " +
  "or `@tensorflow/tfjs-node` (native CPU) with `npm install <package>`; both download libtensorflow " +
  "while installing, so they need internet access to storage.googleapis.com";

let current: BackendInfo | null = null;
let pending: Promise<BackendInfo> | null = null;

/** Parse a backend request (e.g. the value of `LORA_BACKEND`); `undefined` and `""` mean `auto`. */
export function parseBackendRequest(value: string | undefined): BackendRequest {
  const v = (value ?? "").trim().toLowerCase();
  if (v === "" || v === "auto") return "auto";
  if ((REQUESTS as readonly string[]).includes(v)) return v as BackendRequest;
  throw new BackendError(
    `LORA_BACKEND=${value} is not a backend: use auto, tensorflow, wasm, cpu or webgpu`,
  );
}

function tryRequire(name: string): boolean {
  try {
    // A native package registers the `tensorflow` backend with tfjs-core when loaded.
    require(name);
    return true;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "MODULE_NOT_FOUND" && String((err as Error).message).includes(name)) return false;
    throw new BackendError(`${name} is installed but failed to load: ${(err as Error).message}`);
  }
}

async function useNative(requested: BackendRequest): Promise<BackendInfo | null> {
  process.env.TF_CPP_MIN_LOG_LEVEL ??= "2";
  for (const pkg of NATIVE_PACKAGES) {
    if (!tryRequire(pkg)) continue;
    if (!(await tf.setBackend("tensorflow"))) {
      throw new BackendError(`${pkg} loaded but the tensorflow backend failed to initialise`);
    }
    return { name: "tensorflow", package: pkg, tfjsVersion: tf.version_core, gpu: nativeHasGpu(pkg), adapter: null, requested };
  }
  return null;
}

function nativeHasGpu(pkg: string): boolean {
  if (pkg !== "@tensorflow/tfjs-node-gpu") return false;
  // tfjs-node-gpu falls back to the CPU kernels when no CUDA device is visible.
  const env = process.env.CUDA_VISIBLE_DEVICES;
  return env === undefined || (env.trim() !== "" && env.trim() !== "-1");
}

async function useWasm(requested: BackendRequest): Promise<BackendInfo | null> {
  if (!tryRequire("@tensorflow/tfjs-backend-wasm")) return null;
  if (!(await tf.setBackend("wasm"))) return null;
  return { name: "wasm", package: "@tensorflow/tfjs-backend-wasm", tfjsVersion: tf.version_core, gpu: false, adapter: null, requested };
}

async function useCpu(requested: BackendRequest): Promise<BackendInfo> {
  await tf.setBackend("cpu");
  return { name: "cpu", package: "@tensorflow/tfjs-backend-cpu", tfjsVersion: tf.version_core, gpu: false, adapter: null, requested };
}

/** The parts of the `webgpu` package (Dawn) used here. */
interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: "low-power" | "high-performance" }): Promise<GpuAdapterLike | null>;
}
interface WebgpuModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}

const WEBGPU_INSTALL =
  "install it with `npm install webgpu` (about 130 MB: Dawn prebuilt for Linux x64/arm64, macOS and Windows; nothing is downloaded at install time; Node >= 20.19)";
const WEBGPU_DRIVERS =
  "a WebGPU adapter needs a GPU driver Dawn accepts (Vulkan on Linux, Metal on macOS, D3D12 on Windows) or, without a GPU, a software Vulkan driver " +
  "(SwiftShader from Debian's chromium-common with libvulkan1: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json)";

/** Names of software rasterisers (CPU adapters) in an adapter's vendor/architecture/device/description. */
const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b/i;

/** What `GPUAdapter.info` says, and whether it is a software (CPU) adapter. */
export function describeAdapter(adapter: GpuAdapterLike): AdapterInfo {
  const i = adapter.info ?? {};
  const info = { vendor: i.vendor ?? "", architecture: i.architecture ?? "", device: i.device ?? "", description: i.description ?? "" };
  const fallback = i.isFallbackAdapter === true || adapter.isFallbackAdapter === true;
  const software = fallback || SOFTWARE_ADAPTER.test(Object.values(info).join(" "));
  return { ...info, fallback, software };
}

/** One line naming an adapter, e.g. `google swiftshader (SwiftShader driver 5.0.0), software`. */
export function adapterName(a: AdapterInfo): string {
  const names = [a.vendor, a.architecture].filter((x) => x !== "").join(" ") || "unnamed adapter";
  const detail = a.description || a.device;
  return `${names}${detail !== "" ? ` (${detail})` : ""}, ${a.software ? "software" : "hardware"}`;
}

function loadWebgpu(): WebgpuModule {
  let mod: unknown;
  try {
    // an ES module: `require` loads it on Node >= 20.19 (require(esm))
    mod = require("webgpu");
  } catch (err) {
    const code = (err as { code?: string }).code;
    const message = String((err as Error).message);
    if (code === "MODULE_NOT_FOUND" && message.includes("'webgpu'")) throw new BackendError(`LORA_BACKEND=webgpu but the \`webgpu\` package is not installed: ${WEBGPU_INSTALL}`);
    if (code === "ERR_REQUIRE_ESM") throw new BackendError(`the \`webgpu\` package is an ES module, which Node ${process.version} cannot require: use Node >= 20.19 (>= 22.12 on Node 22)`);
    throw new BackendError(`the \`webgpu\` package is installed but failed to load: ${message}`);
  }
  const m = mod as Partial<WebgpuModule>;
  if (typeof m.create !== "function" || typeof m.globals !== "object" || m.globals === null) {
    throw new BackendError("the installed `webgpu` package does not export create() and globals: install webgpu 0.6 (`npm install webgpu`)");
  }
  return m as WebgpuModule;
}

/** Makes `gpu` the `navigator.gpu` of this process (Node 21+ has a `navigator` without one). */
function exposeGpu(gpu: GpuLike): void {
  const g = globalThis as { navigator?: object };
  if (g.navigator !== undefined) Object.defineProperty(g.navigator, "gpu", { value: gpu, configurable: true, writable: true });
  else Object.defineProperty(globalThis, "navigator", { value: { gpu }, configurable: true, writable: true });
}

/** Drops `navigator.gpu` again (a live Dawn instance keeps the process from exiting). */
function hideGpu(): void {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (nav !== undefined) delete nav.gpu;
}

/** The adapter of the webgpu backend once initialised (one Dawn instance per process). */
let webgpuAdapter: AdapterInfo | null = null;

async function useWebgpu(requested: BackendRequest): Promise<BackendInfo> {
  const info = webgpuAdapter ?? (await startWebgpu());
  if (!(await tf.setBackend("webgpu"))) throw new BackendError(`the tfjs webgpu backend failed to initialise on the adapter ${adapterName(info)}`);
  webgpuAdapter = info;
  return { name: "webgpu", package: "@tensorflow/tfjs-backend-webgpu", tfjsVersion: tf.version_core, gpu: !info.software, adapter: info, requested };
}

/** Loads Dawn, exposes `navigator.gpu`, registers the tfjs backend; the adapter it will use. */
async function startWebgpu(): Promise<AdapterInfo> {
  const webgpu = loadWebgpu();
  const gpu = webgpu.create([]);
  Object.assign(globalThis, webgpu.globals);
  exposeGpu(gpu);
  // registers the `webgpu` backend (and its flags), which it does only when navigator.gpu exists at load time
  if (!tryRequire("@tensorflow/tfjs-backend-webgpu")) throw new BackendError("LORA_BACKEND=webgpu but @tensorflow/tfjs-backend-webgpu is not installed: run `npm install` (it is a dependency of lora-expressive-power)");
  // the adapter tfjs-backend-webgpu will request (it logs a TypeError and fails when there is none)
  const adapter = await gpu.requestAdapter({ powerPreference: tf.env().getBool("WEBGPU_USE_LOW_POWER_GPU") ? "low-power" : "high-performance" });
  if (adapter === null) {
    hideGpu();
    throw new BackendError(`LORA_BACKEND=webgpu but Dawn found no usable WebGPU adapter on this machine: ${WEBGPU_DRIVERS}`);
  }
  return describeAdapter(adapter);
}

async function select(requested: BackendRequest): Promise<BackendInfo> {
  // Silences tfjs's "install tfjs-node to speed things up" banner; we choose backends ourselves.
  tf.enableProdMode();
  switch (requested) {
    case "tensorflow": {
      const info = await useNative(requested);
      if (info === null) {
        throw new BackendError(`LORA_BACKEND=tensorflow but no native TensorFlow package is installed: ${INSTALL_HINT}`);
      }
      return info;
    }
    case "wasm": {
      const info = await useWasm(requested);
      if (info === null) throw new BackendError("LORA_BACKEND=wasm but @tensorflow/tfjs-backend-wasm failed to initialise");
      return info;
    }
    case "cpu":
      return useCpu(requested);
    case "webgpu":
      return useWebgpu(requested);
    case "auto":
      return (await useNative(requested)) ?? (await useWasm(requested)) ?? useCpu(requested);
  }
}

/**
 * Choose and initialise the tfjs backend once per process (later calls return the same choice).
 * `request` defaults to the `LORA_BACKEND` environment variable, then `auto`. An unknown name
 * throws `BackendError` and leaves the backend in use (if any) unchanged.
 */
export async function initBackend(request?: BackendRequest): Promise<BackendInfo> {
  // an unknown name (from plain JavaScript or a cast) is a BackendError; the backend in use is untouched
  if (request !== undefined && !(REQUESTS as readonly unknown[]).includes(request)) {
    throw new BackendError(`initBackend(${JSON.stringify(request)}): not a backend: use auto, tensorflow, wasm, cpu or webgpu`);
  }
  const requested = request ?? parseBackendRequest(process.env.LORA_BACKEND);
  if (current !== null && (request === undefined || current.requested === requested)) return current;
  if (pending !== null && request === undefined) return pending;
  pending = select(requested).then(
    (info) => {
      current = info;
      pending = null;
      return info;
    },
    (err: unknown) => {
      pending = null;
      throw err;
    },
  );
  return pending;
}

/**
 * Trainers call this: the backend must have been chosen with `await initBackend()` (or
 * `backendInfo()`), otherwise tfjs would silently run on its slow plain-JS backend.
 */
export function requireBackend(): BackendInfo {
  if (current === null) {
    throw new BackendError(
      "the training engine's backend is not initialised: call `await initBackend()` (or `await backendInfo()`) once before training; it reads LORA_BACKEND",
    );
  }
  return current;
}

/** The backend in use (initialising it with `LORA_BACKEND` if needed): name, tfjs version, GPU, WebGPU adapter. */
export async function backendInfo(): Promise<BackendInfo> {
  return initBackend();
}

export { tf };
