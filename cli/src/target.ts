/** Which server a command talks to and with which token: flags, then RAWORC_* variables, then the context. */
import type { Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { configPath, loadConfig, type CliConfig } from "./config-file.js";
import { UsageError } from "./errors.js";
import { commandTraceparent } from "./trace-context.js";

/** The server used when nothing else names one. */
export const defaultServer = "http://127.0.0.1:9000";

/** Options every command accepts. */
export interface GlobalOptions {
  /** `-o, --output`. */
  readonly output?: string;
  /** `--server URL`. */
  readonly server?: string;
  /** `--context NAME`. */
  readonly context?: string;
}

/** A resolved server and credentials. */
export interface Target {
  /** Normalized base URL. */
  readonly server: string;
  /** Bearer token, if any. */
  readonly token: string | undefined;
  /** Where the token came from: the environment, the context, or nowhere. */
  readonly tokenSource: "env" | "context" | undefined;
  /** The context consulted (may not exist yet). */
  readonly contextName: string | undefined;
  /** The config file path and its contents, for commands that update it. */
  readonly configPath: string;
  /** The loaded config. */
  readonly config: CliConfig;
}

/** Normalizes a server URL: adds http:// when no scheme is given and drops trailing slashes. */
export function normalizeServer(value: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`invalid server URL "${value}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`invalid server URL "${value}": use http:// or https://`);
  return url.toString().replace(/\/+$/, "");
}

/** Resolves the target from global options, the environment and the config file; `login` may name a context that does not exist yet. */
export async function resolveTarget(
  options: GlobalOptions,
  env: NodeJS.ProcessEnv = process.env,
  { newContextAllowed = false }: { newContextAllowed?: boolean } = {},
): Promise<Target> {
  const path = configPath(env);
  const config = await loadConfig(path);
  const contextName = options.context ?? config.currentContext;
  if (options.context !== undefined && !newContextAllowed && !config.contexts[options.context]) {
    throw new UsageError(`no context named "${options.context}" (see: raworc config get-contexts)`);
  }
  const context = contextName === undefined ? undefined : config.contexts[contextName];
  const override = options.server ?? (env.RAWORC_SERVER || undefined);
  const server = normalizeServer(override ?? context?.server ?? defaultServer);
  const envToken = env.RAWORC_TOKEN || undefined;
  // A context's token is only ever sent to that context's own server.
  const contextToken = context && context.token && normalizeServer(context.server) === server ? context.token : undefined;
  const token = envToken ?? contextToken;
  const tokenSource = envToken ? "env" : contextToken ? "context" : undefined;
  return { server, token, tokenSource, contextName, configPath: path, config };
}

/** A Connect-protocol transport over HTTP/1.1 to the target, sending its token when it has one. */
export function transportFor(target: Pick<Target, "server" | "token">, env: NodeJS.ProcessEnv = process.env): Transport {
  const { token } = target;
  const traceparent = commandTraceparent(env);
  return createConnectTransport({
    baseUrl: target.server,
    httpVersion: "1.1",
    interceptors:
      token || traceparent
        ? [
            (next) => (req) => {
              if (token) req.header.set("authorization", `Bearer ${token}`);
              if (traceparent) req.header.set("traceparent", traceparent);
              return next(req);
            },
          ]
        : [],
  });
}
