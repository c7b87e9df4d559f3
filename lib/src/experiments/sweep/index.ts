/** Sweeps: presets × budgets → resumable, shardable JSONL results → tidy CSVs and loaders. */
export * from "./types";
export * from "./budgets";
export * from "./run-id";
export * from "./shard";
export * from "./store";
export * from "./aggregate";
export * from "./csv";
export * from "./merge";
export * from "./load";
export * from "./paths";
export * from "./finalize";
export { runSweep, shardRuns, planTasks, type SweepOptions, type SweepSummary } from "./runner";
export { expandPreset, parsePreset, PRESET_NAMES, PRESET_DESCRIPTIONS, type PresetName } from "../presets";
