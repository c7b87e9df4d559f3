/** Minimal CSV with a `# provenance {json}` first line (RFC 4180 quoting; empty cell = missing). */
import { ConfigError } from "../../errors";

export type Cell = string | number | null;

function cell(v: Cell): string {
  if (v === null || (typeof v === "number" && !Number.isFinite(v))) return "";
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function writeCsv(columns: readonly string[], rows: ReadonlyArray<Record<string, Cell>>, provenance: object): string {
  const lines = [`# provenance ${JSON.stringify(provenance)}`, columns.join(",")];
  for (const r of rows) lines.push(columns.map((c) => cell(r[c] ?? null)).join(","));
  return lines.join("\n") + "\n";
}

function splitLine(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** Parses a CSV written by `writeCsv`: provenance object, header, rows of raw strings. */
export function parseCsv(text: string, file: string): { provenance: Record<string, unknown>; columns: string[]; rows: string[][] } {
  const lines = text.split("\n").filter((l) => l !== "");
  let provenance: Record<string, unknown> = {};
  if (lines[0]?.startsWith("# provenance ")) {
    provenance = JSON.parse(lines.shift()!.slice("# provenance ".length)) as Record<string, unknown>;
  }
  const header = lines.shift();
  if (header === undefined) throw new ConfigError(`${file} has no header line: not a results CSV`);
  return { provenance, columns: splitLine(header), rows: lines.map(splitLine) };
}
