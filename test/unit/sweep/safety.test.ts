// Sweep files are safe (issue 11): one writer per --out (a lock naming the holder's PID, stale
// locks of dead processes taken over), atomic CSV/history/figure writes, aggregate fails on a
// corrupt line, unknown flags and commands are rejected, a --out of another preset or budget is
// refused, --workers is capped at the available cores; EPIPE ends every CLI quietly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LockError, ConfigError } from "../../../lib/src/errors";
import { writeFileAtomic } from "../../../lib/src/experiments/atomic";
import { main as sweepMain, capWorkers } from "../../../lib/src/experiments/sweep-cli";
import { main as figuresMain } from "../../../lib/src/viz/figures-cli";
import { quietOnEpipe } from "../../../lib/src/experiments/cli-run";
import { runMain, type CliMain } from "../cli-capture";
import { EventEmitter } from "node:events";
import { expandPreset } from "../../../lib/src/experiments/presets";
import { writeAggregates } from "../../../lib/src/experiments/sweep/finalize";
import { mergeFiles } from "../../../lib/src/experiments/sweep/merge";
import { makeProvenance } from "../../../lib/src/experiments/sweep/provenance";
import { acquireLock, lockFile, ResultStore } from "../../../lib/src/experiments/sweep/store";
import type { RunRecord, RunSpec } from "../../../lib/src/experiments/sweep/types";

const root = path.resolve(__dirname, "..", "..", "..");
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "sweep-safety-"));
const prov = (preset: string, budget: "quick" | "course" = "quick") => makeProvenance({ preset, budget, backend: "test", shard: "0/1", runsExpected: 0 });

function fake(s: RunSpec, test: number): RunRecord {
  return {
    id: s.id, preset: s.preset, point: s.point, variant: s.variant, method: s.method, frozen: s.frozen, x_name: s.xName, x: s.x,
    seed: s.seed, lr: s.config.lr, weight_decay: s.config.weight_decay, config: s.config, seconds: 1, finished: "",
    result: { test_loss: test, test_shift_loss: test, val_loss: test, best_step: 1, accuracy: null, shift_accuracy: null, history: null, pretrain_steps: 0, status: "ok" },
  };
}

/** Runs a CLI main in-process (stdout lines joined). */
async function capture(main: CliMain, argv: string[]): Promise<{ status: number; out: string; err: string }> {
  const r = await runMain(main, argv);
  return { ...r, out: r.out.join("\n") };
}

