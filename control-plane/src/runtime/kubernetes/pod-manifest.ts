/**
 * The session pod: one hardened container running `raworc-agent` on the session's volume. The
 * daemon token comes from the session's Secret (secretKeyRef), never from the pod spec.
 */
import type { V1OwnerReference, V1Pod } from "@kubernetes/client-node";
import { daemonEnv, daemonFlags } from "@raworc/contract";
import type { SessionLaunch } from "../session-runtime.js";
import { TOKEN_KEY, sessionLabels, sessionObjectNames } from "./names.js";
import type { ResolvedKubernetesRuntimeOptions } from "./options.js";
import { parseQuantity } from "./quantity.js";

/** Where the session volume is mounted in the pod. */
export const WORKSPACE = "/workspace";
/** The name of the daemon's container. */
export const DAEMON_CONTAINER = "raworc-agent";

/** Builds the session pod, owned by the session's volume so that deleting the volume removes it. */
export function buildSessionPod(launch: SessionLaunch, options: ResolvedKubernetesRuntimeOptions, owner: V1OwnerReference): V1Pod {
  const names = sessionObjectNames(launch.sessionId);
  const cpu = launch.resources.cpu || options.defaultResources.cpu;
  const memory = launch.resources.memory || options.defaultResources.memory;
  parseQuantity(cpu, "cpu");
  parseQuantity(memory, "memory");
  const seccompProfile = { type: "RuntimeDefault" };
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: names.pod,
      namespace: options.namespace,
      labels: sessionLabels(launch.sessionId, "daemon", launch),
      ownerReferences: [owner],
    },
    spec: {
      // The reconciler restarts a dead daemon itself (with backoff, counting crashes toward
      // FAILED); a kubelet restart would hide the crash from it.
      restartPolicy: "Never",
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      ...(options.serviceAccountName ? { serviceAccountName: options.serviceAccountName } : {}),
      ...(options.runtimeClassName ? { runtimeClassName: options.runtimeClassName } : {}),
      terminationGracePeriodSeconds: options.terminationGracePeriodSeconds,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: options.runAsUser,
        runAsGroup: options.runAsGroup,
        fsGroup: options.runAsGroup,
        fsGroupChangePolicy: "OnRootMismatch",
        seccompProfile,
      },
      containers: [
        {
          name: DAEMON_CONTAINER,
          image: options.image,
          imagePullPolicy: options.imagePullPolicy,
          command: [...options.command],
          args: [daemonFlags.controlPlane, options.controlPlaneUrl ?? launch.controlPlaneUrl, daemonFlags.sessionId, launch.sessionId, daemonFlags.workspace, WORKSPACE],
          env: [
            { name: daemonEnv.sessionToken, valueFrom: { secretKeyRef: { name: names.secret, key: TOKEN_KEY } } },
            // The root file system is read-only: tools that write to $HOME get the scratch space.
            { name: "HOME", value: "/tmp" },
            { name: "TMPDIR", value: "/tmp" },
            ...Object.entries(options.daemonEnv).map(([name, value]) => ({ name, value })),
          ],
          workingDir: WORKSPACE,
          resources: { requests: { cpu, memory }, limits: { cpu, memory } },
          securityContext: {
            runAsNonRoot: true,
            runAsUser: options.runAsUser,
            runAsGroup: options.runAsGroup,
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
            seccompProfile,
          },
          volumeMounts: [
            { name: "workspace", mountPath: WORKSPACE },
            { name: "tmp", mountPath: "/tmp" },
          ],
          terminationMessagePolicy: "FallbackToLogsOnError",
        },
      ],
      volumes: [
        { name: "workspace", persistentVolumeClaim: { claimName: names.volume } },
        { name: "tmp", emptyDir: { sizeLimit: options.tmpSizeLimit } },
      ],
    },
  };
}
