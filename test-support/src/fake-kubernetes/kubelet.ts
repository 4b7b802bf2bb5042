/**
 * The scheduler and kubelet, driven by tests: schedule and run a pod, end its container with an
 * exit code (restarting it as its restartPolicy says), and finish graceful deletions — by
 * itself after `terminationDelayMs`, or only when a test says so.
 */
import type { FakeCluster } from "./cluster.js";
import { RESOURCES } from "./resources.js";
import { timestamp, type KubeObject, type StoreEvent } from "./types.js";

type Json = Record<string, unknown>;

const POD = RESOURCES.get("/pods")!;

/** How the fake kubelet finishes graceful pod deletions. */
export interface KubeletOptions {
  /** Finish a graceful deletion by itself (default true); false leaves it to finishTermination(). */
  readonly autoTerminate?: boolean;
  /** Delay before an automatic finish; default 0 (the next turn of the event loop). */
  readonly terminationDelayMs?: number;
  /** The exit code a daemon stopped by SIGTERM reports; default 0 (it handles the signal). */
  readonly terminationExitCode?: number;
}

/** What a container's end looks like. */
export interface ContainerExit {
  readonly exitCode: number;
  readonly reason?: string;
  readonly message?: string;
}

/** Plays scheduler and kubelet for the pods of a fake cluster. */
export class FakeKubelet {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly cluster: FakeCluster,
    readonly options: KubeletOptions = {},
  ) {
    this.unsubscribe = cluster.store.subscribe((event) => this.onEvent(event));
  }

  /** Schedules the pod to a node and runs its containers (Running, Ready). */
  run(namespace: string, name: string, nodeName = "fake-node-1"): KubeObject {
    const now = timestamp();
    return this.cluster.update(POD, namespace, name, (pod) => {
      pod.spec = { ...pod.spec, nodeName };
      pod.status = {
        ...pod.status,
        phase: "Running",
        hostIP: "10.0.0.1",
        podIP: "10.244.0.10",
        startTime: now,
        conditions: ["PodScheduled", "Initialized", "ContainersReady", "Ready"].map((type) => ({ type, status: "True", lastTransitionTime: now })),
        containerStatuses: containersOf(pod).map((container) => ({
          name: container.name,
          image: container.image,
          imageID: `docker-pullable://${String(container.image)}@sha256:0`,
          containerID: `containerd://${name}-${String(container.name)}`,
          ready: true,
          started: true,
          restartCount: 0,
          state: { running: { startedAt: now } },
        })),
      };
    });
  }

  /** Schedules the pod but leaves its container waiting (ImagePullBackOff and the like). */
  wait(namespace: string, name: string, reason: string, message = ""): KubeObject {
    return this.cluster.update(POD, namespace, name, (pod) => {
      pod.spec = { ...pod.spec, nodeName: pod.spec?.nodeName ?? "fake-node-1" };
      pod.status = {
        ...pod.status,
        phase: "Pending",
        conditions: [{ type: "PodScheduled", status: "True", lastTransitionTime: timestamp() }],
        containerStatuses: containersOf(pod).map((container) => ({
          name: container.name,
          image: container.image,
          imageID: "",
          ready: false,
          started: false,
          restartCount: 0,
          state: { waiting: { reason, message } },
        })),
      };
    });
  }

  /** Leaves the pod unschedulable, as the scheduler reports it. */
  unschedulable(namespace: string, name: string, message: string): KubeObject {
    return this.cluster.update(POD, namespace, name, (pod) => {
      pod.status = { ...pod.status, phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message }] };
    });
  }

  /** Ends the pod's containers; with restartPolicy Never (or OnFailure and exit 0) the pod ends too. */
  exit(namespace: string, name: string, exit: ContainerExit): KubeObject {
    const now = timestamp();
    return this.cluster.update(POD, namespace, name, (pod) => {
      const terminated = {
        exitCode: exit.exitCode,
        reason: exit.reason ?? (exit.exitCode === 0 ? "Completed" : "Error"),
        ...(exit.message ? { message: exit.message } : {}),
        startedAt: now,
        finishedAt: now,
        containerID: `containerd://${name}`,
      };
      const policy = pod.spec?.restartPolicy;
      const restarts = policy === "Always" || (policy === "OnFailure" && exit.exitCode !== 0);
      const statuses = ((pod.status?.containerStatuses ?? []) as Json[]).map((status) =>
        restarts
          ? { ...status, restartCount: Number(status.restartCount ?? 0) + 1, lastState: { terminated }, state: { running: { startedAt: now } } }
          : { ...status, ready: false, started: false, state: { terminated } },
      );
      const phase = restarts ? "Running" : exit.exitCode === 0 ? "Succeeded" : "Failed";
      pod.status = { ...pod.status, phase, containerStatuses: statuses };
    });
  }

  /** Finishes a graceful deletion: the containers stop, the kubelet confirms with a zero-grace delete. */
  finishTermination(namespace: string, name: string): void {
    const pod = this.cluster.store.get({ resource: "/pods", namespace, name });
    if (!pod?.metadata.deletionTimestamp) return;
    if (pod.status?.phase !== "Succeeded" && pod.status?.phase !== "Failed") {
      this.exit(namespace, name, { exitCode: this.options.terminationExitCode ?? 0 });
    }
    this.cluster.delete(POD, namespace, name, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid ?? "" } });
  }

  /** Stops pending automatic terminations and the subscription. */
  close(): void {
    this.unsubscribe();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private onEvent(event: StoreEvent): void {
    if (event.resource !== "/pods" || event.type !== "MODIFIED" || this.options.autoTerminate === false) return;
    const pod = event.object;
    const gracefulStart = pod.metadata.deletionTimestamp && !event.previous?.metadata.deletionTimestamp && (pod.metadata.deletionGracePeriodSeconds ?? 0) > 0;
    if (!gracefulStart) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      try {
        this.finishTermination(event.namespace, pod.metadata.name ?? "");
      } catch {
        // Already gone (a force delete beat us): nothing to finish.
      }
    }, this.options.terminationDelayMs ?? 0);
    this.timers.add(timer);
  }
}

function containersOf(pod: KubeObject): Json[] {
  return (pod.spec?.containers ?? []) as Json[];
}
