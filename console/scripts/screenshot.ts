/**
 * Regenerates docs/console-session.png, the README's picture of a session page: a real server,
 * real daemons, the scripted agent, a tool call waiting for approval from the fake provider.
 * Run: npm run screenshot -w console
 */
import { join } from "node:path";
import { releaseSharedResources } from "@raworc/test-support/shared-resources.js";
import { logInThroughForm, startConsoleFixture } from "../e2e/console-fixture.js";

const out = join(import.meta.dirname, "../../docs/console-session.png");
const fx = await startConsoleFixture();
try {
  const { page, server } = fx;
  page.setDefaultTimeout(60_000);
  await logInThroughForm(page, server.adminPassword);
  const form = page.getByRole("form", { name: "New session" });
  await form.getByLabel("Agent").selectOption("careful");
  await form.locator("input[name=name]").fill("release-notes");
  await form.getByRole("button", { name: "Create" }).click();
  await page.locator(".session-state").filter({ hasText: /^READY$/ }).waitFor();
  fx.fake.reply({ text: ["The release notes need a summary of the three fixes. ", "I will write it to NOTES.md."], usage: { input: 812, output: 41 } });
  await page.locator("textarea[name=message]").fill("Summarise the fixes since v0.3 in NOTES.md");
  await page.getByRole("button", { name: "Send" }).click();
  await page.locator(".turn-end.completed").waitFor();
  fx.fake.reply({ toolCalls: [{ id: "call_notes", name: "write_file", argumentPieces: [JSON.stringify({ path: "NOTES.md", content: "## v0.4\n- Sessions resume after a restart\n- Remix at any turn\n- Web console\n" })] }] });
  await page.locator("textarea[name=message]").fill("Go ahead and write it.");
  await page.getByRole("button", { name: "Send" }).click();
  await page.locator(".approval button", { hasText: "Approve" }).waitFor();
  await page.evaluate("window.scrollTo(0, document.body.scrollHeight)");
  await page.screenshot({ path: out, fullPage: false });
  console.log(`wrote ${out}`);
} finally {
  await fx.close();
  await releaseSharedResources();
}
