/** Chooses and builds the SessionRuntime adapter the configuration names. */
import type { ServerConfig } from "../config.js";
import type { Logger } from "../logger.js";
import { createKubernetesClients, loadKubeConfig } from "./kubernetes/client.js";
import { KubernetesSessionRuntime } from "./kubernetes/kubernetes-runtime.js";
import { ProcessRuntime } from "./process/process-runtime.js";
import type { SessionRuntime } from "./session-runtime.js";

/** Builds the configured runtime. */
export function createSessionRuntime(config: ServerConfig, logger: Logger): SessionRuntime {
  switch (config.runtime) {
    case "process":
      return new ProcessRuntime({ dataDir: config.dataDir, logger });
    case "kubernetes":
      // In a pod: the in-cluster service account; elsewhere: $KUBECONFIG or ~/.kube/config.
      return new KubernetesSessionRuntime(createKubernetesClients(loadKubeConfig()), {
        namespace: config.kubernetes.namespace,
        image: config.kubernetes.image,
        storageClassName: config.kubernetes.storageClassName,
        snapshotClassName: config.kubernetes.snapshotClassName,
        logger,
      });
  }
}
