/**
 * Crash-safe JSONL results files. Line 1 is the provenance; every later line is one complete run
 * record, written with a single `write` of the whole line to a file opened for appending. After a
 * crash (kill -9) the file can end in a partial line only if the process died inside that write;
 * `openStore` drops it (truncating the file to its last newline) before appending again.
 *
 * One writer at a time: `ResultStore.open` takes a lock, `<file>.lock` holding the writer's PID and
 * host, created exclusively. A second sweep on the same file fails at once with `LockError` naming
 * the holder (the sweep CLI exits with status 4). A lock left by a process that no longer runs on
 * this host (killed, crashed) is taken over; one from another host is never taken over (its PID
 * cannot be checked from here): delete it by hand once that sweep is known to be dead.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigError, LockError } from "../../errors";
import type { Provenance, RunRecord } from "./types";

export interface LoadedFile {
  provenance: Provenance | null;
  records: RunRecord[];
  /** Bytes of a trailing partial line that were ignored (and truncated by `openStore`). */
  partialBytes: number;
}

function isProvenance(v: unknown): v is Provenance {
  return typeof v === "object" && v !== null && (v as { kind?: unknown }).kind === "provenance";
}

/** Reads a results file (missing file: empty). Complete lines only; a bad complete line is an error. */
export function loadResultsFile(file: string): LoadedFile {
  if (!fs.existsSync(file)) return { provenance: null, records: [], partialBytes: 0 };
  const text = fs.readFileSync(file, "utf8");
  const end = text.lastIndexOf("\n") + 1;
  const partialBytes = Buffer.byteLength(text.slice(end));
  let provenance: Provenance | null = null;
  const records: RunRecord[] = [];
  const lines = text.slice(0, end).split("\n");
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new ConfigError(`${file}:${i + 1} is not a JSON line: the file was edited by hand or is not a results file`);
    }
    if (isProvenance(v)) provenance ??= v;
    else records.push(v as RunRecord);
  });
  return { provenance, records, partialBytes };
}

/** The lock file of a results file. */
export function lockFile(file: string): string {
  return `${file}.lock`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readLock(lock: string): { pid: number; host: string } | null {
  try {
    const [pid, host] = fs.readFileSync(lock, "utf8").trim().split(/\s+/);
    return { pid: Number(pid), host: host ?? "" };
  } catch {
    return null;
  }
}

/**
 * Takes the lock of `file` for this process; returns its release function. Throws `LockError`
 * when a live process (or one on another host) holds it; takes over a stale lock of a dead process.
 */
export function acquireLock(file: string): () => void {
  const lock = lockFile(file);
  const mine = `${process.pid} ${os.hostname()}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(lock, "wx");
      fs.writeSync(fd, mine);
      fs.closeSync(fd);
      return () => {
        if (readLock(lock)?.pid === process.pid) fs.rmSync(lock, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const holder = readLock(lock);
    if (holder === null) continue; // released meanwhile: try again
    const here = holder.host === os.hostname();
    if (!Number.isInteger(holder.pid) || holder.pid <= 0 || !here || alive(holder.pid)) {
      throw new LockError(
        holder.pid,
        `${file} is locked by process ${holder.pid}${here ? "" : ` on host ${holder.host}`} (${lock}): another sweep is writing it; ` +
          `wait for it, or use another --out${here ? "" : `; if that sweep is dead, delete ${lock}`}`,
      );
    }
    // stale: move it aside atomically, and take over only if what we moved is the dead process's lock
    const aside = `${lock}.stale-${process.pid}`;
    try {
      fs.renameSync(lock, aside);
    } catch {
      continue;
    }
    const moved = readLock(aside);
    if (moved !== null && moved.pid !== holder.pid) {
      fs.renameSync(aside, lock); // another process took it over first: give it back
      throw new LockError(moved.pid, `${file} is locked by process ${moved.pid} (${lock}): another sweep is writing it`);
    }
    fs.rmSync(aside, { force: true });
  }
  throw new LockError(-1, `${file}: could not take the lock ${lock} (it keeps changing hands)`);
}

/** An append-only results file. */
export class ResultStore {
  private constructor(
    readonly file: string,
    private readonly fd: number,
    readonly done: Map<string, RunRecord>,
    readonly provenance: Provenance,
    readonly truncatedBytes: number,
    private readonly release: () => void,
  ) {}

  /**
   * Opens (or creates) a results file: drops a trailing partial line, writes the provenance line
   * if the file is new, and indexes the completed runs by id (first record of an id wins).
   */
  static open(file: string, provenance: Provenance): ResultStore {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const release = acquireLock(file);
    try {
      return ResultStore.openLocked(file, provenance, release);
    } catch (e) {
      release();
      throw e;
    }
  }

  private static openLocked(file: string, provenance: Provenance, release: () => void): ResultStore {
    const loaded = loadResultsFile(file);
    const old = loaded.provenance;
    if (old !== null && (old.preset !== provenance.preset || old.budget !== provenance.budget)) {
      throw new ConfigError(
        `${file} holds results of preset ${old.preset}, budget ${old.budget}, not ${provenance.preset}/${provenance.budget}: use another --out (or the default)`,
      );
    }
    if (loaded.partialBytes > 0) {
      const size = fs.statSync(file).size;
      fs.truncateSync(file, size - loaded.partialBytes);
    }
    const fd = fs.openSync(file, "a");
    const prov = loaded.provenance ?? provenance;
    if (loaded.provenance === null) {
      if (loaded.records.length > 0) throw new ConfigError(`${file} has records but no provenance line: not a results file`);
      fs.writeSync(fd, JSON.stringify(provenance) + "\n");
      fs.fsyncSync(fd);
    }
    const done = new Map<string, RunRecord>();
    for (const r of loaded.records) if (!done.has(r.id)) done.set(r.id, r);
    return new ResultStore(file, fd, done, prov, loaded.partialBytes, release);
  }

  /** Appends one record as one write of one complete line (no-op for an id already stored). */
  append(record: RunRecord): boolean {
    if (this.done.has(record.id)) return false;
    fs.writeSync(this.fd, JSON.stringify(record) + "\n");
    this.done.set(record.id, record);
    return true;
  }

  /** Flushes, closes and releases the lock. */
  close(): void {
    try {
      fs.fsyncSync(this.fd);
      fs.closeSync(this.fd);
    } finally {
      this.release();
    }
  }
}
