import assert from "node:assert/strict";
import { mkdir, readdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { createEditFileTool } from "./edit-file.js";
import { createListFilesTool } from "./list-files.js";
import { createReadFileTool } from "./read-file.js";
import { createSearchFilesTool } from "./search-files.js";
import { type TempWorkspace, tempWorkspace, toolContext } from "./test-helpers.js";
import { createWriteFileTool } from "./write-file.js";

describe("file tools", () => {
  let t: TempWorkspace;

  beforeEach(async () => {
    t = await tempWorkspace();
    await mkdir(join(t.ws, "src", "deep", "deeper"), { recursive: true });
    await mkdir(join(t.ws, ".raworc"));
    await writeFile(join(t.ws, ".raworc", "state.json"), "needle in daemon state");
    await writeFile(join(t.ws, "src", "a.txt"), "one\ntwo\nthree\nfour\n");
    await writeFile(join(t.ws, "src", "deep", "b.txt"), "needle here\nnothing\nNEEDLE upper\n");
    await writeFile(join(t.ws, "src", "deep", "deeper", "c.txt"), "needle deep\n");
    await writeFile(join(t.outside, "secret.txt"), "needle outside");
    await symlink(t.outside, join(t.ws, "out"));
  });

  afterEach(() => t.dispose());

  describe("read_file", () => {
    const tool = createReadFileTool({ maxFileBytes: 1000 });

    it("reads a whole file and a range of lines", async () => {
      assert.equal((await tool.run({ path: "src/a.txt" }, toolContext(t.ws))).output, "one\ntwo\nthree\nfour\n");
      const range = await tool.run({ path: "src/a.txt", offset: 2, limit: 2 }, toolContext(t.ws));
      assert.deepEqual([range.status, range.output], ["ok", "two\nthree"]);
    });

    it("refuses escapes and .raworc/, and fails on missing, large and binary files", async () => {
      for (const path of ["../outside/secret.txt", "out/secret.txt", ".raworc/state.json", join(t.outside, "secret.txt")]) {
        const result = await tool.run({ path }, toolContext(t.ws));
        assert.equal(result.status, "refused", path);
        assert.doesNotMatch(result.output, /needle/);
      }
      assert.equal((await tool.run({ path: "nope.txt" }, toolContext(t.ws))).output, "no such file or directory");
      await writeFile(join(t.ws, "big.txt"), "x".repeat(1001));
      assert.match((await tool.run({ path: "big.txt" }, toolContext(t.ws))).output, /over the 1000-byte read limit/);
      await writeFile(join(t.ws, "bin"), Buffer.from([1, 0, 2]));
      assert.match((await tool.run({ path: "bin" }, toolContext(t.ws))).output, /binary/);
      assert.equal((await tool.run({ path: 42 }, toolContext(t.ws))).status, "error");
      assert.equal((await tool.run({ path: "src/a.txt", offset: 0 }, toolContext(t.ws))).status, "error");
    });

    it("caps its output with a marker", async () => {
      const result = await tool.run({ path: "src/a.txt" }, toolContext(t.ws, { maxOutputBytes: 5 }));
      assert.equal(result.truncated, true);
      assert.match(result.output, /^one\nt\n\[output truncated: 14 of 19 bytes not shown\]$/);
    });
  });

  describe("write_file", () => {
    const tool = createWriteFileTool({ maxFileBytes: 100 });

    it("writes atomically, creating parents inside the workspace, and keeps no temporary file", async () => {
      const result = await tool.run({ path: "new/dir/f.txt", content: "hello" }, toolContext(t.ws));
      assert.equal(result.status, "ok");
      assert.equal(await readFile(join(t.ws, "new", "dir", "f.txt"), "utf8"), "hello");
      await tool.run({ path: "new/dir/f.txt", content: "again" }, toolContext(t.ws));
      assert.equal(await readFile(join(t.ws, "new", "dir", "f.txt"), "utf8"), "again");
      assert.deepEqual(await readdir(join(t.ws, "new", "dir")), ["f.txt"]);
    });

    it("refuses writes outside, through symlinks out, into .raworc/, and over the size cap", async () => {
      for (const path of ["../outside/w.txt", "out/w.txt", "out/sub/w.txt", ".raworc/state.json", `${t.ws}-evil/w.txt`]) {
        assert.equal((await tool.run({ path, content: "x" }, toolContext(t.ws))).status, "refused", path);
      }
      assert.deepEqual((await readdir(t.outside)).sort(), ["secret.txt"]);
      assert.deepEqual(await readdir(t.evil), []);
      assert.equal(await readFile(join(t.ws, ".raworc", "state.json"), "utf8"), "needle in daemon state");
      assert.match((await tool.run({ path: "big", content: "x".repeat(101) }, toolContext(t.ws))).output, /over the 100-byte/);
      assert.equal((await tool.run({ path: "src", content: "x" }, toolContext(t.ws))).status, "error");
    });
  });

  describe("edit_file", () => {
    const tool = createEditFileTool();

    it("replaces a unique string and keeps the file's mode", async () => {
      await writeFile(join(t.ws, "run.sh"), "echo one\necho two\n", { mode: 0o755 });
      const result = await tool.run({ path: "run.sh", old_string: "one", new_string: "$& uno" }, toolContext(t.ws));
      assert.equal(result.status, "ok");
      assert.equal(await readFile(join(t.ws, "run.sh"), "utf8"), "echo $& uno\necho two\n");
      assert.equal((await stat(join(t.ws, "run.sh"))).mode & 0o777, 0o755);
    });

    it("refuses an ambiguous or missing string unless replace_all, and applies an edit list all or none", async () => {
      await writeFile(join(t.ws, "f.txt"), "a b a\n");
      const ambiguous = await tool.run({ path: "f.txt", old_string: "a", new_string: "c" }, toolContext(t.ws));
      assert.match(ambiguous.output, /occurs 2 times/);
      assert.equal((await tool.run({ path: "f.txt", old_string: "z", new_string: "c" }, toolContext(t.ws))).status, "error");
      await tool.run({ path: "f.txt", old_string: "a", new_string: "c", replace_all: true }, toolContext(t.ws));
      assert.equal(await readFile(join(t.ws, "f.txt"), "utf8"), "c b c\n");
      const failing = await tool.run(
        { path: "f.txt", edits: [{ old_string: "b", new_string: "B" }, { old_string: "missing", new_string: "x" }] },
        toolContext(t.ws),
      );
      assert.match(failing.output, /edit 2: old_string was not found/);
      assert.equal(await readFile(join(t.ws, "f.txt"), "utf8"), "c b c\n");
      const ok = await tool.run(
        { path: "f.txt", edits: [{ old_string: "b", new_string: "B" }, { old_string: "B c", new_string: "D" }] },
        toolContext(t.ws),
      );
      assert.equal(ok.status, "ok");
      assert.equal(await readFile(join(t.ws, "f.txt"), "utf8"), "c D\n");
    });

    it("refuses files outside and in .raworc/", async () => {
      for (const path of ["out/secret.txt", ".raworc/state.json"]) {
        assert.equal((await tool.run({ path, old_string: "needle", new_string: "x" }, toolContext(t.ws))).status, "refused");
      }
      assert.equal(await readFile(join(t.outside, "secret.txt"), "utf8"), "needle outside");
    });
  });

  describe("list_files", () => {
    it("lists recursively to a depth, skips .raworc/ and does not follow symlinks", async () => {
      const tool = createListFilesTool();
      const result = await tool.run({ depth: 2 }, toolContext(t.ws));
      assert.deepEqual(result.output.split("\n"), ["out@", "src/", "src/a.txt", "src/deep/"]);
      const deep = await tool.run({ path: "src", depth: 5 }, toolContext(t.ws));
      assert.deepEqual(deep.output.split("\n"), ["src/a.txt", "src/deep/", "src/deep/b.txt", "src/deep/deeper/", "src/deep/deeper/c.txt"]);
      assert.equal((await tool.run({ path: "out" }, toolContext(t.ws))).status, "refused");
      assert.equal((await tool.run({ path: ".raworc" }, toolContext(t.ws))).status, "refused");
    });

    it("stops at the entry cap", async () => {
      const result = await createListFilesTool({ maxEntries: 2 }).run({ depth: 5 }, toolContext(t.ws));
      assert.equal(result.truncated, true);
      assert.deepEqual(result.output.split("\n"), ["out@", "src/", "[listing stopped at 2 entries]"]);
    });
  });

  describe("search_files", () => {
    const tool = createSearchFilesTool();

    it("finds literal text, never in .raworc/ or through symlinks", async () => {
      const result = await tool.run({ pattern: "needle" }, toolContext(t.ws));
      assert.deepEqual(result.output.split("\n"), ["src/deep/b.txt:1: needle here", "src/deep/deeper/c.txt:1: needle deep"]);
      const ci = await tool.run({ pattern: "needle", case_insensitive: true, path: "src/deep/b.txt" }, toolContext(t.ws));
      assert.deepEqual(ci.output.split("\n"), ["src/deep/b.txt:1: needle here", "src/deep/b.txt:3: NEEDLE upper"]);
      assert.equal((await tool.run({ pattern: "needle", path: "out" }, toolContext(t.ws))).status, "refused");
    });

    it("matches RE2 patterns and refuses invalid ones (no backreferences)", async () => {
      const result = await tool.run({ pattern: "^(two|four)$", regex: true }, toolContext(t.ws));
      assert.deepEqual(result.output.split("\n"), ["src/a.txt:2: two", "src/a.txt:4: four"]);
      const bad = await tool.run({ pattern: "(a)\\1", regex: true }, toolContext(t.ws));
      assert.equal(bad.status, "error");
      assert.match(bad.output, /not valid RE2/);
      assert.equal((await tool.run({ pattern: "(.)" }, toolContext(t.ws))).output, "no matches");
    });

    it("caps matches, skips large files and cuts long lines", async () => {
      await writeFile(join(t.ws, "many.txt"), "hit\n".repeat(10));
      await writeFile(join(t.ws, "long.txt"), `hit${"y".repeat(50)}`);
      await writeFile(join(t.ws, "huge.txt"), `hit${"z".repeat(200)}`);
      const capped = createSearchFilesTool({ maxResults: 3, maxFileBytes: 100, maxLineChars: 10 });
      const result = await capped.run({ pattern: "hit", path: "." }, toolContext(t.ws));
      assert.equal(result.truncated, true);
      assert.deepEqual(result.output.split("\n"), ["long.txt:1: hityyyyyyy…", "many.txt:1: hit", "many.txt:2: hit", "[search stopped at 3 matches]"]);
    });
  });
});
