/**
 * The daemon as one JavaScript file, so a session process runs plain `node` instead of loading
 * TypeScript through tsx. esbuild bundles agent-runtime's entry and the workspace sources it
 * imports (third-party packages stay external and load from node_modules as before) into a
 * cache entry named by a hash of exactly the source text it compiled. Every lookup checks each
 * recorded source (size and mtime, then content hash when those moved), so an edited source
 * always yields a new bundle: stale daemon code cannot run.
 */
import { createHash, randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, extname, join, relative } from "node:path";

/** A bundle ready to run: `node <entry>`. */
export interface DaemonBundle {
  /** The bundled daemon script. */
  readonly entry: string;
  /** The hash of the sources it was built from (also its directory's name). */
  readonly key: string;
}

/** One source file as it was compiled. */
interface BundleInput {
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly sha256: string;
}

/** What each cache entry records about how it was built. */
interface BundleManifest {
  readonly key: string;
  readonly inputs: readonly BundleInput[];
}

/** Where to find the daemon's sources and where to keep bundles. */
export interface DaemonBundleOptions {
  /** The daemon's TypeScript entry (agent-runtime/src/main.ts). */
  readonly source: string;
  /** Cache directory; it must sit below the node_modules the daemon's packages resolve from. */
  readonly cacheDir: string;
}

// Part of every key: a change of these options or of esbuild itself must not reuse old bundles.
const BUILD_FORMAT = "raworc-agent/esm/node22/split/v2";
const ENTRY_FILE = "raworc-agent.mjs";
const MANIFEST_FILE = "manifest.json";
/** Cache entries kept besides the current one, and for how long at least: a running daemon may still load a lazy chunk of its entry. */
const KEEP_ENTRIES = 4;
const KEEP_MS = 24 * 3600 * 1000;

const sha256 = (data: string | Buffer): string => createHash("sha256").update(data).digest("hex");

/** Whether every recorded source still has the content the bundle was built from. */
async function isFresh(manifest: BundleManifest): Promise<boolean> {
  for (const input of manifest.inputs) {
    const now = await stat(input.path).catch(() => undefined);
    if (!now) return false;
    if (now.size === input.size && now.mtimeMs === input.mtimeMs) continue;
    // Touched or copied (a checkout, a COPY into an image): the content decides.
    const content = await readFile(input.path).catch(() => undefined);
    if (content === undefined || sha256(content) !== input.sha256) return false;
  }
  return true;
}

async function readManifest(dir: string): Promise<BundleManifest | undefined> {
  try {
    const value = JSON.parse(await readFile(join(dir, MANIFEST_FILE), "utf8")) as BundleManifest;
    return typeof value.key === "string" && Array.isArray(value.inputs) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Cache entries, newest first. */
async function cacheEntries(cacheDir: string): Promise<{ dir: string; mtimeMs: number }[]> {
  const names = await readdir(cacheDir).catch(() => []);
  const entries = await Promise.all(
    names
      .filter((name) => /^[0-9a-f]{64}$/.test(name))
      .map(async (name) => ({ dir: join(cacheDir, name), mtimeMs: (await stat(join(cacheDir, name)).catch(() => undefined))?.mtimeMs ?? 0 })),
  );
  return entries.sort((a, b) => b.mtimeMs - a.mtimeMs);
}

/** The newest cache entry whose sources are unchanged, if any. */
export async function findFreshDaemonBundle(cacheDir: string): Promise<DaemonBundle | undefined> {
  for (const { dir } of await cacheEntries(cacheDir)) {
    const manifest = await readManifest(dir);
    if (manifest?.key === basename(dir) && (await isFresh(manifest))) return { entry: join(dir, ENTRY_FILE), key: manifest.key };
  }
  return undefined;
}

const loaders = { ".ts": "ts", ".mts": "ts", ".js": "js", ".mjs": "js", ".json": "json" } as const;

/** Bundles the daemon into a new cache entry (or the identical one another process just wrote) and returns it. */
export async function buildDaemonBundle(options: DaemonBundleOptions): Promise<DaemonBundle> {
  // esbuild is a build tool (a devDependency): loaded only when a bundle must be built.
  const esbuild = await import("esbuild");
  const compiled = new Map<string, Omit<BundleInput, "path">>();
  const outdir = join(options.cacheDir, "pending");
  const result = await esbuild.build({
    entryPoints: { [basename(ENTRY_FILE, ".mjs")]: options.source },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    write: false,
    // Dynamic imports (the provider SDKs' adapters) become chunks loaded on first use, not at start.
    splitting: true,
    outdir,
    outExtension: { ".js": ".mjs" },
    chunkNames: "chunks/[name]-[hash]",
    sourcemap: "linked",
    logLevel: "silent",
    plugins: [
      {
        name: "raworc-daemon-sources",
        setup(build) {
          // Third-party packages load from node_modules at run time, as they did through tsx; only @raworc/* sources are compiled in.
          build.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith("@raworc/") ? undefined : { path: args.path, external: true }));
          // Every compiled file is read here, so the key hashes exactly the text that went into the bundle.
          build.onLoad({ filter: /\.(m?ts|m?js|json)$/ }, async (args) => {
            // stat before read: an edit in between leaves a recorded mtime older than the file, so the next lookup hashes it.
            const before = await stat(args.path);
            const contents = await readFile(args.path);
            compiled.set(args.path, { size: before.size, mtimeMs: before.mtimeMs, sha256: sha256(contents) });
            return { contents, loader: loaders[extname(args.path) as keyof typeof loaders] ?? "js", resolveDir: dirname(args.path) };
          });
        },
      },
    ],
  });
  const inputs: BundleInput[] = [];
  for (const [path, file] of [...compiled].sort(([a], [b]) => a.localeCompare(b))) inputs.push({ path, ...file });
  const key = sha256(JSON.stringify([BUILD_FORMAT, esbuild.version, inputs.map((i) => [i.path, i.sha256])]));
  const manifest: BundleManifest = { key, inputs };

  // Written aside and renamed into place: a reader sees a whole entry or none.
  await mkdir(options.cacheDir, { recursive: true });
  const scratch = join(options.cacheDir, `.build-${randomUUID()}`);
  await mkdir(scratch);
  try {
    for (const file of result.outputFiles) {
      const target = join(scratch, relative(outdir, file.path));
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, file.contents);
    }
    await writeFile(join(scratch, MANIFEST_FILE), `${JSON.stringify(manifest)}\n`);
    await rename(scratch, join(options.cacheDir, key)).catch((err: NodeJS.ErrnoException) => {
      // Another control plane (or test process) built the same sources first: theirs is identical.
      if (err.code !== "ENOTEMPTY" && err.code !== "EEXIST") throw err;
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  await pruneCache(options.cacheDir, key);
  return { entry: join(options.cacheDir, key, ENTRY_FILE), key };
}

async function pruneCache(cacheDir: string, current: string): Promise<void> {
  const older = (await cacheEntries(cacheDir)).filter((e) => basename(e.dir) !== current);
  for (const { dir, mtimeMs } of older.slice(KEEP_ENTRIES)) if (Date.now() - mtimeMs > KEEP_MS) await rm(dir, { recursive: true, force: true });
}

/** The bundle of the daemon's current sources: the cached one when they are unchanged, else a fresh build. */
export async function ensureDaemonBundle(options: DaemonBundleOptions): Promise<DaemonBundle> {
  return (await findFreshDaemonBundle(options.cacheDir)) ?? buildDaemonBundle(options);
}
