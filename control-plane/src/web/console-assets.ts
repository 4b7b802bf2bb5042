/**
 * The web console's built files (the @raworc/console package's dist/, made by `npm run build`):
 * index.html at /, the rest at their paths. Names are looked up when asked for, so a rebuild
 * while the server runs is served at once; names under assets/ carry a content hash and are
 * cached for good.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { consolePolicy } from "./content-security.js";
import type { StaticFile, StaticLookup } from "./static-files.js";

/** Where the built console is, or undefined when the package is not installed. */
export function consoleDistDir(): string | undefined {
  try {
    return join(dirname(createRequire(import.meta.url).resolve("@raworc/console/package.json")), "dist");
  } catch {
    return undefined;
  }
}

// One plain name at the top or under assets/: no dot segments, no other directory.
const servable = /^\/(assets\/)?[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** Whether the console has been built into `dir`. */
export function consoleBuilt(dir: string | undefined = consoleDistDir()): boolean {
  return dir !== undefined && existsSync(join(dir, "index.html"));
}

/** Looks up the console's files by URL path; nothing when it has not been built. */
export function consoleFiles(dir: string | undefined = consoleDistDir()): StaticLookup {
  const headers = { "content-security-policy": consolePolicy };
  return (path) => {
    if (!dir) return undefined;
    const name = path === "/" ? "/index.html" : path;
    if (!servable.test(name) || !existsSync(join(dir, name))) return undefined;
    const file: StaticFile = { source: { path: join(dir, name) }, cache: name.startsWith("/assets/") ? "immutable" : "revalidate", headers };
    return file;
  };
}
