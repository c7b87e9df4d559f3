#!/usr/bin/env node
// `npm run kernel`: register the course's kernel (tslab, started by lib/scripts/tslab-kernel.cjs) into <project>/.jupyter
// and print how to use it.
import { registerKernel, jupyterDataDir } from "./jupyter.mjs";

const { file, name } = registerKernel();
console.log(`Registered kernel "${name}" at ${file}`);
console.log(`Use it with JUPYTER_PATH=${jupyterDataDir} (npm start sets this for you).`);
