/**
 * What the console's browser tests and its screenshot script share: a built console, a real
 * control plane with real daemons, a fake OpenAI provider, the test agents, and a Chromium
 * page logged in as admin.
 */
import type { Page } from "playwright-core";
import { AgentService, ModelProvider } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { SecretService } from "@raworc/proto/gen/raworc/v1/secret_pb.js";
import { launchChromium, type Browser } from "@raworc/test-support/chromium.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { startFakeOpenAi, type FakeOpenAi } from "@raworc/test-support/fake-llm/index.js";
import { ensureConsoleBuilt } from "./console-build.js";

/** A reply that tries every way to run script in the page; the console must show it as text. */
export const hostileReply = `Here you go: <img src=x onerror="window.__pwned='img'"> and <script>window.__pwned='script'</script> <a href="javascript:window.__pwned='link'">click</a>`;

/** A running console environment. */
export interface ConsoleFixture {
  readonly server: TestServer;
  readonly fake: FakeOpenAi;
  readonly browser: Browser;
  readonly page: Page;
  /** An admin token, for arranging things through the API. */
  readonly token: string;
  close(): Promise<void>;
}

/** Starts everything and opens the console, not yet logged in. */
export async function startConsoleFixture(): Promise<ConsoleFixture> {
  await ensureConsoleBuilt();
  const fake = await startFakeOpenAi();
  const server = await startTestServer();
  const token = await login(server.url, "admin", server.adminPassword);
  const agents = clientOf(AgentService, server.url, token);
  const scripted = (name: string, steps: { text?: string; delay?: string }[], description: string) =>
    agents.createAgent({
      agent: {
        metadata: { namespace: "default", name },
        spec: {
          description,
          instructions: "Reply as scripted.",
          model: {
            provider: ModelProvider.SCRIPTED,
            scripted: { turns: [{ steps: steps.map((s) => (s.text !== undefined ? { step: { case: "text", value: s.text } } : { step: { case: "delay", value: { nanos: 200_000_000 } } })) }] },
          },
        },
      },
    });
  await scripted("greeter", [{ text: "Hello! " }, { delay: "0.2s" }, { text: "I am a scripted agent, " }, { delay: "0.2s" }, { text: "replying without a model." }], "Greets, streamed in three chunks.");
  await scripted("mischief", [{ text: hostileReply }], "Replies with HTML that must not run.");
  await clientOf(SecretService, server.url, token).createSecret({ secret: { metadata: { namespace: "default", name: "llm" }, data: { "api-key": "sk-console-e2e" } } });
  await agents.createAgent({
    agent: {
      metadata: { namespace: "default", name: "careful" },
      spec: {
        description: "Asks before writing files.",
        instructions: "Ask before touching anything.",
        model: { provider: ModelProvider.OPENAI_COMPATIBLE, name: "fake-model", baseUrl: fake.baseURL, apiKey: { secret: "llm", key: "api-key" } },
        tools: [{ name: "write_file", requireApproval: true }],
      },
    },
  });
  const browser = await launchChromium();
  const page = await browser.context.newPage();
  await page.goto(server.url + "/");
  return {
    server,
    fake,
    browser,
    page,
    token,
    async close() {
      await browser.close();
      await server.stop();
      await fake.close();
    },
  };
}

/** Logs in through the form. */
export async function logInThroughForm(page: Page, password: string): Promise<void> {
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { name: "Sessions" }).waitFor();
}
