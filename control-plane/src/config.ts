/**
 * The control plane's configuration: flags override `RAWORC_*` environment variables, which
 * override defaults. Validated once at start; an invalid value is a one-line error.
 */
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";
import { ConfigurationError } from "./errors.js";
import { decodeSecretKey } from "./secrets/secret-keys.js";
import type { WebhookSettings } from "./webhooks/dispatcher.js";

/** The validated configuration the server runs with. */
export interface ServerConfig {
  /** Address to listen on. */
  readonly host: string;
  /** Port to listen on; 0 picks a free one. */
  readonly port: number;
  /** Directory for the embedded database, signing keys and the admin password file. */
  readonly dataDir: string;
  /** External PostgreSQL; undefined starts the embedded one in dataDir. */
  readonly databaseUrl: string | undefined;
  /** Most connections the control plane holds to PostgreSQL (API calls, daemon streams, watches and the reconciler share them). */
  readonly databasePoolSize: number;
  /** The bootstrap admin's password on first start; undefined generates one. */
  readonly adminPassword: string | undefined;
  /** A JSON key-set file with the token signing keys; undefined uses dataDir/keys/jwks.json. */
  readonly signingKeysFile: string | undefined;
  /** Lifetime of user tokens, in seconds. */
  readonly tokenTtlSeconds: number;
  /** The `iss` claim of issued tokens. */
  readonly issuer: string;
  /** Largest accepted request message, in bytes (bigger ones get RESOURCE_EXHAUSTED). */
  readonly maxMessageBytes: number;
  /** PEM certificate and key for TLS; both or neither. */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined;
  /** Base64 AES-256 keys for secrets at rest, comma-separated, the first encrypting; beats secretsKeyFile. */
  readonly secretsKey: string | undefined;
  /** A file of base64 secrets keys, one per line; undefined uses (and once creates) dataDir/keys/secrets.key. */
  readonly secretsKeyFile: string | undefined;
  /** Where session daemons run. */
  readonly runtime: "process" | "kubernetes";
  /** How long a READY session may see no message before it is paused, in seconds; 0 = never. */
  readonly sessionIdleTimeoutSeconds: number;
  /** Warm daemons the process runtime keeps loaded for fast session starts (`RAWORC_WARM_POOL`, default 2; 0 = none). */
  readonly warmPool: number;
  /** Daemon crashes in a row tolerated before a session goes FAILED (DaemonCrashLoop). */
  readonly maxDaemonRestarts: number;
  /** Settings of the kubernetes runtime (used when runtime is "kubernetes"). */
  readonly kubernetes: {
    readonly namespace: string;
    readonly image: string;
    readonly storageClassName: string | undefined;
    readonly snapshotClassName: string | undefined;
  };
  /** The URL daemons attach to; undefined means this server's own URL. */
  readonly daemonControlPlaneUrl: string | undefined;
  /** How often each side of a daemon's attach stream sends a heartbeat, in seconds; three missed ones end the stream (a half-open connection). */
  readonly daemonHeartbeatSeconds: number;
  /** Webhook delivery settings (RAWORC_WEBHOOKS_*). */
  readonly webhooks: WebhookSettings;
  /** Origins (scheme://host[:port]) whose web pages may call the API (CORS); "*" allows any; empty allows none. */
  readonly corsOrigins: readonly string[];
  /** Whether GET /openapi.json, /openapi.yaml and /docs (Swagger UI) are served, without authentication. */
  readonly apiDocs: boolean;
  /** Whether the web console is served at /. */
  readonly console: boolean;
  /** pino log level. */
  readonly logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** Whether stopping the server pauses the running sessions (default false: their daemons keep running, and the next start adopts them). */
  readonly stopSessionsOnExit: boolean;
}

/** Flags given on the command line; every field is optional and beats the environment. */
export type ServerFlags = Partial<Pick<ServerConfig, "host" | "port" | "dataDir" | "logLevel" | "stopSessionsOnExit">>;

/**
 * Where data lives by default: ~/.raworc/data for a user; /var/lib/raworc for root, because the
 * embedded PostgreSQL then runs as an unprivileged account that cannot pass through /root.
 */
export function defaultDataDir(): string {
  return process.getuid?.() === 0 ? "/var/lib/raworc" : join(homedir(), ".raworc", "data");
}

