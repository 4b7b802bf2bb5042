/** Creates an agent from a manifest file with the real `raworc` CLI, as a user would. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";

const RAWORC = fileURLToPath(new URL("../../../cli/bin/raworc.js", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const run = promisify(execFile);

/** `raworc agents create -f <manifest>` against `url` with `token`; `manifest` is relative to the repository root. */
export async function createAgentWithCli(url: string, token: string, manifest: string): Promise<void> {
  await run(process.execPath, [RAWORC, "agents", "create", "-f", manifest], {
    cwd: REPO_ROOT,
    env: { ...process.env, RAWORC_SERVER: url, RAWORC_TOKEN: token, RAWORC_CONFIG: "/nonexistent/raworc-config.yaml" },
  });
}
