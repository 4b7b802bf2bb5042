/**
 * Which script a session's `node` runs: the bundle of agent-runtime's current sources (see
 * daemon-bundle.ts), checked for freshness before every spawn. Where the sources are not
 * installed, the package's `raworc-agent` bin (which then runs its prebuilt bundle); where
 * esbuild is not installed (a production install of a checkout), the bin through tsx, which is
 * slower but equally fresh.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { ConfigurationError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import { ensureDaemonBundle, type DaemonBundle } from "./daemon-bundle.js";

/** Finds the daemon script to spawn now; the key names the code version (warm daemons of another key are stale). */
export type DaemonEntryResolver = () => Promise<DaemonBundle>;

function agentRuntimeDir(): string {
  try {
    // require.resolve rather than import.meta.resolve, which tsx's transform does not provide.
    return dirname(createRequire(import.meta.url).resolve("@raworc/agent-runtime/package.json"));
  } catch (err) {
    throw new ConfigurationError("cannot find the raworc-agent daemon (@raworc/agent-runtime); install it or set the daemon entry", { cause: err });
  }
}

/** The `raworc-agent` bin of the installed @raworc/agent-runtime; throws a ConfigurationError when it is not installed. */
export function defaultDaemonEntry(): string {
  const bin = join(agentRuntimeDir(), "bin", "raworc-agent.js");
  if (!existsSync(bin)) throw new ConfigurationError(`cannot find the raworc-agent daemon at ${bin}`);
  return bin;
}

/** A fixed script (tests' stand-ins, an operator's choice): always the same key. */
export function fixedDaemonEntry(entry: string): DaemonEntryResolver {
  const bundle = { entry, key: `fixed:${entry}` };
  return () => Promise.resolve(bundle);
}

/**
 * The bundled daemon of the installed agent-runtime, kept in `agent-runtime/node_modules/.cache`
 * (below the node_modules its packages load from). Concurrent calls share one check.
 */
export function bundledDaemonEntry(logger: Logger): DaemonEntryResolver {
  const dir = agentRuntimeDir();
  const bin = defaultDaemonEntry();
  const source = join(dir, "src", "main.ts");
  if (!existsSync(source)) return fixedDaemonEntry(bin);
  const options = { source, cacheDir: join(dir, "node_modules", ".cache", "raworc-agent") };
  let pending: Promise<DaemonBundle> | undefined;
  let fallback: DaemonBundle | undefined;
  return () => {
    if (fallback) return Promise.resolve(fallback);
    pending ??= ensureDaemonBundle(options)
      .catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND") throw err;
        logger.warn("esbuild is not installed: daemons run their TypeScript sources through tsx (slower to start, larger)");
        fallback = { entry: bin, key: "tsx" };
        return fallback;
      })
      .finally(() => (pending = undefined));
    return pending;
  };
}
