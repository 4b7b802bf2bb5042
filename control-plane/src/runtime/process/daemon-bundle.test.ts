/**
 * The bundled daemon: built from the sources as they are now, reused while they are unchanged,
 * rebuilt as soon as any of them changes, and runnable with plain node.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { buildDaemonBundle, ensureDaemonBundle, findFreshDaemonBundle } from "./daemon-bundle.js";

const run = promisify(execFile);
const agentMain = fileURLToPath(new URL("../../../../agent-runtime/src/main.ts", import.meta.url));

describe("daemon bundle", () => {
  let dir: string;
  let source: string;
  let cacheDir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "raworc-daemon-bundle-"));
    await mkdir(join(dir, "src"));
    source = join(dir, "src", "main.ts");
    cacheDir = join(dir, "cache");
    await writeFile(source, `import { greeting } from "./greeting.js";\nconst name: string = "daemon";\nconsole.log(greeting(name));\n`);
    await writeFile(join(dir, "src", "greeting.ts"), `export function greeting(name: string): string {\n  return "hello " + name;\n}\n`);
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const output = async (entry: string) => (await run(process.execPath, [entry])).stdout.trim();

  it("builds a plain-JavaScript bundle that node runs without tsx, and reuses it while the sources are unchanged", async () => {
    assert.equal(await findFreshDaemonBundle(cacheDir), undefined, "nothing is cached yet");
    const first = await ensureDaemonBundle({ source, cacheDir });
    assert.match(first.entry, /\.mjs$/);
    assert.equal(await output(first.entry), "hello daemon");
    const again = await ensureDaemonBundle({ source, cacheDir });
    assert.deepEqual(again, first);
    // A touch (a fresh checkout, a COPY into an image) changes mtimes, not content: still the same bundle.
    const later = new Date(Date.now() + 5_000);
    await utimes(join(dir, "src", "greeting.ts"), later, later);
    assert.deepEqual(await ensureDaemonBundle({ source, cacheDir }), first);
  });

  it("never returns a stale bundle: changing any imported source yields a new bundle that runs the new code", async () => {
    const first = await ensureDaemonBundle({ source, cacheDir });
    // Same size as before, so only the content tells the difference.
    await writeFile(join(dir, "src", "greeting.ts"), `export function greeting(name: string): string {\n  return "howdy " + name;\n}\n`);
    const second = await ensureDaemonBundle({ source, cacheDir });
    assert.notEqual(second.key, first.key);
    assert.equal(await output(second.entry), "howdy daemon");
    // A deleted source makes every bundle that compiled it stale, so the build itself reports the problem.
    await rm(join(dir, "src", "greeting.ts"));
    assert.equal(await findFreshDaemonBundle(cacheDir), undefined);
    await assert.rejects(ensureDaemonBundle({ source, cacheDir }), /greeting/);
  });

  it("two builds of the same sources (two control planes starting at once) agree on one entry", async () => {
    const [a, b] = await Promise.all([buildDaemonBundle({ source, cacheDir }), buildDaemonBundle({ source, cacheDir })]);
    assert.deepEqual(a, b);
    assert.deepEqual((await readdir(cacheDir)).filter((name) => !name.startsWith(".")), [a.key]);
    assert.equal(await output(a.entry), "hello daemon");
  });

  it("bundles the real raworc-agent, which runs under plain node and validates its command line", async () => {
    const bundle = await buildDaemonBundle({ source: agentMain, cacheDir: join(fileURLToPath(new URL("../../../../agent-runtime/node_modules/.cache/raworc-agent-test", import.meta.url))) });
    try {
      const result = await run(process.execPath, [bundle.entry]).then(
        () => ({ code: 0, stderr: "" }),
        (err: { code: number; stderr: string }) => err,
      );
      assert.equal(result.code, 2);
      assert.match(result.stderr, /usage: raworc-agent/);
    } finally {
      await rm(join(bundle.entry, "..", ".."), { recursive: true, force: true });
    }
  });
});