const port = z.coerce.number().int().min(0).max(65535);
/** An origin as browsers send it: scheme, host and an optional port; no path, no trailing slash. */
const originPattern = /^https?:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$/;
const schema = z.object({
  host: z.string().min(1).default("127.0.0.1"),
  port: port.default(9000),
  dataDir: z.string().min(1).default(defaultDataDir()),
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
    .optional(),
  databasePoolSize: z.coerce.number().int().min(2).max(1000).default(20),
  adminPassword: z.string().min(12, "must be at least 12 characters").optional(),
  signingKeysFile: z.string().min(1).optional(),
  tokenTtlSeconds: z.coerce.number().int().min(60).max(30 * 24 * 3600).default(12 * 3600),
  issuer: z.string().min(1).default("raworc"),
  maxMessageBytes: z.coerce.number().int().min(1024).max(256 * 1024 * 1024).default(4 * 1024 * 1024),
  tlsCertFile: z.string().min(1).optional(),
  tlsKeyFile: z.string().min(1).optional(),
  secretsKey: z
    .string()
    .refine((v) => v.split(",").every((k) => decodeSecretKey(k) !== undefined), "must be base64 of 32 bytes (comma-separated for several)")
    .optional(),
  secretsKeyFile: z.string().min(1).optional(),
  runtime: z.enum(["process", "kubernetes"]).default("process"),
  sessionIdleTimeoutSeconds: z.coerce.number().int().min(0).max(30 * 24 * 3600).default(1800),
  warmPool: z.coerce.number().int().min(0).max(64).default(2),
  maxDaemonRestarts: z.coerce.number().int().min(0).max(100).default(5),
  kubernetesNamespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label").default("raworc-sessions"),
  sessionImage: z.string().min(1).default("raworc/session:latest"),
  storageClass: z.string().min(1).optional(),
  snapshotClass: z.string().min(1).optional(),
  daemonControlPlaneUrl: z.string().regex(/^https?:\/\//, "must be an http:// or https:// URL").optional(),
  daemonHeartbeatSeconds: z.coerce.number().int().min(1).max(300).default(5),
  webhooksAllowPrivate: z.enum(["0", "1", "false", "true"]).default("0"),
  webhooksTimeoutSeconds: z.coerce.number().min(0.1).max(60).default(15),
  webhooksRetryWindowSeconds: z.coerce.number().min(1).max(30 * 24 * 3600).default(24 * 3600),
  webhooksBackoffInitialMs: z.coerce.number().int().min(1).max(3600_000).default(5000),
  webhooksBackoffMaxSeconds: z.coerce.number().min(0.001).max(24 * 3600).default(3600),
  webhooksConcurrency: z.coerce.number().int().min(1).max(1000).default(16),
  corsOrigins: z
    .string()
    .transform((v) => v.split(",").map((o) => o.trim()).filter((o) => o.length > 0))
    .refine((list) => list.every((o) => o === "*" || originPattern.test(o)), "must be comma-separated origins like https://app.example.com:8443 (scheme, host and port only), or *")
    .default([]),
  apiDocs: z.enum(["public", "off"]).default("public"),
  console: z.enum(["on", "off"]).default("on"),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  stopSessionsOnExit: z
    .union([z.boolean(), z.enum(["true", "false", "1", "0"])], { message: "must be true, false, 1 or 0" })
    .transform((v) => v === true || v === "true" || v === "1")
    .default(false),
});

const envNames: Record<keyof z.input<typeof schema>, string> = {
  host: "RAWORC_HOST",
  port: "RAWORC_PORT",
  dataDir: "RAWORC_DATA_DIR",
  databaseUrl: "RAWORC_DATABASE_URL",
  databasePoolSize: "RAWORC_DATABASE_POOL_SIZE",
  adminPassword: "RAWORC_ADMIN_PASSWORD",
  signingKeysFile: "RAWORC_SIGNING_KEYS_FILE",
  tokenTtlSeconds: "RAWORC_TOKEN_TTL_SECONDS",
  issuer: "RAWORC_ISSUER",
  maxMessageBytes: "RAWORC_MAX_MESSAGE_BYTES",
  tlsCertFile: "RAWORC_TLS_CERT_FILE",
  tlsKeyFile: "RAWORC_TLS_KEY_FILE",
  secretsKey: "RAWORC_SECRETS_KEY",
  secretsKeyFile: "RAWORC_SECRETS_KEY_FILE",
  runtime: "RAWORC_RUNTIME",
  sessionIdleTimeoutSeconds: "RAWORC_SESSION_IDLE_TIMEOUT_SECONDS",
  warmPool: "RAWORC_WARM_POOL",
  maxDaemonRestarts: "RAWORC_MAX_DAEMON_RESTARTS",
  kubernetesNamespace: "RAWORC_KUBERNETES_NAMESPACE",
  sessionImage: "RAWORC_SESSION_IMAGE",
  storageClass: "RAWORC_STORAGE_CLASS",
  snapshotClass: "RAWORC_SNAPSHOT_CLASS",
  daemonControlPlaneUrl: "RAWORC_DAEMON_CONTROL_PLANE_URL",
  daemonHeartbeatSeconds: "RAWORC_DAEMON_HEARTBEAT_SECONDS",
  webhooksAllowPrivate: "RAWORC_WEBHOOKS_ALLOW_PRIVATE",
  webhooksTimeoutSeconds: "RAWORC_WEBHOOKS_TIMEOUT_SECONDS",
  webhooksRetryWindowSeconds: "RAWORC_WEBHOOKS_RETRY_WINDOW_SECONDS",
  webhooksBackoffInitialMs: "RAWORC_WEBHOOKS_BACKOFF_INITIAL_MS",
  webhooksBackoffMaxSeconds: "RAWORC_WEBHOOKS_BACKOFF_MAX_SECONDS",
  webhooksConcurrency: "RAWORC_WEBHOOKS_CONCURRENCY",
  corsOrigins: "RAWORC_CORS_ORIGINS",
  apiDocs: "RAWORC_API_DOCS",
  console: "RAWORC_CONSOLE",
  logLevel: "RAWORC_LOG_LEVEL",
  stopSessionsOnExit: "RAWORC_STOP_SESSIONS_ON_EXIT",
};

/** Builds the configuration from flags and environment, or throws a one-line ConfigurationError. */
export function loadServerConfig(flags: ServerFlags = {}, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const raw: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(envNames)) {
    const value = env[name];
    if (value !== undefined && value !== "") raw[key] = value;
  }
  for (const [key, value] of Object.entries(flags)) if (value !== undefined) raw[key] = value;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? "");
    const name = envNames[key as keyof typeof envNames] ?? key;
    // Never echo the rejected value: it may be a password or a URL with one.
    throw new ConfigurationError(`invalid configuration: ${name} ${issue?.message ?? "is invalid"}`);
  }
  const c = parsed.data;
  if ((c.tlsCertFile === undefined) !== (c.tlsKeyFile === undefined)) {
    throw new ConfigurationError("invalid configuration: RAWORC_TLS_CERT_FILE and RAWORC_TLS_KEY_FILE go together");
  }
  if (c.secretsKey !== undefined && c.secretsKeyFile !== undefined) {
    throw new ConfigurationError("invalid configuration: set RAWORC_SECRETS_KEY or RAWORC_SECRETS_KEY_FILE, not both");
  }
  return {
    host: c.host,
    port: c.port,
    dataDir: resolve(c.dataDir),
    databaseUrl: c.databaseUrl,
    databasePoolSize: c.databasePoolSize,
    adminPassword: c.adminPassword,
    signingKeysFile: c.signingKeysFile,
    tokenTtlSeconds: c.tokenTtlSeconds,
    issuer: c.issuer,
    maxMessageBytes: c.maxMessageBytes,
    tls: c.tlsCertFile && c.tlsKeyFile ? { certFile: c.tlsCertFile, keyFile: c.tlsKeyFile } : undefined,
    secretsKey: c.secretsKey,
    secretsKeyFile: c.secretsKeyFile,
    runtime: c.runtime,
    sessionIdleTimeoutSeconds: c.sessionIdleTimeoutSeconds,
    warmPool: c.warmPool,
    maxDaemonRestarts: c.maxDaemonRestarts,
    kubernetes: {
      namespace: c.kubernetesNamespace,
      image: c.sessionImage,
      storageClassName: c.storageClass,
      snapshotClassName: c.snapshotClass,
    },
    daemonControlPlaneUrl: c.daemonControlPlaneUrl,
    daemonHeartbeatSeconds: c.daemonHeartbeatSeconds,
    webhooks: {
      allowPrivate: c.webhooksAllowPrivate === "1" || c.webhooksAllowPrivate === "true",
      timeoutMs: Math.round(c.webhooksTimeoutSeconds * 1000),
      retryWindowMs: Math.round(c.webhooksRetryWindowSeconds * 1000),
      backoffInitialMs: c.webhooksBackoffInitialMs,
      backoffMaxMs: Math.round(c.webhooksBackoffMaxSeconds * 1000),
      concurrency: c.webhooksConcurrency,
    },
    corsOrigins: c.corsOrigins.map((o) => (o === "*" ? o : o.toLowerCase())),
    apiDocs: c.apiDocs === "public",
    console: c.console === "on",
    logLevel: c.logLevel,
    stopSessionsOnExit: c.stopSessionsOnExit,
  };
}
