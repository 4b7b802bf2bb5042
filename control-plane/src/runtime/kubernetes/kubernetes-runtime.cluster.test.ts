/**
 * The runtime contract against the real cluster of $KUBECONFIG. The session namespace must
 * exist (RAWORC_TEST_KUBERNETES_NAMESPACE, default "default"); pods run a stand-in for the
 * daemon (RAWORC_TEST_SESSION_IMAGE, default busybox) that sleeps under the full hardening.
 */
import { loadKubeConfig, createKubernetesClients } from "./client.js";
import { describeRuntimeContract, eventually, type RuntimeTarget } from "./runtime-contract.js";
import { KubernetesSessionRuntime } from "./kubernetes-runtime.js";

const kubeconfig = process.env.KUBECONFIG;

describe(kubeconfig ? `kubernetes runtime against the cluster of ${kubeconfig}` : "kubernetes runtime against a real cluster (KUBECONFIG unset)", function () {
  this.timeout(300_000);
  let target: RuntimeTarget | undefined;

  before(function () {
    if (!kubeconfig) return this.skip();
    const namespace = process.env.RAWORC_TEST_KUBERNETES_NAMESPACE ?? "default";
    const clients = createKubernetesClients(loadKubeConfig());
    const options = {
      image: process.env.RAWORC_TEST_SESSION_IMAGE ?? "busybox:1.37",
      // The stand-in ignores the daemon's flags (they become $0, $1... of the script).
      command: ["sh", "-c", "exec sleep 3600"],
      ...(process.env.RAWORC_TEST_STORAGE_CLASS ? { storageClassName: process.env.RAWORC_TEST_STORAGE_CLASS } : {}),
      terminationGracePeriodSeconds: 5,
    };
    const observer = new KubernetesSessionRuntime(clients, { namespace, ...options });
    target = {
      namespace,
      clients,
      options,
      podRunning: async (sessionId) => {
        await eventually(`the pod of ${sessionId} to run`, 240_000, async () => (await observer.observe(sessionId)).daemon === "running");
      },
      patienceMs: 120_000,
    };
  });

  describeRuntimeContract(() => {
    if (!target) throw new Error("KUBECONFIG unset");
    return target;
  });
});
