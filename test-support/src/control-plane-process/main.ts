/**
 * A control plane as a process of its own, for tests that kill it (kill -9 cannot be done to a
 * server inside the test's process). Configured by RAWORC_* variables as `raworc start` is;
 * prints `RAWORC_TEST_SERVER_URL <url>` on stdout once it serves; stops gracefully on SIGTERM.
 */
import { loadServerConfig, startServer } from "@raworc/control-plane";

const server = await startServer(loadServerConfig({}), { shutdownGraceMs: 1000 });
process.stdout.write(`RAWORC_TEST_SERVER_URL ${server.url}\n`);
process.once("SIGTERM", () => {
  void server.stop().finally(() => process.exit(0));
});
