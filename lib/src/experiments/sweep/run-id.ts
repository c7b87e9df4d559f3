/** Stable run ids: a hash of the canonical (key-sorted) JSON of a run's configuration. */
import { createHash } from "node:crypto";
import type { SweepConfig } from "./types";

/** JSON with object keys sorted at every level (so field order never changes an id). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .filter((k) => obj[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

/** 16 hex digits of SHA-256 over the canonical configuration. */
export function runId(config: SweepConfig): string {
  return createHash("sha256").update(canonicalJson(config)).digest("hex").slice(0, 16);
}
