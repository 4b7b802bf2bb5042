/** How a session's pod and volume, as the API server reports them, map to the port's observation. */
import type { V1ContainerStatus, V1PersistentVolumeClaim, V1Pod } from "@kubernetes/client-node";
import type { RuntimeObservation } from "../session-runtime.js";
import { DAEMON_CONTAINER } from "./pod-manifest.js";

type DaemonState = Pick<RuntimeObservation, "daemon" | "exitCode" | "message">;

/** The observation of one session from its (possibly absent) volume and pod. */
export function observeSession(sessionId: string, volume: V1PersistentVolumeClaim | undefined, pod: V1Pod | undefined): RuntimeObservation {
  const daemon = daemonStateOf(pod);
  return {
    sessionId,
    volume: volume ? "present" : "absent",
    ...daemon,
    ...(pod?.metadata?.name && daemon.daemon !== "absent" ? { handle: pod.metadata.name } : {}),
  };
}

/** Whether the pod's containers have finished for good (restartPolicy Never). */
export function isPodFinished(pod: V1Pod): boolean {
  return pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";
}

/** The daemon's state: Pending is starting, Running is running, Succeeded/Failed is exited. */
export function daemonStateOf(pod: V1Pod | undefined): DaemonState {
  if (!pod) return { daemon: "absent" };
  const terminating = pod.metadata?.deletionTimestamp !== undefined;
  const container = pod.status?.containerStatuses?.find((status) => status.name === DAEMON_CONTAINER);
  const phase = pod.status?.phase;
  if (phase === "Succeeded" || phase === "Failed") {
    // A finished pod that is being deleted was stopped on request: nothing runs any more.
    if (terminating) return { daemon: "absent" };
    return exited(pod, container);
  }
  if (container?.state?.terminated) return terminating ? { daemon: "absent" } : exited(pod, container);
  if (phase === "Running") {
    if (terminating) return { daemon: "running", message: "terminating" };
    return container?.state?.waiting ? { daemon: "starting", ...waitingMessage(container) } : { daemon: "running" };
  }
  if (phase === "Unknown") return { daemon: "running", message: `pod phase Unknown: ${pod.status?.reason ?? "its node stopped reporting"}` };
  // Pending (or no status yet): scheduled or not, the container has not started.
  if (terminating) return { daemon: "starting", message: "terminating" };
  if (container?.state?.waiting) return { daemon: "starting", ...waitingMessage(container) };
  const unscheduled = pod.status?.conditions?.find((condition) => condition.type === "PodScheduled" && condition.status === "False");
  if (unscheduled) return { daemon: "starting", message: describe(unscheduled.reason, unscheduled.message) };
  return { daemon: "starting" };
}

function exited(pod: V1Pod, container: V1ContainerStatus | undefined): DaemonState {
  const terminated = container?.state?.terminated ?? container?.lastState?.terminated;
  const message = terminated
    ? describe(terminated.reason, terminated.message)
    : describe(pod.status?.reason, pod.status?.message) || `pod ${pod.status?.phase ?? "ended"}`;
  return {
    daemon: "exited",
    ...(terminated ? { exitCode: terminated.exitCode } : {}),
    ...(message ? { message } : {}),
  };
}

function waitingMessage(container: V1ContainerStatus): { message?: string } {
  const message = describe(container.state?.waiting?.reason, container.state?.waiting?.message);
  return message ? { message } : {};
}

function describe(reason: string | undefined, message: string | undefined): string {
  return [reason, message].filter(Boolean).join(": ");
}
