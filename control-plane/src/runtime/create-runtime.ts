/** Chooses and builds the SessionRuntime adapter the configuration names. */
import type { ServerConfig } from "../config.js";
import type { Logger } from "../logger.js";
import { ProcessRuntime } from "./process/process-runtime.js";
import type { SessionRuntime } from "./session-runtime.js";

/** Builds the configured runtime; the Kubernetes client is loaded only when it is used (it is large). `daemonEnv` goes to every daemon either runtime starts. */
export async function createSessionRuntime(config: ServerConfig, logger: Logger, daemonEnv: Readonly<Record<string, string>> = {}): Promise<SessionRuntime> {
  switch (config.runtime) {
    case "process":
      return new ProcessRuntime({ dataDir: config.dataDir, logger, warmPool: config.warmPool, env: daemonEnv });
    case "kubernetes": {
      const [{ createKubernetesClients, loadKubeConfig }, { KubernetesSessionRuntime }] = await Promise.all([
        import("./kubernetes/client.js"),
        import("./kubernetes/kubernetes-runtime.js"),
      ]);
      // In a pod: the in-cluster service account; elsewhere: $KUBECONFIG or ~/.kube/config.
      return new KubernetesSessionRuntime(createKubernetesClients(loadKubeConfig()), {
        namespace: config.kubernetes.namespace,
        image: config.kubernetes.image,
        storageClassName: config.kubernetes.storageClassName,
        snapshotClassName: config.kubernetes.snapshotClassName,
        daemonEnv,
        logger,
      });
    }
  }
}
