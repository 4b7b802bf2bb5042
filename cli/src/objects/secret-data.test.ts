import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnvFile, secretDataFromFlags } from "./secret-data.js";

describe("secret values from flags", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "raworc-secret-data-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("reads literals, files (named by path or by key) and env files into one map, with warnings", async () => {
    await writeFile(join(dir, "openai.key"), "sk-file\n");
    await writeFile(join(dir, "llm.env"), "# comment\n\nexport ANTHROPIC_API_KEY='sk-ant'\nMODEL = gpt-x \n");
    const warnings: string[] = [];
    const data = await secretDataFromFlags(
      { fromLiteral: ["A=x=y"], fromFile: [join(dir, "openai.key"), `B=${join(dir, "openai.key")}`], fromEnvFile: [join(dir, "llm.env")] },
      (w) => warnings.push(w),
    );
    assert.deepEqual(data, { A: "x=y", "openai.key": "sk-file\n", B: "sk-file\n", ANTHROPIC_API_KEY: "sk-ant", MODEL: "gpt-x" });
    assert.ok(warnings.some((w) => w.includes("shell history")), "literals are warned about");
    assert.ok(warnings.some((w) => w.includes("ends with a newline")), "a trailing newline is pointed out");
  });

  it("refuses a key given twice, bad keys, missing files, binary files and literals without =", async () => {
    const quiet = () => undefined;
    await assert.rejects(secretDataFromFlags({ fromLiteral: ["A=1", "A=2"] }, quiet), { message: '--from-literal: key "A" is given more than once' });
    await assert.rejects(secretDataFromFlags({ fromLiteral: ["a b=1"] }, quiet), { message: /invalid key "a b"/ });
    await assert.rejects(secretDataFromFlags({ fromLiteral: ["novalue"] }, quiet), { message: /use KEY=VALUE/ });
    await assert.rejects(secretDataFromFlags({ fromFile: [join(dir, "missing")] }, quiet), { message: /no such file/ });
    await writeFile(join(dir, "blob"), Buffer.from([0xff, 0xfe, 0x00]));
    await assert.rejects(secretDataFromFlags({ fromFile: [join(dir, "blob")] }, quiet), { message: /not UTF-8 text/ });
  });

  it("refuses an empty value (an unset variable, an empty file, KEY= in an env file), naming where it came from", async () => {
    const quiet = () => undefined;
    await assert.rejects(secretDataFromFlags({ fromLiteral: ["api-key="] }, quiet), {
      message: "--from-literal: the value of api-key is empty (is the variable it came from unset?); a secret value may not be empty",
    });
    await writeFile(join(dir, "empty.key"), "");
    await assert.rejects(secretDataFromFlags({ fromFile: [`K=${join(dir, "empty.key")}`] }, quiet), {
      message: `--from-file ${join(dir, "empty.key")}: the file is empty (the value of K); a secret value may not be empty`,
    });
    await writeFile(join(dir, "holes.env"), "A=1\nB=\n");
    await assert.rejects(secretDataFromFlags({ fromEnvFile: [join(dir, "holes.env")] }, quiet), {
      message: `--from-env-file ${join(dir, "holes.env")}: the value of B is empty; a secret value may not be empty`,
    });
  });

  it("parses env files line by line, naming the bad line", () => {
    assert.deepEqual(parseEnvFile('A="1 2"\nB=\n', "x.env"), [["A", "1 2"], ["B", ""]]);
    assert.throws(() => parseEnvFile("A=1\njust words\n", "x.env"), { message: "--from-env-file x.env:2: expected KEY=VALUE" });
  });
});
