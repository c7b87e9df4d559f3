/**
 * Backend choice for the training engine: `LORA_BACKEND=auto|tensorflow|wasm|cpu`.
 *
 * `auto` tries `@tensorflow/tfjs-node-gpu` (CUDA), then `@tensorflow/tfjs-node` (native CPU), then the
 * WebAssembly backend, then tfjs's plain JavaScript backend. Asking for `tensorflow` when neither
 * native package is installed throws a `BackendError` naming the package to install: it never
 * silently falls back.
 */
import * as tf from "@tensorflow/tfjs";
import { BackendError } from "../errors";

export type BackendRequest = "auto" | "tensorflow" | "wasm" | "cpu";

/** What the training engine runs on. */
export interface BackendInfo {
  /** tfjs backend name: `tensorflow`, `wasm` or `cpu`. */
  name: string;
  /** The npm package that provides it. */
  package: string;
  /** Version of `@tensorflow/tfjs-core` in use. */
  tfjsVersion: string;
  /** Whether training runs on a GPU (only with `@tensorflow/tfjs-node-gpu` and a CUDA device). */
  gpu: boolean;
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
  if (v === "tensorflow" || v === "wasm" || v === "cpu") return v;
  throw new BackendError(
    `LORA_BACKEND=${value} is not a backend: use auto, tensorflow, wasm or cpu`,
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
    return { name: "tensorflow", package: pkg, tfjsVersion: tf.version_core, gpu: nativeHasGpu(pkg), requested };
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
  return { name: "wasm", package: "@tensorflow/tfjs-backend-wasm", tfjsVersion: tf.version_core, gpu: false, requested };
}

async function useCpu(requested: BackendRequest): Promise<BackendInfo> {
  await tf.setBackend("cpu");
  return { name: "cpu", package: "@tensorflow/tfjs-backend-cpu", tfjsVersion: tf.version_core, gpu: false, requested };
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
  if (request !== undefined && !(["auto", "tensorflow", "wasm", "cpu"] as unknown[]).includes(request)) {
    throw new BackendError(`initBackend(${JSON.stringify(request)}): not a backend: use auto, tensorflow, wasm or cpu`);
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

/** The backend in use (initialising it with `LORA_BACKEND` if needed): name, tfjs version, GPU. */
export async function backendInfo(): Promise<BackendInfo> {
  return initBackend();
}

export { tf };
