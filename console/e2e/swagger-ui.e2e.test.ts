/**
 * Swagger UI at /docs in a real Chromium: it renders the served document under its CSP with
 * nothing fetched from elsewhere, and "Authorize" then "Try it out" on a unary method works.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { chromiumAvailable, chromiumPath, launchChromium, type Browser } from "@raworc/test-support/chromium.js";
import { login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";

const suite = chromiumAvailable ? describe : describe.skip;

suite(`Swagger UI at /docs in Chromium (needs ${chromiumPath}: apt-get install chromium)`, function () {
  this.timeout(120_000);
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const elsewhere: string[] = [];

  before(async () => {
    server = await startTestServer({ reconcile: false });
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.setDefaultTimeout(30_000);
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("request", (r) => !r.url().startsWith(server.url) && elsewhere.push(r.url()));
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("renders every service from the served document, fetching nothing from elsewhere", async () => {
    await page.goto(`${server.url}/docs`);
    await page.getByRole("heading", { name: /Raworc API/ }).waitFor();
    for (const tag of ["AuthService", "SessionService", "AgentService"]) await page.locator(`#operations-tag-${tag}`).waitFor();
    assert.equal(await page.locator("#operations-tag-RuntimeService").count(), 0);
    assert.deepEqual(elsewhere, []);
    assert.deepEqual(problems, []);
  });

  it("Authorize with a token, then Try it out on WhoAmI answers 200 with the caller", async () => {
    const token = await login(server.url, "admin", server.adminPassword);
    await page.getByRole("button", { name: "Authorize" }).first().click();
    await page.locator(".auth-container input").fill(token);
    await page.locator(".auth-btn-wrapper button.authorize").click();
    await page.locator(".auth-btn-wrapper button.btn-done").click();
    const op = page.locator("#operations-AuthService-AuthService_WhoAmI");
    await op.locator(".opblock-summary").click();
    await op.getByRole("button", { name: "Try it out" }).click();
    await op.locator("textarea.body-param__text").fill("{}");
    await op.getByRole("button", { name: "Execute" }).click();
    const response = op.locator(".live-responses-table .response");
    await response.locator(".response-col_status", { hasText: "200" }).waitFor();
    assert.match((await response.locator(".response-col_description").textContent()) ?? "", /"name": "admin"/);
    assert.deepEqual(problems, []);
  });
});
