/**
 * Atomic file writes: the text goes to a temporary file next to the destination, is flushed to
 * disk, then renamed over it. A failed write (disk full, a crash) leaves the previous file intact
 * and at most a stray `*.tmp-<pid>` file; readers never see a half-written CSV, history or figure.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** Writes `data` to `file` through a temporary file + rename (creating the folder if needed). */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    const fd = fs.openSync(tmp, "w");
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
