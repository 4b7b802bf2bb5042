/** The hardening every workload in deploy/ and every session pod must have, as a list of problems. */
import type { KubeObject } from "./kustomize.js";

/** A container as far as the checks read it. */
interface ContainerLike {
  name: string;
  image?: string;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    allowPrivilegeEscalation?: boolean;
    privileged?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { add?: string[]; drop?: string[] };
    seccompProfile?: { type?: string };
  };
}

/** A pod spec as far as the checks read it. */
export interface PodSpecLike {
  automountServiceAccountToken?: boolean;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type?: string } };
  containers: ContainerLike[];
  initContainers?: ContainerLike[];
  volumes?: { name: string; hostPath?: unknown }[];
}

/** The pod spec of a workload (Pod, Deployment, StatefulSet, DaemonSet, Job), if it has one. */
export function podSpecOf(object: KubeObject): PodSpecLike | undefined {
  const spec = object.spec as { template?: { spec?: PodSpecLike } } | undefined;
  if (object.kind === "Pod") return object.spec as PodSpecLike;
  return spec?.template?.spec;
}

/** Problems of one pod spec: non-root, read-only root, no privilege, ALL dropped, seccomp, limits. */
export function podHardeningProblems(where: string, pod: PodSpecLike, options: { serviceAccountToken: boolean }): string[] {
  const problems: string[] = [];
  const say = (problem: string) => problems.push(`${where}: ${problem}`);
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) say("shares a host namespace");
  if (pod.volumes?.some((v) => v.hostPath !== undefined)) say("mounts a hostPath");
  if (!options.serviceAccountToken && pod.automountServiceAccountToken !== false) say("mounts a service-account token");
  if (pod.securityContext?.seccompProfile?.type !== "RuntimeDefault") say("pod seccompProfile is not RuntimeDefault");
  for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
    const s = c.securityContext ?? {};
    const runAsNonRoot = s.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
    const uid = s.runAsUser ?? pod.securityContext?.runAsUser;
    if (runAsNonRoot !== true) say(`container ${c.name} may run as root (runAsNonRoot)`);
    if (uid === undefined || uid === 0) say(`container ${c.name} has no non-zero runAsUser`);
    if (s.readOnlyRootFilesystem !== true) say(`container ${c.name} has a writable root file system`);
    if (s.allowPrivilegeEscalation !== false) say(`container ${c.name} allows privilege escalation`);
    if (s.privileged) say(`container ${c.name} is privileged`);
    if (!s.capabilities?.drop?.includes("ALL")) say(`container ${c.name} does not drop ALL capabilities`);
    if (s.capabilities?.add?.length) say(`container ${c.name} adds capabilities`);
    if (s.seccompProfile && s.seccompProfile.type !== "RuntimeDefault") say(`container ${c.name} seccompProfile is not RuntimeDefault`);
    for (const resource of ["cpu", "memory"]) {
      if (!c.resources?.limits?.[resource]) say(`container ${c.name} has no ${resource} limit`);
      if (!c.resources?.requests?.[resource]) say(`container ${c.name} has no ${resource} request`);
    }
    if (c.image && (/:latest$/.test(c.image) || !/[:@]/.test(c.image.split("/").pop() ?? ""))) say(`container ${c.name} image ${c.image} is not pinned`);
  }
  return problems;
}

/** Problems of a rendered overlay: every workload hardened, and no cluster-scoped RBAC. */
export function manifestHardeningProblems(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  for (const o of objects) {
    if (o.kind === "ClusterRole" || o.kind === "ClusterRoleBinding") problems.push(`${o.kind}/${o.metadata.name}: cluster-scoped RBAC`);
    const pod = podSpecOf(o);
    // Only the control plane talks to the Kubernetes API; everything else runs without a token.
    if (pod) problems.push(...podHardeningProblems(`${o.kind}/${o.metadata.name}`, pod, { serviceAccountToken: o.metadata.name === "raworc-control-plane" }));
  }
  return problems;
}
