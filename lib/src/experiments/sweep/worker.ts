/**
 * Worker thread of the sweep pool: one tfjs instance per worker. Receives tasks (lists of run
 * specs), posts each record as soon as it exists, then a `done` message with the failures.
 */
import { parentPort } from "node:worker_threads";
import { initBackend } from "../../tf/backend";
import { executeTask } from "./execute";
import type { WorkerReply, WorkerTask } from "./pool";

const port = parentPort;
if (port !== null) {
  let chain: Promise<void> = Promise.resolve();
  port.on("message", (task: WorkerTask) => {
    chain = chain.then(async () => {
      await initBackend();
      const out = await executeTask(task.specs, task.historyPoints, (record) => port.postMessage({ type: "record", task: task.task, record } satisfies WorkerReply));
      port.postMessage({ type: "done", task: task.task, failures: out.failures } satisfies WorkerReply);
    }).catch((e: unknown) => {
      port.postMessage({ type: "done", task: task.task, failures: task.specs.map((s) => ({ id: s.id, error: String(e) })) } satisfies WorkerReply);
    });
  });
}
