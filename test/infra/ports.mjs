// Free TCP ports for test daemons (Jupyter kernels, a Slurm cluster).
import { createServer } from "node:net";

/** `count` distinct free TCP ports on 127.0.0.1 (held open together, then released). */
export async function freePorts(count) {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise((resolve, reject) => {
      const s = createServer();
      s.once("error", reject);
      s.listen(0, "127.0.0.1", () => resolve(s));
    })),
  );
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}
