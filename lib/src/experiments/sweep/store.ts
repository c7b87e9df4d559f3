/**
 * Crash-safe JSONL results files. Line 1 is the provenance; every later line is one complete run
 * record, written with a single `write` of the whole line to a file opened for appending. After a
 * crash (kill -9) the file can end in a partial line only if the process died inside that write;
 * `openStore` drops it (truncating the file to its last newline) before appending again.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError } from "../../errors";
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

/** An append-only results file. */
export class ResultStore {
  private constructor(
    readonly file: string,
    private readonly fd: number,
    readonly done: Map<string, RunRecord>,
    readonly provenance: Provenance,
    readonly truncatedBytes: number,
  ) {}

  /**
   * Opens (or creates) a results file: drops a trailing partial line, writes the provenance line
   * if the file is new, and indexes the completed runs by id (first record of an id wins).
   */
  static open(file: string, provenance: Provenance): ResultStore {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const loaded = loadResultsFile(file);
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
    return new ResultStore(file, fd, done, prov, loaded.partialBytes);
  }

  /** Appends one record as one write of one complete line (no-op for an id already stored). */
  append(record: RunRecord): boolean {
    if (this.done.has(record.id)) return false;
    fs.writeSync(this.fd, JSON.stringify(record) + "\n");
    this.done.set(record.id, record);
    return true;
  }

  close(): void {
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
  }
}