/** The PID of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

test("lock: a second writer of one results file fails at once naming the holder's PID; close releases it", () => {
  const file = path.join(tmp(), "linear.quick.jsonl");
  const a = ResultStore.open(file, prov("linear"));
  assert.equal(fs.readFileSync(lockFile(file), "utf8").split(/\s+/)[0], String(process.pid));
  assert.throws(() => ResultStore.open(file, prov("linear")), (e: unknown) => e instanceof LockError && e.holderPid === process.pid && e.message.includes(`process ${process.pid}`));
  a.close();
  assert.equal(fs.existsSync(lockFile(file)), false, "close removes the lock");
  ResultStore.open(file, prov("linear")).close();
});

test("lock: a stale lock of a dead process is taken over; one from another host is not", () => {
  const file = path.join(tmp(), "linear.quick.jsonl");
  fs.writeFileSync(lockFile(file), `${deadPid()} ${os.hostname()}\n`);
  const release = acquireLock(file);
  assert.equal(fs.readFileSync(lockFile(file), "utf8").split(/\s+/)[0], String(process.pid));
  release();
  fs.writeFileSync(lockFile(file), `${deadPid()} some-other-host\n`);
  assert.throws(() => acquireLock(file), (e: unknown) => e instanceof LockError && /on host some-other-host/.test(e.message));
});

test("sweep CLI: a second sweep on a locked --out exits 4 at once naming the holder; nothing is written", async () => {
  const dir = tmp();
  const out = path.join(dir, "linear.quick.jsonl");
  const holder = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
  try {
    fs.writeFileSync(lockFile(out), `${holder.pid} ${os.hostname()}\n`);
    const r = await capture(sweepMain, ["--preset", "linear", "--budget", "quick", "--out", out, "--workers", "1", "--quiet"]);
    assert.equal(r.status, 4, r.err);
    assert.match(r.err, new RegExp(`LockError: .*locked by process ${holder.pid}`));
    assert.equal(fs.existsSync(out), false);
  } finally {
    holder.kill();
  }
});

test("a --out holding another preset's or budget's records is refused (exit 2), not appended to", async () => {
  const dir = tmp();
  const out = path.join(dir, "mine.jsonl");
  const s = ResultStore.open(out, prov("fnn"));
  s.append(fake(expandPreset("fnn", "quick")[0], 0.5));
  s.close();
  const before = fs.readFileSync(out, "utf8");
  assert.throws(() => ResultStore.open(out, prov("linear")), (e: unknown) => e instanceof ConfigError && /preset fnn, budget quick, not linear\/quick/.test(e.message));
  assert.throws(() => ResultStore.open(out, prov("fnn", "course")), (e: unknown) => e instanceof ConfigError && /not fnn\/course/.test(e.message));
  const r = await capture(sweepMain, ["--preset", "linear", "--budget", "quick", "--out", out, "--workers", "1", "--quiet"]);
  assert.equal(r.status, 2, r.err);
  assert.equal(fs.readFileSync(out, "utf8"), before);
  assert.equal(fs.existsSync(lockFile(out)), false, "a refused open releases its lock");
});

test("writeFileAtomic: a failed write (disk full) leaves the previous file intact and no temporary file", () => {
  const dir = tmp();
  const file = path.join(dir, "a.csv");
  writeFileAtomic(file, "good\n");
  const orig = fs.writeFileSync;
  fs.writeFileSync = (() => {
    throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
  }) as typeof fs.writeFileSync;
  try {
    assert.throws(() => writeFileAtomic(file, "half"), /ENOSPC/);
  } finally {
    fs.writeFileSync = orig;
  }
  assert.equal(fs.readFileSync(file, "utf8"), "good\n");
  assert.deepEqual(fs.readdirSync(dir), ["a.csv"]);
});

test("aggregate: a failed CSV write keeps the previous CSV (was: truncated in place)", () => {
  const dir = tmp();
  const specs = expandPreset("linear", "quick");
  const st = ResultStore.open(path.join(dir, "linear.quick.jsonl"), prov("linear"));
  specs.forEach((s) => st.append(fake(s, 0.25)));
  st.close();
  const w = writeAggregates("linear", "quick", dir);
  const good = fs.readFileSync(w.csv, "utf8");
  const orig = fs.writeFileSync;
  let calls = 0;
  fs.writeFileSync = ((...args: Parameters<typeof fs.writeFileSync>) => {
    calls++;
    // write half the text, then fail: what a full disk does
    const [fd, data] = args;
    orig(fd, String(data).slice(0, 100));
    throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
  }) as typeof fs.writeFileSync;
  try {
    assert.throws(() => writeAggregates("linear", "quick", dir), /ENOSPC/);
  } finally {
    fs.writeFileSync = orig;
  }
  assert.ok(calls >= 1);
  assert.equal(fs.readFileSync(w.csv, "utf8"), good);
});

test("sweep aggregate exits 2 on a corrupt middle line; a trailing partial line is the recoverable case (warned, exit 0)", async () => {
  const dir = tmp();
  const prevDir = process.env.LORA_RESULTS_DIR;
  process.env.LORA_RESULTS_DIR = dir;
  try {
    const raw = path.join(dir, "linear.quick.jsonl");
    const specs = expandPreset("linear", "quick");
    const st = ResultStore.open(raw, prov("linear"));
    specs.slice(0, 3).forEach((s) => st.append(fake(s, 0.25)));
    st.close();
    const text = fs.readFileSync(raw, "utf8");
    // a partial last line (a crash inside the append): recoverable
    fs.writeFileSync(raw, text + JSON.stringify(fake(specs[3], 0.5)).slice(0, 30));
    const partial = await capture(sweepMain, ["aggregate", "--preset", "linear", "--budget", "quick"]);
    assert.equal(partial.status, 0, partial.err);
    assert.match(partial.err, /ignored a partial last line \(30 bytes/);
    // a corrupt complete line in the middle: an error, and the CSV is not rewritten
    const csvBefore = fs.readFileSync(path.join(dir, "linear.quick.csv"), "utf8");
    const lines = text.split("\n");
    lines[2] = lines[2].slice(0, 20);
    fs.writeFileSync(raw, lines.join("\n"));
    const corrupt = await capture(sweepMain, ["aggregate", "--preset", "linear", "--budget", "quick"]);
    assert.equal(corrupt.status, 2, corrupt.err);
    assert.match(corrupt.err, /linear\.quick\.jsonl:3 is not a JSON line/);
    assert.equal(fs.readFileSync(path.join(dir, "linear.quick.csv"), "utf8"), csvBefore);
  } finally {
    if (prevDir === undefined) delete process.env.LORA_RESULTS_DIR;
    else process.env.LORA_RESULTS_DIR = prevDir;
  }
});

test("sweep and figures CLIs reject unknown flags, stray arguments and commands with status 2", async () => {
  const bad: Array<[typeof sweepMain, string[], RegExp]> = [
    [sweepMain, ["--preset", "linear", "--budget", "quick", "--shards", "0/3"], /unknown flag --shards/],
    [sweepMain, ["--preset", "linear", "--budgt", "quick"], /unknown flag --budgt/],
    [sweepMain, ["aggregate", "--preset", "linear", "--shard", "0/2"], /unknown flag --shard for sweep aggregate/],
    [sweepMain, ["list", "--workers", "2"], /unknown flag --workers for sweep list/],
    [sweepMain, ["list", "extra"], /unexpected argument "extra"/],
    [sweepMain, ["bogus"], /unknown command bogus/],
    [sweepMain, ["-preset", "linear"], /unexpected argument "-preset"/],
    [sweepMain, ["--quiet=1", "--preset", "linear"], /--quiet takes no value/],
    [figuresMain, ["--budgt", "quick"], /unknown flag --budgt/],
    [figuresMain, ["quick"], /unknown argument quick/],
    [figuresMain, ["--budget", "fast"], /budget/],
  ];
  for (const [main, argv, re] of bad) {
    const r = await capture(main, argv);
    assert.equal(r.status, 2, `${argv.join(" ")}: ${r.err}`);
    assert.match(r.err, re, argv.join(" "));
  }
  const ok = await capture(sweepMain, ["list", "--budget", "quick"]);
  assert.equal(ok.status, 0, ok.err);
});

test("--workers is capped at the available cores, saying so on stderr", async () => {
  const r = await capture(async () => capWorkers(200, 3), []);
  assert.equal(r.status, 3);
  assert.match(r.err, /--workers 200 exceeds the 3 available cores: using 3/);
  const fine = await capture(async () => capWorkers(2, 3), []);
  assert.equal(fine.status, 2);
  assert.equal(fine.err, "");
  assert.equal(await capWorkers(1), 1);
});

test("quietOnEpipe: EPIPE on stdout exits with status 0; any other stream error still throws", () => {
  const stream = new EventEmitter() as unknown as NodeJS.WriteStream;
  quietOnEpipe(stream);
  const exit = process.exit;
  const codes: Array<number | string | null | undefined> = [];
  process.exit = ((code?: number) => {
    codes.push(code);
    return undefined as never;
  }) as typeof process.exit;
  try {
    (stream as unknown as EventEmitter).emit("error", Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
    assert.deepEqual(codes, [0]);
    assert.throws(() => (stream as unknown as EventEmitter).emit("error", Object.assign(new Error("write EIO"), { code: "EIO" })), /EIO/);
  } finally {
    process.exit = exit;
  }
});

for (const [name, cmd] of [
  ["lora-exp", "lib/src/experiments/cli.ts --help"],
  ["lora-exp (a run)", "lib/src/experiments/cli.ts --method ours --width 4 --n_test 10 --batch_size 8"],
  ["sweep", "lib/src/experiments/sweep-cli.ts list --budget quick"],
  ["figures", "lib/src/viz/figures-cli.ts --help"],
] as const) {
  test(`${name} piped into a reader that has gone (EPIPE) ends quietly with status 0`, { timeout: 60_000 }, () => {
    // `true` exits at once, long before the tool (seconds of start-up) writes its first line
    const r = spawnSync("bash", ["-c", `node --import tsx ${cmd} | true; exit "\${PIPESTATUS[0]}"`], { cwd: root, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /EPIPE|Error/);
  });
}

test("merge does not replace a results file another sweep holds", () => {
  const dir = tmp();
  const shard = path.join(dir, "linear.quick.shard-0-of-1.jsonl");
  const st = ResultStore.open(shard, prov("linear"));
  st.append(fake(expandPreset("linear", "quick")[0], 0.5));
  st.close();
  const out = path.join(dir, "linear.quick.jsonl");
  const held = ResultStore.open(out, prov("linear"));
  try {
    assert.throws(() => mergeFiles([shard], out), (e: unknown) => e instanceof LockError);
  } finally {
    held.close();
  }
  assert.equal(mergeFiles([shard], out).records, 1);
});
