/**
 * @raworc/contract: what the control plane and the raworc-agent daemon must agree on, defined
 * once and imported by both (and by the pod and container manifests). Literals of this contract
 * appear nowhere else.
 */
export { daemonEnv, daemonExitCodes, daemonFlags, type DaemonExitCode } from "./daemon-command.js";
export { warmPoolMessages, type WarmClaim } from "./warm-pool.js";
export { daemonDirEntries, daemonDirName } from "./volume-layout.js";
