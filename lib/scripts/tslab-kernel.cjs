#!/usr/bin/env node
// The course's Jupyter kernel: tslab's TypeScript kernel, started with every socket bound before any is served.
//
// usage: node lib/scripts/tslab-kernel.cjs --config-path CONNECTION_FILE
//
// Why: tslab 1.0.22 (dist/jupyter.js, ZmqServer.init) starts reading its shell, control and heartbeat sockets
// and only then binds all five sockets concurrently. zeromq marks a socket "blocked" while its bind runs on a
// worker thread, and the socket accepts connections before the main thread learns the bind finished. A
// kernel_info request that arrives in that window makes the kernel send on a blocked socket (the reply on
// shell, or the busy/idle status on iopub): EBUSY "Socket is blocked by a bind or unbind operation", the reply
// is lost, and the client reports "Kernel didn't respond in 60 seconds". On a loaded machine the window is
// wide. Here init binds iopub, shell, control, stdin and heartbeat, waits for all five, and only then starts
// serving; a failed bind (a port taken meanwhile) ends the process with status 1 so the client sees a dead
// kernel at once instead of a silent one.
//
// This file replaces ZmqServer.prototype.init at run time instead of patching node_modules at install, so a
// plain `npm install` (even with --ignore-scripts) gets it and nothing under node_modules is edited.
"use strict";
const { readFileSync } = require("node:fs");
const { createRequire } = require("node:module");
const { dirname, join } = require("node:path");

const projectRoot = dirname(dirname(__dirname));
const tslabMain = require.resolve("tslab/dist/main.js", { paths: [projectRoot] });
const tslabDir = dirname(dirname(tslabMain));
const jupyter = require(join(tslabDir, "dist", "jupyter.js"));
const { startKernel } = require(tslabMain);
const zmq = createRequire(tslabMain)("zeromq");

/** The tslab version this launcher was written against (its ZmqServer fields and methods). */
const WRITTEN_FOR = "1.0.22";

function checkShape(proto) {
  const needed = ["bindSocket", "handleShellMessage", "close"];
  const missing = needed.filter((m) => typeof proto[m] !== "function");
  if (missing.length > 0) {
    throw new Error(
      `tslab's ZmqServer lacks ${missing.join(", ")} (this launcher was written for tslab ${WRITTEN_FOR}); ` +
        `update lib/scripts/tslab-kernel.cjs for the installed tslab`,
    );
  }
}

/** Serve one socket: call `handle` for every message until the socket is closed. */
function serve(sock, handle) {
  (async () => {
    for await (const msgs of sock) handle(msgs);
  })().catch((err) => {
    console.error("tslab-kernel: socket loop ended:", err);
  });
}

/** ZmqServer.init with the sockets bound before they are served (see the header). */
async function init() {
  const cinfo = JSON.parse(readFileSync(this.configPath, "utf-8"));
  this.connInfo = cinfo;
  this.iopub = new zmq.Publisher();
  this.shell = new zmq.Router();
  this.control = new zmq.Router();
  this.stdin = new zmq.Router();
  this.hb = new zmq.Reply();
  try {
    await Promise.all([
      this.bindSocket(this.iopub, cinfo.iopub_port),
      this.bindSocket(this.shell, cinfo.shell_port),
      this.bindSocket(this.control, cinfo.control_port),
      this.bindSocket(this.stdin, cinfo.stdin_port),
      this.bindSocket(this.hb, cinfo.hb_port),
    ]);
  } catch (err) {
    console.error(`tslab-kernel: cannot bind the kernel's sockets (${this.configPath}):`, err);
    process.exit(1);
  }
  serve(this.shell, (msgs) => this.handleShellMessage(this.shell, ...msgs));
  serve(this.control, (msgs) => this.handleShellMessage(this.control, ...msgs));
  // The heartbeat echoes every ping.
  serve(this.hb, (msgs) => this.hb.send(msgs));
}

function parseArgs(argv) {
  let configPath = null;
  let jsKernel = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--config-path" && i + 1 < argv.length) configPath = argv[++i];
    else if (argv[i].startsWith("--config-path=")) configPath = argv[i].slice("--config-path=".length);
    else if (argv[i] === "--js") jsKernel = true;
    else {
      console.error(`tslab-kernel: unknown argument ${JSON.stringify(argv[i])}\nusage: tslab-kernel.cjs --config-path CONNECTION_FILE [--js]`);
      process.exit(2);
    }
  }
  if (configPath === null) {
    console.error("tslab-kernel: --config-path CONNECTION_FILE is required");
    process.exit(2);
  }
  return { configPath, jsKernel };
}

const { configPath, jsKernel } = parseArgs(process.argv.slice(2));
checkShape(jupyter.ZmqServer.prototype);
const version = JSON.parse(readFileSync(join(tslabDir, "package.json"), "utf8")).version;
if (version !== WRITTEN_FOR) {
  console.error(`tslab-kernel: tslab ${version} is installed; this launcher was written for ${WRITTEN_FOR} (check dist/jupyter.js init)`);
}
jupyter.ZmqServer.prototype.init = init;
// enableFindLocal: false — tslab would otherwise load another tslab found above the notebook's folder,
// whose ZmqServer is not the one fixed here.
startKernel({ configPath, enableFindLocal: false, jsKernel, globalVersion: version });
