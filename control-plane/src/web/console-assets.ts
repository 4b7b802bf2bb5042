/**
 * The web console's built files (the @raworc/console package's dist/, made by `npm run build`):
 * index.html at /, everything else at its path. Files are listed once at start; names under
 * assets/ carry a content hash and are cached for good.
 */
import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, sep } from "node:path";
import { consolePolicy } from "./content-security.js";
import type { StaticFile } from "./static-files.js";

/** Where the built console is, or undefined when the package is not installed. */
export function consoleDistDir(): string | undefined {
  try {
    return join(dirname(createRequire(import.meta.url).resolve("@raworc/console/package.json")), "dist");
  } catch {
    return undefined;
  }
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join("/"));
}

/** The console's files keyed by URL path; empty when it has not been built. */
export function consoleFiles(dir: string | undefined = consoleDistDir()): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  if (!dir || !existsSync(join(dir, "index.html"))) return files;
  const headers = { "content-security-policy": consolePolicy };
  for (const name of listFiles(dir)) {
    const file: StaticFile = { source: { path: join(dir, name) }, cache: name.startsWith("assets/") ? "immutable" : "revalidate", headers };
    files.set(name === "index.html" ? "/" : `/${name}`, file);
  }
  return files;
}
