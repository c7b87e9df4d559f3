// Debian's Chromium driven by playwright-core (no browser download): the flags CI uses, a fresh
// profile per launch, and a record of every request that tries to leave 127.0.0.1.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

export const CHROMIUM = process.env.LORA_CHROMIUM ?? "/usr/bin/chromium";
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Why the browser tests cannot run here, or null. On CI a missing browser is a failure, not a skip. */
export function browserMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const why = `${CHROMIUM} is not installed (apt-get install chromium)`;
  if (process.env.CI) throw new Error(`CI: ${why}`);
  return why;
}

export interface Browser {
  context: BrowserContext;
  /** URLs the pages requested outside localhost (they are aborted). */
  external: string[];
  close(): Promise<void>;
}

const LOCAL = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** Launch Chromium with a fresh user-data-dir; requests leaving localhost are aborted and recorded. */
export async function launch(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "lora-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1100, height: 900 },
  });
  const external: string[] = [];
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === "data:" || url.protocol === "blob:" || LOCAL.has(url.hostname)) return route.continue();
    external.push(route.request().url());
    return route.abort();
  });
  return {
    context,
    external,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
