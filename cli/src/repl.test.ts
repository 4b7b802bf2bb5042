import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { runRepl, splitLine } from "./repl.js";
import { raworcBin } from "./testing/raworc-process.js";

describe("REPL line splitting", () => {
  it("splits words like a shell, with quotes and backslashes", () => {
    assert.deepEqual(splitLine(`  login --username "a b" --context 'x y' c\\ d `), ["login", "--username", "a b", "--context", "x y", "c d"]);
  });

  it("keeps JSON after the method as one argument, quotes and spaces included", () => {
    assert.deepEqual(splitLine(`/api -o yaml AuthService/Login {"username": "admin", "password": "p w"}`), [
      "/api",
      "-o",
      "yaml",
      "AuthService/Login",
      `{"username": "admin", "password": "p w"}`,
    ]);
  });
});

/** Collects a stream's text and waits for it to satisfy a condition. */
function recorder(stream: NodeJS.ReadableStream) {
  let text = "";
  stream.on("data", (d: Buffer | string) => (text += d.toString()));
  return {
    get text() {
      return text;
    },
    async until(test: (text: string) => boolean, what: string, ms = 20_000): Promise<void> {
      const deadline = Date.now() + ms;
      while (!test(text)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got:\n${text}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}

const count = (text: string, what: string) => text.split(what).length - 1;

describe("REPL (against a real server)", function () {
  this.timeout(120_000);
  let server: TestServer;
  let dir: string;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server?.stop());
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "raworc-cli-repl-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("runs typed lines through the same commands: login with a password prompt, whoami, /api, exit", async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out = recorder(stdout);
    const err = recorder(stderr);
    const done = runRepl({ stdin, stdout, stderr, env: { RAWORC_CONFIG: join(dir, "config.yaml") } });
    const type = async (line: string, prompts: number) => {
      await err.until((t) => count(t, "raworc> ") >= prompts, `prompt ${prompts}`);
      stdin.write(`${line}\n`);
    };
    await type(`login --server ${server.url} --username admin`, 1);
    await err.until((t) => t.includes("Password: "), "the password prompt");
    stdin.write(`${server.adminPassword}\n`);
    await type("whoami -o json", 2);
    await type("/api AuthService/WhoAmI {}", 3);
    await type("/api AuthService/Nope {}", 4);
    await type("exit", 5);
    assert.equal(await done, 0);
    assert.match(err.text, /Logged in to .* as admin/);
    const objects = out.text.split(/(?<=^\})\n/m).filter(Boolean).map((s) => JSON.parse(s) as { principal: { name: string } });
    assert.deepEqual(objects.map((o) => o.principal.name), ["admin", "admin"]);
    assert.match(err.text, /raworc: unknown method "AuthService\/Nope"/);
  });

  it("on a real terminal: hides the typed password, completes RPC names with Tab, and exits 0", async function () {
    // `script` (util-linux) gives the CLI a pseudo-terminal, as a user's shell would.
    const child = spawn("script", ["-qfec", raworcBin, "/dev/null"], {
      env: { ...process.env, RAWORC_CONFIG: join(dir, "config.yaml"), TERM: "dumb" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const spawned = await new Promise<boolean>((resolve) => {
      child.once("spawn", () => resolve(true));
      child.once("error", () => resolve(false));
    });
    if (!spawned) this.skip(); // waits for: the `script` command (Debian package bsdutils / util-linux)
    const tty = recorder(child.stdout);
    const exit = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      await tty.until((t) => t.includes("raworc> "), "the first prompt");
      child.stdin.write(`login --server ${server.url} --username admin\r`);
      await tty.until((t) => t.includes("Password: "), "the password prompt");
      const beforePassword = tty.text.length;
      child.stdin.write(`${server.adminPassword}\r`);
      await tty.until((t) => count(t, "raworc> ") >= 2, "the prompt after login");
      assert.ok(!tty.text.slice(beforePassword).includes(server.adminPassword), "the password is not echoed");
      assert.match(tty.text, /Logged in to .* as admin/);

      child.stdin.write("/api raworc.v1.AuthService/Who\t");
      await tty.until((t) => t.includes("raworc.v1.AuthService/WhoAmI"), "the completed method name");
      child.stdin.write(" {}\r");
      await tty.until((t) => /"name": "admin"/.test(t), "the WhoAmI response");
      child.stdin.write("exit\r");
      assert.equal(await exit, 0);
    } finally {
      child.kill();
    }
  });
});
