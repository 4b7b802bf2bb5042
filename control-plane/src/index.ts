/** @raworc/control-plane: the API server. Other packages use only what this file exports. */
export { runServer } from "./main.js";
export { startServer, type RunningServer, type StartServerOptions } from "./server.js";
export { loadServerConfig, type ServerConfig, type ServerFlags } from "./config.js";
export { startEmbeddedPostgres, type EmbeddedPostgres } from "./store/embedded-postgres.js";
export { rotateSigningKey } from "./auth/keyring.js";
export { defaultDataDir } from "./config.js";
export { ProcessRuntime } from "./runtime/process/process-runtime.js";
// For tests in other packages that play a session's daemon by hand (a server started with reconcile off).
export { issueDaemonToken } from "./auth/daemon-auth.js";
export { importKeySet, loadOrCreateKeySet } from "./auth/keyring.js";
