/**
 * A worker_threads pool for sweeps (one tfjs instance per worker). With one worker the tasks run
 * in this thread instead (no start-up cost; what the tests use).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { executeTask } from "./execute";
import type { RunRecord, RunSpec } from "./types";

export interface WorkerTask {
  task: number;
  specs: RunSpec[];
  historyPoints: number;
}

export type WorkerReply =
  | { type: "record"; task: number; record: RunRecord }
  | { type: "done"; task: number; failures: Array<{ id: string; error: string }> };

export interface PoolCallbacks {
  onRecord: (r: RunRecord) => void;
  onFailure: (f: { id: string; error: string }) => void;
}

/** The worker script next to this file (`.js` when compiled, `.ts` under tsx). */
function workerFile(): string {
  const js = path.join(__dirname, "worker.js");
  return fs.existsSync(js) ? js : path.join(__dirname, "worker.ts");
}

/** Runs every task on `workers` threads; resolves when all are done. */
export async function runPool(tasks: readonly RunSpec[][], workers: number, historyPoints: number, cb: PoolCallbacks): Promise<void> {
  if (workers <= 1) {
    for (const specs of tasks) {
      const out = await executeTask(specs, historyPoints, cb.onRecord);
      out.failures.forEach(cb.onFailure);
    }
    return;
  }
  const file = workerFile();
  const n = Math.min(workers, tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, () =>
      new Promise<void>((resolve, reject) => {
        // Under tsx (tests, `node --import tsx`) the worker registers tsx's require hook first.
        const w = file.endsWith(".ts") ? new Worker(`require("tsx/cjs"); require(${JSON.stringify(file)});`, { eval: true }) : new Worker(file);
        const give = () => {
          if (next >= tasks.length) {
            void w.terminate().then(() => resolve());
            return;
          }
          const i = next++;
          w.postMessage({ task: i, specs: tasks[i], historyPoints } satisfies WorkerTask);
        };
        w.on("message", (m: WorkerReply) => {
          if (m.type === "record") cb.onRecord(m.record);
          else {
            m.failures.forEach(cb.onFailure);
            give();
          }
        });
        w.on("error", reject);
        give();
      }),
    ),
  );
}
