/**
 * Notebook display: publish one Jupyter display bundle (several MIME types for one output) through
 * the tslab kernel this code runs in. Outside a kernel (plain Node) the `text/plain` part is printed.
 */

/** A Jupyter display bundle: MIME type → payload (strings, or JSON objects for `+json` types). */
export type MimeBundle = Record<string, string | object>;

interface DisplayMessage {
  data: MimeBundle;
  metadata: Record<string, unknown>;
  transient: { display_id?: string };
}

type WriteDisplayData = (msg: DisplayMessage, update: boolean) => void;

/** The kernel's display writer for the cell being executed, or null outside a tslab kernel. */
function kernelWriter(): WriteDisplayData | null {
  try {
    // tslab keeps the current cell's writer on its jupyter module; the kernel process and this
    // library resolve the same `tslab` package, so they share that module instance.
    const jupyter = require("tslab/dist/jupyter") as { lastWriteDisplayData?: WriteDisplayData | null };
    return jupyter.lastWriteDisplayData ?? null;
  } catch {
    return null;
  }
}

/** Whether this process is a tslab kernel executing a cell. */
export function inNotebook(): boolean {
  return kernelWriter() !== null;
}

/** Show a display bundle; returns the bundle so callers (and tests) can inspect it. */
export function displayBundle(data: MimeBundle, displayId?: string, update = false): MimeBundle {
  const write = kernelWriter();
  if (write === null) {
    const text = data["text/plain"];
    if (typeof text === "string") console.log(text);
    return data;
  }
  write({ data, metadata: {}, transient: displayId === undefined ? {} : { display_id: displayId } }, update);
  return data;
}

let counter = 0;

/**
 * A display that can be overwritten in place (a live progress line, an updating table).
 * `show` creates it the first time and replaces it afterwards.
 */
export function updatableDisplay(): { show(data: MimeBundle): void } {
  const id = `lora-${process.pid}-${Date.now().toString(36)}-${counter++}`;
  let shown = false;
  return {
    show(data: MimeBundle): void {
      displayBundle(data, id, shown);
      shown = true;
    },
  };
}

/** Show Markdown (rendered by Jupyter), with a plain-text copy. */
export function showMarkdown(markdown: string): void {
  displayBundle({ "text/markdown": markdown, "text/plain": markdown });
}

/** Escape text for HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
