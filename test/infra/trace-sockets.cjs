// Preloaded into a kernel (NODE_OPTIONS=--require) by test/infra/kernels.mjs: records, in the file named by
// LORA_TRACE_SOCKETS, each completed bind ("bound" lines) and every zeromq socket read or write with the
// number of sockets bound when it started ("early ..." when that is fewer than all five). A kernel that serves before it has
// bound everything (tslab 1.0.22's own init) writes "early receive" lines at every start, load or not.
"use strict";
const { appendFileSync } = require("node:fs");
const { createRequire } = require("node:module");
const { join } = require("node:path");

const file = process.env.LORA_TRACE_SOCKETS;
const root = join(__dirname, "..", "..");
const zmq = createRequire(require.resolve("tslab/dist/main.js", { paths: [root] }))("zeromq");
const SOCKETS = 5; // iopub, shell, control, stdin, heartbeat
let bound = 0;
const note = (line) => appendFileSync(file, line + "\n");

// The native methods are read-only on zmq.Socket.prototype: shadow them on the kernel's socket classes.
const base = zmq.Socket.prototype;
for (const cls of [zmq.Publisher, zmq.Router, zmq.Reply]) {
  const define = (name, value) => Object.defineProperty(cls.prototype, name, { value, writable: true, configurable: true });
  const bind = base.bind;
  define("bind", function (address) {
    const p = bind.call(this, address);
    p.then(() => {
      bound++;
      note(`bound ${cls.name} ${address}`);
    }, () => {});
    return p;
  });
  for (const method of ["receive", "send"]) {
    const original = base[method];
    if (typeof original !== "function") continue;
    define(method, function (...args) {
      note(`${bound < SOCKETS ? "early " : ""}${method} on a ${cls.name} with ${bound}/${SOCKETS} sockets bound`);
      return original.apply(this, args);
    });
  }
}
