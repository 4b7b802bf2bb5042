import assert from "node:assert/strict";
import { access, constants, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { lintDockerfile, parseDockerfile } from "./dockerfile-lint.js";

const imagesDir = join(dirname(fileURLToPath(import.meta.url)), "..", "images");
const repoRoot = join(imagesDir, "..", "..");

describe("deploy/images", () => {
  for (const name of ["control-plane.Dockerfile", "session.Dockerfile"]) {
    it(`${name} keeps the rules: pinned Node 24 base, multi-stage, non-root, npm ci --omit=dev, HEALTHCHECK, labels`, async () => {
      assert.deepEqual(lintDockerfile(await readFile(join(imagesDir, name), "utf8")), []);
    });

    it(`${name} copies only paths that exist`, async () => {
      for (const copy of parseDockerfile(await readFile(join(imagesDir, name), "utf8")).filter((i) => i.keyword === "COPY" && !i.args.includes("--from"))) {
        const sources = copy.args.split(/\s+/).filter((a) => !a.startsWith("--")).slice(0, -1);
        for (const source of sources) await access(join(repoRoot, source));
      }
    });
  }

  it("the session image runs the daemon under tini, behind the command the runtime uses", async () => {
    const text = await readFile(join(imagesDir, "session.Dockerfile"), "utf8");
    assert.match(text, /apt-get install[^\n]*\\?\n?[^\n]*\btini\b/);
    for (const tool of ["git", "curl", "jq", "ripgrep", "ca-certificates"]) assert.match(text, new RegExp(`\\b${tool}\\b`));
    assert.match(text, /\/usr\/local\/bin\/raworc-agent/);
    const wrapper = await readFile(join(imagesDir, "raworc-agent.sh"), "utf8");
    assert.match(wrapper, /exec \/usr\/bin\/tini -- node/);
    await access(join(imagesDir, "raworc-agent.sh"), constants.X_OK);
  });

  it("the checker refuses what the rules forbid", () => {
    const bad = ["FROM node:latest", "RUN npm install", "RUN apt-get install -y gcc", "CMD node server.js"].join("\n");
    const problems = lintDockerfile(bad).join("\n");
    for (const expected of ["not multi-stage", "not pinned", "no USER", "no HEALTHCHECK", "npm install instead of npm ci", "without --omit=dev", "build tools", "shell form", "org.opencontainers.image.title"]) {
      assert.match(problems, new RegExp(expected.replace(/[.-]/g, "\\$&")));
    }
    assert.deepEqual(lintDockerfile("FROM node:24.21.0-bookworm-slim AS a\nRUN npm ci --omit=dev\nFROM node:24.21.0-bookworm-slim\nUSER root\n").filter((p) => p.includes("runs as")), ["the final stage runs as root"]);
    // A build stage may hold dev dependencies only while the image copies its output, not its node_modules.
    const build = (copy: string) => `FROM node:24.21.0-bookworm-slim AS bundle\nRUN npm ci\nFROM node:24.21.0-bookworm-slim\n${copy}\nUSER 1000\n`;
    assert.deepEqual(lintDockerfile(build("COPY --from=bundle /app/agent-runtime/dist dist")).filter((p) => p.includes("omit")), []);
    assert.deepEqual(lintDockerfile(build("COPY --from=bundle /app/node_modules ./node_modules")).filter((p) => p.includes("omit")), ["line 2: npm ci without --omit=dev"]);
  });
});
