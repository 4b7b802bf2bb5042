#!/usr/bin/env node
// The installed `raworc-agent` command. In a checkout it runs the TypeScript sources through tsx
// (always the code on disk; the process runtime spawns a freshness-checked bundle instead). An
// image ships the prebuilt bundle and no sources, so the bundle it runs is the one built from them.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

if (existsSync(fileURLToPath(import.meta.resolve("../src/main.ts")))) {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/main.ts");
} else {
  await import("../dist/raworc-agent.mjs");
}
