/** Chooses and builds the SessionRuntime adapter the configuration names. */
import type { ServerConfig } from "../config.js";
import { ConfigurationError } from "../errors.js";
import type { Logger } from "../logger.js";
import { ProcessRuntime } from "./process/process-runtime.js";
import type { SessionRuntime } from "./session-runtime.js";

/** Builds the configured runtime. */
export function createSessionRuntime(config: ServerConfig, logger: Logger): SessionRuntime {
  switch (config.runtime) {
    case "process":
      return new ProcessRuntime({ dataDir: config.dataDir, logger });
    case "kubernetes":
      throw new ConfigurationError("RAWORC_RUNTIME=kubernetes is not wired into the server yet; use process");
  }
}
