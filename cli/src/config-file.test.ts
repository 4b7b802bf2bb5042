import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { configPath, loadConfig, saveConfig, type CliConfig } from "./config-file.js";
import { UsageError } from "./errors.js";

describe("config file", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "raworc-cli-config-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const sample: CliConfig = {
    currentContext: "local",
    contexts: { local: { server: "http://127.0.0.1:9000", token: "t0k3n", username: "admin" } },
  };

  it("lives at RAWORC_CONFIG when set, else ~/.raworc/config.yaml", () => {
    assert.equal(configPath({ RAWORC_CONFIG: "/x/y.yaml" }), "/x/y.yaml");
    assert.equal(configPath({}), join(homedir(), ".raworc", "config.yaml"));
  });

  it("is written as YAML with mode 0600 in a new 0700 directory, and reads back the same", async () => {
    const path = join(dir, "nested", "config.yaml");
    await saveConfig(sample, path);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, "nested"))).mode & 0o777, 0o700);
    assert.deepEqual(parse(await readFile(path, "utf8")), sample);
    assert.deepEqual(await loadConfig(path), sample);
  });

  it("is replaced by a rename, leaving no temp file and no looser mode behind", async () => {
    const path = join(dir, "config.yaml");
    await writeFile(path, "contexts: {}\n", { mode: 0o644 });
    const before = await stat(path);
    await saveConfig(sample, path);
    const after = await stat(path);
    assert.notEqual(after.ino, before.ino, "a new file was renamed over the old one");
    assert.equal(after.mode & 0o777, 0o600);
    assert.deepEqual(await readdir(dir), ["config.yaml"]);
  });

  it("reads a missing file as no contexts", async () => {
    assert.deepEqual(await loadConfig(join(dir, "absent.yaml")), { contexts: {} });
  });

  it("rejects malformed YAML and wrong shapes with a message naming the file", async () => {
    const path = join(dir, "config.yaml");
    await writeFile(path, "contexts: [unclosed\n");
    await assert.rejects(loadConfig(path), (e: unknown) => e instanceof UsageError && e.message.startsWith(`${path} is not valid YAML`));
    await writeFile(path, "contexts:\n  local: {token: x}\n");
    await assert.rejects(loadConfig(path), (e: unknown) => e instanceof UsageError && e.message === `${path}: context local has no server`);
  });
});
