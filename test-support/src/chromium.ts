/**
 * A real headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, for browser
 * tests: a fresh profile directory per launch, removed on close. `npx playwright install`
 * cannot download here, so the system browser is the one used.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { onRelease } from "./shared-resources.js";

/** Where Debian installs Chromium (`apt-get install chromium`). */
export const chromiumPath = "/usr/bin/chromium";

/** Whether the browser is installed; tests say so in their titles when it is not. */
export const chromiumAvailable = existsSync(chromiumPath);

/** A running browser and the profile it owns. */
export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Launches headless Chromium with a fresh profile and a laptop-sized window. */
export async function launchChromium(): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), "raworc-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    viewport: { width: 1366, height: 800 },
  });
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    })());
  onRelease(close);
  return { context, close };
}
